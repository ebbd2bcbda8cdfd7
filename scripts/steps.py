"""`make test`'s steps, as the Makefile orders them, with one block of output per step and the step times.

    python scripts/steps.py test [--makefile FILE] [--logs DIR] [--only NAME ...] NAME=GOAL ... -- MAKE
    python scripts/steps.py run NAME -- COMMAND ...       (in a recipe, under ``test``)
    python scripts/steps.py help [--makefile FILE]        (``make help``)

The order of the steps is the Makefile's, and only the Makefile's: every step is a make goal whose prerequisites
are declared there (stamp files in ``build/stamps/``, see the Makefile's header), and ``test`` runs all the goals in
one ``make -k`` (``-j`` one job per core unless make was given ``-j``; a ``make -j2 test`` shares make's job
slots). So a step starts as soon as what it needs is up to date, a step whose inputs did not change since it last
passed is not run again ("up to date"), a failed step stops only the steps that need it ("not run") and the others
go on. A step that was not selected (``--only``) but is needed and out of date runs, and is reported, too.
Under ``make -n test`` the goals' commands are printed, nothing is run.

A step's recipe runs its command through ``run`` (the Makefile's ``step`` function, active only under ``test``):
the output goes to ``DIR/NAME.log`` (default ``build/logs/steps``) and is printed in one block when the step ends,
so steps that run at the same time do not interleave; a failed step's last lines are printed with its log's path
and repeated at the end. The last lines are the step times: start, wall-clock and CPU seconds of each step.
"""

import argparse
import fcntl
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOGS = ROOT / "build" / "logs" / "steps"
PLAN_ENV = "MALSTYRING_STEP_PLAN"
"""Set by ``test`` for the make it runs: the path of the plan (start time, log folder, steps' goals and words)."""
TAIL = 80
"""Lines of a failed step's output printed (the whole output is in its log)."""
DESCRIBED = re.compile(r"^([A-Za-z0-9_.-]+):[^=]*?## (.*)$")
KNOB = re.compile(r"^## ([A-Z]+=.*)$")
TEST_STEPS = re.compile(r"^TEST_STEPS\s*:=\s*(.*)$")
NOT_REMADE = re.compile(r"Target '([^']+)' not remade because of errors")
UP_TO_DATE = re.compile(r"make(\[\d+\])?: (Nothing to be done for|'.*' is up to date)")
"""make's words for a goal with nothing to do: the step times say it ("up to date")."""


def descriptions(makefile: Path) -> dict[str, str]:
    """Each target's ``## ...`` description in the Makefile."""
    lines = makefile.read_text(encoding="utf-8").splitlines()
    return {m.group(1): m.group(2).strip() for m in map(DESCRIBED.match, lines) if m}


def help_text(makefile: Path) -> str:
    lines = makefile.read_text(encoding="utf-8").splitlines()
    targets = descriptions(makefile)
    knobs = [m.group(1) for m in map(KNOB.match, lines) if m]
    width = max(map(len, targets))
    out = ["targets (make TARGET; the main two: book and test):"]
    out += [f"  {name:<{width}}  {what}" for name, what in targets.items()]
    out += ["", "variables (make TARGET NAME=VALUE):"]
    out += [f"  {knob}" for knob in knobs]
    steps = next((m.group(1).split() for m in map(TEST_STEPS.match, lines) if m), [])
    out += ["", "make test's steps, in order (for STEPS):", "  " + " ".join(steps)]
    return "\n".join(out)


def _makeflags() -> tuple[str, list[str]]:
    """(single-letter flags, the other words) of the MAKEFLAGS make passed on."""
    words = os.environ.get("MAKEFLAGS", "").split()
    letters = words[0] if words and not words[0].startswith("-") else ""
    return letters, words[1:] if letters else words


def _jobserver_fds(flags: list[str]) -> tuple[int, ...]:
    """The pipe of make's job slots (GNU make 4.3: --jobserver-auth=R,W) is kept open for the make started here."""
    for flag in flags:
        m = re.fullmatch(r"--jobserver-(?:auth|fds)=(\d+),(\d+)", flag)
        if m:
            return tuple(int(fd) for fd in m.groups())
    return ()


def test(args) -> int:
    every = dict(s.split("=", 1) for s in args.steps)
    goals = {name: goal for name, goal in every.items() if not args.only or name in args.only}
    make = [*args.make, "--no-print-directory", "-f", str(args.makefile)]
    letters, flags = _makeflags()
    if "n" in letters:  # make -n test: what would run
        return subprocess.call([*make, "-k", *goals.values()], cwd=args.makefile.parent)
    logs = args.logs.resolve()
    logs.mkdir(parents=True, exist_ok=True)
    for name in every:
        (logs / f"{name}.json").unlink(missing_ok=True)
    words = descriptions(args.makefile)
    t0 = time.time()
    plan = {
        "t0": t0,
        "logs": str(logs),
        "steps": {name: {"goal": goal, "what": words.get(goal, "")} for name, goal in every.items()},
        "selected": list(goals),
    }
    (logs / "plan.json").write_text(json.dumps(plan, indent=1) + "\n", encoding="utf-8")
    given = [f for f in flags if f.startswith("-j")]
    jobs = [] if given else [f"-j{len(os.sched_getaffinity(0))}"]
    print(f"running {len(goals)} step(s) in the Makefile's order ({(given or jobs)[0]}): {' '.join(goals)}")
    sys.stdout.flush()
    env = {**os.environ, PLAN_ENV: str(logs / "plan.json")}
    proc = subprocess.Popen(
        [*make, "-k", *jobs, *goals.values()],
        cwd=args.makefile.parent,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        pass_fds=_jobserver_fds(flags),
    )
    not_remade = set()
    for line in proc.stdout:
        m = NOT_REMADE.search(line)
        if m:
            not_remade.add(m.group(1))
            continue
        if UP_TO_DATE.match(line):
            continue
        sys.stdout.write(line)
        sys.stdout.flush()
    code = proc.wait()
    return _summary(plan, not_remade, code, time.time() - t0)


