"""Which data a page was built from, and the notice every results page shows."""

import hashlib
import json
from pathlib import Path

from .codebook import READ_SUFFIXES, TABLES
from .tables import Markdown

MANIFEST = "manifest.json"


def read_manifest(data_dir: str | Path) -> dict:
    """The data folder's ``manifest.json``; for a folder without one (a supplied extract) a manifest is computed:
    ``{"kind": "supplied", "files": {name: sha256}}`` over the contract files present."""
    path = Path(data_dir) / MANIFEST
    if path.exists():
        return json.loads(path.read_text(encoding="utf-8"))
    files = {}
    for table in TABLES:
        for suffix in READ_SUFFIXES:
            candidate = Path(data_dir) / f"{table}{suffix}"
            if candidate.exists():
                files[candidate.name] = hashlib.sha256(candidate.read_bytes()).hexdigest()
    return {"kind": "supplied", "files": files}


def disclosure_control(data_dir: str | Path) -> bool:
    """Disclosure control is on for supplied data and off for the synthetic data."""
    return not is_synthetic(data_dir)


def is_synthetic(data_dir: str | Path) -> bool:
    """True when the folder was written by the synthetic generator."""
    return read_manifest(data_dir).get("kind") == "synthetic"


def describe(data_dir: str | Path) -> str:
    """One sentence naming the data: generator version and seed, or the supplied files' checksums."""
    man = read_manifest(data_dir)
    if man.get("kind") == "synthetic":
        return (
            f"synthetic data from `malstyring.synthetic` version {man['generator_version']}, seed {man['seed']}, "
            f"true index effect {man['index_effect']:+.3f}"
        )
    files = man.get("files", {})
    sums = ", ".join(f"`{name}` sha256 {digest[:12]}…" for name, digest in sorted(files.items()))
    return "a supplied data extract" + (f" ({sums})" if sums else " (no manifest with checksums was supplied)")


def data_notice(data_dir: str | Path) -> Markdown:
    """The admonition shown at the top of every page with estimates; it switches on the data folder's manifest."""
    if is_synthetic(data_dir):
        body = (
            "The numbers, tables and figures on this page come from **synthetic data** calibrated to what the article "
            "publishes, not from NAV's registers. They show how the analysis works and what it can detect; they are "
            f"not findings about NAV. Built from {describe(data_dir)}."
        )
        return Markdown(f"```{{admonition}} Synthetic data\n:class: warning\n{body}\n```\n")
    body = f"The numbers on this page were computed from {describe(data_dir)}."
    return Markdown(f"```{{admonition}} Supplied data\n:class: important\n{body}\n```\n")
