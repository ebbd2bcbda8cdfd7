"""Disclosure control: what the book may show of an office when the data are supplied, not synthetic.

* **Sampling and suppression.** Office-level figures label offices by size decile, never by name
  (:func:`offices_by_decile`, :func:`office_label`); offices with fewer than ``min_persons`` users in any month are
  never shown individually (:func:`eligible_offices`). Offices shown are drawn with a seed, per size decile for a
  figure of several offices (:func:`draw_shown_offices`), one office-month for a page about one office
  (:func:`draw_shown_office_month`).
* **The name scan of the built book** (:func:`disclosure_problems`, run by ``scripts/check_build.py``): when the
  data folder the chapters were executed from is not verified synthetic data (:mod:`malstyring.data.provenance`),
  no office name from its offices table – read through the same loader and ``column_map.csv`` as the analysis –
  may appear in the HTML, its ``_sources``, the executed notebooks or the PDF's text. A book whose chapters were
  executed from two different data folders is refused.

Name matching (:func:`find_names`): text and names are compared after HTML entities are decoded, Unicode NFKC
normalisation (so NFD forms and non-breaking spaces match), case-folding and collapsing whitespace; tags are read
both removed and replaced by a space. Each name is looked for, as a whole word, in two forms: the bare name
("Vågå", with a leading "NAV " removed) and "NAV <bare name>". A form that already occurs as a whole word in the
book's own sources (:data:`BOOK_SOURCES`: ``notebooks/*.md``, ``book/*.md``, ``book/references.bib``) is ordinary
text of the book, not data – "Bamble" in the article's list of pilot offices – and is not looked for; the other
form still is. Bare forms shorter than :data:`MIN_BARE` characters are looked for only as "NAV <name>".
"""

import html
import json
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd

from ..data.panel import year_of
from ..data.paths import NOTEBOOK_DIR, REPO_ROOT
from ..data.provenance import provenance
from ..data.reading import ReadError, column_map, find_files, read_table
from .parameters import executed_data_dir

# --- sampling and suppression ---------------------------------------------------------------------------------------


def size_deciles(office_month: pd.DataFrame) -> pd.Series:
    """Office size decile 1..10 by mean state employees over the panel (10 = the largest tenth)."""
    staff = office_month.groupby("office_id")["state_employees"].mean().sort_index()
    return pd.qcut(staff.rank(method="first"), 10, labels=False).astype(int) + 1


def eligible_offices(office_month: pd.DataFrame, min_persons: int) -> pd.Index:
    """Offices whose number of users with reduced work capacity is at least ``min_persons`` in every month:
    only these may be shown individually when disclosure control is on."""
    smallest = office_month.groupby("office_id")["nae_users"].min()
    return smallest.index[smallest >= min_persons]


def offices_by_decile(
    office_month: pd.DataFrame, per_decile: int, seed: int, eligible: pd.Index | None = None
) -> pd.DataFrame:
    """Draw ``per_decile`` offices at random from each size decile (fixed seed), only among ``eligible``
    offices if given. Columns: office_id, decile."""
    rng = np.random.default_rng(seed)
    deciles = size_deciles(office_month)
    rows = []
    for d in range(1, 11):
        ids = deciles.index[deciles == d]
        ids = (ids if eligible is None else ids.intersection(eligible)).to_numpy()
        if len(ids) == 0:
            continue
        for office in sorted(rng.choice(ids, size=min(per_decile, len(ids)), replace=False)):
            rows.append((int(office), d))
    return pd.DataFrame(rows, columns=["office_id", "decile"])


def office_label(decile: int, number: int) -> str:
    """A panel label that names no office: 'Decile 3 · B' (the second office drawn from size decile 3)."""
    return f"Decile {decile} · {chr(ord('A') + number)}"


def decile_labels(draw: pd.DataFrame) -> dict:
    """Panel labels for offices drawn by :func:`offices_by_decile`: office_id -> 'Decile d · A', 'Decile d · B', ...
    in the order drawn within each decile."""
    labels = {}
    for decile, group in draw.groupby("decile"):
        for k, office in enumerate(group["office_id"]):
            labels[office] = office_label(decile, k)
    return labels


