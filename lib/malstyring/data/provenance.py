"""Which data a folder holds: verified synthetic data, or supplied data (the notice pages show is
:mod:`malstyring.book.notices`).

A folder counts as synthetic only when its ``manifest.json`` says ``kind: synthetic``, names the generator version
this code trusts (:data:`GENERATOR_VERSION`) and lists a SHA-256 checksum that matches every
file the loader would read (the contract tables in any format and ``column_map.csv``), no more and no fewer.
Anything else – no manifest, a manifest left over from a generated folder, an edited file, an extra table – is
supplied data, with disclosure control on; a manifest that does not match is reported in :attr:`Provenance.warning`.
A folder is named by its name and a short checksum, never by its absolute path.
"""

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from ..base.checksums import sha256_file
from .codebook import READ_SUFFIXES, TABLES
from .reading import MAPPING_FILE

GENERATOR_VERSION = "1.2.0"
"""The version of the synthetic generator (:mod:`malstyring.synthetic.generator`) whose manifests this code trusts;
the generator writes it into every manifest. Defined here, beside the provenance check that is its lowest user.

1.2.0 (from 1.1.0): a monthly office shock shared by the scorecard indicators that are not effort covariates (the
generator parameter ``other_indicator_common``), and labour-market (BA) regions with a labour force per
municipality-year (``municipality_year``: ``ba_region_id``, ``labour_force``). The new draws come from a second random
stream (``_second_stream``), so every draw of 1.1.0 keeps its value: for the same seed only indicator_values.csv,
municipality_year.csv, ``nae_exits_to_work`` and the manifest differ from 1.1.0. 1.1.0 (from 1.0.0): the true model's
covariates are the generator's own (the 2014 index counts all seven
indicators), drawn floats are rounded to the written 6 decimals before the outcome is drawn, and ``scale``."""
MANIFEST = "manifest.json"
SHORT = 12
"""Hex digits shown of a checksum."""


@dataclass(frozen=True)
class Provenance:
    """What a data folder is: ``kind`` 'synthetic' or 'supplied', the folder's name (not its path), a checksum over
    the files the loader reads, their SHA-256 by name, the verified manifest (synthetic only) and, when a manifest
    was present but not trusted, why."""

    kind: str
    folder: str
    checksum: str
    files: dict[str, str]
    manifest: dict = field(default_factory=dict)
    warning: str = ""

    @property
    def synthetic(self) -> bool:
        return self.kind == "synthetic"


def data_files(data_dir: str | Path) -> list[Path]:
    """The files the loader may read in ``data_dir``: every contract table in any format, and the column map."""
    data_dir = Path(data_dir)
    names = [f"{table}{suffix}" for table in TABLES for suffix in READ_SUFFIXES] + [MAPPING_FILE]
    return [data_dir / n for n in names if (data_dir / n).is_file()]


def _manifest_problem(manifest: dict, files: dict[str, str]) -> str:
    """Why a manifest claiming synthetic data does not prove it ('' when it does)."""
    if manifest.get("generator_version") != GENERATOR_VERSION:
        return f"generator version {manifest.get('generator_version')!r} is not this code's {GENERATOR_VERSION}"
    listed = manifest.get("files")
    if not isinstance(listed, dict):
        return "it lists no file checksums"
    unlisted = sorted(set(files) - set(listed))
    if unlisted:
        return f"file(s) not in the manifest: {', '.join(unlisted)}"
    absent = sorted(set(listed) - set(files))
    if absent:
        return f"file(s) in the manifest but not in the folder: {', '.join(absent)}"
    changed = sorted(n for n in files if listed[n] != files[n])
    if changed:
        return f"checksum differs for {', '.join(changed)}"
    return ""


def provenance(data_dir: str | Path) -> Provenance:
    """Check ``data_dir``'s files against its manifest (see the module docstring) and say what the folder is."""
    data_dir = Path(data_dir)
    files = {p.name: sha256_file(p) for p in data_files(data_dir)}
    listing = "".join(f"{name}  {digest}\n" for name, digest in sorted(files.items()))
    checksum = hashlib.sha256(listing.encode()).hexdigest()
    folder = data_dir.resolve().name
    path = data_dir / MANIFEST
    if not path.is_file():
        return Provenance("supplied", folder, checksum, files)
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as err:
        return Provenance("supplied", folder, checksum, files, warning=f"{MANIFEST} cannot be read ({err})")
    if not isinstance(manifest, dict) or manifest.get("kind") != "synthetic":
        return Provenance("supplied", folder, checksum, files)  # a manifest that does not claim synthetic data
    problem = _manifest_problem(manifest, files)
    if problem:
        warning = f"{MANIFEST} does not match the files ({problem}): treated as supplied data, disclosure control on"
        return Provenance("supplied", folder, checksum, files, warning=warning)
    return Provenance("synthetic", folder, checksum, files, manifest=manifest)


def read_manifest(data_dir: str | Path) -> dict:
    """The verified manifest of a synthetic folder; for anything else ``{"kind": "supplied", "files": {...}}``
    with the SHA-256 of each file the loader reads."""
    prov = provenance(data_dir)
    return prov.manifest if prov.synthetic else {"kind": "supplied", "files": prov.files}


def is_synthetic(data_dir: str | Path) -> bool:
    """True only when the folder's manifest proves it was written, unchanged, by this synthetic generator."""
    return provenance(data_dir).synthetic


def disclosure_control(data_dir: str | Path) -> bool:
    """Disclosure control is on for supplied data and off for verified synthetic data."""
    return not is_synthetic(data_dir)
