"""The panel's calendar: months are strings ``YYYY-MM``; the years of the panel and of the yearly covariates."""

import pandas as pd

PANEL_START = "2012-01"
PANEL_END = "2015-10"
YEARS = (2012, 2013, 2014, 2015)


def panel_months(start: str = PANEL_START, end: str = PANEL_END) -> list[str]:
    """All months from ``start`` to ``end`` inclusive, as ``YYYY-MM`` strings."""
    return [p.strftime("%Y-%m") for p in pd.period_range(start, end, freq="M")]


def month_number(months: pd.Series) -> pd.Series:
    """Months as consecutive integers (``YYYY-MM`` -> 12*year + month - 1) for lag arithmetic."""
    return 12 * year_of(months) + months.str.slice(5, 7).astype(int) - 1


def year_of(months: pd.Series | str) -> pd.Series | int:
    """The calendar year of ``YYYY-MM`` strings, as integers (of one month given as a string: an int)."""
    if isinstance(months, str):
        return int(months[:4])
    return months.str.slice(0, 4).astype(int)


STUDENT_MONTH = 10
"""The student share (SSB table 09224) is measured in October: the figure of year Y applies from October Y to
September Y + 1."""


def student_year(months: pd.Series) -> pd.Series:
    """The year whose student share applies in each month ``YYYY-MM``: Y from October of Y, otherwise Y - 1."""
    years = year_of(months)
    return years.where(months.str.slice(5, 7).astype(int) >= STUDENT_MONTH, years - 1)
