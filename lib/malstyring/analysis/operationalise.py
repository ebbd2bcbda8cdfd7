"""From the raw contract tables to the analysis frame, following the article's appendices.

All shares are 0–1. Months are ``YYYY-MM``. Every row the operationalisation drops is counted by reason in the
sample-flow table returned with the frame; nothing is dropped silently.
"""

import numbers
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from ..base.number_format import percent
from ..data.codebook import PROGRAMMES
from ..data.loading import RawData
from ..data.panel import YEARS, month_number, student_year, year_of
from ..data.reference import (
    ATTAINMENT_DUMMIES,
    EFFORT_INDICATORS,
    FOLLOW_UP_3M,
    USER_SHARES,
    included_indicators,
    indicator_catalogue,
)

ATTAINMENT_CODINGS = ("strict", "partial")
PARTIAL_TOLERANCE = 0.10
"""Partial ('yellow') attainment: within 10 % of the target (relative) scores half a point. The article does not
give the yellow thresholds; this is our assumption."""

SIZE_CATEGORIES = 5
SALARY_UNIT_NOK = 100_000
"""Mean staff salary enters the models in NOK 100,000 per year, so its coefficient is not printed as 0.000."""


def is_whole(value) -> bool:
    """A whole number (Python or NumPy integer; not a bool)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def is_number(value) -> bool:
    """A real number (integer or float; not a bool)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def whole_from(low: int, high: int | None = None):
    """A test of a whole number from ``low`` to ``high`` (inclusive; no upper bound when None)."""
    return lambda value: is_whole(value) and low <= value and (high is None or value <= high)


def number_from(low: float, high: float):
    """A test of a number from ``low`` to ``high`` (inclusive)."""
    return lambda value: is_number(value) and low <= value <= high


FRAME_RULES = {
    "lead": (whole_from(1, 24), "a whole number of months from 1 to 24"),
    "percentile": (lambda v: is_number(v) and 0 < v < 100, "a number strictly between 0 and 100"),
    "attainment": (lambda v: v in ATTAINMENT_CODINGS, " or ".join(repr(c) for c in ATTAINMENT_CODINGS)),
    "exclude_years": (
        lambda v: isinstance(v, list | tuple) and all(y in YEARS for y in v),
        f"a list of years from {YEARS[0]} to {YEARS[-1]}, e.g. [{YEARS[0]}]",
    ),
    "drop_smallest": (lambda v: is_number(v) and 0 <= v < 1, "a share from 0 up to (not including) 1"),
}
"""Each choice of :class:`FrameOptions` -> (test of an allowed value, what is allowed): the one check of these
choices, made by :class:`FrameOptions` and by the chapters' parameter check
(:func:`malstyring.book.parameters.check_parameters`, whose other rules use the same value tests)."""


@dataclass(frozen=True)
class FrameOptions:
    """Choices of the operationalisation; the defaults are the article's reading.

    lead: months between the scorecard month t and the outcome month (article: 1).
    percentile: programme-use dummies are 1 for office-months at or above this percentile (0–100) of the
        programme's share among offices in the same month (article: 75).
    attainment: 'strict' (target met = 1 point) or 'partial' (also half a point within 10 % of the target).
    exclude_years: calendar years of the scorecard month t to leave out (robustness: 2012).
    drop_smallest: share (0–1) of offices, smallest by mean state employees, to leave out (robustness: 0.2).
    """

    lead: int = 1
    percentile: float = 75.0
    attainment: str = "strict"
    exclude_years: tuple[int, ...] = ()
    drop_smallest: float = 0.0

    def __post_init__(self):
        for field in fields(self):
            value = getattr(self, field.name)
            allowed, allowed_text = FRAME_RULES[field.name]
            if not allowed(value):
                raise ValueError(f"{field.name} must be {allowed_text}, got {value!r}")


