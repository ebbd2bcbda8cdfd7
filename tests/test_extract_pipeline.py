"""The real-data path end to end, on a deliberately messy 'supplied' extract.

The extract is made from the synthetic panel and keeps the generated folder's manifest.json, which no longer
matches its files (so it counts as supplied data, disclosure control is on and validation warns), renamed columns
mapped through column_map.csv, the offices table as Excel, a month missing for one office, and one tiny office. The
whole book is executed (one chapter per core, chapter 8 with few replications) and built from it into a temporary
folder. Run with `make test-extract` (about a minute); `make test` includes it.
"""

import hashlib
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from malstyring.data.reference import USER_SHARES
from malstyring.synthetic.generator import DEFAULT_SEED, generate

pytestmark = pytest.mark.pipeline
ROOT = Path(__file__).resolve().parents[1]
GAP_OFFICE, GAP_MONTH, TINY_OFFICE = 7, "2013-06", 1
SMALL_RUNS = ["-p", "n_replications", "20", "-p", "n_boot", "199", "-p", "spec_boot", "99", "-p", "n_jobs", "1"]
"""Chapter 8's replications: few (what is tested is the path of supplied data through the book and the disclosure
scan, not the precision of a bootstrap), in one process (the chapters already run one per core)."""


class _Rows(HTMLParser):
    def __init__(self):
        super().__init__()
        self.rows, self._row, self._cell = [], None, None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _table_rows(page: str) -> list[list[str]]:
    parser = _Rows()
    parser.feed(page)
    return parser.rows


def _hashes(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def extract(tmp_path_factory):
    src = tmp_path_factory.mktemp("src")
    generate(src, seed=DEFAULT_SEED, verbose=False)
    out = tmp_path_factory.mktemp("extract")
    for name in ("indicator_values", "municipality_month", "municipality_year", "county_month"):
        shutil.copy(src / f"{name}.csv", out / f"{name}.csv")
    offices = pd.read_csv(src / "offices.csv", dtype={"municipality_id": str, "county_id": str})
    offices.to_excel(out / "offices.xlsx", index=False)
    om = pd.read_csv(src / "office_month.csv")
    om = om[~((om["office_id"] == GAP_OFFICE) & (om["month"] == GAP_MONTH))].copy()
    tiny = om["office_id"] == TINY_OFFICE
    om.loc[tiny, "nae_users"] = 3
    for col in USER_SHARES.values():  # every count of users that a share divides by nae_users
        om.loc[tiny, col] = om.loc[tiny, col].clip(upper=3)
    for col in [c for c in om.columns if c.startswith("prog_")]:
        om.loc[tiny, col] = 0
    om.loc[tiny, "prog_follow_up"] = om.loc[tiny, "on_programme"]
    om = om.rename(columns={"nae_users": "antall_nae", "nae_exits": "avganger_nae"})
    om.to_csv(out / "office_month.csv", index=False)
    (out / "column_map.csv").write_text(
        "table,source_column,column\noffice_month,antall_nae,nae_users\noffice_month,avganger_nae,nae_exits\n"
    )
    shutil.copy(src / "manifest.json", out / "manifest.json")  # stale: left over from the generated folder
    return out


@pytest.fixture(scope="module")
def built(extract, tmp_path_factory):
    before = _hashes(extract)
    book = tmp_path_factory.mktemp("scratch") / "book"
    # the book's sources and configuration (not the executed chapters or a previous build)
    shutil.copytree(ROOT / "book", book, ignore=shutil.ignore_patterns("_build", "chapters"))
    execute = [sys.executable, ROOT / "scripts" / "execute_chapters.py", "--data", extract, "--out", book / "chapters"]
    run = subprocess.run([*execute, "--logs", book.parent / "logs", *SMALL_RUNS], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-3000:]
    jb = Path(sys.executable).parent / "jupyter-book"
    build = subprocess.run([jb, "build", book, "-W", "-n", "--keep-going"], capture_output=True, text=True)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    check = _check_build(book / "_build" / "html", book / "chapters", extract)
    return {"html": book / "_build" / "html", "chapters": book / "chapters", "check": check, "before": before}


def _check_build(html, chapters, extract):
    cmd = [sys.executable, ROOT / "scripts" / "check_build.py", html, "--data", extract, "--chapters", chapters]
    return subprocess.run([*cmd, "--pdf", html / "no.pdf"], capture_output=True, text=True)


def test_validation_lists_the_gap_as_a_warning(extract):
    cmd = [sys.executable, "-m", "malstyring", "validate", extract]
    strict = subprocess.run(cmd, capture_output=True, text=True)
    assert strict.returncode == 1 and "gap in an office's months" in strict.stdout
    assert "manifest.json does not match the files" in strict.stdout
    assert f"office_id={GAP_OFFICE}" in strict.stdout and "0 error(s), 2 warning(s)" in strict.stdout
    assert subprocess.run([*cmd, "--allow-warnings"], capture_output=True).returncode == 0


def test_book_builds_and_passes_the_disclosure_scan(built):
    assert (built["html"] / "index.html").exists()
    assert built["check"].returncode == 0, built["check"].stdout


def test_pages_say_the_data_were_supplied(built):
    page = (built["html"] / "chapters" / "05_results_regressions.html").read_text(encoding="utf-8")
    assert "Supplied data" in page and "Synthetic data" not in page
    assert "office_month.csv" in page  # the checksum list


def test_exclusions_are_counted(built):
    page = (built["html"] / "chapters" / "03_data_method.html").read_text(encoding="utf-8")
    assert "Warning (kept): gap in an office" in page  # the apostrophe is typeset, so match before it
    rows = {r[0]: r[1:] for r in _table_rows(page) if len(r) == 3}
    assert rows["Outcome month missing for the office"][0] == "1"
    assert rows["Office-months in the data"][1] == f"{437 * 46 - 1:,}"


def test_tiny_office_is_suppressed(built):
    page = (built["html"] / "chapters" / "05_results_regressions.html").read_text(encoding="utf-8")
    assert "Disclosure control is on: 1 office with fewer than 5 users in some month is not drawn." in page


def test_input_folder_untouched(built, extract):
    assert _hashes(extract) == built["before"]


@pytest.mark.parametrize("form", ["plain", "upper case, non-breaking space, entity"])
def test_disclosure_scan_catches_a_leaked_name(built, extract, tmp_path, form):
    leaked = tmp_path / "html"
    shutil.copytree(built["html"], leaked)
    name = pd.read_excel(extract / "offices.xlsx")["office_name"].iloc[3]
    if form != "plain":
        name = name.upper().replace(" ", "\u00a0").replace("E", "&#69;")
    page = leaked / "chapters" / "04_results_attainment.html"
    page.write_text(page.read_text(encoding="utf-8") + f"<p>{name}</p>", encoding="utf-8")
    check = _check_build(leaked, built["chapters"], extract)
    assert check.returncode == 1 and "04_results_attainment.html: office name(s) disclosed" in check.stdout
