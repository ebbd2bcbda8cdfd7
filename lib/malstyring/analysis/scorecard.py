"""One office's scorecard in one month, as NAV's offices saw it: each indicator of the year's scorecard with its
value, its points and a traffic-light status.

Status: ``green`` when the target is met (a full point under strict attainment), ``yellow`` when it is missed but
within the partial-attainment tolerance (half a point under partial attainment, :data:`PARTIAL_TOLERANCE`), and
``red`` otherwise, including a relative target that cannot be judged because the office has no value for the same
month a year earlier.
"""

import numpy as np
import pandas as pd

from ..data.panel import year_of
from ..data.reference import included_indicators
from .operationalise import attainment_points

STATUSES = ("green", "yellow", "red")
"""The traffic-light statuses, from target met to missed."""


def status_of(strict: pd.Series, partial: pd.Series) -> pd.Series:
    """The traffic-light status from an indicator's strict points (0/1) and partial points (0/0.5/1)."""
    green, yellow, red = STATUSES
    status = np.where(strict == 1, green, np.where(partial == 0.5, yellow, red))
    return pd.Series(status, index=strict.index)


def office_scorecard(indicator_values: pd.DataFrame, office_id: int, month: str) -> pd.DataFrame:
    """The scorecard of ``office_id`` in ``month`` (``YYYY-MM``): one row per indicator included in that year, with
    columns indicator, value (share 0–1), strict and partial points, and status.

    Points are computed on the office's whole series, because a relative target compares a month with the same
    month a year earlier."""
    year = year_of(month)
    series = indicator_values[
        (indicator_values["office_id"] == office_id) & indicator_values["indicator"].isin(included_indicators(year))
    ].copy()
    series["strict"] = attainment_points(series, "strict")
    series["partial"] = attainment_points(series, "partial")
    card = series[series["month"] == month].copy()
    card["status"] = status_of(card["strict"], card["partial"])
    return card[["indicator", "value", "strict", "partial", "status"]]
