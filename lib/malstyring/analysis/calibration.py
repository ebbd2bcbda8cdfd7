"""The calibration report: each target the article gives for its data, next to the value in a data folder.

The targets are data, not code: ``data/reference/calibration_targets.csv`` holds one row per target with the value
as the article prints it, where it is printed (page, section, figure or table), the band the article's own wording
or rounding allows (``article_low``–``article_high``, with the reason) and the tolerance the tests use
(``low``–``high``). Two kinds of row:

* ``design`` – quantities the synthetic generator fixes by construction (437 offices, 19 counties, 20,102
  office-months with an index, 19,665 observations, the smallest and largest office, ...). They are the same for
  every seed, so for synthetic data they are reported as "by design", never as passed checks. For a supplied
  extract they are checked against the article band like any other row.
* ``check`` – quantities that vary with the seed. Their tolerance is the spread of the generator across the seeds
  in ``data/reference/calibration_spread.csv`` (mean ± ``SPREAD_SDS`` SD), cut to the article band: never wider
  than the article allows. ``scripts/calibration_spread.py`` recomputes both files. A target that the generator
  misses on most seeds is marked ``generator = misses`` and keeps the article band as its tolerance, so the report
  shows the miss instead of a band widened to hide it.

Units (column ``unit``): ``count`` (integer), ``staff`` (state employees per office, mean over months),
``persons`` (per month or per year, as the target says), ``share`` (0–1, shown in %), ``share_diff`` (difference of
two shares, 0–1, shown in percentage points), ``ratio`` (0–1, shown as a decimal, e.g. an ICC), ``flag`` (1 = the
statement holds), ``loglik`` (log likelihood) and ``se`` (a standard error, in the coefficient's own unit).

Star-implied bands. A published coefficient with stars bounds its standard error: read against a normal
distribution (the article's reading of its clustered errors), * (0.01 <= p < 0.05) means
``|b| / z(0.995) <= se < |b| / z(0.975)`` and ** means ``se < |b| / z(0.995)``; the printed three decimals widen
|b| by ±0.0005. :func:`star_band_targets` turns every starred coefficient of the article's Tables 1–2 (not the
constants, whose size depends on centring the article does not report) into a ``check`` target on the county-
clustered CR1 standard error of the same coefficient in the same model; they are stored in the targets file with
the other rows (ids ``se_<model>_<variable>``), and a test checks that the file and the published table agree.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from ..base.number_format import MINUS, fmt, fmt_coef, integer, percent, signed
from ..data.loading import RawData
from ..data.panel import year_of
from ..data.paths import REFERENCE_DIR
from ..data.reference import published_results, variables
from .inference import star_band
from .models import MixedFit
from .operationalise import goal_attainment_index

TARGETS_FILE = REFERENCE_DIR / "calibration_targets.csv"
SPREAD_FILE = REFERENCE_DIR / "calibration_spread.csv"
UNTUNED_FILE = REFERENCE_DIR / "calibration_untuned.csv"
"""The same spread with the generator's tuning for the headline standard error switched off (:data:`UNTUNED`)."""
UNTUNED = {"other_indicator_common": 0.0}
"""The tuning switched off: no monthly shock shared by the scorecard indicators that are not covariates."""
SPREAD_SDS = 4
"""Half-width of a tolerance in standard deviations of the generator's spread across seeds."""
KINDS = ("design", "check")
UNITS = ("count", "staff", "persons", "share", "share_diff", "ratio", "flag", "loglik", "se")
MISSES_BELOW = 0.5
"""A check target is marked ``misses`` when fewer than this share of the spread seeds fall in its article band."""
ICICLE_BELOW = 0.80
"""A journal 'icicle' month: share of journal entries made within 24 hours below 0.80 (Figure 6 drops to ~0.70)."""
ICICLE_MANY = 5
"""An office with 'many' icicles has at least this many icicle months (the article's 'others more often' has no
number; the calibration target ``offices_5_icicles`` reads it as five)."""
SUPPRESSED = "not shown (disclosure control)"


# --- the measured values -------------------------------------------------------------------------------------------


def share_exactly_0_or_1(shares: pd.Series) -> float:
    """The share (0–1) of the values of ``shares`` that are exactly 0 or 1 (what a linear model of a share meets at
    its bounds)."""
    return float(shares.isin([0, 1]).mean())


