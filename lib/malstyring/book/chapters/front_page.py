"""The front page: what the book re-runs, on which data (size of the panel, the data notice), with which version."""

import pandas as pd
from myst_nb import glue

from ... import __version__
from ...base.number_format import integer
from ...data.loading import load_raw
from ...data.panel import PANEL_END, PANEL_START
from ..notices import data_notice, describe
from ..page import Page
from ..parameters import check_parameters


def build(data_dir: str) -> Page:
    """Check the parameter, glue the panel's size and the data description, and return the page's notice."""
    check_parameters(data_dir=data_dir)
    raw = load_raw(data_dir)
    office_months = raw["office_month"]
    offices = raw["offices"][raw["offices"]["office_id"].isin(office_months["office_id"])]  # offices with data
    glue("n_offices", len(offices), display=False)
    glue("n_counties", offices["county_id"].nunique(), display=False)
    glue("n_office_months", integer(len(office_months)), display=False)
    glue("n_months", office_months["month"].nunique(), display=False)
    glue("panel_start", pd.Period(PANEL_START, freq="M").strftime("%B %Y"), display=False)
    glue("panel_end", pd.Period(PANEL_END, freq="M").strftime("%B %Y"), display=False)
    glue("data_description", describe(data_dir).replace("`", ""), display=False)
    glue("package_version", __version__, display=False)
    return Page(notice=data_notice(data_dir))
