"""`make chapter`: re-execute a chapter with new parameters and rebuild only the HTML pages that changed.

    python scripts/chapter.py --data DIR --only NAME [--only NAME ...] [-p NAME VALUE ...]

While the chapter executes (``scripts/execute_chapters.py``, on one core), the two steps after it start on the
other core and wait (``scripts/warm.py``): Sphinx loads its extensions and the environment of the last HTML build,
and ``scripts/check_build.py`` its imports. When the chapter has passed, Sphinx re-reads the changed chapter and
writes the pages that depend on it (``-W -n``, output in ``build/logs/html.log``; its warnings are printed), then
the post-build checks run on the whole book. When the chapter fails, both are stopped and the book is left as it
was. Each phase prints its time.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

from logged import ANSI, sphinx_problems

from malstyring.data.paths import FIGURE_FORMATS_ENV

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "scripts"
HTML_LOG = ROOT / "build" / "logs" / "html.log"
HTML_FORMATS = "svg"
"""Only the HTML is rebuilt, so the chapter's figures are drawn only as SVG (their PDF versions took 0.8 s of
chapter 5's time); the Makefile therefore marks the executed chapters as not the book's, and the next `make pdf`
or `make book` executes them again."""


def _start(args: list[str], out) -> subprocess.Popen:
    cmd = [sys.executable, str(SCRIPTS / "warm.py"), *args]
    return subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.PIPE, stdout=out, stderr=subprocess.STDOUT, text=True)


def _release(proc: subprocess.Popen, go: bool) -> None:
    try:
        proc.stdin.write("go\n" if go else "stop\n")
        proc.stdin.close()
    except BrokenPipeError:  # it ended already (it failed to start): its exit code says so
        pass


def _output(proc: subprocess.Popen) -> str:
    out = proc.stdout.read() if proc.stdout else ""
    proc.wait()
    return out


def main(argv: list[str]) -> int:
    data = argv[argv.index("--data") + 1] if "--data" in argv else str(ROOT / "data" / "synthetic")
    HTML_LOG.parent.mkdir(parents=True, exist_ok=True)
    with HTML_LOG.open("w", encoding="utf-8") as log:
        sphinx = _start(["jupyter-book", "build", "book", "-W", "-n", "--keep-going"], log)
    check = _start(["script", str(SCRIPTS / "check_build.py"), "book/_build/html", "--data", data], subprocess.PIPE)

    env = {**os.environ, FIGURE_FORMATS_ENV: HTML_FORMATS}
    code = subprocess.call([sys.executable, str(SCRIPTS / "execute_chapters.py"), *argv], cwd=ROOT, env=env)
    _release(sphinx, go=code == 0)
    if code != 0:
        _release(check, go=False)
        sphinx.wait()
        _output(check)
        print("HTML not rebuilt: the book is as it was before", file=sys.stderr)
        return code

    start = time.perf_counter()
    sphinx_code = sphinx.wait()
    text = ANSI.sub("", HTML_LOG.read_text(encoding="utf-8", errors="replace"))
    for line in sphinx_problems(text):
        print(line)
    seconds = time.perf_counter() - start
    if sphinx_code != 0:
        _release(check, go=False)
        _output(check)
        print(f"HTML build FAILED (exit {sphinx_code}) after {seconds:.1f} s; the last lines of build/logs/html.log:")
        print("\n".join(f"  | {line}" for line in text.splitlines()[-40:]))
        return sphinx_code
    print(f"HTML build (changed pages): done in {seconds:.1f} s (log: build/logs/html.log)")

    _release(check, go=True)
    print(_output(check), end="")
    return check.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