def _office_values(raw: RawData) -> dict[str, float]:
    """Office counts and sizes. The shares of offices above 9 and 20 staff use each office's mean number of state
    employees over the months; the smallest and largest office are the fewest and most state employees in any
    office-month (the article's 'one' and '178' are counts of staff, read as the extremes of the period)."""
    offices = raw["offices"]
    per_month = raw["office_month"]["state_employees"]
    staff = raw["office_month"].groupby("office_id")["state_employees"].mean()
    return {
        "n_offices": offices["office_id"].nunique(),
        "n_counties": offices["county_id"].nunique(),
        "n_pilot_offices": int(offices["pilot"].sum()),
        "smallest_office_staff": float(per_month.min()),
        "largest_office_staff": float(per_month.max()),
        "offices_over_9_staff": (staff > 9).mean(),
        "offices_over_20_staff": (staff > 20).mean(),
    }


def _user_values(raw: RawData) -> dict[str, float]:
    """National NAE users per month (mean over months) and exits per year (mean monthly exits x 12), in persons."""
    national = raw["office_month"].groupby("month")[["nae_users", "nae_exits"]].sum()
    return {"nae_users_national": national["nae_users"].mean(), "exits_per_year": national["nae_exits"].mean() * 12}


INDEX_BINS = np.linspace(0, 1, 11)
"""Figure 3's bins of the goal-attainment index, ten of 10 points; as in ``np.histogram`` the last is closed
([90 %, 100 %]), so an office-month that met every target is counted."""
INDEX_HIGH = 0.75
"""A high goal attainment: the article's 'over 75 %' in its text to Figure 4, and the line drawn in that figure."""
LAST_YEARS_BEFORE = (2012, 2013, 2014)
"""The years before 2015 that the article's 'more common in 2015' compares with."""


@dataclass(frozen=True)
class IndexSummary:
    """The goal-attainment index over office-months with a value, as the article's Figures 3 and 4 describe it.

    Shares are on the 0–1 scale; the yearly series are indexed by calendar year."""

    n: int
    mean: float
    modal_low: float
    """Lower edge of the most common bin of :data:`INDEX_BINS` (the first such bin on a tie)."""
    modal_high: float
    modal_share: float
    """Share of office-months in the most common bin."""
    below_20: float
    above_90: float
    yearly_mean: pd.Series
    yearly_above_75: pd.Series
    yearly_below_40: pd.Series


def index_summary(index: pd.DataFrame) -> IndexSummary:
    """Summarise a goal-attainment index (columns month and index, as from
    :func:`~malstyring.analysis.operationalise.goal_attainment_index`); office-months without an index are left
    out of every share."""
    index = index[index["index"].notna()]
    values = index["index"]
    counts, _ = np.histogram(values, INDEX_BINS)
    modal = int(np.argmax(counts))
    by_year = year_of(index["month"]).rename("year")
    return IndexSummary(
        n=len(values),
        mean=values.mean(),
        modal_low=float(INDEX_BINS[modal]),
        modal_high=float(INDEX_BINS[modal + 1]),
        modal_share=counts[modal] / counts.sum(),
        below_20=(values < 0.2).mean(),
        above_90=(values > 0.9).mean(),
        yearly_mean=values.groupby(by_year).mean(),
        yearly_above_75=(values > INDEX_HIGH).groupby(by_year).mean(),
        yearly_below_40=(values < 0.4).groupby(by_year).mean(),
    )


def index_quantities(summary: IndexSummary) -> dict[str, float]:
    """The calibration quantities of the index (target ids of Figures 3 and 4) from its summary."""
    below_40_before = summary.yearly_below_40.loc[list(LAST_YEARS_BEFORE)].max()
    return {
        "n_index_months": summary.n,
        "index_mean": summary.mean,
        "index_modal_50_60": float(summary.modal_low == 0.5),
        "index_below_20": summary.below_20,
        "index_above_90": summary.above_90,
        "index_above_75_max_year": summary.yearly_above_75.max(),
        "index_below_40_max_2012_2014": below_40_before,
        "index_below_40_change": summary.yearly_below_40.loc[2015] - below_40_before,
        "index_mean_change": summary.yearly_mean.loc[2015] - summary.yearly_mean.loc[2012],
    }


