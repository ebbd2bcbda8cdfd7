"""The built PDF as a reader gets it: every glyph present, nothing sticking out of the text block, ≥ survives.

Reads ``book/_build/latex/book.log`` and ``book.pdf`` (``make pdf``); skips when they are absent.
Needs ``pdftotext`` (Debian ``poppler-utils``).
"""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LATEX = ROOT / "book" / "_build" / "latex"
LOG = LATEX / "book.log"
PDF = LATEX / "book.pdf"
MAX_OVERFULL_PT = 20.0
"""Overfull boxes up to this width are tolerated (a few points into the margin do not show); wider ones fail."""
MAX_OVERFULL_BOXES = 15
"""And only a few of them: a table whose columns are too narrow for its numbers shows as dozens of small ones
(152 before the automatic column widths made room for the cells' padding; 7 after)."""
OVERFULL = re.compile(r"^Overfull \\[hv]box \((?P<pt>[\d.]+)pt too (wide|high)\) (?P<where>.*)$", re.MULTILINE)
MISSING = re.compile(r"^Missing character: (.*)$", re.MULTILINE)

pytestmark = [
    pytest.mark.look,
    pytest.mark.skipif(not LOG.exists() or not PDF.exists(), reason="no built PDF: run `make pdf` first"),
]


def log_text() -> str:
    return LOG.read_text(encoding="utf-8", errors="replace")


def overfull_boxes() -> list[tuple[float, str]]:
    return [(float(m["pt"]), m["where"]) for m in OVERFULL.finditer(log_text())]


def test_no_missing_characters():
    missing = sorted(set(MISSING.findall(log_text())))
    assert not missing, f"{len(missing)} kind(s) of glyph missing from the fonts:\n" + "\n".join(missing)


def test_no_overfull_box_wider_than_limit():
    boxes = overfull_boxes()
    wide = [(pt, where) for pt, where in boxes if pt > MAX_OVERFULL_PT]
    print(f"overfull boxes: {len(boxes)} in all, {len(wide)} wider than {MAX_OVERFULL_PT:g} pt")
    assert not wide, "\n".join(f"{pt:.1f} pt {where}" for pt, where in wide)
    assert len(boxes) <= MAX_OVERFULL_BOXES, f"{len(boxes)} overfull boxes: is a table's column too narrow?"


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext not installed (Debian poppler-utils)")
def test_special_characters_survive_in_pdf_text():
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(PDF), "-"], capture_output=True, check=True).stdout
    text = text.decode("utf-8")
    for char in ("≥", "æ", "ø", "å", "−"):
        assert char in text, f"{char!r} is not in the PDF's text"
    assert "≥ 70 %" in text or re.search(r"≥\s*\d", text), "a '≥ number' target lost its sign"
