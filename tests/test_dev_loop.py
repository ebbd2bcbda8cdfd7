"""The build loop's own guards: a virtualenv that is not this checkout's is refused, and a data folder is validated
again exactly when its files change (scripts/check_venv.py, scripts/stamps.py)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

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


def _validate(folder: Path, *flags) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, STAMPS, "validate", folder, *flags], capture_output=True, text=True)


def test_validation_is_skipped_only_while_the_files_are_unchanged(synthetic_dir, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(synthetic_dir, data)
    (data / "note.txt").write_text(str(tmp_path))  # a file unique to this run: no stamp from an earlier run applies
    record = tmp_path / "data-stamp"  # what make sees: rewritten only when the validated files change
    first = _validate(data, "--record", record)
    assert first.returncode == 0 and "0 error(s)" in first.stdout and "not run again" not in first.stdout
    written = record.stat().st_mtime_ns
    os.utime(record, ns=(written - 10**9, written - 10**9))
    second = _validate(data, "--record", record)
    assert second.returncode == 0 and "not run again" in second.stdout
    assert record.stat().st_mtime_ns == written - 10**9
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
    notebooks; no kernel writes anything to its log (no transport warning over IPC, no ERROR at shutdown), and the
    zygote preloaded every module it lists."""
    runs = {}
    for fork in ("1", "0"):
        out, logs = tmp_path / f"out-{fork}", tmp_path / f"logs-{fork}"
        run = _execute_small(out, logs, fork)
        assert run.returncode == 0, run.stderr
        assert run.stdout.count(" s\n") >= 3 and not run.stderr, run.stdout + run.stderr  # one line per chapter
        runs[fork] = {p.name: p.read_bytes() for p in sorted(out.glob("*.ipynb"))}
        chapter_logs = [p for p in logs.glob("*.log") if p.name != "zygote.log"]
        assert len(chapter_logs) == 3 and all(p.read_text() == "" for p in chapter_logs)
        if fork == "1":  # every module in the zygote's list was imported (a stale name is logged there)
            assert (logs / "zygote.log").read_text() == ""
    assert set(runs["1"]) == {f"{name}.ipynb" for name in SMALL_CHAPTERS}
    assert runs["1"] == runs["0"]


STEPS_PY = ROOT / "scripts" / "steps.py"


def _clean_env() -> dict:
    """The environment without what an enclosing make (make test runs these tests) passes on."""
    drop = {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKE_TERMOUT", "MAKE_TERMERR", "MALSTYRING_STEP_PLAN"}
    return {k: v for k, v in os.environ.items() if k not in drop}


def _make(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "--no-print-directory", *args], cwd=ROOT, capture_output=True, text=True, env=_clean_env()
    )


def test_make_help_describes_every_target_and_the_one_data_knob():
    run = _make("help")
    assert run.returncode == 0, run.stderr
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    phony = " ".join(line for line in makefile.split(".PHONY:")[1].split("\nFORCE:")[0].splitlines())
    targets = set(phony.replace("\\", " ").split()) - {"FORCE"}
    listed = {line.split()[0] for line in run.stdout.splitlines() if line.startswith("  ") and line.split()}
    assert targets <= listed, f"targets without a ## description: {sorted(targets - listed)}"
    assert "DATA=DIR" in run.stdout and "MALSTYRING_DATA" not in makefile


def test_the_declared_dependencies_order_the_build():
    """Everything remade (-B), nothing run (-n): the chapters are executed before the tests that read them and before
    the PDF and HTML; the HTML comes after the PDF when xelatex is installed (the front page links to it)."""
    book = _make("-n", "-B", "book").stdout.splitlines()
    unit = _make("-n", "-B", "unit").stdout.splitlines()

    def first(lines, text):
        return next(i for i, line in enumerate(lines) if text in line)

    execute, html = first(book, "scripts/execute_chapters.py"), first(book, "build book -W -n")
    assert first(book, "stamps.py validate") < execute < html
    if shutil.which("xelatex"):
        assert execute < first(book, "--builder pdflatex") < html
    assert first(unit, "scripts/execute_chapters.py") < first(unit, "pytest")


def test_a_stamp_file_changes_only_with_its_content(tmp_path):
    stamp = tmp_path / "args"

    def record(*values):
        subprocess.run([sys.executable, STAMPS, "record", stamp, "--", *values], check=True)
        return stamp.stat().st_mtime_ns, stamp.read_text()

    first = record("-p", "lead", "3")
    os.utime(stamp, ns=(first[0] - 10**9, first[0] - 10**9))  # a second older: a rewrite would show
    assert record("-p", "lead", "3") == (first[0] - 10**9, "-p lead 3\n")
    assert record()[1] == "\n"


def test_make_test_s_runner_reports_each_step(tmp_path):
    """The runner of make test on a small Makefile: a step that passes, one that fails, one that needs it (not
    run), one whose output is up to date; one block per step, the times, exit status 1."""
    (tmp_path / "done.txt").write_text("")
    (tmp_path / "Makefile").write_text(
        f"PY := {sys.executable}\n"
        f"step = $(if $(MALSTYRING_STEP_PLAN),$(PY) {STEPS_PY} run $1 -- sh -c '$2',$2)\n"
        "ok: ## a step that passes\n\t@$(call step,ok,echo fine)\n"
        "bad:\n\t@$(call step,bad,echo broken; exit 3)\n"
        "after: bad\n\t@$(call step,after,echo never)\n"
        "done.txt:\n\t@$(call step,done,echo made) && touch $@\n"
    )
    logs = tmp_path / "logs"
    cmd = [sys.executable, STEPS_PY, "test", "--makefile", tmp_path / "Makefile", "--logs", logs]
    cmd += ["ok=ok", "bad=bad", "after=after", "done=done.txt", "--", "make"]
    run = subprocess.run(cmd, capture_output=True, text=True, env=_clean_env())
    out = run.stdout
    assert run.returncode == 1, out + run.stderr
    assert "== ok: passed in" in out and "-- a step that passes\n   fine\n" in out
    assert "== bad: FAILED (exit 3)" in out and "   broken\n" in out and "never" not in out
    rows = {line.split()[0]: line.split()[1:3] for line in out.split("step times")[1].splitlines()[2:] if line}
    assert rows["ok"][0] == "passed" and rows["bad"][0] == "failed"
    assert rows["after"] == ["not", "run"] and rows["done"] == ["up", "to"]
    assert "FAILED: step bad" in out and "not run because a step they need failed: after" in out
    assert (logs / "bad.log").read_text() == "broken\n"
    only = subprocess.run([*cmd[:3], "--only", "after", *cmd[3:]], capture_output=True, text=True, env=_clean_env())
    assert only.returncode == 1 and "== bad: FAILED" in only.stdout and "== ok" not in only.stdout
    table = only.stdout.split("step times")[1]
    assert "bad " in table and "after " in table and "ok " not in table and "done " not in table


def test_figure_formats_come_from_the_environment(monkeypatch):
    """``make chapter`` draws figures as SVG only (scripts/chapter.py sets the variable); the default is SVG and PDF,
    and an unknown format is refused."""
    from malstyring.book import figures

    monkeypatch.delenv(figures.FIGURE_FORMATS_ENV, raising=False)
    assert figures.figure_formats() == ("svg", "pdf")
    monkeypatch.setenv(figures.FIGURE_FORMATS_ENV, "svg")
    assert figures.figure_formats() == ("svg",)
    monkeypatch.setenv(figures.FIGURE_FORMATS_ENV, "svg,png")
    with pytest.raises(ValueError, match="png"):
        figures.figure_formats()
