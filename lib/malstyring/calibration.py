"""The calibration report: each target the article gives for the data, next to the value in a data folder."""

import numpy as np
import pandas as pd

from .models import MixedFit
from .operationalise import goal_attainment_index
from .panel import year_of
from .validate import RawData


def _check(name: str, article: str, value: float, low: float, high: float, digits: int = 3) -> dict:
    shown = f"{value:,.0f}" if abs(value) >= 100 else f"{value:.{digits}f}"
    return {"target": name, "article": article, "data": shown, "within": bool(low <= value <= high), "value": value}


def calibration_report(
    raw: RawData, frame: pd.DataFrame, null_fit: MixedFit, m1_fit: MixedFit | None = None
) -> pd.DataFrame:
    """Targets from the article and the corresponding values in ``raw``/``frame`` (default operationalisation).

    ``null_fit`` is an intercept-only three-level model on ``frame`` (for the ICCs); ``m1_fit`` optionally Model 1
    (for the log-likelihood). Columns: target, article, data, within (bool), value.
    """
    om = raw["office_month"]
    iv = raw["indicator_values"]
    idx = goal_attainment_index(iv)
    idx["year"] = year_of(idx["month"])
    staff = om.groupby("office_id")["state_employees"].mean()
    by_year = idx.groupby("year")["index"]
    bins = pd.cut(idx["index"], np.linspace(0, 1, 11), right=False, include_lowest=True)
    modal = bins.value_counts().idxmax()
    icc = null_fit.icc
    journal = iv[iv["indicator"] == "journal_24h"]
    drops = journal.assign(drop=journal["value"] < 0.8).groupby("office_id")["drop"].sum()
    att = frame[["att_contact_48h", "att_employer_assistance", "att_nae_follow_up_6m"]].mean()
    rows = [
        _check("NAV offices", "437", raw["offices"]["office_id"].nunique(), 437, 437),
        _check("Counties", "19", raw["offices"]["county_id"].nunique(), 19, 19),
        _check("Office-months with an index", "20,102", int(idx["index"].notna().sum()), 20102, 20102),
        _check("Regression observations (outcome at t+1)", "19,665", len(frame), 19665, 19665),
        _check("Smallest office, state employees", "1", staff.min(), 1, 1.5),
        _check("Largest office, state employees", "178", staff.max(), 160, 178),
        _check("Offices with more than 9 state employees", "about 40 %", (staff > 9).mean(), 0.35, 0.45),
        _check("Offices with more than 20 state employees", "about 20 %", (staff > 20).mean(), 0.15, 0.25),
        _check(
            "Users with reduced work capacity (national, per month)",
            "about 200,000",
            om.groupby("month")["nae_users"].sum().mean(),
            180000,
            220000,
        ),
        _check(
            "Exits from the group per year",
            "about 66,000",
            om.groupby("month")["nae_exits"].sum().mean() * 12,
            60000,
            72000,
        ),
        _check("Mean share of exits to work", "a little over 0.40", frame["to_work_share"].mean(), 0.40, 0.45),
        _check(
            "Office-months with a share of exactly 0 or 1",
            "occurs in small offices",
            frame["to_work_share"].isin([0, 1]).mean(),
            0.01,
            0.5,
        ),
        _check("ICC, office (null model)", "0.07", icc["office"], 0.05, 0.09),
        _check("ICC, county (null model)", "0.014", icc["county"], 0.007, 0.021),
        _check("Mean goal-attainment index", "just under 0.60", idx["index"].mean(), 0.55, 0.5999),
        _check("Most common index range is 50–60 % (1 = yes)", "50–60 %", float(modal.left == 0.5), 1, 1),
        _check("Index below 20 %", "few", (idx["index"] < 0.2).mean(), 0, 0.10),
        _check("Index above 90 %", "few", (idx["index"] > 0.9).mean(), 0, 0.10),
        _check(
            "Index above 75 %, highest yearly share",
            "under 25 % every year",
            by_year.apply(lambda s: (s > 0.75).mean()).max(),
            0,
            0.25,
        ),
        _check(
            "Index mean, 2015 minus 2012", "declining", by_year.mean().loc[2015] - by_year.mean().loc[2012], -1, -0.02
        ),
        _check(
            "Index below 40 %, 2015 minus 2012",
            "more common in 2015",
            by_year.apply(lambda s: (s < 0.4).mean()).loc[2015] - by_year.apply(lambda s: (s < 0.4).mean()).loc[2012],
            0.02,
            1,
        ),
        _check("Target met: contact within 48 hours", "most offices", att["att_contact_48h"], 0.6, 0.95),
        _check("Target met: employer contact (20 %)", "few offices", att["att_employer_assistance"], 0.05, 0.4),
        _check("Target met: NAE follow-up in 6 months", "about half", att["att_nae_follow_up_6m"], 0.4, 0.6),
        _check("Journal entries within 24 h, national mean", "near 90 %", journal["value"].mean(), 0.87, 0.92),
        _check(
            "Office-months with a journal 'icicle' (< 80 %)",
            "short, sharp drops",
            (journal["value"] < 0.8).mean(),
            0.01,
            0.12,
        ),
        _check("Offices with no icicle at all", "some offices rarely", (drops == 0).mean(), 0.05, 0.9),
        _check("Offices with five or more icicles", "others often", (drops >= 5).mean(), 0.02, 0.6),
    ]
    if m1_fit is not None:
        rows.append(_check("Model 1 log likelihood", "-2410", m1_fit.loglik, -2410 * 1.1, -2410 * 0.9))
    return pd.DataFrame(rows)
