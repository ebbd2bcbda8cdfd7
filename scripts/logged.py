"""Run a build command with its output in a log file; print what a person needs: problems, a summary, the log's path.

    python scripts/logged.py --log build/logs/html.log --kind sphinx -- jupyter-book build book ...

Kinds (what is printed besides the one-line result):

* ``sphinx``: every line of Sphinx's output with WARNING, ERROR or CRITICAL (``-W`` makes a warning fail the build);
* ``latex``: Sphinx's problems as for ``sphinx``, then a summary of the LaTeX run read from ``--latex-log`` (the
  transcript of the last xelatex pass): every error with the lines after it, the number of pages, and the
  warnings counted by kind;
* ``pip``: nothing more (pip's output, including the warnings of this machine's package index configuration, is
  in the log).

On failure the last lines of the log are printed too, with the log's path. The exit code is the command's.
"""

import argparse
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
SPHINX_PROBLEM = re.compile(r"\b(WARNING|ERROR|CRITICAL)\b|^(Exception occurred|Traceback)")
TAIL = 40
LATEX_WARNINGS = {
    "overfull boxes": re.compile(r"^Overfull \\[hv]box"),
    "underfull boxes": re.compile(r"^Underfull \\[hv]box"),
    "missing characters": re.compile(r"^Missing character"),
    "undefined references or citations": re.compile(r"(Reference|Citation) .* undefined"),
    "other LaTeX and package warnings": re.compile(r"^(LaTeX|Package [\w-]+|Class [\w-]+) Warning"),
}


def _short(path: Path) -> str:
    path = path.resolve()
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def sphinx_problems(text: str) -> list[str]:
    return [line for line in text.splitlines() if SPHINX_PROBLEM.search(line)]


def latex_summary(log: Path) -> list[str]:
    """Errors (each with the two lines after it) and warnings by kind from a LaTeX transcript."""
    if not log.is_file():
        return [f"LaTeX: no transcript at {_short(log)}"]
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    out = []
    for i, line in enumerate(lines):
        if line.startswith("! "):
            out += [f"LaTeX error: {line[2:]}", *(f"    {x}" for x in lines[i + 1 : i + 3])]
    counts = Counter()
    for line in lines:
        for kind, pattern in LATEX_WARNINGS.items():
            if pattern.search(line):
                counts[kind] += 1
                break
    pages = next((m.group(1) for m in map(re.compile(r"Output written on .* \((\d+) pages?").search, lines) if m), "?")
    warned = ", ".join(f"{n} {kind}" for kind, n in counts.most_common()) or "no warnings"
    errors = sum(line.startswith("! ") for line in lines)
    out.append(f"LaTeX: {pages} pages, {errors} error(s); {warned} (transcript: {_short(log)})")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--log", required=True)
    parser.add_argument("--kind", choices=["sphinx", "latex", "pip"], required=True)
    parser.add_argument("--name", help="what is being run (default: the log's name)")
    parser.add_argument("--latex-log", default=str(ROOT / "book" / "_build" / "latex" / "book.log"))
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    log = Path(args.log)
    log.parent.mkdir(parents=True, exist_ok=True)
    name = args.name or log.stem
    start = time.perf_counter()
    with log.open("w", encoding="utf-8") as sink:
        code = subprocess.call(command, stdout=sink, stderr=subprocess.STDOUT)
    seconds = time.perf_counter() - start
    text = ANSI.sub("", log.read_text(encoding="utf-8", errors="replace"))
    report = []
    if args.kind in ("sphinx", "latex"):
        report += sphinx_problems(text)
    if args.kind == "latex":
        report += latex_summary(Path(args.latex_log))
    for line in report:
        print(line)
    if code != 0:
        print(f"{name} FAILED (exit {code}) after {seconds:.1f} s; the last lines of {_short(log)}:", file=sys.stderr)
        for line in text.splitlines()[-TAIL:]:
            print(f"  | {line}", file=sys.stderr)
    else:
        print(f"{name}: done in {seconds:.1f} s (log: {_short(log)})")
    return code


if __name__ == "__main__":
    sys.exit(main())
