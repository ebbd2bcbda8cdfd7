"""Run the steps of `make test` side by side as far as their order allows; print each step's output when it ends.

    python scripts/steps.py [--cores N] [STEP ...]

Each step is a make target run as ``make --no-print-directory TARGET``; its output goes to
``build/logs/steps/STEP.log``
and is printed in one block when the step ends (steps that run at the same time do not interleave). A step starts
when the steps it needs have passed and fewer than ``--cores`` cores are taken by running steps (a step's ``cores``
is how many processes it keeps busy; the machine may be over-subscribed by one step so that a core does not idle
while a single-threaded step such as the PDF runs). When a step fails, the steps that need it are not run, the
others go on, and the failure is repeated at the end with the path of its log. The last lines are the step times.
"""

import argparse
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOGS = ROOT / "build" / "logs" / "steps"
TAIL = 80
"""Lines of a failed step's output printed (the whole output is in its log)."""


@dataclass
class Step:
    name: str
    target: str
    what: str
    needs: tuple[str, ...] = ()
    cores: int = 1
    status: str = "waiting"
    start: float = 0.0
    seconds: float = 0.0
    proc: subprocess.Popen | None = field(default=None, repr=False)


def test_steps() -> list[Step]:
    """The steps of `make test`, in order of priority (the chain execute -> PDF -> HTML -> look is the longest)."""
    return [
        Step("data", "data", "synthetic data generated and validated (skipped when unchanged)"),
        Step("lint", "lint", "ruff check, ruff format --check"),
        Step("execute", "execute", "every chapter executed with papermill into book/chapters", ("data",), cores=2),
        Step("pdf", "pdf-if-tex", "the PDF through xelatex", ("execute",)),
        Step("html", "html", "the HTML book (-W -n) and the post-build checks", ("execute", "pdf")),
        Step("look", "test-look", "the built HTML in headless Chromium, the PDF's glyphs and boxes", ("html",), 2),
        Step("unit", "unit", "unit and reference tests, executed chapters vs stored notebooks", ("execute",), 2),
        Step("extract", "test-extract", "the whole book from a messy supplied extract", (), cores=2),
        Step("words", "test-words", "glued claims vs their numbers for three index effects", ("data",), cores=2),
    ]


def _fmt(seconds: float) -> str:
    return f"{seconds:6.1f} s"


def run(steps: list[Step], cores: int) -> int:
    LOGS.mkdir(parents=True, exist_ok=True)
    by_name = {s.name: s for s in steps}
    for s in steps:  # a step whose prerequisite is not selected runs without it
        s.needs = tuple(n for n in s.needs if n in by_name)
    t0 = time.perf_counter()
    print(f"running {len(steps)} step(s) on {cores} core(s): {', '.join(s.name for s in steps)}", flush=True)
    while any(s.status in ("waiting", "running") for s in steps):
        for s in steps:
            if s.status == "waiting" and any(by_name[n].status in ("failed", "skipped") for n in s.needs):
                s.status = "skipped"
                print(f"-- {s.name}: not run, it needs {', '.join(s.needs)}", flush=True)
        busy = sum(s.cores for s in steps if s.status == "running")
        for s in steps:
            ready = s.status == "waiting" and all(by_name[n].status == "passed" for n in s.needs)
            if ready and busy < cores:
                log = (LOGS / f"{s.name}.log").open("w", encoding="utf-8")
                cmd = ["make", "--no-print-directory", s.target]
                s.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
                log.close()
                s.status, s.start = "running", time.perf_counter()
                busy += s.cores
        for s in steps:
            if s.status == "running" and s.proc.poll() is not None:
                s.seconds = time.perf_counter() - s.start
                s.status = "passed" if s.proc.returncode == 0 else "failed"
                _report(s)
        time.sleep(0.2)
    wall = time.perf_counter() - t0
    _times(steps, t0, wall)
    failed = [s for s in steps if s.status == "failed"]
    for s in failed:
        print(f"FAILED: step {s.name} (make {s.target}); its output: build/logs/steps/{s.name}.log", file=sys.stderr)
    skipped = [s.name for s in steps if s.status == "skipped"]
    if skipped:
        print(f"not run because a step they need failed: {', '.join(skipped)}", file=sys.stderr)
    return 1 if failed or skipped else 0


def _report(s: Step) -> None:
    lines = (LOGS / f"{s.name}.log").read_text(encoding="utf-8", errors="replace").rstrip("\n").splitlines()
    if s.status == "passed":
        print(f"== {s.name}: passed in {s.seconds:.1f} s -- {s.what}")
        print("\n".join(f"   {line}" for line in lines), flush=True)
        return
    print(f"== {s.name}: FAILED (exit {s.proc.returncode}) after {s.seconds:.1f} s -- make {s.target}")
    if len(lines) > TAIL:
        print(f"   ... {len(lines) - TAIL} earlier line(s) in build/logs/steps/{s.name}.log")
    print("\n".join(f"   {line}" for line in lines[-TAIL:]))
    print(f"   full output: build/logs/steps/{s.name}.log", flush=True)


def _times(steps: list[Step], t0: float, wall: float) -> None:
    print("\nstep times (started and wall-clock seconds from the start of the run; steps overlap):")
    width = max(len(s.name) for s in steps)
    for s in steps:
        started = f"{s.start - t0:6.1f}" if s.start else "     -"
        print(f"  {s.name:<{width}}  {s.status:<7}  start {started}  took {_fmt(s.seconds)}")
    busy = sum(s.seconds for s in steps)
    print(f"  {'total':<{width}}  wall-clock {_fmt(wall)} ({busy:.1f} s of step time)", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cores", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("steps", nargs="*", help="a subset of the steps (default: all)")
    args = parser.parse_args(argv)
    steps = test_steps()
    unknown = set(args.steps) - {s.name for s in steps}
    if unknown:
        print(f"error: unknown step(s) {sorted(unknown)}; steps: {[s.name for s in steps]}", file=sys.stderr)
        return 2
    if args.steps:
        steps = [s for s in steps if s.name in args.steps]
    return run(steps, args.cores)


if __name__ == "__main__":
    sys.exit(main())
