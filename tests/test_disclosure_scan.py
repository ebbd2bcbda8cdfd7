"""The name scan (malstyring.book.disclosure, run by scripts/check_build.py) on small planted files: each way a name can
be written in a built page is found, ordinary words of the book are not, names are read through the analysis' loader and
column map, and a book whose chapters came from two data folders is refused."""

import json
import shutil
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from malstyring.book import disclosure

ROOT = Path(__file__).resolve().parents[1]

NAMES = ["NAV Vågå", "Ås  ", "Sør-Fron & Nord-Fron", "Bamble", "Ski"]
ORDINARY = disclosure.normalise("The pilot offices were Bamble, Ski and Åsane.")
PLANTED = {
    "entity.html": "<td>NAV V&aring;g&aring;</td>",
    "double_entity.html": "<p>NAV V&amp;aring;g&amp;aring;</p>",
    "nfd.html": f"<p>{unicodedata.normalize('NFD', 'Vågå')} had 4 users</p>",
    "nbsp.html": "<p>NAV\u00a0VÅGÅ</p>",
    "split_by_tag.html": "<p>NAV <span>Vågå</span></p>",
    "attribute.html": '<img alt="NAV Vågå" src="x.png">',
    "short_upper.html": "<td>12</td><td>ÅS</td>",
    "ampersand.html": "<p>Sør-Fron &amp; Nord-Fron</p>",
    "prefixed_ordinary_word.html": "<p>NAV Bamble</p>",
    "_sources/chapter.ipynb": json.dumps({"cells": [{"source": ["office: Vågå"]}]}),  # written as \\u00e5
    "searchindex.js": 'Search.setIndex({"terms":{"vågå":[3]}})',
}
CLEAN = {
    "prose.html": "<p>The pilot offices were Bamble, Ski and Åsane; Skien and Vågåmo are other places.</p>",
}


@pytest.fixture
def pages(tmp_path):
    for name, text in {**PLANTED, **CLEAN}.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


def test_every_planted_name_is_found_and_ordinary_words_are_not(pages):
    files = sorted(p for p in pages.rglob("*") if p.is_file())
    found = {p.relative_to(pages).as_posix(): hits for p, hits in disclosure.find_names(files, NAMES, ORDINARY).items()}
    assert set(found) == set(PLANTED), found
    assert found["short_upper.html"] == ["Ås  "]
    assert found["ampersand.html"] == ["Sør-Fron & Nord-Fron"]
    assert found["prefixed_ordinary_word.html"] == ["Bamble"]


def test_the_pdf_text_is_scanned(tmp_path):
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) not installed")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with plt.rc_context({"pdf.fonttype": 42}):
        fig = plt.figure()
        fig.text(0.1, 0.5, "Smallest office: NAV VÅGÅ, 4 users")
        fig.savefig(tmp_path / "book.pdf")
        plt.close(fig)
    assert disclosure.find_names([tmp_path / "book.pdf"], NAMES, ORDINARY) == {tmp_path / "book.pdf": ["NAV Vågå"]}


def test_names_are_read_through_the_column_map_and_excel(tmp_path):
    offices = pd.DataFrame({"office_id": [1, 2], "kontornavn": ["NAV Vågå", "Ås"], "county_id": ["05", "02"]})
    offices.to_excel(tmp_path / "offices.xlsx", index=False)
    (tmp_path / "offices.2014.csv").write_text("office_id,office_name\n1,Old name\n", encoding="utf-8")  # a backup
    (tmp_path / "column_map.csv").write_text("table,source_column,column\noffices,kontornavn,office_name\n")
    assert disclosure.office_names(tmp_path) == ["NAV Vågå", "Ås"]


def _chapter(folder: Path, name: str, data_dir: str | None) -> None:
    cells = [{"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": ['data_dir = "../data/synthetic"']}]
    if data_dir:
        cells.append(
            {"cell_type": "code", "metadata": {"tags": ["injected-parameters"]}, "source": [f"data_dir = {data_dir!r}"]}
        )
    (folder / f"{name}.ipynb").write_text(json.dumps({"cells": cells}), encoding="utf-8")


