"""Run the steps of `make test` side by side as far as their order allows; print each step's output when it ends.

    python scripts/steps.py [--parallel N] [STEP ...]

Each step is a make target, run as ``make --no-print-directory TARGET``, with its output in
``build/logs/steps/STEP.log``; the output is printed in one block when the step ends, so steps that run at the same
time do not interleave. Up to ``--parallel`` steps run at once (default: the number of cores), started in the order
below as the steps they need pass. Most steps keep two processes busy themselves; running two steps at once keeps
both cores busy while a step has a single-threaded phase (xelatex, Sphinx, the end of a test run), and adds no work.
When a step fails, the steps that need it are not run, the others go on, and the failure is repeated at the end
with the path of its log. The last lines are the step times: start, wall-clock and CPU seconds of each step.
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
    status: str = "waiting"
    start: float = 0.0
    seconds: float = 0.0
    cpu: float = 0.0
    code: int = 0
    proc: subprocess.Popen | None = field(default=None, repr=False)


def test_steps() -> list[Step]:
    """The steps of `make test` in order of priority: the chain execute -> PDF -> HTML -> look first."""
    return [
        Step("data", "data", "synthetic data generated and validated (skipped when unchanged)"),
        Step("lint", "lint", "ruff check, ruff format --check"),
        Step("execute", "execute", "every chapter executed with papermill into book/chapters", ("data",)),
        Step("pdf", "pdf-if-tex", "the PDF through xelatex", ("execute",)),
        Step("unit", "unit", "unit and reference tests, executed chapters vs stored notebooks", ("execute",)),
        Step("html", "html", "the HTML book (-W -n) and the post-build checks", ("execute", "pdf")),
        Step("look", "test-look", "the built HTML in headless Chromium, the PDF's glyphs and boxes", ("html",)),
        Step("extract", "test-extract", "the whole book from a messy supplied extract", ("execute",)),
        Step("words", "test-words", "glued claims vs their numbers for three index effects", ("execute",)),
    ]


def run(steps: list[Step], parallel: int) -> int:
    LOGS.mkdir(parents=True, exist_ok=True)
    by_name = {s.name: s for s in steps}
    for s in steps:  # a step whose prerequisite is not selected runs without it
        s.needs = tuple(n for n in s.needs if n in by_name)
    t0 = time.perf_counter()
    print(f"running {len(steps)} step(s), up to {parallel} at a time: {', '.join(s.name for s in steps)}", flush=True)
    while any(s.status in ("waiting", "running") for s in steps):
        for s in steps:
            if s.status == "waiting" and any(by_name[n].status in ("failed", "skipped") for n in s.needs):
                s.status = "skipped"
                print(f"== {s.name}: not run, it needs {', '.join(s.needs)}", flush=True)
        running = sum(s.status == "running" for s in steps)
        for s in steps:
            ready = s.status == "waiting" and all(by_name[n].status == "passed" for n in s.needs)
            if ready and running < parallel:
                with (LOGS / f"{s.name}.log").open("w", encoding="utf-8") as log:
                    cmd = ["make", "--no-print-directory", s.target]
                    s.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
                s.status, s.start = "running", time.perf_counter()
                running += 1
        for s in steps:
            if s.status != "running":
                continue
            pid, status, usage = os.wait4(s.proc.pid, os.WNOHANG)
            if pid == 0:
                continue
            s.proc.returncode = s.code = os.waitstatus_to_exitcode(status)
            s.seconds = time.perf_counter() - s.start
            s.cpu = usage.ru_utime + usage.ru_stime  # make and everything it waited for
            s.status = "passed" if s.code == 0 else "failed"
            _report(s)
        time.sleep(0.2)
    wall = time.perf_counter() - t0
    _times(steps, t0, wall)
    for s in steps:
        if s.status == "failed":
            print(f"FAILED: step {s.name} (make {s.target}); its output: build/logs/steps/{s.name}.log")
    skipped = [s.name for s in steps if s.status == "skipped"]
    if skipped:
        print(f"not run because a step they need failed: {', '.join(skipped)}")
    return 1 if any(s.status != "passed" for s in steps) else 0


def _report(s: Step) -> None:
    lines = (LOGS / f"{s.name}.log").read_text(encoding="utf-8", errors="replace").rstrip("\n").splitlines()
    if s.status == "passed":
        print(f"== {s.name}: passed in {s.seconds:.1f} s -- {s.what}")
        print("\n".join(f"   {line}" for line in lines), flush=True)
        return
    print(f"== {s.name}: FAILED (exit {s.code}) after {s.seconds:.1f} s -- make {s.target}")
    if len(lines) > TAIL:
        print(f"   ... {len(lines) - TAIL} earlier line(s) in build/logs/steps/{s.name}.log")
    print("\n".join(f"   {line}" for line in lines[-TAIL:]))
    print(f"   full output: build/logs/steps/{s.name}.log", flush=True)


def _times(steps: list[Step], t0: float, wall: float) -> None:
    print("\nstep times (seconds; steps overlap, so the wall-clock times add up to more than the total):")
    width = max(len(s.name) for s in steps)
    print(f"  {'step':<{width}}  {'status':<7}  {'start':>6}  {'wall':>6}  {'CPU':>6}")
    for s in steps:
        start = f"{s.start - t0:6.1f}" if s.start else f"{'-':>6}"
        print(f"  {s.name:<{width}}  {s.status:<7}  {start}  {s.seconds:6.1f}  {s.cpu:6.1f}")
    cpu = sum(s.cpu for s in steps)
    print(f"  {'total':<{width}}  {'':<7}  {'':>6}  {wall:6.1f}  {cpu:6.1f}   (make test, wall-clock)", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parallel", type=int, default=len(os.sched_getaffinity(0)), help="steps at once")
    parser.add_argument("steps", nargs="*", help="a subset of the steps (default: all)")
    args = parser.parse_args(argv)
    steps = test_steps()
    unknown = set(args.steps) - {s.name for s in steps}
    if unknown:
        print(f"error: unknown step(s) {sorted(unknown)}; steps: {[s.name for s in steps]}", file=sys.stderr)
        return 2
    if args.steps:
        steps = [s for s in steps if s.name in args.steps]
    return run(steps, max(1, args.parallel))


if __name__ == "__main__":
    sys.exit(main())
