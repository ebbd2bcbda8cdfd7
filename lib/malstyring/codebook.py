"""The data contract: which tables and columns a data folder must hold (``data/reference/codebook.csv``).

The codebook is the single definition of the contract; validation, the template command, ``data/README.md``
and the book's appendix are all generated from it.
"""

from functools import cache

import pandas as pd

from .paths import REFERENCE_DIR

TABLES = ("offices", "office_month", "indicator_values", "municipality_month", "municipality_year", "county_month")
DTYPES = ("int", "float", "str", "month")
READ_SUFFIXES = (".csv", ".parquet", ".xlsx")


@cache
def codebook() -> pd.DataFrame:
    """One row per (table, column): dtype, unit, min, max (strings, '' if none), key flag and description."""
    cb = pd.read_csv(REFERENCE_DIR / "codebook.csv", dtype=str, keep_default_na=False)
    bad = set(cb["dtype"]) - set(DTYPES)
    if bad:
        raise ValueError(f"codebook.csv: unknown dtype(s) {sorted(bad)}; allowed: {DTYPES}")
    unknown = set(cb["table"]) - set(TABLES)
    if unknown:
        raise ValueError(f"codebook.csv: unknown table(s) {sorted(unknown)}; allowed: {TABLES}")
    cb["key"] = cb["key"] == "yes"
    return cb


def columns(table: str) -> pd.DataFrame:
    """The codebook rows of one table, in contract order."""
    cb = codebook()
    return cb[cb["table"] == table].reset_index(drop=True)


def key_columns(table: str) -> list[str]:
    """The columns that together identify a row of ``table``."""
    cols = columns(table)
    return cols.loc[cols["key"], "column"].tolist()


def text_columns(table: str) -> list[str]:
    """Columns read as text (identifiers with leading zeros, names, months)."""
    cols = columns(table)
    return cols.loc[cols["dtype"].isin(["str", "month"]), "column"].tolist()


def as_markdown(table: str | None = None) -> str:
    """The codebook (or one table of it) as a Markdown pipe table, for ``data/README.md`` and the appendix."""
    cb = codebook() if table is None else columns(table)
    head = "| table | column | type | unit | min | max | key | description |\n|---|---|---|---|---|---|---|---|\n"
    rows = [
        f"| {r.table} | `{r.column}` | {r.dtype} | {r.unit} | {r.min} | {r.max} | {'yes' if r.key else ''} | "
        f"{r.description} |"
        for r in cb.itertuples()
    ]
    return head + "\n".join(rows) + "\n"
