"""Do a command's start-up work now and its real work on a signal: a warm start for the steps after a chapter.

    python scripts/warm.py jupyter-book ARGS...     # wait inside Sphinx's build, after its set-up
    python scripts/warm.py script PATH ARGS...      # wait after the script's imports, before its main()

The command starts at once and stops at its waiting point until a line arrives on stdin: ``go`` runs on; anything
else (or the end of stdin) exits with status 3 and does nothing. ``make chapter`` (scripts/chapter.py) uses it to
load Sphinx – its extensions and the pickled environment of the last build – and the imports of
``scripts/check_build.py`` while the chapter executes on the other core.

Safe for Sphinx because the files to re-read are found in ``build()``, not before: a chapter written while Sphinx
waits is seen as changed.
"""

import runpy
import sys


def _wait() -> None:
    if sys.stdin.readline().strip() != "go":
        sys.exit(3)


def jupyter_book(args: list[str]) -> int:
    from jupyter_book.cli.main import main
    from sphinx.application import Sphinx

    build = Sphinx.build

    def build_when_told(self, *a, **kw):
        _wait()
        return build(self, *a, **kw)

    Sphinx.build = build_when_told
    sys.argv = ["jupyter-book", *args]
    return main(args=args)


def script(path: str, args: list[str]) -> int:
    namespace = runpy.run_path(path, run_name="__warm__")  # the imports and definitions, not the main block
    _wait()
    sys.argv = [path, *args]
    return namespace["main"]()


if __name__ == "__main__":
    kind, *rest = sys.argv[1:]
    if kind == "jupyter-book":
        sys.exit(jupyter_book(rest))
    if kind == "script":
        sys.exit(script(rest[0], rest[1:]))
    sys.exit(f"usage: {sys.argv[0]} jupyter-book ARGS... | script PATH ARGS...")
