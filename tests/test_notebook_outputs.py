"""The executed chapters against the stored notebooks (the nbval reference), cell by cell.

`make test` executes every chapter once with papermill into ``book/chapters/``; the HTML and PDF are built from
those copies and this test compares them with the stored outputs in ``notebooks/``, so nothing is executed twice.
The rules are nbval's: text outputs (glued values, printed tables, HTML, markdown, LaTeX) are compared exactly
after the sanitisers in ``tests/sanitize.cfg``; cells tagged ``nbval-ignore-output`` or ``nbval-skip`` are not
compared; images are never compared byte for byte. A figure is compared through the data it is drawn from,
which each chapter glues as text next to the figure (``<name>-data``, see :func:`malstyring.book.figures.glue_figure`).

Set ``MALSTYRING_REQUIRE_EXECUTED=1`` (as `make test` does) to fail instead of skip when no executed copy exists.
"""

import os
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
STORED = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
EXECUTED = ROOT / "book" / "chapters"
IGNORED_KEYS = {"metadata", "traceback", "execution_count", "transient", "output_type"}
"""Output fields never compared (as in nbval)."""
IMAGE = re.compile(r"(^|/)(image/|application/pdf)")
"""MIME types of pictures, plain or glued (application/papermill.record/image/png): machine-dependent bytes."""


def sanitizers() -> list[tuple[re.Pattern, str]]:
    """(regex, replacement) pairs from tests/sanitize.cfg, in nbval's file format."""
    pairs, regex = [], None
    for line in (ROOT / "tests" / "sanitize.cfg").read_text(encoding="utf-8").splitlines():
        if line.startswith("regex:"):
            regex = re.compile(line.removeprefix("regex:").strip())
        elif line.startswith("replace:") and regex is not None:
            pairs.append((regex, line.removeprefix("replace:").strip()))
            regex = None
    return pairs


def comparable(outputs: list, patterns: list[tuple[re.Pattern, str]]) -> list[tuple[str, str]]:
    """A cell's outputs as (field, sanitised text) pairs in order; streams of one name are merged."""
    out, streams = [], {}
    for output in outputs:
        if output.get("output_type") == "stream":
            streams[output["name"]] = streams.get(output["name"], "") + output["text"]
            continue
        for key, value in output.items():
            if key in IGNORED_KEYS:
                continue
            items = value.items() if key == "data" else [(key, value)]
            out += [(k, v) for k, v in items if not IMAGE.search(k)]
    out += [(f"stream/{name}", text) for name, text in streams.items()]

    def clean(text):
        text = "".join(text) if isinstance(text, list) else str(text)
        for regex, replace in patterns:
            text = regex.sub(replace, text)
        return text

    return [(k, clean(v)) for k, v in out]


def code_cells(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code" and "injected-parameters" not in c.metadata.get("tags", [])]


@pytest.mark.parametrize("stored", STORED, ids=lambda p: p.stem)
def test_executed_chapter_matches_stored_outputs(stored):
    executed = EXECUTED / stored.name
    if not executed.exists():
        message = f"{executed} does not exist: run `make execute` first"
        if os.environ.get("MALSTYRING_REQUIRE_EXECUTED"):
            pytest.fail(message)
        pytest.skip(message)
    ref = nbformat.read(stored, as_version=4)
    new = nbformat.read(executed, as_version=4)
    injected = [c for c in new.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert not injected, f"{executed.name} was executed with parameters ({injected[0].source!r}); run `make execute`"
    ref_cells, new_cells = code_cells(ref), code_cells(new)
    assert [c.source for c in ref_cells] == [c.source for c in new_cells], "sources differ: run `make refresh`"
    patterns = sanitizers()
    compared = 0
    for number, (a, b) in enumerate(zip(ref_cells, new_cells, strict=True), 1):
        tags = set(a.metadata.get("tags", []))
        if tags & {"nbval-ignore-output", "nbval-skip"}:
            continue
        want, got = comparable(a.outputs, patterns), comparable(b.outputs, patterns)
        assert got == want, f"{stored.name}, code cell {number}:\n{a.source[:300]}"
        compared += len(want)
    assert compared > 0, f"{stored.name}: no output was compared"


def test_sanitizers_leave_numbers_alone():
    sample = "<Figure size 640x480 with 2 Axes> estimate -0.026 at 0x7f3a>"
    cleaned = sample
    for regex, replace in sanitizers():
        cleaned = regex.sub(replace, cleaned)
    assert "-0.026" in cleaned and "640x480" not in cleaned
