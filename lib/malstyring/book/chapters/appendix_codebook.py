"""Appendix A, the data contract: the codebook and the regression variables with the models that use them."""

import pandas as pd

from ...analysis.models import MODELS, model_terms
from ...analysis.operationalise import PARTIAL_TOLERANCE
from ...base.number_format import percent
from ...data.codebook import TABLES, codebook
from ...data.reference import variables
from ..page import Page, glue_values
from ..parameters import check_parameters
from ..tables import book_table


def build(data_dir: str) -> Page:
    """Check the parameter, glue the contract's size and return the codebook and variables tables."""
    check_parameters(data_dir=data_dir)
    contract = codebook()
    glue_values(
        {
            "n_tables": len(TABLES),
            "n_columns": len(contract),
            "partial_tol": percent(PARTIAL_TOLERANCE),
        }
    )
    return Page(tables={"tbl-codebook": _codebook_table(contract), "tbl-variables": _variables_table()})


def _codebook_table(contract: pd.DataFrame):
    view = contract.assign(key=contract["key"].map({True: "key", False: ""}))
    view["range"] = [f"{lo}–{hi}" if lo or hi else "" for lo, hi in zip(view["min"], view["max"], strict=True)]
    view = view[["table", "column", "dtype", "unit", "range", "key", "description"]]
    view["column"] = "`" + view["column"] + "`"
    view.columns = ["Table", "Column", "Type", "Unit", "Range", "Key", "Description"]
    return book_table(view, "The data contract (codebook).", "tbl-codebook", widths="16 20 7 11 12 6 28")


def _variables_table():
    v = variables()
    in_model = {m: set(model_terms(m)) | {"Intercept"} for m in MODELS}
    view = pd.DataFrame(
        {
            "Variable": "`" + v["variable"] + "`",
            "English": v["label_en"],
            "Norwegian (article)": v["label_no"],
            "Unit": v["unit"],
            "Models": [", ".join(m for m in MODELS if var in in_model[m]) for var in v["variable"]],
        }
    )
    caption = "Regression variables, in the article's row order, and the models that use them."
    return book_table(view, caption, "tbl-variables", widths="20 27 27 10 16")
