"""One numbering: the book's tables and figures are numbered by chapter ("Table 5.1") and referred to by links;
the article's are always "the article's Table 1". A typed "Table 1" or "Figure 3" in prose could be either, so it
fails here unless it is the article's.

The prose checked is what a reader sees: the markdown of every chapter (code cells left out, link roles such as
{numref}`tbl-model-1-3` removed) and the text the stored notebooks glue into it or print as captions (table rows,
which name the article's sources in their own column, are left out).
"""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.md"))
NUMBERED = re.compile(r"\b(?:Tables?|Figures?|Fig\.)\s+\d")
QUALIFIED = re.compile(r"article's\s+(?:own\s+)?(?:Tables?|Figures?)\s+\d")
ROLE = re.compile(r"\{(?:numref|ref|glue:text|glue:figure|glue|cite:[tp])\}`[^`]*`")
FENCE = re.compile(r"^```\{code-cell\}.*?^```$", re.S | re.M)
RECORD = "application/papermill.record/text/plain"


def unqualified(text: str) -> list[str]:
    """Every 'Table N' / 'Figure N' in ``text`` that is not 'the article's Table N' (with some context)."""
    text = ROLE.sub(" ", text)
    out = []
    for match in NUMBERED.finditer(text):
        before = text[max(0, match.start() - 20) : match.end()]
        if not QUALIFIED.search(before):
            out.append(text[max(0, match.start() - 40) : match.end() + 10].replace("\n", " "))
    return out


def markdown_prose(md: Path) -> str:
    body = md.read_text(encoding="utf-8").split("---", 2)[-1]
    return FENCE.sub(" ", body)


def printed_prose(ipynb: Path) -> str:
    """Glued text and printed markdown (table captions; not table rows) of a stored notebook."""
    nb = json.loads(ipynb.read_text(encoding="utf-8"))
    parts = []
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if RECORD in data:
                parts.append(str(data[RECORD]))
            markdown = "".join(data.get("text/markdown", ""))
            parts += [line for line in markdown.splitlines() if not line.lstrip().startswith("|")]
    return "\n".join(parts)


@pytest.mark.parametrize("md", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_unqualified_table_or_figure_number_in_prose(md):
    found = unqualified(markdown_prose(md)) + unqualified(printed_prose(md.with_suffix(".ipynb")))
    assert not found, f"{md.name}: say 'the article's Table N' or link the book's own with {{numref}}: {found}"


def test_the_checker_tells_the_article_from_the_book():
    assert unqualified("In Table 1 the index is negative.")
    assert unqualified("as Figure 6 shows")
    assert not unqualified("the article's Table 1 and the article's Figures 3–4")
    assert not unqualified("From the article's\nFigure 5, the article concludes")
    assert unqualified("its\nTable 2 prints")
    assert not unqualified("re-estimated here in {numref}`tbl-model-1-3`")
