"""Time dependence: a test for first-order serial correlation in the model's errors, and Model 3 with the lagged
outcome as a sensitivity model. The article reports that "statistical tests reject problems with time dependence"
without naming the tests; this module supplies one and says exactly what it computes.

The test (Wooldridge 2002, section 10.6.3; Drukker 2003, Stata's ``xtserial``). Write the model for office i in month t
as ``y_it = x_it'b + u_county + u_office + e_it``. The residuals used are the marginal residuals ``r_it = y_it -
x_it'b_hat`` of the fitted three-level model (:func:`malstyring.analysis.models.fit_mixed`, ML). They differ from the
within-office (conditional) residuals ``r_it - u_hat_county - u_hat_office`` by a constant per office, so their first
differences are identical: differencing removes both random intercepts, and the choice of residual does not matter.
Within each office, and only between consecutive months (a gap in an office's months breaks its series; no difference
ever spans two offices), ``d_it = r_it - r_i,t-1``. The test regresses ``d_it`` on ``d_i,t-1`` by pooled OLS without a
constant (as Drukker's ``xtserial``: the differenced errors have mean zero, so a constant
would only estimate a trend the model does not have) and tests ``H0: coefficient = -0.5``, with standard errors
clustered by county (CR1, ``G/(G-1)``; a t statistic on G - 1 degrees of freedom) and, as a second line, by office.
The slope uses b_hat from the random-intercept fit rather than Wooldridge's first-differenced regression; both are
consistent under the null, and the difference enters the residuals only through ``Delta x (b_hat - b)``.

Why -0.5, and what the coefficient says under AR(1) errors. Let ``e_t`` be stationary with variance s2 and
autocorrelations ``rho_k``. Then ``Var(Delta e_t) = 2 s2 (1 - rho_1)`` and
``Cov(Delta e_t, Delta e_t-1) = Cov(e_t - e_t-1, e_t-1 - e_t-2) = s2 (2 rho_1 - 1 - rho_2)``, so the population
slope (= the correlation, the two variances being equal) is ``(2 rho_1 - 1 - rho_2) / (2 (1 - rho_1))``. With
i.i.d. errors (rho_k = 0) it is -1/2. With AR(1) errors, rho_2 = rho^2 and the numerator is ``-(1 - rho)^2``, so
the slope is ``-(1 - rho) / 2`` and ``rho = 1 + 2 * slope``: 0.5 gives -0.25, a random walk (rho = 1) gives 0. The
test of slope = -0.5 is therefore the test of rho = 0, and ``rho_hat = 1 + 2 * slope_hat`` (standard error twice
the slope's) is the implied first-order autocorrelation of the office-month errors ``e`` (not of the composite
error, whose office and county intercepts make every month of an office alike by construction). The pooled slope
stays near -1/2 under the null when the error variance differs between offices (binomial shares of offices of
different size): each office's terms enter numerator and denominator in the ratio -1 : 2 up to its first and last
months.

What county clustering protects against. Offices are nested in counties, so any correlation between the months of
one office (autocorrelation of any order) is correlation within a county, and county-clustered standard errors stay
consistent under it (with 19 clusters, the book's CR2 with Satterthwaite degrees of freedom keeps their tests close
to their nominal size). They do not repair the rest of the model: the GLS weights of the random-intercept model
assume equicorrelated months, so under autocorrelation the estimator is no longer efficient; the model-based
standard errors, the likelihood (and so likelihood-ratio tests, AIC, the variance components and the ICCs) are
those of a misspecified model; and a shock common to many counties in the same month (a national month effect)
correlates clusters with each other, which no county clustering can absorb.

The sensitivity model adds the office's outcome one month earlier (a 0–1 share, looked up within the office only).
A lagged dependent variable beside office intercepts is biased in short panels. The within-office (fixed effects)
estimator of its coefficient is biased downwards by O(1/T) (Nickell 1981; :func:`nickell_bias`: -1/T when the true
coefficient is 0), and pooled OLS, which ignores the office effect the lag carries, upwards (Bond 2002). The
random-intercept (GLS) estimator, which assumes the office intercept independent of a lag that contains it, is a
matrix-weighted average of the within and the between estimators; its weight on the within estimator tends to one
as T grows, so its bias also vanishes as T grows. With 44 months per office (45 less the first, which has no lag)
the within estimator's bias for a lag coefficient near 0 is about -1/44 = -0.023. What matters here is the index
coefficient, which the lag's bias reaches only through the index's correlation with the lagged outcome.
"""

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..data.panel import month_number
from .inference import (
    ARTICLE_RULE,
    BOOK_RULE,
    SIGNIFICANCE_LEVEL,
    SMALL_SAMPLE_FACTORS,
    InferenceRule,
    critical_values,
    t_tests,
)
from .models import OUTCOME, MixedFit, fit_mixed
from .robustness import NOMINAL_LEVEL, TARGET_POWER, minimum_detectable_effect