def _summary(plan: dict, not_remade: set[str], code: int, wall: float) -> int:
    logs = Path(plan["logs"])
    rows = []
    for name, step in plan["steps"].items():  # the selected steps, and the others that ran because they were needed
        try:
            record = json.loads((logs / f"{name}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            if name not in plan["selected"]:
                continue
            status = "not run" if step["goal"] in not_remade else "up to date"
            record = {"status": status, "start": None, "seconds": 0.0, "cpu": 0.0}
        rows.append((name, record))
    print("\nstep times (seconds; steps overlap, so the wall-clock times add up to more than the total):")
    width = max(len(name) for name, _ in rows)
    print(f"  {'step':<{width}}  {'status':<10}  {'start':>6}  {'wall':>6}  {'CPU':>6}")
    for name, r in rows:
        start = f"{r['start']:6.1f}" if r["start"] is not None else f"{'-':>6}"
        print(f"  {name:<{width}}  {r['status']:<10}  {start}  {r['seconds']:6.1f}  {r['cpu']:6.1f}")
    cpu = sum(r["cpu"] for _, r in rows)
    print(f"  {'total':<{width}}  {'':<10}  {'':>6}  {wall:6.1f}  {cpu:6.1f}   (make test, wall-clock)")
    failed = [name for name, r in rows if r["status"] == "failed"]
    for name in failed:
        print(f"FAILED: step {name} (make {plan['steps'][name]['goal']}); its output: {_short(logs / f'{name}.log')}")
    skipped = [name for name, r in rows if r["status"] == "not run"]
    if skipped:
        print(f"not run because a step they need failed: {', '.join(skipped)}")
    if code != 0 and not failed:
        print(f"make exited with status {code} (see above)")
    sys.stdout.flush()
    return 1 if failed or skipped or code != 0 else 0


def _short(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def run(name: str, command: list[str]) -> int:
    """Run one step's command (in a recipe under ``test``): output to its log, one block printed at the end."""
    plan = json.loads(Path(os.environ[PLAN_ENV]).read_text(encoding="utf-8"))
    logs = Path(plan["logs"])
    what = plan["steps"].get(name, {}).get("what", "")
    log_path = logs / f"{name}.log"
    start = time.time()
    with log_path.open("w", encoding="utf-8") as log:
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    _, status, usage = os.wait4(proc.pid, 0)
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code
    seconds = time.time() - start
    record = {
        "status": "passed" if code == 0 else "failed",
        "code": code,
        "start": start - plan["t0"],
        "seconds": seconds,
        "cpu": usage.ru_utime + usage.ru_stime,  # the command and everything it waited for
    }
    (logs / f"{name}.json").write_text(json.dumps(record) + "\n", encoding="utf-8")
    lines = log_path.read_text(encoding="utf-8", errors="replace").rstrip("\n").splitlines()
    if code == 0:
        block = [f"== {name}: passed in {seconds:.1f} s -- {what}", *(f"   {line}" for line in lines)]
    else:
        block = [f"== {name}: FAILED (exit {code}) after {seconds:.1f} s -- {what}"]
        if len(lines) > TAIL:
            block.append(f"   ... {len(lines) - TAIL} earlier line(s) in {_short(log_path)}")
        block += [f"   {line}" for line in lines[-TAIL:]]
        block.append(f"   full output: {_short(log_path)}")
    with (logs / "print.lock").open("w") as lock:  # one block at a time on the shared terminal
        fcntl.flock(lock, fcntl.LOCK_EX)
        sys.stdout.write("\n".join(block) + "\n")
        sys.stdout.flush()
    return code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("test", help="run make test's steps (NAME=GOAL pairs) and print their times")
    p.add_argument("--makefile", type=Path, default=ROOT / "Makefile")
    p.add_argument("--logs", type=Path, default=LOGS)
    p.add_argument("--only", action="append", default=[], metavar="NAME", help="run these steps (default: all)")
    p.add_argument("steps", nargs="+", metavar="NAME=GOAL", help="every step of make test and its make goal")
    p = sub.add_parser("run", help="run one step's command (in a recipe)")
    p.add_argument("name")
    p = sub.add_parser("help", help="the targets and variables described in the Makefile")
    p.add_argument("--makefile", type=Path, default=ROOT / "Makefile")
    argv = sys.argv[1:] if argv is None else argv
    rest = argv[argv.index("--") + 1 :] if "--" in argv else []
    args = parser.parse_args(argv[: argv.index("--")] if "--" in argv else argv)
    if args.command == "help":
        print(help_text(args.makefile))
        return 0
    if not rest:
        parser.error("a command (run) or the make program (test) is needed after --")
    if args.command == "run":
        return run(args.name, rest)
    args.make = rest
    bad = [s for s in args.steps if "=" not in s]
    if bad:
        parser.error(f"steps are NAME=GOAL pairs: {bad}")
    return test(args)


if __name__ == "__main__":
    sys.exit(main())
