"""Generate and validate a data folder only when something it depends on changed (stamp files in build/stamps/).

    python scripts/stamps.py generate --out data/synthetic --seed 20180101
    python scripts/stamps.py validate DIR [--record FILE]
    python scripts/stamps.py record FILE [-- VALUE ...]

``generate`` runs ``python -m malstyring generate`` unless the folder was generated with this seed by this code
and its files still match the checksums of its ``manifest.json``. ``validate`` runs ``python -m malstyring validate
DIR --allow-warnings`` unless a validation of exactly these files by this code has passed before; then it prints
that validation's report again, marked as such. The key of both stamps is a SHA-256 over:

* the code: every file of ``lib/malstyring/`` and ``data/reference/`` (the codebook drives validation) and the
  lock ``requirements.txt``;
* for ``generate``, the seed; for ``validate``, the folder's path as given and the name and SHA-256 of every
  file in it (so an edited, added or removed file is validated again).

``--record FILE`` and ``record`` write what make sees: FILE holds a key (the validation's key; the values given)
and is rewritten only when that key changes, so its time stamp moves exactly when the content does. The Makefile's
targets depend on these files (``build/stamps/data``, ``build/stamps/execute-args``); their rules always run (they
are cheap) and GNU make re-executes what depends on them only when the file changed.

Only the standard library is imported, so an up-to-date check costs a few hundredths of a second.
"""

import argparse
import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

from malstyring.base.checksums import sha256_file  # standard library only: the stamps run on every make

ROOT = Path(__file__).resolve().parents[1]
STAMPS = ROOT / "build" / "stamps"
CODE = [ROOT / "lib" / "malstyring", ROOT / "data" / "reference", ROOT / "requirements.txt"]


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def code_key() -> str:
    """SHA-256 over the code and reference data that generation and validation depend on."""
    digest = hashlib.sha256()
    for item in CODE:
        for path in _files(item) if item.is_dir() else [item]:
            digest.update(f"{path.relative_to(ROOT).as_posix()}\0{sha256_file(path)}\n".encode())
    return digest.hexdigest()


def _key(*parts: str) -> str:
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _manifest_matches(out: Path) -> bool:
    try:
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        files = manifest["files"]
        return bool(files) and all((out / n).is_file() and sha256_file(out / n) == h for n, h in files.items())
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False


def generate(out: Path, seed: int | None) -> int:
    """Generate the synthetic data into ``out`` unless they are there from the same code and seed (None: the
    generator's default seed, which the code key covers)."""
    stamp = STAMPS / f"generated-{_key(str(out.resolve()))[:16]}.json"
    key = _key(code_key(), f"seed={'default' if seed is None else seed}")
    try:
        current = json.loads(stamp.read_text(encoding="utf-8")).get("key") == key
    except (OSError, ValueError):
        current = False
    if current and _manifest_matches(out):
        seed_text = "the default seed" if seed is None else f"seed {seed}"
        print(f"{out}: synthetic data up to date ({seed_text}, same code, checksums match): not generated again")
        return 0
    seed_args = [] if seed is None else ["--seed", str(seed)]
    code = subprocess.call([sys.executable, "-m", "malstyring", "generate", "--out", str(out), *seed_args])
    if code == 0:
        STAMPS.mkdir(parents=True, exist_ok=True)
        stamp.write_text(json.dumps({"key": key, "seed": seed, "folder": str(out)}) + "\n", encoding="utf-8")
    return code


def record(path: Path, content: str) -> bool:
    """Write ``content`` to ``path`` unless it holds it already; True when the file was (re)written."""
    try:
        if path.read_text(encoding="utf-8") == content:
            return False
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")
    return True


def validate(folder: Path, record_to: Path | None = None) -> int:
    if not folder.is_dir():  # let the validator say what is wrong
        return subprocess.call([sys.executable, "-m", "malstyring", "validate", str(folder), "--allow-warnings"])
    files = [f"{p.relative_to(folder).as_posix()}\0{sha256_file(p)}" for p in _files(folder)]
    key = _key(code_key(), "--allow-warnings", str(folder), *files)
    stamp = STAMPS / f"validated-{key[:32]}.txt"
    if stamp.is_file():
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(stamp.stat().st_mtime))
        report = stamp.read_text(encoding="utf-8").rstrip("\n")
        print(f"{report} (files and code unchanged since this validation passed at {when}: not run again)")
        if record_to is not None:
            record(record_to, f"{folder}\n{key}\n")
        return 0
    run = subprocess.run(
        [sys.executable, "-m", "malstyring", "validate", str(folder), "--allow-warnings"],
        stdout=subprocess.PIPE,
        text=True,
    )
    print(run.stdout, end="", flush=True)
    if run.returncode == 0:
        STAMPS.mkdir(parents=True, exist_ok=True)
        stamp.write_text(run.stdout, encoding="utf-8")
        if record_to is not None:
            record(record_to, f"{folder}\n{key}\n")
    return run.returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("generate")
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=None, help="default: the generator's default seed")
    p = sub.add_parser("validate")
    p.add_argument("data_dir")
    p.add_argument("--record", type=Path, help="file that holds the key of the data validated (for make)")
    p = sub.add_parser("record", help="write the values to FILE unless it holds them already")
    p.add_argument("file", type=Path)
    p.add_argument("values", nargs="*")
    args = parser.parse_args(argv)
    if args.command == "generate":
        return generate(Path(args.out), args.seed)
    if args.command == "record":
        record(args.file, " ".join(args.values) + "\n")
        return 0
    return validate(Path(args.data_dir), args.record)


if __name__ == "__main__":
    sys.exit(main())