def _index_values(raw: RawData) -> dict[str, float]:
    """The goal-attainment index (0–1, strict coding) over all office-months: Figures 3 and 4."""
    return index_quantities(index_summary(goal_attainment_index(raw["indicator_values"])))


@dataclass(frozen=True)
class Icicles:
    """The journal series and its 'icicles' (Figure 6): office-months whose share of journal entries made within
    24 hours is below :data:`ICICLE_BELOW`. All fields are shares 0–1."""

    journal_mean: float
    """Mean share of journal entries within 24 hours over the office-months with a value."""
    depth: float
    """Mean journal share in the icicle months."""
    share: float
    """Share of office-months (with a value) that are icicle months."""
    offices_none: float
    """Share of offices with no icicle month."""
    offices_many: float
    """Share of offices with at least :data:`ICICLE_MANY` icicle months."""


def icicles(indicator_values: pd.DataFrame) -> Icicles:
    """The icicles of the ``journal_24h`` indicator in ``indicator_values`` (columns office_id, indicator, value).

    Office-months without a journal value are left out of every share (a month with no value is not a month
    without an icicle); an office with no value at all counts in none of the office shares."""
    journal = indicator_values[indicator_values["indicator"] == "journal_24h"].dropna(subset=["value"])
    icicle = journal["value"] < ICICLE_BELOW
    per_office = icicle.groupby(journal["office_id"]).sum()
    return Icicles(
        journal_mean=journal["value"].mean(),
        depth=journal.loc[icicle, "value"].mean(),
        share=icicle.mean(),
        offices_none=(per_office == 0).mean(),
        offices_many=(per_office >= ICICLE_MANY).mean(),
    )


def _journal_values(raw: RawData) -> dict[str, float]:
    """Journal entries within 24 hours (shares 0–1) and its 'icicles', Figure 6 (:func:`icicles`)."""
    found = icicles(raw["indicator_values"])
    return {
        "journal_mean": found.journal_mean,
        "icicle_depth": found.depth,
        "icicle_share": found.share,
        "offices_no_icicle": found.offices_none,
        "offices_5_icicles": found.offices_many,
    }


def _frame_values(frame: pd.DataFrame) -> dict[str, float]:
    """The regression frame: observations, the outcome (share of exits to work, 0–1) and Figure 2's dummies."""
    share = frame["to_work_share"]
    return {
        "n_observations": len(frame),
        "mean_share_to_work": share.mean(),
        "share_exactly_0_or_1": share_exactly_0_or_1(share),
        "att_contact_48h": frame["att_contact_48h"].mean(),
        "att_employer_assistance": frame["att_employer_assistance"].mean(),
        "att_nae_follow_up_6m": frame["att_nae_follow_up_6m"].mean(),
    }


def _fit_values(null_fit: MixedFit, fits: dict[str, MixedFit]) -> dict[str, float]:
    """ICCs (0–1) of the intercept-only model, Model 1's log likelihood and the CR1 standard error behind every
    star-implied band, for the models in ``fits``."""
    out = {"icc_office": null_fit.icc["office"], "icc_county": null_fit.icc["county"]}
    if "M1" in fits:
        out["m1_loglik"] = fits["M1"].loglik
    banded = set(star_band_targets()["id"])
    for model, fit in fits.items():
        se = fit.se("CR1")
        out |= {se_target_id(model, t): float(se[t]) for t in fit.terms if se_target_id(model, t) in banded}
    return out


def calibration_values(
    raw: RawData, frame: pd.DataFrame, null_fit: MixedFit, fits: dict[str, MixedFit] | None = None
) -> pd.Series:
    """Every calibration quantity measured on ``raw``/``frame`` (default operationalisation), indexed by target id.

    ``null_fit`` is an intercept-only three-level model on ``frame`` (for the ICCs); ``fits`` optionally some of
    Models M1–M6 by name (Model 1's log likelihood and the standard errors of the star-implied bands; targets of
    models not given are left out). Units as in the module docstring.
    """
    values = {
        **_office_values(raw),
        **_user_values(raw),
        **_index_values(raw),
        **_journal_values(raw),
        **_frame_values(frame),
        **_fit_values(null_fit, fits or {}),
    }
    return pd.Series(values, dtype=float, name="value")