def attainment_points(values: pd.DataFrame, coding: str = "strict") -> pd.Series:
    """Points (0, 0.5 or 1) for each row of a long indicator table (office_id, month, indicator, value).

    Directions: ``at_least`` (value >= target), ``at_most`` (value <= target), ``within_band`` (|value| <= target),
    ``relative_to_last_year`` (value >= the same office's value 12 months earlier; NaN when that is unknown).
    ``partial`` coding gives half a point within 10 % (relative) of a fixed target.
    """
    if coding not in ATTAINMENT_CODINGS:
        raise ValueError(f"attainment coding must be one of {ATTAINMENT_CODINGS}, got {coding!r}")
    cat = indicator_catalogue()
    target = values["indicator"].map(cat["target"]).astype(float)
    direction = values["indicator"].map(cat["direction"])
    v = values["value"].astype(float)
    points = pd.Series(np.nan, index=values.index)
    tol = PARTIAL_TOLERANCE if coding == "partial" else 0.0
    rules = {
        "at_least": (v >= target, v >= target * (1 - tol)),
        "at_most": (v <= target, v <= target * (1 + tol)),
        "within_band": (v.abs() <= target, v.abs() <= target * (1 + tol)),
    }
    for name, (full, part) in rules.items():
        sel = direction == name
        points[sel] = np.where(full[sel], 1.0, np.where(part[sel] & (tol > 0), 0.5, 0.0))
    rel = direction == "relative_to_last_year"
    if rel.any():
        sub = values.loc[rel, ["office_id", "month", "indicator", "value"]].copy()
        sub["num"] = month_number(sub["month"])
        prev = sub[["office_id", "indicator", "num", "value"]].copy()
        prev["num"] += 12
        merged = sub.merge(prev, on=["office_id", "indicator", "num"], how="left", suffixes=("", "_prev"))
        met = np.where(merged["value_prev"].isna(), np.nan, (merged["value"] >= merged["value_prev"]).astype(float))
        points[rel] = met
    return points


def goal_attainment_index(values: pd.DataFrame, coding: str = "strict") -> pd.DataFrame:
    """The goal-attainment index per office-month: points / points possible over the year's included indicators.

    Returns columns office_id, month, index (0–1), n_included (indicators that counted), n_missing (included
    indicators without a value that month; they are left out of numerator and denominator).
    """
    vals = values.copy()
    # points first, on every row: an indicator judged against last year's value (graded sick leave, included
    # from 2014) needs the previous year's values even where that year did not count it
    vals["points"] = attainment_points(vals, coding)
    vals["year"] = year_of(vals["month"])
    included = pd.concat(
        [pd.DataFrame({"year": y, "indicator": included_indicators(y)}) for y in sorted(vals["year"].unique())]
    )
    vals = vals.merge(included, on=["year", "indicator"], how="inner")
    grouped = vals.groupby(["office_id", "month"], sort=True)
    out = grouped["points"].agg(points="sum", n_included="count").reset_index()
    out["index"] = out["points"] / out["n_included"]
    expected = year_of(out["month"]).map({y: len(included_indicators(y)) for y in YEARS})
    out["n_missing"] = expected - out["n_included"]
    out.loc[out["n_included"] == 0, "index"] = np.nan
    return out[["office_id", "month", "index", "n_included", "n_missing"]]


def attainment_shares(values: pd.DataFrame, codes, coding: str = "strict") -> pd.Series:
    """Per indicator code (in the order given): the mean attainment points over every row of the long indicator
    table with that code – with strict coding, the share of office-months in which the target was met (the
    article's Figure 2, all offices and months). Rows without points (a relative target with no value a year
    earlier) are left out."""
    return pd.Series(
        {code: attainment_points(values[values["indicator"] == code], coding).mean() for code in codes}, dtype=float
    )


