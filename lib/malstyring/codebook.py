"""The data contract: which tables and columns a data folder must hold (``data/reference/codebook.csv``).

The codebook is the single definition of the contract; validation, the template command, ``data/README.md``
and the book's appendix are all generated from it. Every numeric column carries a plausibility range (``min``,
``max``, in the column's unit): a value outside it is an error, so that an absurd magnitude (10^12 users, 1e300)
stops the analysis with the row named instead of turning every estimate into NaN. ``allowed`` lists the permitted
codes of a code column, separated by ``|`` (the 19 counties of 2012–2015).
"""

from functools import cache

import pandas as pd

from .paths import REFERENCE_DIR

TABLES = ("offices", "office_month", "indicator_values", "municipality_month", "municipality_year", "county_month")
DTYPES = ("int", "float", "str", "month")
READ_SUFFIXES = (".csv", ".parquet", ".xlsx")


@cache
def codebook() -> pd.DataFrame:
    """One row per (table, column): dtype, unit, min, max (strings, '' if none), allowed codes, key flag and
    description. Raises ``ValueError`` for an unknown dtype or table, or a numeric column without a range."""
    cb = pd.read_csv(REFERENCE_DIR / "codebook.csv", dtype=str, keep_default_na=False)
    bad = set(cb["dtype"]) - set(DTYPES)
    if bad:
        raise ValueError(f"codebook.csv: unknown dtype(s) {sorted(bad)}; allowed: {DTYPES}")
    unknown = set(cb["table"]) - set(TABLES)
    if unknown:
        raise ValueError(f"codebook.csv: unknown table(s) {sorted(unknown)}; allowed: {TABLES}")
    numeric = cb["dtype"].isin(["int", "float"])
    open_ended = cb[numeric & ((cb["min"] == "") | (cb["max"] == ""))]
    if len(open_ended):
        raise ValueError(f"codebook.csv: numeric column(s) without min and max: {open_ended['column'].tolist()}")
    cb["key"] = cb["key"] == "yes"
    return cb


def allowed_values(table: str, column: str) -> list[str]:
    """The permitted codes of ``column`` (empty when any value is allowed)."""
    cols = columns(table)
    allowed = cols.loc[cols["column"] == column, "allowed"]
    return allowed.iloc[0].split("|") if len(allowed) and allowed.iloc[0] else []


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