# --- star-implied standard-error bands ------------------------------------------------------------------------------


def se_target_id(model: str, variable: str) -> str:
    """The target id of the star-implied band on ``variable``'s standard error in ``model``: 'se_M3_index'."""
    return f"se_{model}_{variable}"


def se_target_parts(target_id: str) -> tuple[str, str]:
    """The model and variable of a star-band target id (the inverse of :func:`se_target_id`; model names hold no
    underscore): 'se_M3_index' -> ('M3', 'index')."""
    model, _, variable = target_id.removeprefix("se_").partition("_")
    if not target_id.startswith("se_") or not model or not variable:
        raise ValueError(f"{target_id!r} is not a star-band target id (se_<model>_<variable>)")
    return model, variable


@cache
def star_band_targets() -> pd.DataFrame:
    """One ``check`` target (hand-written columns) per starred coefficient of the article's Tables 1–2, the
    constants left out, in the table's order."""
    pub = published_results()
    labels = variables().set_index("variable")["label_en"]
    starred = pub[(pub["stars"] != "") & pub["variable"].isin(labels.index) & (pub["variable"] != "Intercept")]
    rows = []
    for r in starred.itertuples():
        low, high = star_band(float(r.value), r.stars)
        rows.append(
            {
                "id": se_target_id(r.model, r.variable),
                "kind": "check",
                "target": f"{r.model}: SE of {labels[r.variable].lower()}",
                "article": f"{r.value:.3f}{r.stars}",
                "source": f"Table {r.table}, {r.model}",
                "unit": "se",
                "office_level": "no",
                "article_low": _rounded(low),
                "article_high": _rounded(high),
                "article_basis": f"'{r.value:.3f}{r.stars}': "
                + ("0.01 <= p < 0.05" if r.stars == "*" else "p < 0.01")
                + " under a normal reading, |b| within ±0.0005 of the print",
            }
        )
    return pd.DataFrame(rows, columns=HAND_COLUMNS)


# --- targets and tolerances ----------------------------------------------------------------------------------------

HAND_COLUMNS = [
    "id", "kind", "target", "article", "source", "unit", "office_level", "article_low", "article_high", "article_basis"
]  # fmt: skip
DERIVED_COLUMNS = ["low", "high", "generator", "tolerance_basis"]


def read_targets(path=TARGETS_FILE) -> pd.DataFrame:
    """The targets file as a frame (one row per target, in the file's order), checked for allowed values."""
    targets = pd.read_csv(path, comment="#", dtype={"article": str, "generator": str, "tolerance_basis": str})
    for column, allowed in (("kind", KINDS), ("unit", UNITS), ("office_level", ("yes", "no"))):
        bad = set(targets[column]) - set(allowed)
        if bad:
            raise ValueError(f"{path.name}: {column} has {sorted(bad)}; allowed: {allowed}")
    if targets["id"].duplicated().any():
        raise ValueError(f"{path.name}: duplicated id(s) {sorted(targets.loc[targets['id'].duplicated(), 'id'])}")
    if (targets["article_low"] > targets["article_high"]).any():
        raise ValueError(f"{path.name}: article_low above article_high")
    return targets


@cache
def calibration_targets() -> pd.DataFrame:
    """The shipped targets with their derived tolerances (``data/reference/calibration_targets.csv``)."""
    return read_targets()


def in_article_band(target_id: str, value: float, targets: pd.DataFrame | None = None) -> bool:
    """Whether ``value`` lies in the band the article's wording or rounding allows for ``target_id``
    (``article_low``–``article_high``, ends included): the reading of the article, not the test tolerance."""
    row = (calibration_targets() if targets is None else targets).set_index("id").loc[target_id]
    return bool(row["article_low"] <= value <= row["article_high"])


def outside_article_band(values: Mapping[str, float], targets: pd.DataFrame | None = None) -> list[str]:
    """The target ids of ``values`` (id -> value) whose value lies outside the article band, in their order."""
    return [target_id for target_id, value in values.items() if not in_article_band(target_id, value, targets)]


