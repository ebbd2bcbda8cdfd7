"""Every class of bad input (tests/corrupt_extracts.py) gets its stated outcome from the command line: the exit
code of ``validate`` (and ``frame`` where it matters), a message line naming the file and the rule, no traceback,
and the input files unchanged."""

import hashlib
import json
import subprocess
import sys

import pytest

from malstyring.cli import main
from malstyring.data.provenance import provenance
from tests.corrupt_extracts import cases, copy_and_corrupt, small_extract

# the generated folder's manifest is only known once the session fixture has run; the cases need it as data
CASES = {c.name: c for c in cases({})}


def _hashes(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def clean(synthetic_dir, tmp_path_factory):
    return small_extract(synthetic_dir, tmp_path_factory.mktemp("clean") / "extract")


def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_the_clean_small_extract_passes(clean, capsys):
    code, text = _run(capsys, "validate", clean)
    assert code == 0, text


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_outcome(name, clean, synthetic_dir, tmp_path, capsys):
    manifest = json.loads((synthetic_dir / "manifest.json").read_text(encoding="utf-8"))
    case = {c.name: c for c in cases(manifest)}[name]
    folder = copy_and_corrupt(clean, tmp_path / "extract", case)
    before = _hashes(folder)
    code, text = _run(capsys, "validate", folder)
    assert code == case.exit_code, text
    assert "Traceback" not in text
    if case.says:
        lines = [line for line in text.splitlines() if case.file in line and all(s in line for s in case.says)]
        assert lines, f"no line naming {case.file} with {case.says}:\n{text}"
    else:
        assert "0 error(s), 0 warning(s)" in text
    if case.frame_exit is not None:
        code, text = _run(capsys, "frame", folder, "-o", tmp_path / "frame.csv")
        assert code == case.frame_exit, text
        assert "Traceback" not in text
    assert _hashes(folder) == before


def test_warnings_alone_let_validation_pass_with_allow_warnings(clean, tmp_path, capsys):
    folder = copy_and_corrupt(clean, tmp_path / "extract", CASES["missing_county_month"])
    code, text = _run(capsys, "validate", folder, "--allow-warnings")
    assert code == 0, text


def test_stale_manifest_is_supplied_data(clean, synthetic_dir, tmp_path):
    manifest = json.loads((synthetic_dir / "manifest.json").read_text(encoding="utf-8"))
    case = {c.name: c for c in cases(manifest)}["stale_manifest"]
    prov = provenance(copy_and_corrupt(clean, tmp_path / "extract", case))
    assert prov.kind == "supplied" and "checksum differs" in prov.warning


def test_the_real_command_line_prints_no_traceback(clean, tmp_path):
    """The same path through ``python -m malstyring`` for one read error and one data error."""
    folder = copy_and_corrupt(clean, tmp_path / "extract", CASES["cp1252"])
    CASES["indicator_missing_everywhere"].corrupt(folder)
    run = subprocess.run([sys.executable, "-m", "malstyring", "validate", folder], capture_output=True, text=True)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert "offices.csv: not UTF-8" in run.stdout
