"""Appendix E, glossary: NAV's Norwegian terms and the book's statistical terms
(:func:`malstyring.data.reference.glossary`)."""

import pandas as pd

from ...data.reference import glossary
from ..page import Page
from ..parameters import check_parameters
from ..tables import book_table


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