def read_spread(path=SPREAD_FILE) -> pd.DataFrame:
    """The generator's spread across seeds (long table: seed, id, value)."""
    return pd.read_csv(path, comment="#")


def spread_summary(spread: pd.DataFrame) -> pd.DataFrame:
    """Per target id: number of seeds, mean, SD (ddof 1), min and max of the values in a long spread table."""
    return spread.groupby("id")["value"].agg(n_seeds="count", mean="mean", sd="std", min="min", max="max")


def _rounded(x: float) -> float:
    """A derived bound as stored in the targets file (6 significant digits)."""
    return float(f"{x:.6g}")


def _derive_one(row: pd.Series, seeds: pd.Series) -> dict:
    """Tolerance, generator status and its reason for one target, from its article band and its seed values."""
    n = len(seeds)
    mean, sd = seeds.mean(), seeds.std()
    inside = int(seeds.between(row["article_low"], row["article_high"]).sum())
    if row["kind"] == "design":
        basis = f"fixed by construction: the same value on all {n} seeds" if sd == 0 else f"varies (SD {sd:.3g})"
        return {"low": row["article_low"], "high": row["article_high"], "generator": "design", "tolerance_basis": basis}
    seed_low, seed_high = _rounded(mean - SPREAD_SDS * sd), _rounded(mean + SPREAD_SDS * sd)
    spread_text = f"mean {mean:.6g}, SD {sd:.3g} over {n} seeds; {inside} of {n} in the article band"
    if inside < MISSES_BELOW * n:
        low, high, status = row["article_low"], row["article_high"], "misses"
        basis = f"generator misses the target: {spread_text}; tolerance = article band"
    else:
        low, high = max(row["article_low"], seed_low), min(row["article_high"], seed_high)
        status = "meets" if inside == n else "partly"
        cut = [side for side, is_cut in (("low", seed_low < low), ("high", seed_high > high)) if is_cut]
        basis = f"mean ± {SPREAD_SDS} SD ({spread_text})" + (
            f"; cut to the article band ({', '.join(cut)})" if cut else ""
        )
    return {"low": low, "high": high, "generator": status, "tolerance_basis": basis}


def derive_tolerances(targets: pd.DataFrame, spread: pd.DataFrame) -> pd.DataFrame:
    """``targets`` with ``low``, ``high``, ``generator`` and ``tolerance_basis`` recomputed from ``spread``.

    ``spread`` is the long table of ``calibration_spread.csv`` (seed, id, value). A check target's tolerance is
    mean ± ``SPREAD_SDS`` SD over the seeds, cut to the article band; ``generator`` is ``meets`` when every seed
    falls in the article band, ``partly`` when at least half do, and ``misses`` otherwise (then the tolerance is
    the article band, so the report shows the miss). Design targets keep the article band.
    """
    missing = set(targets["id"]) - set(spread["id"])
    if missing:
        raise ValueError(f"no seed values for target(s) {sorted(missing)}")
    by_id = dict(tuple(spread.groupby("id")["value"]))
    derived = pd.DataFrame(
        [_derive_one(row, by_id[row["id"]]) for _, row in targets.iterrows()], columns=DERIVED_COLUMNS
    )
    return pd.concat([targets[HAND_COLUMNS].reset_index(drop=True), derived], axis=1)


def write_targets(targets: pd.DataFrame, path=TARGETS_FILE) -> None:
    """Write the targets file, keeping its '#' header lines."""
    header = [line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("#")]
    body = targets.to_csv(index=False, lineterminator="\n", float_format="%.10g")
    path.write_text("\n".join(header) + "\n" + body, encoding="utf-8")


# --- formatting ----------------------------------------------------------------------------------------------------


