"""Notebook conventions: pairs in sync, stored outputs present, a parameters cell followed by validation."""

import ast
import re
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
    assert re.search(r"^from malstyring\.book\.chapters import (\w+)\n+page = \1\.build\(", code[1].source), (
        "the cell after the parameters must call the chapter's build (which checks them first)"
    )
    assert all(c.execution_count is not None for c in code), "stored notebook is not fully executed"
    assert not any("injected-parameters" in c.metadata.get("tags", []) for c in nb.cells)
    assert any(c.outputs for c in code), "stored notebook has no outputs (nbval would compare nothing)"


CHAPTER_MODULES = sorted(
    (Path(__file__).resolve().parents[1] / "lib" / "malstyring" / "book" / "chapters").glob("[a-z]*.py")
)


@pytest.mark.parametrize("module", CHAPTER_MODULES, ids=lambda p: p.stem)
def test_a_chapter_build_checks_all_its_parameters_before_anything_else(module):
    # the parameters a reader passes are checked before any work, so a bad value stops the chapter with one line
    build = next(n for n in ast.parse(module.read_text(encoding="utf-8")).body if getattr(n, "name", "") == "build")
    body = [s for s in build.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    call = body[0].value if isinstance(body[0], ast.Expr | ast.Assign) else None
    assert isinstance(call, ast.Call) and getattr(call.func, "id", "") == "check_parameters", module.name
    arguments = [a.arg for a in build.args.args + build.args.kwonlyargs]
    assert sorted(k.arg for k in call.keywords) == sorted(arguments), f"{module.name} checks only some parameters"


def test_every_chapter_has_its_module():
    used = {re.search(r"from malstyring\.book\.chapters import (\w+)", s.read_text(encoding="utf-8")) for s in SOURCES}
    assert len(CHAPTER_MODULES) >= 1 and {m.stem for m in CHAPTER_MODULES} <= {u.group(1) for u in used if u}
