"""Notebook conventions: pairs in sync, stored outputs present, a parameters cell followed by validation."""

from pathlib import Path

import jupytext
import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.md"))


def _cells(nb):
    return [(c.cell_type, c.source.strip(), tuple(c.metadata.get("tags", []))) for c in nb.cells]


def test_there_are_chapters():
    assert len(SOURCES) >= 2


@pytest.mark.parametrize("md", SOURCES, ids=lambda p: p.stem)
def test_pair_in_sync(md):
    ipynb = md.with_suffix(".ipynb")
    assert ipynb.exists(), f"{md.name} has no paired {ipynb.name}: run `make sync`"
    text = jupytext.read(md)
    stored = nbformat.read(ipynb, as_version=4)
    stored.cells = [c for c in stored.cells if "injected-parameters" not in c.metadata.get("tags", [])]
    assert _cells(text) == _cells(stored), f"{md.name} and {ipynb.name} differ: run `make sync` then `make refresh`"


@pytest.mark.parametrize("md", SOURCES, ids=lambda p: p.stem)
def test_stored_notebook_has_outputs_and_parameters(md):
    nb = nbformat.read(md.with_suffix(".ipynb"), as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", []), "first code cell must be tagged 'parameters'"
    assert "check_parameters(" in code[1].source, "the cell after the parameters must validate them"
    assert all(c.execution_count is not None for c in code), "stored notebook is not fully executed"
    assert not any("injected-parameters" in c.metadata.get("tags", []) for c in nb.cells)
    assert any(c.outputs for c in code), "stored notebook has no outputs (nbval would compare nothing)"