def panel_extent(raw: RawData) -> dict[str, int]:
    """The panel as delivered: offices and counties that have office-months, months and office-months."""
    om = raw["office_month"]
    with_data = raw["offices"][raw["offices"]["office_id"].isin(om["office_id"])]
    return {
        "offices": with_data["office_id"].nunique(),
        "counties": with_data["county_id"].nunique(),
        "months": om["month"].nunique(),
        "office_months": len(om),
    }


def indicator_wide(values: pd.DataFrame, codes: list[str]) -> pd.DataFrame:
    """Indicator values for ``codes`` as columns, one row per office-month."""
    sub = values[values["indicator"].isin(codes)]
    return sub.pivot(index=["office_id", "month"], columns="indicator", values="value").reset_index()


def programme_dummies(office_month: pd.DataFrame, percentile: float = 75.0) -> pd.DataFrame:
    """Programme-use dummies: 1 when a programme's share of the office's programme users is at or above the
    ``percentile`` (0–100) of that share among all offices in the same month, else 0.

    An office with nobody on programmes has share 0 for every type.
    """
    shares = office_month[list(PROGRAMMES)].div(
        office_month["on_programme"].where(office_month["on_programme"] > 0), axis=0
    )
    shares = shares.fillna(0.0)
    cut = shares.groupby(office_month["month"]).transform(lambda s: s.quantile(percentile / 100.0))
    return (shares >= cut - 1e-12).astype(int)


def size_quintiles(office_month: pd.DataFrame, n: int = SIZE_CATEGORIES) -> pd.Series:
    """Office size category 1..n by quantiles of the office's mean number of state employees over the panel.

    Ties are broken by office id so that the categories are equally large (stable, deterministic).
    """
    mean_staff = office_month.groupby("office_id")["state_employees"].mean().sort_index()
    ranks = mean_staff.rank(method="first")
    return pd.qcut(ranks, n, labels=False).astype(int) + 1


def _controls(raw: RawData, frame: pd.DataFrame) -> pd.DataFrame:
    offices = raw["offices"][["office_id", "municipality_id", "county_id", "pilot"]]
    out = frame.merge(offices, on="office_id", how="left")
    mm = raw["municipality_month"].rename(columns={"gross_unemployment": "unemployment_municipality"})
    out = out.merge(mm, on=["municipality_id", "month"], how="left")
    cm = raw["county_month"].rename(columns={"gross_unemployment": "unemployment_county"})
    out = out.merge(cm, on=["county_id", "month"], how="left")
    my = raw["municipality_year"]
    # income: calendar year; students: the year whose October figure applies (see student_year)
    out["income_year"] = year_of(out["month"])
    out["student_year"] = student_year(out["month"])
    inc = my[["municipality_id", "year", "median_household_income_nok"]].rename(columns={"year": "income_year"})
    stu = my[["municipality_id", "year", "student_share"]].rename(columns={"year": "student_year"})
    out = out.merge(inc, on=["municipality_id", "income_year"], how="left")
    out = out.merge(stu, on=["municipality_id", "student_year"], how="left")
    out["log_median_income"] = np.log(out["median_household_income_nok"])
    out = out.merge(ba_region_unemployment(raw), on=["municipality_id", "month"], how="left")
    return out.drop(columns=["income_year", "student_year", "median_household_income_nok"])


