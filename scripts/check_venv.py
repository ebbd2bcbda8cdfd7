"""Refuse a virtualenv that is not this checkout's own (standard library only).

    python3 scripts/check_venv.py [--installed] [VENV]

A ``.venv`` that is a link to another checkout's virtualenv (a git worktree sharing the main one), or a copy whose
interpreter or scripts still belong to another folder, would be re-pointed by ``make``: ``pip install -e .``
and the Jupyter kernel would then run this checkout's code in the other checkout too. Before installing, the
folder, its interpreter's ``sys.prefix`` and its scripts' ``#!`` lines must all be this checkout's ``.venv``.
With ``--installed`` the installed package and the Jupyter kernel must also come from here. Exits 1 with a
message saying what to do; prints nothing when all is well.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ("pip", "jupyter-book", "pytest", "papermill")
PROBE = (
    "import importlib.util, json, sys; spec = importlib.util.find_spec('malstyring'); "
    "print(json.dumps([sys.prefix, spec.origin if spec else None]))"
)


def _inside(path: str, folder: Path) -> bool:
    """Whether ``path`` lies in ``folder``, following links of its folders (not of the file: bin/python is a link
    to the system interpreter)."""
    return Path(os.path.realpath(Path(path).parent)).is_relative_to(folder)


def problems(venv: Path, installed: bool) -> list[str]:
    if not venv.exists() and not venv.is_symlink():
        return []  # make creates it
    here = venv.resolve()
    if venv.is_symlink():
        return [f"{venv} is a link to {here}, not this checkout's own virtualenv"]
    if not here.is_relative_to(ROOT.resolve()):
        return [f"{venv} is at {here}, outside this checkout ({ROOT})"]
    python = venv / "bin" / "python"
    if not python.exists():
        return []  # an empty or half-made folder: `python -m venv` fills it in
    found = []
    run = subprocess.run([str(python), "-c", PROBE], capture_output=True, text=True)
    if run.returncode != 0:
        return [f"{python} does not run: {run.stderr.strip().splitlines()[-1:]}"]
    prefix, origin = json.loads(run.stdout)
    if Path(prefix).resolve() != here:
        found.append(f"{python} belongs to the virtualenv {prefix}, not to {here}")
    for name in SCRIPTS:
        script = venv / "bin" / name
        if script.is_file():
            first = script.read_bytes().split(b"\n", 1)[0].decode(errors="replace")
            target = first.removeprefix("#!").strip().split(" ")[0]
            if first.startswith("#!") and target and not _inside(target, here):
                found.append(f"{script} runs {target} (copied from another virtualenv)")
    if installed:
        if origin is None or not Path(origin).resolve().is_relative_to(ROOT.resolve() / "lib"):
            found.append(f"the package malstyring is installed from {origin}, not from {ROOT / 'lib'}")
        kernel = venv / "share" / "jupyter" / "kernels" / "python3" / "kernel.json"
        if kernel.is_file():
            argv0 = json.loads(kernel.read_text(encoding="utf-8"))["argv"][0]
            if not _inside(argv0, here):
                found.append(f"the Jupyter kernel in {kernel} runs {argv0}")
    return found


def main(argv: list[str]) -> int:
    installed = "--installed" in argv
    args = [a for a in argv if a != "--installed"]
    venv = Path(args[0]) if args else Path(".venv")
    if not venv.is_absolute():
        venv = Path(os.getcwd()) / venv
    found = problems(venv, installed)
    if not found:
        return 0
    print("error: refusing to use this virtualenv:", file=sys.stderr)
    for line in found:
        print(f"  - {line}", file=sys.stderr)
    print(
        f"  Each checkout (a git worktree too) needs its own: remove {venv} (a link: `rm {venv}`; a folder:\n"
        f"  `rm -r {venv}`) and run `make venv` here. Installing into another checkout's virtualenv would point its\n"
        "  editable install and Jupyter kernel at this checkout.",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
