"""Execute the chapter notebooks with papermill.

    python scripts/execute_chapters.py [--data DIR] [--only NAME ...] [--in-place] [-p NAME VALUE ...]

By default every ``notebooks/NN_*.ipynb`` is executed into ``book/chapters/`` (the folder the book is built
from). ``--only`` restricts the run to named chapters; ``-p`` passes papermill parameters (values are read as
YAML, as papermill does) to every chapter that declares them. ``--in-place`` refreshes the stored notebooks in
``notebooks/`` (the nbval reference). A bad parameter stops the run with a one-line message naming it.
"""

import argparse
import sys
import time
from pathlib import Path

import nbformat
import papermill as pm
import yaml

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
OUT = ROOT / "book" / "chapters"
DEFAULT_DATA = ROOT / "data" / "synthetic"
PARTIAL = ROOT / "build" / "partial"
"""Chapters are executed here first; a failed run leaves the previous executed copy in place."""
VOLATILE_METADATA = ("papermill", "execution")


def _tidy(path: Path) -> None:
    """Remove the injected-parameters cell from the pages (it may hold a data folder's path) and drop papermill's
    timing metadata (keeps outputs reproducible)."""
    nb = nbformat.read(path, as_version=4)
    for key in VOLATILE_METADATA:
        nb.metadata.pop(key, None)
    for cell in nb.cells:
        for key in VOLATILE_METADATA:
            cell.metadata.pop(key, None)
        tags = cell.metadata.get("tags", [])
        if "injected-parameters" in tags and "remove-cell" not in tags:
            cell.metadata["tags"] = [*tags, "remove-cell"]
        if "tags" in cell.metadata and not cell.metadata["tags"]:
            del cell.metadata["tags"]  # papermill adds empty tag lists; they would show up in the paired .md
    nbformat.write(nb, path)


def _error_line(err: pm.PapermillExecutionError) -> str:
    return f"{err.ename}: {err.evalue}".splitlines()[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(DEFAULT_DATA), help="data folder for every chapter")
    parser.add_argument("--only", action="append", default=[], help="chapter name, e.g. 05_results_regressions")
    parser.add_argument("--in-place", action="store_true", help="refresh the stored notebooks in notebooks/")
    parser.add_argument("--out", default=str(OUT), help="folder for the executed copies (default book/chapters)")
    parser.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"))
    args = parser.parse_args(argv)

    chapters = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if args.only:
        names = {c.stem for c in chapters}
        unknown = [n for n in args.only if n.removesuffix(".ipynb") not in names]
        if unknown:
            print(f"error: unknown chapter(s) {unknown}; chapters: {sorted(names)}", file=sys.stderr)
            return 2
        chapters = [c for c in chapters if c.stem in {n.removesuffix(".ipynb") for n in args.only}]
    user = {name: yaml.safe_load(value) for name, value in args.parameter}
    data = Path(args.data).resolve()
    if data != DEFAULT_DATA.resolve():
        user.setdefault("data_dir", str(data))
    declared = {c.stem: set(pm.inspect_notebook(str(c))) for c in chapters}
    unused = [name for name in user if not any(name in d for d in declared.values())]
    if unused:
        allowed = sorted(set().union(*declared.values()))
        print(f"error: parameter(s) {unused} not declared by any chapter run; allowed: {allowed}", file=sys.stderr)
        return 2
    out_dir = Path(args.out)
    if not args.in_place:
        out_dir.mkdir(parents=True, exist_ok=True)
    total = time.perf_counter()
    for i, chapter in enumerate(chapters, 1):
        params = {k: v for k, v in user.items() if k in declared[chapter.stem]}
        target = chapter if args.in_place else out_dir / chapter.name
        partial = PARTIAL / chapter.name  # replaces target only on success
        partial.parent.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        shown = " ".join(f"{k}={v!r}" for k, v in params.items())
        print(f"[{i}/{len(chapters)}] {chapter.stem} {shown}".rstrip(), flush=True)
        try:
            pm.execute_notebook(
                str(chapter),
                str(partial),
                parameters=params,
                cwd=str(NOTEBOOKS),
                kernel_name="python3",
                progress_bar=False,
                log_output=False,
            )
        except pm.PapermillExecutionError as err:
            print(f"error: chapter {chapter.stem} failed: {_error_line(err)}", file=sys.stderr)
            print(f"       {target} is unchanged; the failed run is in {partial}", file=sys.stderr)
            return 1
        _tidy(partial)
        partial.replace(target)
        print(f"      done in {time.perf_counter() - start:.1f} s", flush=True)
    print(f"executed {len(chapters)} chapter(s) in {time.perf_counter() - total:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
