"""Execute the chapter notebooks with papermill, one worker per core.

    python scripts/execute_chapters.py [--data DIR] [--only NAME ...] [--in-place] [--jobs N] [-p NAME VALUE ...]

By default every ``notebooks/NN_*.ipynb`` is executed into ``book/chapters/`` (the folder the book is built
from). ``--only`` restricts the run to named chapters; ``-p`` passes papermill parameters (values are read as
YAML, as papermill does) to every chapter that declares them. ``--in-place`` refreshes the stored notebooks in
``notebooks/`` (the nbval reference). A bad parameter stops the run with a one-line message naming it.

Chapters run in parallel, ``--jobs`` at a time (default: the number of cores), longest first (the durations of the
previous run are kept in ``build/execute-times.json``). Each kernel gets one BLAS thread when several run at once,
so the workers do not compete for the cores. Every chapter prints one line when it ends; what its kernel writes to
the terminal (ipykernel's log, a worker process's messages) goes to ``build/logs/chapters/NN_name.log`` (for
another ``--out``, to the scratch folder below; or to ``--logs``), whose path is printed when the chapter fails.
Kernels talk to papermill over local IPC sockets, not TCP.

A chapter is executed into a scratch folder under ``build/partial/`` first and replaces its executed copy only on
success: a chapter that fails leaves the previous copy in place, and the failed run stays in the scratch folder
(for a day). With several chapters at once, kernels are forked from a process that has already imported the
libraries the chapters use (``scripts/kernel_zygote.py``; ``MALSTYRING_FORK_KERNELS=0`` turns it off).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import kernel_zygote as ZYGOTE
import yaml
from jupyter_client.manager import AsyncKernelManager

from malstyring.data.paths import RUN_SHARE_ENV

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
OUT = ROOT / "book" / "chapters"
DEFAULT_DATA = ROOT / "data" / "synthetic"
ZYGOTE_SCRIPT = Path(ZYGOTE.__file__).resolve()
PARTIAL = ROOT / "build" / "partial"
"""Chapters are executed here first; a failed run leaves the previous executed copy in place."""
LOGS = ROOT / "build" / "logs" / "chapters"
TIMES = ROOT / "build" / "execute-times.json"
"""Seconds per chapter of the last successful run: the next run starts the longest chapters first."""
FIRST_RUN_SECONDS = {"08_robustness": 15.0, "06_limitations": 9.0, "05_results_regressions": 7.0, "03_data_method": 5.0}
"""Used for the order before any run was timed (measured on a 2-core machine); other chapters take about 2-4 s."""
VOLATILE_METADATA = ("papermill", "execution")
BLAS_THREADS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _tidy(path: Path) -> None:
    """Remove the injected-parameters cell from the pages (it may hold a data folder's path) and drop papermill's
    timing metadata (keeps outputs reproducible)."""
    import nbformat

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


def _error_line(err) -> str:
    return f"{err.ename}: {err.evalue}".splitlines()[0]


class _KernelManager(AsyncKernelManager):
    """jupyter_client's manager, without the SIGINT it sends before every shutdown request.

    papermill shuts a kernel down after its last reply, when it is idle; the interrupt is not needed then, and it
    races with the end of that reply's handler: a kernel still inside the handler logs "ERROR | KeyboardInterrupt
    caught in kernel" (seen with chapter 8, whose worker processes keep the kernel busy) on a run that succeeded.
    A kernel that is still busy is stopped by the shutdown request or, after jupyter_client's wait, killed."""

    zygote = ""
    """'SOCKET:PID' of a running ``scripts/kernel_zygote.py serve``: kernels are then forked from it (see there)."""

    async def _async_interrupt_kernel(self) -> None:
        if self.shutting_down:
            return
        await super()._async_interrupt_kernel()

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        cmd = super().format_kernel_cmd(extra_arguments)
        if self.zygote and ZYGOTE.KERNEL_MODULE in cmd:
            path, pid = self.zygote.rsplit(":", 1)
            return [sys.executable, "-I", "-S", str(ZYGOTE_SCRIPT), "launch", path, pid, "--", *cmd]
        return cmd


def _kernel_config(sockets: Path):
    """Local IPC sockets instead of TCP: nothing listens on the network and ipykernel has no unencrypted transport
    to warn about. Each kernel gets its own socket prefix (``sockets``, in a short temporary folder: a socket path
    may not exceed about 100 characters), so kernels started at the same time cannot pick the same socket."""
    from traitlets.config import Config

    return Config({"KernelManager": {"transport": "ipc", "ip": str(sockets)}})


def _execute(
    chapter: Path, partial: Path, params: dict, log: Path, sockets: Path, one_blas_thread: bool, zygote: str
) -> tuple[float, str]:
    """Execute one chapter into ``partial`` (in a worker process); returns (seconds, error line or '').

    The worker's stdout and stderr, which the kernel inherits, are sent to ``log`` for the time of the run."""
    if one_blas_thread:
        _one_blas_thread(os.environ)
    _KernelManager.zygote = zygote
    import papermill as pm

    start = time.perf_counter()
    error = ""
    with open(log, "w", encoding="utf-8") as sink:
        sys.stdout.flush()
        sys.stderr.flush()
        saved = os.dup(1), os.dup(2)
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
        try:
            pm.execute_notebook(
                str(chapter),
                str(partial),
                parameters=params,
                cwd=str(NOTEBOOKS),
                kernel_name="python3",
                progress_bar=False,
                log_output=False,
                request_save_on_cell_execute=False,  # written once at the end (or with the error), not twice per cell
                # the kernel has sent every output and replied to papermill's last request: stop it at once
                # instead of waiting about half a second for a graceful exit, during which this worker would idle
                shutdown_kernel="immediate",
                config=_kernel_config(sockets),
                kernel_manager_class=_KernelManager,
            )
            _tidy(partial)
        except pm.PapermillExecutionError as err:
            error = _error_line(err)
        except Exception as err:  # the kernel died, a timeout, an unreadable notebook: say what, keep the others
            error = f"{type(err).__name__}: {err}".splitlines()[0]
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
    return time.perf_counter() - start, error


def _one_blas_thread(env) -> None:
    for name in BLAS_THREADS:
        env.setdefault(name, "1")


def _start_zygote(sockets: Path, log: Path) -> tuple[subprocess.Popen | None, str]:
    """The kernel zygote (scripts/kernel_zygote.py), unless MALSTYRING_FORK_KERNELS=0."""
    if os.environ.get("MALSTYRING_FORK_KERNELS", "1") == "0":
        return None, ""
    env = dict(os.environ)
    _one_blas_thread(env)
    path = sockets / "zygote"
    with open(log, "w", encoding="utf-8") as sink:
        cmd = [sys.executable, "-Xfrozen_modules=off", str(ZYGOTE_SCRIPT), "serve", str(path)]
        proc = subprocess.Popen(cmd, cwd=NOTEBOOKS, env=env, stdin=subprocess.DEVNULL, stdout=sink, stderr=sink)
    return proc, f"{path}:{proc.pid}"


def _forget_old_runs(hours: float = 24) -> None:
    """Remove the scratch folders of failed runs (successful runs remove theirs) older than ``hours``."""
    cutoff = time.time() - hours * 3600
    for old in PARTIAL.glob("run-*"):
        if old.is_dir() and old.stat().st_mtime < cutoff:
            shutil.rmtree(old, ignore_errors=True)


def _previous_times() -> dict[str, float]:
    try:
        return {**FIRST_RUN_SECONDS, **json.loads(TIMES.read_text(encoding="utf-8"))}
    except (OSError, ValueError):
        return dict(FIRST_RUN_SECONDS)


def _save_times(times: dict[str, float]) -> None:
    try:
        TIMES.parent.mkdir(parents=True, exist_ok=True)
        old = json.loads(TIMES.read_text(encoding="utf-8")) if TIMES.exists() else {}
        TIMES.write_text(json.dumps({**old, **times}, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    except (OSError, ValueError):
        pass  # only the order of the next run depends on it


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def _short(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(DEFAULT_DATA), help="data folder for every chapter")
    parser.add_argument("--only", action="append", default=[], help="chapter name, e.g. 05_results_regressions")
    parser.add_argument("--in-place", action="store_true", help="refresh the stored notebooks in notebooks/")
    parser.add_argument("--out", default=str(OUT), help="folder for the executed copies (default book/chapters)")
    parser.add_argument("--logs", help="folder for the kernels' logs (default build/logs/chapters for the book)")
    parser.add_argument("--jobs", "-j", type=int, default=int(os.environ.get("MALSTYRING_JOBS", 0)) or _cores())
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
    out_dir = Path(args.out)
    the_book = args.in_place or out_dir.resolve() == OUT.resolve()
    PARTIAL.mkdir(parents=True, exist_ok=True)
    _forget_old_runs()
    scratch = Path(tempfile.mkdtemp(prefix="run-", dir=PARTIAL))  # one per run: runs into other folders may overlap
    logs = Path(args.logs) if args.logs else LOGS if the_book else scratch
    logs.mkdir(parents=True, exist_ok=True)
    sockets = Path(tempfile.mkdtemp(prefix="kernels-"))
    # chapters of this run share identical Monte Carlo re-draws (malstyring.data.paths.RUN_SHARE_ENV); the folder
    # goes with the run, so nothing is kept between runs
    os.environ[RUN_SHARE_ENV] = str(sockets)
    jobs = max(1, min(args.jobs, len(chapters)))
    # the zygote imports while this process reads the chapters' parameters
    zygote_proc, zygote = _start_zygote(sockets, logs / "zygote.log")
    try:
        return _run(args, chapters, out_dir, the_book, scratch, logs, sockets, jobs, zygote)
    finally:
        if zygote_proc is not None:
            zygote_proc.terminate()
            zygote_proc.wait()
        shutil.rmtree(sockets, ignore_errors=True)


def _run(args, chapters, out_dir, the_book, scratch, logs, sockets, jobs, zygote) -> int:
    import papermill as pm

    user = {name: yaml.safe_load(value) for name, value in args.parameter}
    data = Path(args.data).resolve()
    if data != DEFAULT_DATA.resolve():
        user.setdefault("data_dir", str(data))
    declared = {c.stem: set(pm.inspect_notebook(str(c))) for c in chapters}
    unused = [name for name in user if not any(name in d for d in declared.values())]
    if unused:
        allowed = sorted(set().union(*declared.values()))
        print(f"error: parameter(s) {unused} not declared by any chapter run; allowed: {allowed}", file=sys.stderr)
        shutil.rmtree(scratch, ignore_errors=True)
        return 2
    if not args.in_place:
        out_dir.mkdir(parents=True, exist_ok=True)
    estimate = _previous_times()
    order = sorted(chapters, key=lambda c: -estimate.get(c.stem, 3.0))
    shown = " ".join(f"{k}={v!r}" for k, v in user.items())
    print(f"executing {len(chapters)} chapter(s), {jobs} at a time {shown}".rstrip(), flush=True)

    total = time.perf_counter()
    failed, times = [], {}
    width = max(len(c.stem) for c in chapters)
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = {}
        for chapter in order:
            params = {k: v for k, v in user.items() if k in declared[chapter.stem]}
            log = logs / f"{chapter.stem}.log"
            run = (chapter, scratch / chapter.name, params, log, sockets / chapter.stem[:2], jobs > 1, zygote)
            futures[pool.submit(_execute, *run)] = (chapter, log)
        for done, future in enumerate(as_completed(futures), 1):
            chapter, log = futures[future]
            seconds, error = future.result()
            target = chapter if args.in_place else out_dir / chapter.name
            status = f"[{done:>2}/{len(chapters)}] {chapter.stem:<{width}} {seconds:5.1f} s"
            if error:
                failed.append(chapter.stem)
                print(f"{status}  FAILED", flush=True)
                print(f"error: chapter {chapter.stem} failed: {error}", file=sys.stderr)
                print(
                    f"       {target} is unchanged; the failed run is in {_short(scratch / chapter.name)}",
                    file=sys.stderr,
                )
                print(f"       kernel log: {_short(log)}", file=sys.stderr, flush=True)
                continue
            (scratch / chapter.name).replace(target)
            times[chapter.stem] = round(seconds, 1)
            print(status, flush=True)
    if the_book:
        _save_times(times)
    wall = time.perf_counter() - total
    if failed:
        print(
            f"{len(failed)} of {len(chapters)} chapter(s) failed: {', '.join(failed)} ({wall:.1f} s)", file=sys.stderr
        )
        return 1
    shutil.rmtree(scratch, ignore_errors=True)
    print(f"executed {len(chapters)} chapter(s) in {wall:.1f} s ({sum(times.values()):.1f} s of chapter time)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