def ba_region_unemployment(raw: RawData) -> pd.DataFrame:
    """Gross unemployment (share 0–1) of each municipality's labour-market (BA) region by month: the average of
    its municipalities' rates weighted by their labour force in the month's year (the article's footnote 18 weighs
    unemployment by BA region). Columns: municipality_id, month, unemployment_ba_region (NaN where a municipality
    of the region lacks its rate or labour force in that month)."""
    mm = raw["municipality_month"][["municipality_id", "month", "gross_unemployment"]].copy()
    mm["year"] = year_of(mm["month"])
    my = raw["municipality_year"][["municipality_id", "year", "labour_force", "ba_region_id"]]
    region = my.drop_duplicates("municipality_id").set_index("municipality_id")["ba_region_id"]
    mm["ba_region_id"] = mm["municipality_id"].map(region)
    mm = mm.merge(my[["municipality_id", "year", "labour_force"]], on=["municipality_id", "year"], how="left")
    mm["weighted"] = mm["gross_unemployment"] * mm["labour_force"]
    by_region = mm.groupby(["ba_region_id", "month"])[["weighted", "labour_force"]].sum(min_count=1)
    incomplete = mm[["weighted", "labour_force"]].isna().any(axis=1).groupby([mm["ba_region_id"], mm["month"]]).any()
    rate = (by_region["weighted"] / by_region["labour_force"]).where(~incomplete).rename("unemployment_ba_region")
    out = mm[["municipality_id", "month", "ba_region_id"]].merge(rate.reset_index(), on=["ba_region_id", "month"])
    return out[["municipality_id", "month", "unemployment_ba_region"]]


def covariates(raw: RawData, options: FrameOptions = FrameOptions()) -> pd.DataFrame:
    """All office-month covariates at the scorecard month t (no outcome), one row per office-month."""
    om = raw["office_month"]
    iv = raw["indicator_values"]
    idx = goal_attainment_index(iv, options.attainment)
    frame = om[["office_id", "month"]].merge(idx, on=["office_id", "month"], how="left")
    # individual attainment dummies
    fig2 = iv[iv["indicator"].isin(ATTAINMENT_DUMMIES.values())].copy()
    fig2["points"] = attainment_points(fig2, options.attainment)
    att = fig2.pivot(index=["office_id", "month"], columns="indicator", values="points")
    att = att.rename(columns={v: k for k, v in ATTAINMENT_DUMMIES.items()}).reset_index()
    frame = frame.merge(att, on=["office_id", "month"], how="left")
    # continuous effort shares from the indicator table
    codes = list(EFFORT_INDICATORS.values()) + list(FOLLOW_UP_3M.values())
    wide = indicator_wide(iv, sorted(set(codes)))
    for code in set(codes) - set(wide.columns):
        wide[code] = np.nan
    # 'oppfølging 3 måneder': the indicator of the scorecard month's year
    years = year_of(wide["month"])
    wide["follow_up_3m_share"] = np.nan
    for year, code in FOLLOW_UP_3M.items():
        wide.loc[years == year, "follow_up_3m_share"] = wide.loc[years == year, code]
    wide = wide.rename(columns={v: k for k, v in EFFORT_INDICATORS.items()})
    keep = ["office_id", "month", *EFFORT_INDICATORS, "follow_up_3m_share"]
    frame = frame.merge(wide[keep], on=["office_id", "month"], how="left")
    # office-month registers
    users = om["nae_users"].where(om["nae_users"] > 0)
    reg = pd.DataFrame({"office_id": om["office_id"], "month": om["month"]})
    reg["staff_sick_leave"] = om["staff_sick_leave"]
    for new, col in USER_SHARES.items():  # activity plan, on a programme, the demography: count / users
        reg[new] = om[col] / users
    reg = pd.concat([reg, programme_dummies(om, options.percentile)], axis=1)
    reg["nae_users"] = om["nae_users"]
    reg["staff_mean_age"] = om["staff_mean_age"]
    reg["staff_mean_seniority"] = om["staff_mean_seniority_months"]
    reg["staff_mean_salary"] = om["staff_mean_salary_nok"] / SALARY_UNIT_NOK
    reg["users_per_employee"] = om["nae_users"] / om["state_employees"].where(om["state_employees"] > 0)
    reg["state_employees"] = om["state_employees"]
    size = size_quintiles(om)
    reg["size_category"] = reg["office_id"].map(size)
    for k in range(2, SIZE_CATEGORIES + 1):
        reg[f"size_{k}"] = (reg["size_category"] == k).astype(int)
    frame = frame.merge(reg, on=["office_id", "month"], how="left")
    return _controls(raw, frame)


