"""The provenance notices of the book's pages: one sentence naming the data a page was built from, and the
admonition at the top of every page with estimates. Which data a folder holds is decided by
:mod:`malstyring.data.provenance`; pages name the folder by its name and a short checksum, never by its absolute
path.
"""

from pathlib import Path

from ..base.number_format import signed
from ..data.provenance import SHORT, provenance
from .tables import Markdown


def describe(data_dir: str | Path) -> str:
    """One sentence naming the data: generator version and seed, or the supplied files' short checksums; both with
    the folder's name and a short checksum over its files (never the absolute path)."""
    prov = provenance(data_dir)
    where = f"folder `{prov.folder}`, checksum {prov.checksum[:SHORT]}"
    if prov.synthetic:
        man = prov.manifest
        return (
            f"synthetic data from `malstyring.synthetic` version {man['generator_version']}, seed {man['seed']}, "
            f"true index effect {signed(man['index_effect'], 3)} ({where})"
        )
    sums = ", ".join(f"`{name}` sha256 {digest[:SHORT]}…" for name, digest in sorted(prov.files.items()))
    return (
        f"a supplied data extract ({where}; {sums})" if sums else f"a supplied data folder with no data files ({where})"
    )


def data_notice(data_dir: str | Path) -> Markdown:
    """The admonition shown at the top of every page with estimates; it switches on the verified provenance."""
    prov = provenance(data_dir)
    if prov.synthetic:
        body = (
            "The numbers, tables and figures on this page come from **synthetic data** calibrated to what the article "
            "publishes, not from NAV's registers. They show how the analysis works and what it can detect; they are "
            f"not findings about NAV. Built from {describe(data_dir)}."
        )
        return Markdown(f"```{{admonition}} Synthetic data\n:class: warning\n{body}\n```\n")
    body = f"The numbers on this page were computed from {describe(data_dir)}."
    if prov.warning:
        body += f" Note: {prov.warning}."
    return Markdown(f"```{{admonition}} Supplied data\n:class: important\n{body}\n```\n")