def test_chapters_from_two_data_folders_are_refused(tmp_path):
    chapters = tmp_path / "chapters"
    chapters.mkdir()
    extract = tmp_path / "extract"
    extract.mkdir()
    _chapter(chapters, "04_results_attainment", str(extract))
    _chapter(chapters, "05_results_regressions", None)  # re-run later without DATA: the default folder
    problems = disclosure.disclosure_problems(tmp_path, chapters, tmp_path / "none.pdf", tmp_path / "unused")
    assert len(problems) == 1 and "different data folders" in problems[0]


def test_a_supplied_folder_recorded_by_the_chapters_is_scanned_whatever_data_says(tmp_path):
    chapters, html, extract = tmp_path / "chapters", tmp_path / "html", tmp_path / "extract"
    for d in (chapters, html, extract):
        d.mkdir()
    pd.DataFrame({"office_id": [1], "office_name": ["NAV Vågå"]}).to_csv(extract / "offices.csv", index=False)
    _chapter(chapters, "05_results_regressions", str(extract))
    (html / "page.html").write_text("<p>NAV Vågå</p>", encoding="utf-8")
    problems = disclosure.disclosure_problems(html, chapters, tmp_path / "none.pdf", tmp_path / "synthetic")
    assert problems == ["page.html: office name(s) disclosed: ['NAV Vågå']"]


# --- sampling and suppression ---------------------------------------------------------------------------------------


def test_decile_labels_name_offices_by_decile_and_draw_order():
    draw = pd.DataFrame({"office_id": [7, 3, 9, 4], "decile": [1, 1, 4, 10]})
    assert disclosure.decile_labels(draw) == {
        7: "Decile 1 · A",
        3: "Decile 1 · B",
        9: "Decile 4 · A",
        4: "Decile 10 · A",
    }


def test_draw_shown_offices_hides_small_offices_only_under_disclosure_control():
    # 20 offices, two per size decile; offices 0 and 1 (the smallest decile) have a month with 2 users
    office_month = pd.DataFrame(
        {
            "office_id": [o for o in range(20) for _ in range(2)],
            "state_employees": [o for o in range(20) for _ in range(2)],
            "nae_users": [2 if o < 2 and m == 0 else 10 for o in range(20) for m in range(2)],
        }
    )
    offices = pd.DataFrame({"office_id": range(20)})
    labels, hidden = disclosure.draw_shown_offices(offices, office_month, 2, seed=1, min_persons=5)
    assert hidden == 2 and len(labels) == 18 and not {0, 1} & set(labels)
    labels, hidden = disclosure.draw_shown_offices(offices, office_month, 2, seed=1, min_persons=None)
    assert hidden == 0 and sorted(labels) == list(range(20))
    assert labels[0] == "Decile 1 · A" and labels[19] == "Decile 10 · B"


def test_one_shown_office_month_is_eligible_in_the_year_and_the_same_for_the_same_seed():
    # offices 1..6, 2013-11 to 2014-03; office 1 has a month with 2 users, office 7 has no office-months
    months = ["2013-11", "2013-12", "2014-01", "2014-02", "2014-03"]
    office_month = pd.DataFrame(
        {
            "office_id": [o for o in range(1, 7) for _ in months],
            "month": months * 6,
            "nae_users": [2 if o == 1 and m == "2014-02" else 10 for o in range(1, 7) for m in months],
        }
    )
    offices = pd.DataFrame({"office_id": range(1, 8)})

    def draws(min_persons):
        return {disclosure.draw_shown_office_month(offices, office_month, 2014, s, min_persons) for s in range(200)}

    assert {office for office, _ in draws(5)} == {2, 3, 4, 5, 6}  # office 1 is too small in one month
    assert {month for _, month in draws(5)} == {"2014-01", "2014-02", "2014-03"}
    assert {office for office, _ in draws(None)} == set(range(1, 8))  # no disclosure control: any office
    first = disclosure.draw_shown_office_month(offices, office_month, 2014, 3, 5)
    assert disclosure.draw_shown_office_month(offices, office_month, 2014, 3, 5) == first
    # the draw: an office from the eligible ones in id order, then a month from the year's months in order
    rng = np.random.default_rng(3)
    assert first == (int(rng.choice([2, 3, 4, 5, 6])), str(rng.choice(["2014-01", "2014-02", "2014-03"])))