def draw_shown_offices(
    offices: pd.DataFrame, office_month: pd.DataFrame, per_decile: int, seed: int, min_persons: int | None
) -> tuple[dict, int]:
    """The offices a figure may show, ``per_decile`` drawn from each size decile, labelled by :func:`decile_labels`,
    and how many offices disclosure control hid (0 when it is off). ``min_persons`` None: disclosure control off
    (synthetic data); otherwise only :func:`eligible_offices` are drawn."""
    eligible = None if min_persons is None else eligible_offices(office_month, min_persons)
    n_hidden = 0 if eligible is None else offices["office_id"].nunique() - len(eligible)
    return decile_labels(offices_by_decile(office_month, per_decile, seed, eligible)), n_hidden


def draw_shown_office_month(
    offices: pd.DataFrame, office_month: pd.DataFrame, year: int, seed: int, min_persons: int | None
) -> tuple[int, str]:
    """One office a page may show by itself, and one of its panel's months (``YYYY-MM``) in ``year``, drawn with
    ``seed`` (first the office, then the month). ``min_persons`` None: disclosure control off (synthetic data), any
    office of ``offices``; otherwise only :func:`eligible_offices`."""
    rng = np.random.default_rng(seed)
    ids = offices["office_id"] if min_persons is None else eligible_offices(office_month, min_persons)
    office = int(rng.choice(ids.to_numpy()))
    months = office_month["month"]
    return office, str(rng.choice(sorted(months[year_of(months) == year].unique())))


# --- the name scan of the built book --------------------------------------------------------------------------------

BOOK_SOURCES = [
    *sorted(NOTEBOOK_DIR.glob("*.md")),
    *sorted((REPO_ROOT / "book").glob("*.md")),
    REPO_ROOT / "book" / "references.bib",
]
"""The book's own text: a name form that occurs in it as a whole word is ordinary text, not data."""
TEXT_SUFFIXES = {".html", ".htm", ".txt", ".md", ".ipynb", ".json", ".js", ".tex", ".xml"}
SKIP_DIRS = {"_static", "_sphinx_design_static", "_images"}
MIN_BARE = 2
INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))
"""Soft hyphen and zero-width characters: removed before matching."""


def normalise(text: str) -> str:
    """Entities decoded (twice, for '&amp;aring;'), NFKC, case-folded, invisible characters removed, whitespace
    collapsed to one space."""
    text = html.unescape(html.unescape(text))
    text = unicodedata.normalize("NFKC", text).casefold().translate(INVISIBLE)
    return " ".join(text.split())


def _strings(obj) -> list[str]:
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        return [s for v in obj.values() for s in _strings(v)]
    if isinstance(obj, list):
        return [s for v in obj for s in _strings(v)]
    return []


def text_variants(path: Path) -> list[str]:
    """The normalised text of a built file, in the readings a name could hide in (see the module docstring)."""
    if path.suffix == ".pdf":
        if not shutil.which("pdftotext"):
            return []
        run = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True)
        raw = run.stdout
        return [normalise(raw), normalise(raw.replace("-\n", ""))]  # words hyphenated across lines
    raw = path.read_text(encoding="utf-8", errors="replace")
    variants = [raw]
    if path.suffix in (".ipynb", ".json"):
        try:
            variants.append("\n".join(_strings(json.loads(raw))))
        except ValueError:
            pass
    tagged = [v for v in variants if "<" in v]
    variants += [re.sub(r"<[^>]*>", " ", v) for v in tagged] + [re.sub(r"<[^>]*>", "", v) for v in tagged]
    return [normalise(v) for v in variants]


def _word(form: str) -> str:
    return rf"(?<!\w){re.escape(form)}(?!\w)"


def name_forms(names: list[str], ordinary: str) -> dict[str, str]:
    """Normalised form -> the office name it stands for, leaving out forms that are ordinary text of the book."""
    forms: dict[str, str] = {}
    for name in names:
        bare = normalise(name)
        bare = bare[4:] if bare.startswith("nav ") else bare
        candidates = [f"nav {bare}"] + ([bare] if len(bare) >= MIN_BARE else [])
        for form in candidates:
            if bare and not re.search(_word(form), ordinary):
                forms.setdefault(form, name)
    return forms