def format_value(value: float, unit: str) -> str:
    """A value for display: counts and persons as integers, shares in % (one decimal), share differences in
    percentage points, ratios with four decimals, flags as yes/no, standard errors with four decimals (two
    significant digits where that would print 0.0000); a typographic minus throughout."""
    if value is None or not np.isfinite(value):
        return ""
    if unit in ("count", "persons"):
        return integer(round(value))
    if unit == "staff":  # an office's mean staff: well under a thousand, so no thousands separator is needed
        return f"{integer(value) if float(value).is_integer() else fmt(value, 1)} staff"
    if unit == "share":
        return percent(value, 1)
    if unit == "share_diff":
        return f"{signed(100 * value, 1)} pp"
    if unit == "ratio":
        return fmt(value, 4)
    if unit == "flag":
        return "yes" if value == 1 else "no"
    if unit == "loglik":  # number_format has no decimal with thousands separators yet
        return fmt(value, 1, grouped=True)
    if unit == "se":
        return fmt_coef(value, 4)
    raise ValueError(f"unknown unit {unit!r}; allowed: {UNITS}")


def article_text(text: str) -> str:
    """The article's value as printed, with a typographic minus before digits ('-2410' -> '−2410')."""
    return re.sub(r"(?<!\w)-(?=\d)", MINUS, text)


def format_band(low: float, high: float, unit: str) -> str:
    """A tolerance band for display ('437' when it is a single value)."""
    if low == high:
        return format_value(low, unit)
    return f"{format_value(low, unit)} to {format_value(high, unit)}"


# --- the report ----------------------------------------------------------------------------------------------------


