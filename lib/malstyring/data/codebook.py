"""The data contract: which tables and columns a data folder must hold (``data/reference/codebook.csv``).

The codebook is the single definition of the contract; validation, the template command, ``data/README.md``
and the book's appendix are all generated from it. Every numeric column carries a plausibility range (``min``,
``max``, in the column's unit): a value outside it is an error, so that an absurd magnitude (10^12 users, 1e300)
stops the analysis with the row named instead of turning every estimate into NaN. ``allowed`` lists the permitted
codes of a code column, separated by ``|`` (the 19 counties of 2012–2015). ``at_most`` names, for a count of persons,
the column of the same row it may not exceed: the persons it counts are among those (exits to work among exits,
users with a trait among the users with reduced work capacity, users on one programme among those on any).
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
    for row in cb[cb["at_most"] != ""].itertuples():
        total = cb[(cb["table"] == row.table) & (cb["column"] == row.at_most)]
        if row.dtype != "int" or total["dtype"].tolist() != ["int"]:
            raise ValueError(f"codebook.csv: {row.table}.{row.column} at_most {row.at_most!r}: not two int columns")
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


def at_most(table: str) -> dict[str, str]:
    """Count columns of ``table`` -> the column of the same row each may not exceed (codebook column ``at_most``),
    in contract order."""
    cols = columns(table)
    limited = cols[cols["at_most"] != ""]
    return dict(zip(limited["column"], limited["at_most"], strict=True))


PROGRAMME_TOTAL = "on_programme"
"""The office-month count of users on any labour-market programme."""
PROGRAMMES = tuple(column for column, total in at_most("office_month").items() if total == PROGRAMME_TOTAL)
"""The programme types: office-month counts of users on one programme (those that may not exceed
:data:`PROGRAMME_TOTAL`), in contract order."""


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
