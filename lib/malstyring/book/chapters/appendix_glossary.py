"""Appendix E, glossary: NAV's Norwegian terms and the book's statistical terms, from
``data/reference/glossary.csv`` (columns kind – ``norwegian`` or ``statistical`` –, term, meaning)."""

import pandas as pd

from ...data.paths import REFERENCE_DIR
from ..page import Page
from ..parameters import check_parameters
from ..tables import book_table

GLOSSARY_FILE = REFERENCE_DIR / "glossary.csv"
KINDS = ("norwegian", "statistical")


def glossary() -> pd.DataFrame:
    """The glossary, in the file's order; an unknown kind or an empty cell is an error."""
    terms = pd.read_csv(GLOSSARY_FILE, dtype=str, keep_default_na=False)
    bad = terms[~terms["kind"].isin(KINDS) | (terms["term"] == "") | (terms["meaning"] == "")]
    if len(bad):
        raise ValueError(f"{GLOSSARY_FILE.name}: bad rows (kind must be one of {KINDS}, no empty cells):\n{bad}")
    return terms


def build(data_dir: str) -> Page:
    """Check the parameter and return the two glossary tables."""
    check_parameters(data_dir=data_dir)
    terms = glossary()
    norwegian = terms[terms["kind"] == "norwegian"]
    statistical = terms[terms["kind"] == "statistical"]
    return Page(
        tables={
            "tbl-glossary": book_table(
                pd.DataFrame({"Norwegian": norwegian["term"], "English": norwegian["meaning"]}),
                "Norwegian–English glossary.",
                "tbl-glossary",
                widths="45 55",
            ),
            "tbl-glossary-methods": book_table(
                pd.DataFrame({"Term": statistical["term"], "Meaning": statistical["meaning"]}),
                "Statistical terms.",
                "tbl-glossary-methods",
                widths="30 70",
            ),
        }
    )