def calibration_report(
    raw: RawData,
    frame: pd.DataFrame,
    null_fit: MixedFit,
    fits: dict[str, MixedFit] | None = None,
    *,
    synthetic: bool = True,
    disclosure: bool = False,
    targets: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Each target of the article next to its value in ``raw``/``frame`` (default operationalisation).

    ``null_fit`` is an intercept-only three-level model on ``frame`` (for the ICCs); ``fits`` optionally Models
    M1–M6 by name (without them the log-likelihood and standard-error rows are left out). With ``synthetic`` the
    tolerance is the one derived from the generator's spread and the design rows are reported as fixed by
    construction (``within`` is missing); for supplied data (``synthetic=False``) every row is checked against the
    article band. With ``disclosure`` (supplied data) office-level values (smallest/largest office) are neither
    shown nor returned.
    ``targets`` defaults to the shipped file.

    Columns: id, kind, target, article, source, unit, value, data (formatted), tolerance (formatted), low, high,
    within (True/False, or missing for design rows of synthetic data and for suppressed values), generator.
    """
    targets = calibration_targets() if targets is None else targets
    values = calibration_values(raw, frame, null_fit, fits)
    report = targets[targets["id"].isin(values.index)].copy()
    report["value"] = report["id"].map(values)
    report["article"] = report["article"].map(article_text)
    if not synthetic:  # the generator's spread says nothing about a supplied extract; compare with the article
        report[["low", "high"]] = report[["article_low", "article_high"]].to_numpy()
    if disclosure:
        report.loc[report["office_level"] == "yes", "value"] = np.nan
    report["data"] = [format_value(v, u) for v, u in zip(report["value"], report["unit"], strict=True)]
    if disclosure:
        report.loc[report["office_level"] == "yes", "data"] = SUPPRESSED
    report["tolerance"] = [format_band(lo, hi, u) for lo, hi, u in report[["low", "high", "unit"]].itertuples(False)]
    within = report["value"].between(report["low"], report["high"]).astype(object)
    within[report["value"].isna() | ((report["kind"] == "design") & synthetic)] = None
    report["within"] = within
    columns = ["id", "kind", "target", "article", "source", "unit", "value", "data", "tolerance", "low", "high"]
    return report[[*columns, "within", "generator"]].reset_index(drop=True)


# --- the star-implied bands, judged ----------------------------------------------------------------------------------


def star_band_rows(report: pd.DataFrame, targets: pd.DataFrame | None = None) -> pd.DataFrame:
    """The standard-error rows of a calibration report (unit ``se``), judged against the band the stars allow.

    Adds ``model`` and ``variable`` (from the target id), ``label`` (the variable's English label in the variables
    file, or the variable's name where it has none), ``band_low``–``band_high`` (the article band: what the stars
    allow) and ``in_band`` (this build's value lies in it, ends included). The report's own ``low``–``high`` is the
    test tolerance, which for synthetic data is cut to the generator's spread; the article's stars are read against
    the article band alone."""
    article = (calibration_targets() if targets is None else targets).set_index("id")
    bands = report[report["unit"] == "se"].reset_index(drop=True)
    parts = [se_target_parts(target_id) for target_id in bands["id"]]
    model, variable = [p[0] for p in parts], [p[1] for p in parts]
    labels = variables().set_index("variable")["label_en"]
    band_low, band_high = bands["id"].map(article["article_low"]), bands["id"].map(article["article_high"])
    return bands.assign(
        model=model,
        variable=variable,
        label=[labels.get(v, v) for v in variable],
        band_low=band_low,
        band_high=band_high,
        in_band=bands["value"].between(band_low, band_high),
    )


def seeds_in_band(spread: pd.DataFrame, target_id: str, low: float, high: float) -> tuple[int, int]:
    """(seeds whose value of ``target_id`` lies in ``low``–``high``, ends included; seeds with a value) in a long
    spread table (seed, id, value)."""
    values = spread.loc[spread["id"] == target_id, "value"]
    return int(values.between(low, high).sum()), len(values)


def misses_above(rows: pd.DataFrame, spread: pd.DataFrame) -> int:
    """Of the report rows the generator misses (``generator == 'misses'``), how many have a mean over the spread's
    seeds above the high end of their tolerance (the others lie below it: a miss is outside the band on most
    seeds)."""
    missed = rows[rows["generator"] == "misses"]
    means = spread_summary(spread)["mean"]
    return int((means[missed["id"]].to_numpy() > missed["high"].to_numpy()).sum())


# --- what the tuning costs -------------------------------------------------------------------------------------------


SHIFT_T = 2.0
"""A target moves beyond seed-to-seed noise when the mean of its paired differences (tuned minus untuned, seed by
seed) is more than this many standard errors from zero: the book's two-standard-error rule for simulation noise."""


def tuning_shifts(tuned: pd.DataFrame | None = None, untuned: pd.DataFrame | None = None, targets=None) -> pd.DataFrame:
    """What the tuning does to each check target, seed by seed (defaults: the shipped spreads, tuned and with the
    tuning switched off, :data:`UNTUNED`; both long tables seed, id, value over the same seeds).

    One row per check target, in the targets file's order: id, target, unit, article_low, article_high, mean_tuned,
    mean_untuned, paired_t (mean of the paired differences over its standard error; 0 when every difference is 0),
    shifted (``|paired_t| > SHIFT_T``), in_band_tuned, in_band_untuned (seeds inside the article band, ends
    included), n_seeds and change (tuned minus untuned seeds in band)."""
    tuned = read_spread() if tuned is None else tuned
    untuned = read_spread(UNTUNED_FILE) if untuned is None else untuned
    targets = calibration_targets() if targets is None else targets
    if sorted(tuned["seed"].unique()) != sorted(untuned["seed"].unique()):
        raise ValueError("tuning_shifts: the tuned and untuned spreads must cover the same seeds")
    pairs = tuned.merge(untuned, on=["seed", "id"], suffixes=("_tuned", "_untuned"), validate="one_to_one")
    rows = []
    for t in targets[targets["kind"] == "check"].itertuples():
        pair = pairs[pairs["id"] == t.id]
        if pair.empty:
            continue
        diff = pair["value_tuned"] - pair["value_untuned"]
        se = diff.std(ddof=1) / np.sqrt(len(diff))
        paired_t = (
            0.0 if (diff == 0).all() else float(diff.mean() / se) if se > 0 else float(np.sign(diff.mean()) * np.inf)
        )
        in_tuned = seeds_in_band(tuned, t.id, t.article_low, t.article_high)[0]
        in_untuned = seeds_in_band(untuned, t.id, t.article_low, t.article_high)[0]
        rows.append(
            {
                "id": t.id,
                "target": t.target,
                "unit": t.unit,
                "article_low": t.article_low,
                "article_high": t.article_high,
                "mean_tuned": float(pair["value_tuned"].mean()),
                "mean_untuned": float(pair["value_untuned"].mean()),
                "paired_t": paired_t,
                "shifted": abs(paired_t) > SHIFT_T,
                "in_band_tuned": in_tuned,
                "in_band_untuned": in_untuned,
                "n_seeds": len(pair),
                "change": in_tuned - in_untuned,
            }
        )
    return pd.DataFrame(rows)
