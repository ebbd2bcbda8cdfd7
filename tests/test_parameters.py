"""Bad chapter parameters stop with one clear line naming the parameter and what is allowed."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from malstyring.book.parameters import PARAMETER_RULES, ParameterError, check_parameters

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "execute_chapters.py"


@pytest.mark.parametrize(
    ("name", "value", "allowed"),
    [
        ("lead", 0, "1 to 24"),
        ("lead", 2.5, "1 to 24"),
        ("percentile", 100, "between 0 and 100"),
        ("attainment", "yellow", "'strict' or 'partial'"),
        ("seed", -1, ">= 0"),
        ("exclude_years", [2011], "2012 to 2015"),
        ("drop_smallest", 1.5, "up to"),
        ("data_dir", "/no/such/folder", "existing data folder"),
        ("n_boot", 5, "99 to 99999"),
    ],
)
def test_bad_values_name_the_parameter(name, value, allowed):
    with pytest.raises(ParameterError) as err:
        check_parameters(**{name: value})
    message = str(err.value)
    assert f"parameter '{name}'" in message and allowed in message and "\n" not in message


def test_every_rule_is_a_parameter_of_some_chapter():
    built = set()
    for module in sorted((ROOT / "lib" / "malstyring" / "book" / "chapters").glob("*.py")):
        for node in ast.parse(module.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef) and node.name == "build":
                built |= {a.arg for a in node.args.args + node.args.kwonlyargs}
    assert set(PARAMETER_RULES) == built


def test_good_values_pass(synthetic_dir):
    params = dict(data_dir=str(synthetic_dir), seed=1, lead=3, percentile=80.0, attainment="partial")
    assert check_parameters(**params) == params


def _execute_discussion(out, name, value):
    cmd = [sys.executable, SCRIPT, "--only", "07_discussion", "--out", out, "-p", name, value]
    return subprocess.run(cmd, capture_output=True, text=True)


def test_unknown_parameter_is_refused_before_anything_runs(tmp_path):
    run = _execute_discussion(tmp_path, "lag", "3")
    assert run.returncode == 2
    assert "parameter(s) ['lag'] not declared by any chapter run" in run.stderr
    assert not list(tmp_path.iterdir())


def test_bad_value_stops_the_chapter_with_one_line(tmp_path):
    run = _execute_discussion(tmp_path, "seed", "-1")
    assert run.returncode == 1
    lines = [line for line in run.stderr.splitlines() if line.startswith("error:")]
    assert lines == [
        "error: chapter 07_discussion failed: ParameterError: parameter 'seed' = -1 is not allowed; "
        "allowed: a whole number >= 0"
    ]


def test_a_failed_run_leaves_the_previous_executed_chapter_in_place(tmp_path):
    """`make chapter` with a bad value must not replace a good executed copy (the book stays buildable)."""
    assert _execute_discussion(tmp_path, "seed", "7").returncode == 0
    good = (tmp_path / "07_discussion.ipynb").read_bytes()
    assert _execute_discussion(tmp_path, "seed", "-1").returncode == 1
    assert (tmp_path / "07_discussion.ipynb").read_bytes() == good
