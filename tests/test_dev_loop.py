"""The build loop's own guards: a virtualenv that is not this checkout's is refused, and a data folder is validated
again exactly when its files change (scripts/check_venv.py, scripts/stamps.py)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHECK_VENV = ROOT / "scripts" / "check_venv.py"
STAMPS = ROOT / "scripts" / "stamps.py"


def _check_venv(venv: Path, *flags: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, CHECK_VENV, *flags, venv], capture_output=True, text=True)


def test_a_venv_linked_from_another_checkout_is_refused(tmp_path):
    other = tmp_path / "other-checkout" / ".venv"
    other.mkdir(parents=True)
    link = ROOT / "build" / "test-linked-venv"
    link.parent.mkdir(exist_ok=True)
    link.unlink(missing_ok=True)
    link.symlink_to(other)
    try:
        run = _check_venv(link)
    finally:
        link.unlink()
    assert run.returncode == 1
    assert "is a link to" in run.stderr and "not this checkout's own virtualenv" in run.stderr
    assert "make venv" in run.stderr


def test_a_venv_outside_the_checkout_is_refused(tmp_path):
    (tmp_path / ".venv").mkdir()
    run = _check_venv(tmp_path / ".venv")
    assert run.returncode == 1 and "outside this checkout" in run.stderr


def test_the_checkout_s_own_venv_passes():
    venv = Path(sys.prefix)
    if not venv.resolve().is_relative_to(ROOT.resolve()):
        return  # the tests run from an interpreter outside the checkout (e.g. conda): nothing of ours to check
    run = _check_venv(venv, "--installed")
    assert run.returncode == 0, run.stderr
    assert run.stdout == run.stderr == ""


def _validate(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, STAMPS, "validate", folder], capture_output=True, text=True)


def test_validation_is_skipped_only_while_the_files_are_unchanged(synthetic_dir, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(synthetic_dir, data)
    (data / "note.txt").write_text(str(tmp_path))  # a file unique to this run: no stamp from an earlier run applies
    first = _validate(data)
    assert first.returncode == 0 and "0 error(s)" in first.stdout and "not run again" not in first.stdout
    second = _validate(data)
    assert second.returncode == 0 and "not run again" in second.stdout
    offices = data / "offices.csv"
    offices.write_text(offices.read_text().replace(",", ";", 1))  # a broken header: the validator must see it
    third = _validate(data)
    assert third.returncode == 1 and "not run again" not in third.stdout
    assert _validate(data).returncode == 1, "a failed validation must not leave a stamp"


SMALL_CHAPTERS = ("01_introduction", "07_discussion", "12_appendix_glossary")


def _execute_small(out: Path, logs: Path, fork: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, ROOT / "scripts" / "execute_chapters.py", "--jobs", "2", "--out", out, "--logs", logs]
    cmd += [arg for name in SMALL_CHAPTERS for arg in ("--only", name)]
    env = {**os.environ, "MALSTYRING_FORK_KERNELS": fork}
    return subprocess.run(cmd, capture_output=True, text=True, env=env)


def test_forked_kernels_give_the_same_notebooks_and_the_kernels_say_nothing(tmp_path):
    """Kernels forked from the zygote (scripts/kernel_zygote.py) and ordinary kernels write byte-identical
    notebooks; no kernel writes anything to its log (no transport warning over IPC, no ERROR at shutdown)."""
    runs = {}
    for fork in ("1", "0"):
        out, logs = tmp_path / f"out-{fork}", tmp_path / f"logs-{fork}"
        run = _execute_small(out, logs, fork)
        assert run.returncode == 0, run.stderr
        assert run.stdout.count(" s\n") >= 3 and not run.stderr, run.stdout + run.stderr  # one line per chapter
        runs[fork] = {p.name: p.read_bytes() for p in sorted(out.glob("*.ipynb"))}
        chapter_logs = [p for p in logs.glob("*.log") if p.name != "zygote.log"]
        assert len(chapter_logs) == 3 and all(p.read_text() == "" for p in chapter_logs)
    assert set(runs["1"]) == {f"{name}.ipynb" for name in SMALL_CHAPTERS}
    assert runs["1"] == runs["0"]
