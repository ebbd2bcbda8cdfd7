"""Checks on the built book that Sphinx's -W does not cover.

    python scripts/check_build.py book/_build/html [--data DIR] [--chapters book/chapters] [--pdf FILE]

* every chapter page exists and the front page is there;
* no page shows a raw object repr instead of a table or figure (a pandas Styler, '<Figure size ...>');
* pages whose notebook shows data (calls ``data_notice``) carry the notice;
* the executed chapters (``--chapters``) were all built from one data folder, the one each records in its
  parameters (``data_dir``); that folder is scanned, and ``--data`` too when it exists;
* disclosure: when that folder is not verified synthetic data (see :mod:`malstyring.provenance`), no office name
  from its offices table – read through the same loader and ``column_map.csv`` as the analysis – appears in the
  HTML, its ``_sources``, the executed notebooks or the PDF's text (when the PDF exists).

Name matching (:func:`find_names`): text and names are compared after HTML entities are decoded, Unicode NFKC
normalisation (so NFD forms and non-breaking spaces match), case-folding and collapsing whitespace; tags are read
both removed and replaced by a space. Each name is looked for, as a whole word, in two forms: the bare name
("Vågå", with a leading "NAV " removed) and "NAV <bare name>". A form that already occurs as a whole word in the
book's own sources (``notebooks/*.md``, ``book/*.md``, ``book/references.bib``) is ordinary text of the book, not
data – "Bamble" in the article's list of pilot offices – and is not looked for; the other form still is. Bare
forms shorter than :data:`MIN_BARE` characters are looked for only as "NAV <name>".
Exits non-zero with one line per problem.
"""

import argparse
import ast
import html
import json
import re
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "lib"))

from malstyring.provenance import provenance  # noqa: E402
from malstyring.reading import ReadError, column_map, find_files, read_table  # noqa: E402

BAD_PATTERNS = {
    "pandas Styler repr": re.compile(r"pandas\.io\.formats\.style\.Styler"),
    "figure repr instead of a figure": re.compile(r"&lt;Figure size \d+x\d+ with \d+ Axes&gt;"),
    "Python traceback": re.compile(r"Traceback \(most recent call last\)"),
}
NOTICE = re.compile(r"Synthetic data|Supplied data")
NOTEBOOKS = ROOT / "notebooks"
BOOK_SOURCES = [
    *sorted(NOTEBOOKS.glob("*.md")),
    *sorted((ROOT / "book").glob("*.md")),
    ROOT / "book" / "references.bib",
]
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


def chapter_data_dir(notebook: Path) -> Path | None:
    """The ``data_dir`` an executed chapter ran with (its injected parameter, else its default), resolved
    against ``notebooks/`` where the chapters run; None when the chapter has no such parameter."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    value = None
    for cell in nb.get("cells", []):
        tags = cell.get("metadata", {}).get("tags", [])
        if cell.get("cell_type") != "code" or not {"parameters", "injected-parameters"} & set(tags):
            continue
        try:
            body = ast.parse("".join(cell.get("source", []))).body
        except SyntaxError:
            continue
        for node in body:
            if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "data_dir" for t in node.targets):
                value = ast.literal_eval(node.value)
    return None if value is None else (NOTEBOOKS / value).resolve()


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
    recorded = {nb.name: chapter_data_dir(nb) for nb in sorted(chapters_dir.glob("*.ipynb"))}
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


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("html_dir")
    parser.add_argument("--data", default=str(ROOT / "data" / "synthetic"), help="used when no chapter records one")
    parser.add_argument("--chapters", default=str(ROOT / "book" / "chapters"), help="the executed notebooks")
    parser.add_argument("--pdf", default=str(ROOT / "book" / "_build" / "latex" / "book.pdf"))
    args = parser.parse_args()
    html_dir = Path(args.html_dir)
    problems = []
    chapters = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.md"))
    for chapter in chapters:
        page = html_dir / "chapters" / f"{chapter.stem}.html"
        if not page.exists():
            problems.append(f"{page}: chapter page missing")
            continue
        text = page.read_text(encoding="utf-8")
        for label, pattern in BAD_PATTERNS.items():
            if pattern.search(text):
                problems.append(f"{page.name}: {label}")
        shows_estimates = "data_notice(" in chapter.read_text(encoding="utf-8")
        if shows_estimates and not NOTICE.search(text):
            problems.append(f"{page.name}: no data notice")
    if not (html_dir / "index.html").exists():
        problems.append(f"{html_dir / 'index.html'}: missing")
    problems += disclosure_problems(html_dir, Path(args.chapters), Path(args.pdf), Path(args.data))
    for p in problems:
        print(f"check_build: {p}")
    print(f"check_build: {len(chapters)} chapter page(s) checked, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