NULL_SLOPE = -0.5
"""Slope of the differenced residuals on their own lag when the errors are serially uncorrelated."""
LAG_SUFFIX = "_lag1"
MONTH_PATTERN = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def _check_columns(frame: pd.DataFrame, columns: list[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what}: columns not in the frame: {missing}")


def _month_numbers(frame: pd.DataFrame, office: str, time: str, what: str) -> pd.Series:
    """Months (``YYYY-MM``) as consecutive integers, after refusing missing offices, malformed months and duplicated
    office-months."""
    if frame[office].isna().any():
        raise ValueError(f"{what}: {int(frame[office].isna().sum())} rows without an office in {office!r}")
    months = frame[time].astype(str)
    bad = months[~months.str.match(MONTH_PATTERN)]
    if len(bad):
        raise ValueError(f"{what}: column {time!r} must hold months as YYYY-MM; found {bad.iloc[0]!r}")
    duplicated = frame.duplicated([office, time])
    if duplicated.any():
        row = frame.loc[duplicated, [office, time]].iloc[0]
        raise ValueError(f"{what}: office {row[office]!r} has more than one row for month {row[time]!r}")
    return month_number(months)


def implied_rho(slope: float) -> float:
    """The AR(1) parameter of the level errors implied by the slope of differenced errors on their lag: the slope
    is ``-(1 - rho) / 2``, so ``rho = 1 + 2 * slope`` (-0.5 -> 0; -0.25 -> 0.5)."""
    return 1.0 + 2.0 * slope


def differenced_slope(rho: float) -> float:
    """Population slope of ``Delta e_t`` on ``Delta e_t-1`` for stationary AR(1) errors: ``-(1 - rho) / 2``."""
    return -(1.0 - rho) / 2.0


# --- the differenced pairs -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DifferencedPairs:
    """First differences of a residual within office over consecutive months, paired with their own lag.

    ``pairs`` has one row per month t of an office whose months t-1 and t-2 are also present: the office, the
    carried columns (e.g. the county), the time column (t, ``YYYY-MM``), ``diff`` (r_t - r_t-1) and ``diff_lag``
    (r_t-1 - r_t-2). Every other row of the input is counted, not silently lost: ``n_rows - len(pairs)`` rows end no
    pair, two at the start of each run of consecutive months (``n_runs`` = offices + gaps) and all of a run shorter
    than three months."""

    pairs: pd.DataFrame
    n_rows: int
    n_offices: int
    n_gaps: int  # places where an office's next month in the data is more than one month later

    @property
    def n_pairs(self) -> int:
        return len(self.pairs)

    @property
    def n_runs(self) -> int:
        return self.n_offices + self.n_gaps

    @property
    def n_without_pair(self) -> int:
        """Rows that end no pair (the first two months of every run of consecutive months)."""
        return self.n_rows - self.n_pairs


def differenced_pairs(
    frame: pd.DataFrame, residual: str, office: str = "office_id", time: str = "month", keep: tuple[str, ...] = ()
) -> DifferencedPairs:
    """Pair ``Delta r_t`` with ``Delta r_t-1`` within each office over consecutive months of ``time`` (``YYYY-MM``),
    carrying the columns in ``keep`` (taken from month t). Rows need not be sorted; duplicated office-months and
    malformed months are refused; a missing residual is an error (drop such rows first, and count them)."""
    what = "time-dependence pairs"
    _check_columns(frame, [residual, office, time, *keep], what)
    if frame[residual].isna().any():
        raise ValueError(f"{what}: {int(frame[residual].isna().sum())} missing values in {residual!r}")
    num = _month_numbers(frame, office, time, what).to_numpy()
    codes = pd.factorize(frame[office])[0]
    order = np.lexsort((num, codes))  # by office, then month
    o, n, r = codes[order], num[order], frame[residual].to_numpy(float)[order]
    same_office = np.r_[False, o[1:] == o[:-1]]
    consecutive = same_office & np.r_[False, np.diff(n) == 1]  # the previous sorted row is this office's t-1
    diff = np.where(consecutive, r - np.r_[np.nan, r[:-1]], np.nan)
    paired = consecutive & np.r_[False, consecutive[:-1]]  # ... and that row's previous row is t-2
    pairs = frame.iloc[order[paired]][list(dict.fromkeys([office, *keep, time]))].reset_index(drop=True)
    pairs["diff"] = diff[paired]
    pairs["diff_lag"] = diff[np.flatnonzero(paired) - 1]
    n_gaps = int((same_office & ~consecutive).sum())
    return DifferencedPairs(pairs, len(frame), int(o.max()) + 1 if len(o) else 0, n_gaps)


# --- the test ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SerialCorrelationTest:
    """Wooldridge's test for first-order serial correlation, one clustering.

    ``coefficient``: slope of the differenced residuals on their lag (-0.5 under no serial correlation), with its
    clustered ``se`` (CR1, ``G/(G-1)``); ``statistic``: t of ``coefficient = -0.5``, referred to a t distribution
    with ``df = n_clusters - 1`` (Wooldridge's F(1, G-1) is its square); ``p_value`` two-sided. ``rho`` is the
    implied first-order autocorrelation of the office-month errors, with ``rho_se`` (twice ``se``)."""

    coefficient: float
    se: float
    statistic: float
    df: float
    p_value: float
    cluster: str
    n_clusters: int
    n_pairs: int
    n_rows: int
    n_offices: int
    n_gaps: int
    residuals: str = "marginal (y - Xb of the three-level ML fit); first differences remove both intercepts"
    null: float = NULL_SLOPE

    @property
    def rho(self) -> float:
        return implied_rho(self.coefficient)

    @property
    def rho_se(self) -> float:
        return 2.0 * self.se

    @property
    def n_without_pair(self) -> int:
        return self.n_rows - self.n_pairs

    def rho_interval(self, level: float = NOMINAL_LEVEL) -> tuple[float, float]:
        """Confidence interval for the implied autocorrelation (t on ``df`` degrees of freedom)."""
        half = float(critical_values(level, self.df)) * self.rho_se
        return self.rho - half, self.rho + half

    def detectable_rho(self, power: float = TARGET_POWER, alpha: float = SIGNIFICANCE_LEVEL) -> float:
        """Smallest |autocorrelation| this test detects with ``power`` (0–1) at level ``alpha`` (two-sided, t on
        ``df`` degrees of freedom, the standard error held at its estimate): what a non-rejection rules out. The
        book's one minimum detectable effect, :func:`malstyring.analysis.robustness.minimum_detectable_effect`."""
        return minimum_detectable_effect(self.rho_se, power, alpha, self.df)

    @property
    def rejects(self) -> bool:
        """No serial correlation rejected at the book's level."""
        return bool(self.p_value < SIGNIFICANCE_LEVEL)


def slope_through_origin(y: np.ndarray, x: np.ndarray, groups: np.ndarray) -> tuple[float, float, int]:
    """OLS of ``y`` on ``x`` without a constant, with the CR1 clustered standard error: CR1's small-sample factor
    (``G/(G-1)``, :data:`SMALL_SAMPLE_FACTORS`) times the sum of squared cluster scores ``(sum_g x_g'u_g)^2`` over
    ``(x'x)^2``. Returns (slope, se, G)."""
    sxx = float(x @ x)
    if sxx <= 0:
        raise ValueError("the lagged differences are all zero: no slope can be estimated")
    slope = float(x @ y) / sxx
    codes, n_groups = pd.factorize(groups)[0], len(pd.unique(groups))
    if n_groups < 2:
        raise ValueError("clustered standard errors need at least two clusters")
    scores = np.bincount(codes, weights=x * (y - slope * x), minlength=n_groups)
    factor = SMALL_SAMPLE_FACTORS["CR1"](n_groups, len(y), 1)
    se = float(np.sqrt(factor * (scores @ scores))) / sxx
    return slope, se, n_groups


def marginal_residuals(frame: pd.DataFrame, fit: MixedFit, outcome: str = OUTCOME) -> pd.Series:
    """``y - X b_hat`` for the rows of ``frame`` (the outcome's units: a 0–1 share)."""
    _check_columns(frame, [outcome, *fit.terms], f"residuals of model {fit.model}")
    x = frame[fit.terms].to_numpy(float)
    return pd.Series(frame[outcome].to_numpy(float) - fit.coef["Intercept"] - x @ fit.coef[fit.terms].to_numpy())


def wooldridge_test(
    frame: pd.DataFrame,
    terms: list[str],
    cluster: str = "county_id",
    *,
    fit: MixedFit | None = None,
    outcome: str = OUTCOME,
    county: str = "county_id",
    office: str = "office_id",
    time: str = "month",
) -> SerialCorrelationTest:
    """Wooldridge's test on the residuals of ``outcome ~ 1 + terms`` with county and office random intercepts
    (fitted here unless ``fit`` is that model on ``frame``), clustered by ``cluster`` (a column; offices must be
    nested in it, e.g. ``county_id`` or ``office_id``). ``time`` holds months as ``YYYY-MM``; see the module doc."""
    _check_columns(frame, [outcome, *terms, county, office, time, cluster], "Wooldridge test")
    if fit is None:
        fit = fit_mixed(frame, list(terms), model="Wooldridge test", outcome=outcome, county=county, office=office)
    elif list(fit.terms) != list(terms) or fit.n_obs != len(frame):
        raise ValueError(f"fit {fit.model!r} is not the model of these terms on this frame")
    data = frame[list(dict.fromkeys([office, time, cluster]))].reset_index(drop=True)
    data["_residual"] = marginal_residuals(frame.reset_index(drop=True), fit, outcome)
    keep = () if cluster == office else (cluster,)
    pairs = differenced_pairs(data, "_residual", office, time, keep)
    if pairs.n_pairs == 0:
        raise ValueError("Wooldridge test: no office has three consecutive months")
    per_office = data.groupby(office)[cluster].nunique()
    if cluster != office and (per_office > 1).any():
        raise ValueError(f"Wooldridge test: offices must be nested in {cluster!r}")
    p = pairs.pairs
    slope, se, n_groups = slope_through_origin(p["diff"].to_numpy(), p["diff_lag"].to_numpy(), p[cluster].to_numpy())
    df = float(n_groups - 1)
    statistic, p_value = t_tests(slope - NULL_SLOPE, se, df)
    return SerialCorrelationTest(
        coefficient=slope,
        se=se,
        statistic=float(statistic),
        df=df,
        p_value=float(p_value),
        cluster=cluster,
        n_clusters=n_groups,
        n_pairs=pairs.n_pairs,
        n_rows=pairs.n_rows,
        n_offices=pairs.n_offices,
        n_gaps=pairs.n_gaps,
    )


def wooldridge_tests(
    frame: pd.DataFrame,
    terms: list[str],
    clusters: tuple[str, ...] = ("county_id", "office_id"),
    fit: MixedFit | None = None,
    *,
    outcome: str = OUTCOME,
    county: str = "county_id",
    office: str = "office_id",
    time: str = "month",
) -> dict[str, SerialCorrelationTest]:
    """:func:`wooldridge_test` once per clustering in ``clusters``, on one model fit (``fit``, or fitted here), by
    clustering."""
    if fit is None:
        fit = fit_mixed(frame, list(terms), model="Wooldridge test", outcome=outcome, county=county, office=office)
    columns = {"outcome": outcome, "county": county, "office": office, "time": time}
    return {c: wooldridge_test(frame, terms, c, fit=fit, **columns) for c in clusters}


# --- the lagged outcome ------------------------------------------------------------------------------------------


def add_lagged_outcome(
    frame: pd.DataFrame, outcome: str = OUTCOME, office: str = "office_id", time: str = "month"
) -> tuple[pd.DataFrame, int]:
    """Add ``outcome + '_lag1'``: the same office's ``outcome`` (a 0–1 share) in the previous month of ``time``
    (``YYYY-MM``), looked up in ``frame`` itself. With a fixed lead, the previous scorecard month's row holds the
    previous outcome month. Never taken from another office; a row whose office has no row one month earlier (its
    first month, or after a gap) is dropped. Returns the frame with the lag and the number of rows dropped."""
    what = "lagged outcome"
    _check_columns(frame, [outcome, office, time], what)
    num = _month_numbers(frame, office, time, what)
    lookup = pd.Series(frame[outcome].to_numpy(), index=pd.MultiIndex.from_arrays([frame[office], num]))
    keys = pd.MultiIndex.from_arrays([frame[office], num - 1])
    out = frame.copy()
    out[outcome + LAG_SUFFIX] = lookup.reindex(keys).to_numpy()
    present = out[outcome + LAG_SUFFIX].notna()
    return out[present].reset_index(drop=True), int((~present).sum())


def lagged_outcome_comparison(
    frame: pd.DataFrame,
    terms: list[str],
    term: str = "index",
    rules: tuple[InferenceRule, ...] = (BOOK_RULE, ARTICLE_RULE),
    outcome: str = OUTCOME,
) -> pd.DataFrame:
    """``term`` in the model of ``terms`` with and without the lagged outcome, under each rule.

    Three specifications: the model on ``frame``; the same model on the rows that have a lagged outcome (so that
    a change of sample is not read as the lag's doing); and that sample with the lagged outcome added. One row per
    specification, rule and reported term (``term``; also the lag itself in the third): estimate, se, df, t, p,
    n_obs, n_dropped (rows without a lagged outcome) and the rule's name. ``attrs['months_per_office']``: the
    median number of months per office in the lagged sample (the T of :func:`nickell_bias`)."""
    lag = outcome + LAG_SUFFIX
    lagged, n_dropped = add_lagged_outcome(frame, outcome)
    specs = [
        ("as estimated", frame, list(terms), [term]),
        ("rows with a lagged outcome", lagged, list(terms), [term]),
        ("with the lagged outcome", lagged, [*terms, lag], [term, lag]),
    ]
    rows = []
    for label, data, spec_terms, report in specs:
        fit = fit_mixed(data, spec_terms, model=f"{label}", outcome=outcome)
        for rule in rules:
            test = fit.coef_test(rule.vcov, rule.df)
            for name in report:
                rows.append(
                    {"specification": label, "rule": rule.name, "term": name}
                    | test.loc[name, ["estimate", "se", "df", "t", "p"]].astype(float).to_dict()
                    | {"n_obs": fit.n_obs, "n_dropped": n_dropped if data is lagged else 0}
                )
    out = pd.DataFrame(rows)
    out.attrs["months_per_office"] = float(lagged.groupby("office_id").size().median())
    return out


def nickell_bias(n_periods: int, gamma: float = 0.0) -> float:
    """Nickell's (1981) large-N bias of the within (office fixed effects) estimator of the coefficient ``gamma``
    on a lagged dependent variable with ``n_periods`` months in the regression:
    ``-(1 + g)/(T - 1) * A / (1 - 2 g A / ((1 - g)(T - 1)))`` with ``A = 1 - (1 - g^T) / (T (1 - g))``.
    It is ``-(1 + g) / 2`` for T = 2, ``-1 / T`` for g = 0, and about ``-(1 + g) / (T - 1)`` for large T."""
    t, g = float(n_periods), float(gamma)
    if t < 2 or not -1 < g < 1:
        raise ValueError(f"need at least 2 periods and |gamma| < 1, got T = {n_periods!r}, gamma = {gamma!r}")
    a = 1 - (1 - g**t) / (t * (1 - g))
    return -(1 + g) / (t - 1) * a / (1 - 2 * g * a / ((1 - g) * (t - 1)))