def outcome(raw: RawData, lead: int = 1) -> pd.DataFrame:
    """The outcome for scorecard month t: share of NAE exits that went to work in month t + ``lead``.

    Columns: office_id, month (= t), outcome_month, exits, exits_to_work, to_work_share (0–1, NaN if no exits).
    """
    om = raw["office_month"][["office_id", "month", "nae_exits", "nae_exits_to_work"]].copy()
    om["num"] = month_number(om["month"]) - lead
    nums = month_number(raw["office_month"]["month"])
    lookup = pd.DataFrame(
        {"office_id": raw["office_month"]["office_id"], "num": nums, "month": raw["office_month"]["month"]}
    )
    out = om.rename(columns={"month": "outcome_month"}).merge(lookup, on=["office_id", "num"], how="inner")
    out = out.rename(columns={"nae_exits": "exits", "nae_exits_to_work": "exits_to_work"})
    out["to_work_share"] = out["exits_to_work"] / out["exits"].where(out["exits"] > 0)
    return out[["office_id", "month", "outcome_month", "exits", "exits_to_work", "to_work_share"]]


MODEL_COLUMNS_REQUIRED = (
    "index",
    *ATTAINMENT_DUMMIES,
    *EFFORT_INDICATORS,
    "follow_up_3m_share",
    "staff_sick_leave",
    "activity_plan_share",
    "on_programme_share",
    "upper_secondary_share",
    "users_per_employee",
    "unemployment_municipality",
    "unemployment_county",
    "log_median_income",
    "labour_demand",
    "health_benefit_share",
    "aap_psych_share",
    "student_share",
)


def build_frame(
    raw: RawData, options: FrameOptions = FrameOptions(), cov: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The analysis dataset (one row per office-month used in estimation) and its sample-flow table.

    The sample flow lists, in order, every reason rows leave the data with the count removed and remaining.
    ``cov`` may pass covariates already computed by :func:`covariates` with the same attainment coding and
    percentile (they do not depend on the lead or the sample restrictions), to save time in repeated builds.
    """
    cov = covariates(raw, options) if cov is None else cov
    flow = [("Office-months in the data", "", len(cov))]

    def step(df: pd.DataFrame, keep: pd.Series, reason: str) -> pd.DataFrame:
        kept = df[keep]
        flow.append((reason, len(df) - len(kept), len(kept)))
        return kept

    cov = step(cov, cov["index"].notna(), "No included indicator values (index undefined)")
    if options.exclude_years:
        cov = step(cov, ~year_of(cov["month"]).isin(options.exclude_years), f"Years left out: {options.exclude_years}")
    if options.drop_smallest > 0:
        staff = raw["office_month"].groupby("office_id")["state_employees"].mean()
        cutoff = staff.rank(method="first", pct=True)
        small = set(cutoff[cutoff <= options.drop_smallest].index)
        reason = f"Smallest {percent(options.drop_smallest)} of offices left out"
        cov = step(cov, ~cov["office_id"].isin(small), reason)
    out = outcome(raw, options.lead)
    cov = cov.merge(out, on=["office_id", "month"], how="left")
    last = month_number(raw["office_month"]["month"]).max()
    beyond = month_number(cov["month"]) + options.lead > last
    cov = step(cov, ~beyond, f"Outcome month (t+{options.lead}) after the panel ends")
    cov = step(cov, cov["outcome_month"].notna(), "Outcome month missing for the office")
    cov = step(cov, cov["to_work_share"].notna(), "No exits in the outcome month (share undefined)")
    complete = cov[list(MODEL_COLUMNS_REQUIRED)].notna().all(axis=1)
    cov = step(cov, complete, "Missing covariate")
    sample_flow = pd.DataFrame(flow, columns=["step", "removed", "remaining"])
    sample_flow.loc[0, "removed"] = ""
    return cov.reset_index(drop=True), sample_flow