def find_names(paths: list[Path], names: list[str], ordinary: str) -> dict[Path, list[str]]:
    """The office names (as given) found, as whole words, in each file; files without any are left out.

    Fast on large pages: the text's words are looked up in an index of each form's first word, and only there is
    the whole form compared."""
    forms = name_forms(names, ordinary)
    by_first: dict[str, list[str]] = {}
    odd = []  # forms that do not start with a letter or digit: searched with a regular expression
    for form in forms:
        first = re.match(r"\w+", form)
        if first:
            by_first.setdefault(first.group(0), []).append(form)
        else:
            odd.append((form, re.compile(_word(form))))
    found = {}
    for path in paths:
        hits = set()
        for text in text_variants(path):
            for word in re.finditer(r"\w+", text):
                for form in by_first.get(word.group(0), ()):
                    end = word.start() + len(form)
                    if text.startswith(form, word.start()) and not (end < len(text) and _is_word_char(text[end])):
                        hits.add(forms[form])
            hits |= {forms[form] for form, pattern in odd if pattern.search(text)}
        if hits:
            found[path] = sorted(hits)
    return found


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


def office_names(data_dir: Path) -> list[str]:
    """The offices table's names, read as the analysis reads them (one file per table, ``column_map.csv``)."""
    mapping, problems = column_map(data_dir)
    paths, missing = find_files(data_dir)
    errors = [p for p in problems + missing if p.severity == "error" and "offices" in str(p)]
    if errors or "offices" not in paths:
        raise ValueError("; ".join(str(p) for p in errors) or "no offices table")
    try:
        df, label, _ = read_table(paths["offices"], "offices", mapping.get("offices"))
    except ReadError as err:
        raise ValueError(str(err)) from None
    if "office_name" not in df.columns:
        raise ValueError(f"{label}: no column 'office_name'")
    return [str(n) for n in df["office_name"].dropna() if str(n).strip()]


def built_files(html_dir: Path, chapters_dir: Path, pdf: Path) -> list[Path]:
    """Every text file of the HTML build (``_sources`` included, theme assets not), the executed notebooks and
    the PDF when it exists."""
    files = [
        p
        for p in sorted(html_dir.rglob("*"))
        if p.is_file() and p.suffix in TEXT_SUFFIXES and not SKIP_DIRS & set(p.relative_to(html_dir).parts)
    ]
    files += sorted(chapters_dir.glob("*.ipynb"))
    return files + ([pdf] if pdf.is_file() else [])


def disclosure_problems(html_dir: Path, chapters_dir: Path, pdf: Path, data: Path) -> list[str]:
    """The data-folder record of the executed chapters and, for every folder that is not verified synthetic data
    (the one the chapters record, and ``data`` when it exists), the name scan."""
    recorded = {nb.name: executed_data_dir(nb) for nb in sorted(chapters_dir.glob("*.ipynb"))}
    folders = {d for d in recorded.values() if d is not None}
    if len(folders) > 1:
        by = {d.name: [n for n, f in recorded.items() if f == d] for d in folders}
        return [f"chapters built from different data folders (rebuild them all with one DATA): {by}"]
    gone = [d for d in folders if not d.is_dir()]
    if gone or not (folders or data.is_dir()):
        return [f"data folder {(gone or [data])[0].name!r} is gone: cannot check the pages for office names"]
    problems = []
    ordinary = normalise("\n".join(p.read_text(encoding="utf-8") for p in BOOK_SOURCES if p.is_file()))
    files = built_files(html_dir, chapters_dir, pdf)
    for folder in sorted(folders | ({data.resolve()} if data.is_dir() else set())):
        if provenance(folder).synthetic:
            continue
        try:
            names = office_names(folder)
        except ValueError as err:
            problems.append(f"cannot read office names of {folder.name!r} for the disclosure scan: {err}")
            continue
        found = find_names(files, names, ordinary)
        where = {p: p.relative_to(html_dir) if p.is_relative_to(html_dir) else p.name for p in found}
        problems += [f"{where[p]}: office name(s) disclosed: {hits[:5]}" for p, hits in found.items()]
    return problems
