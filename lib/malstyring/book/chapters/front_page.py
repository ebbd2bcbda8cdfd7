"""The front page: what the book re-runs, on which data (size of the panel, the data notice), with which version."""

import pandas as pd

from ... import __version__
from ...analysis.operationalise import panel_extent
from ...base.number_format import integer
from ...data.loading import load_raw
from ...data.panel import PANEL_END, PANEL_START
from ..notices import data_notice, describe
from ..page import Page, glue_values
from ..parameters import check_parameters


def build(data_dir: str) -> Page:
    """Check the parameter, glue the panel's size and the data description, and return the page's notice."""
    check_parameters(data_dir=data_dir)
    extent = panel_extent(load_raw(data_dir))
    glue_values(
        {
            "n_offices": extent["offices"],
            "n_counties": extent["counties"],
            "n_office_months": integer(extent["office_months"]),
            "n_months": extent["months"],
            "panel_start": pd.Period(PANEL_START, freq="M").strftime("%B %Y"),
            "panel_end": pd.Period(PANEL_END, freq="M").strftime("%B %Y"),
            "data_description": describe(data_dir).replace("`", ""),
            "package_version": __version__,
        }
    )
    return Page(notice=data_notice(data_dir))
