"""The time-dependence tools against known truths: differences and lags computed by hand on tiny panels, the
clustered slope against statsmodels, the AR(1) algebra against a long simulated series, Nickell's bias against a
simulated within estimator, and the test's size and power on simulated three-level panels."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from malstyring.analysis.models import fit_mixed
from malstyring.analysis.timedep import (
    NULL_SLOPE,
    add_lagged_outcome,
    differenced_pairs,
    differenced_slope,
    implied_rho,
    lagged_outcome_comparison,
    nickell_bias,
    slope_through_origin,
    wooldridge_test,
    wooldridge_tests,
)


def month_label(k: int) -> str:
    """Month k = 0, 1, ... counted from January 2012, as YYYY-MM."""
    return f"{2012 + k // 12}-{k % 12 + 1:02d}"


def ar1_panel(seed, rho=0.0, n_counties=19, offices_per_county=4, months=15, sds=(0.05, 0.08, 0.2)):
    """y = 0.4 - 0.05 x1 + u_county + u_office + e, with e a stationary AR(1) series per office (``rho`` = 0:
    i.i.d.) of standard deviation sds[2]; months are YYYY-MM from January 2012."""
    rng = np.random.default_rng(seed)
    n_off = n_counties * offices_per_county
    county = np.repeat(np.arange(n_counties), offices_per_county * months)
    office = np.repeat(np.arange(n_off), months)
    x1 = rng.normal(size=n_off)[office] + rng.normal(size=len(office))
    e = np.empty((n_off, months))
    e[:, 0] = rng.normal(size=n_off)
    for t in range(1, months):
        e[:, t] = rho * e[:, t - 1] + np.sqrt(1 - rho**2) * rng.normal(size=n_off)
    sd_c, sd_o, sd_e = sds
    y = 0.4 - 0.05 * x1 + rng.normal(0, sd_c, n_counties)[county] + rng.normal(0, sd_o, n_off)[office]
    return pd.DataFrame(
        {
            "county_id": [f"c{c:02d}" for c in county],
            "office_id": office,
            "month": [month_label(k) for k in np.tile(np.arange(months), n_off)],
            "x1": x1,
            "y": y + sd_e * e.reshape(-1),
        }
    )


# --- differencing and lags by hand ------------------------------------------------------------------------------


@pytest.fixture
def tiny():
    """Office 1: Jan–Apr 2012. Office 2: May–Jun 2012, next to office 1's April once sorted by office and month
    (a shift that ignored the office would chain them). Office 3: Jan, Feb, then Apr–Jun (a gap in March).
    Office 4: one month. Rows shuffled."""
    rows = [
        (1, "c1", "2012-01", 1.0),
        (1, "c1", "2012-02", 3.0),
        (1, "c1", "2012-03", 2.0),
        (1, "c1", "2012-04", 6.0),
        (2, "c1", "2012-05", 10.0),
        (2, "c1", "2012-06", 13.0),
        (3, "c2", "2012-01", 0.0),
        (3, "c2", "2012-02", 5.0),
        (3, "c2", "2012-04", 1.0),
        (3, "c2", "2012-05", 2.0),
        (3, "c2", "2012-06", 7.0),
        (4, "c2", "2012-03", 4.0),
    ]
    frame = pd.DataFrame(rows, columns=["office_id", "county_id", "month", "r"])
    return frame.sample(frac=1.0, random_state=3).reset_index(drop=True)


def test_differences_stay_within_office_and_consecutive_months(tiny):
    out = differenced_pairs(tiny, "r", keep=("county_id",))
    got = out.pairs.set_index(["office_id", "month"])[["diff", "diff_lag", "county_id"]]
    expected = pd.DataFrame(
        [
            (1, "2012-03", 2 - 3, 3 - 1, "c1"),
            (1, "2012-04", 6 - 2, 2 - 3, "c1"),
            (3, "2012-06", 7 - 2, 2 - 1, "c2"),  # Apr–Jun only: Feb -> Apr spans the gap
        ],
        columns=["office_id", "month", "diff", "diff_lag", "county_id"],
    ).set_index(["office_id", "month"])
    pd.testing.assert_frame_equal(got.sort_index(), expected.sort_index(), check_dtype=False)
    assert (out.n_rows, out.n_pairs, out.n_offices, out.n_gaps) == (12, 3, 4, 1)
    assert out.n_runs == 5 and out.n_without_pair == 9


def test_differencing_refuses_bad_input(tiny):
    with pytest.raises(ValueError, match=r"columns not in the frame: \['resid'\]"):
        differenced_pairs(tiny, "resid")
    with pytest.raises(ValueError, match="more than one row for month"):
        differenced_pairs(pd.concat([tiny, tiny.iloc[:1]]), "r")
    with pytest.raises(ValueError, match="YYYY-MM"):
        differenced_pairs(tiny.assign(month=tiny["month"].str.replace("-", "/")), "r")
    with pytest.raises(ValueError, match="without an office"):
        differenced_pairs(tiny.assign(office_id=tiny["office_id"].where(tiny.index != 0)), "r")
    with pytest.raises(ValueError, match="missing values"):
        differenced_pairs(tiny.assign(r=tiny["r"].where(tiny.index != 2)), "r")


def test_lagged_outcome_is_the_same_offices_previous_month(tiny):
    frame = tiny.rename(columns={"r": "to_work_share"})
    lagged, dropped = add_lagged_outcome(frame)
    # independent lookup: each office's previous calendar month, merged on the office
    prev = frame.assign(month=pd.PeriodIndex(frame["month"], freq="M").shift(1).strftime("%Y-%m"))
    truth = frame.merge(prev.rename(columns={"to_work_share": "lag"}), on=["office_id", "county_id", "month"])
    merged = lagged.merge(truth, on=["office_id", "month"], suffixes=("", "_truth"))
    assert len(merged) == len(lagged) == len(truth) == 7
    np.testing.assert_array_equal(merged["to_work_share_lag1"], merged["lag"])
    assert dropped == len(frame) - 7  # each office's first month, office 3's April (after the gap), office 4
    assert not ((lagged["office_id"] == 2) & (lagged["month"] == "2012-05")).any()  # never office 1's April


# --- the slope, the algebra, Nickell ----------------------------------------------------------------------------


def test_clustered_slope_equals_statsmodels():
    """statsmodels' cluster covariance uses G/(G-1) (N-1)/(N-K); with one regressor (K = 1) that is CR1."""
    rng = np.random.default_rng(4)
    groups = np.repeat(np.arange(19), rng.integers(20, 60, size=19))
    x = rng.normal(size=len(groups)) + rng.normal(size=19)[groups]
    y = -0.3 * x + rng.normal(size=len(groups)) + rng.normal(size=19)[groups]
    slope, se, g = slope_through_origin(y, x, groups)
    ref = sm.OLS(y, x).fit(cov_type="cluster", cov_kwds={"groups": groups})
    assert g == 19
    assert slope == pytest.approx(ref.params[0], rel=1e-12)
    assert se == pytest.approx(ref.bse[0], rel=1e-10)


@pytest.mark.parametrize("rho", [0.0, 0.5, 0.9])
def test_ar1_algebra_on_a_long_series(rho):
    """corr(Delta e_t, Delta e_t-1) = -(1 - rho)/2 for a stationary AR(1) series, and rho = 1 + 2 slope."""
    rng = np.random.default_rng(11)
    n = 400_000
    shocks = rng.normal(size=n) * np.sqrt(1 - rho**2)
    e = np.empty(n)
    e[0] = rng.normal()
    for t in range(1, n):
        e[t] = rho * e[t - 1] + shocks[t]
    d = np.diff(e)
    slope = (d[1:] @ d[:-1]) / (d[:-1] @ d[:-1])
    assert differenced_slope(rho) == pytest.approx(-(1 - rho) / 2)
    assert slope == pytest.approx(differenced_slope(rho), abs=0.006)  # sampling SD about 0.0015
    assert implied_rho(differenced_slope(rho)) == pytest.approx(rho)


def test_nickell_bias_formula_and_simulation():
    assert nickell_bias(2, 0.3) == pytest.approx(-(1 + 0.3) / 2)
    assert nickell_bias(45, 0.0) == pytest.approx(-1 / 45)
    assert nickell_bias(2000, 0.5) == pytest.approx(-1.5 / 1999, rel=2e-3)
    with pytest.raises(ValueError, match="periods"):
        nickell_bias(1, 0.0)
    # the within estimator on a simulated stationary AR(1) panel with individual effects
    rng = np.random.default_rng(5)
    n, t, gamma = 20_000, 10, 0.5
    y = np.empty((n, t + 1))
    y[:, 0] = rng.normal(size=n) / np.sqrt(1 - gamma**2)
    for k in range(1, t + 1):
        y[:, k] = gamma * y[:, k - 1] + rng.normal(size=n)
    y += rng.normal(size=n)[:, None] / (1 - gamma)
    lag, now = y[:, :-1], y[:, 1:]
    lag_w, now_w = lag - lag.mean(axis=1, keepdims=True), now - now.mean(axis=1, keepdims=True)
    estimate = (lag_w * now_w).sum() / (lag_w**2).sum()
    assert estimate - gamma == pytest.approx(nickell_bias(t, gamma), abs=0.01)  # MC SD about 0.003


# --- the test on simulated panels ------------------------------------------------------------------------------


def test_iid_errors_keep_the_nominal_size():
    """200 panels with i.i.d. errors (19 counties of 4 offices, 15 months): the slope averages -0.5, and the test
    clustered by county (t on 18 df) and by office rejects within two Monte Carlo standard errors of 5 %. About
    6 s of CPU. (1,000 panels gave 4.0 % and 4.2 %.)"""
    reps = 200
    tests = [wooldridge_tests(ar1_panel(seed), ["x1"], outcome="y") for seed in range(reps)]
    slopes = np.array([t["county_id"].coefficient for t in tests])
    assert slopes.mean() == pytest.approx(NULL_SLOPE, abs=3 * slopes.std() / np.sqrt(reps))
    for cluster, df in [("county_id", 18), ("office_id", 75)]:
        rejected = np.mean([t[cluster].p_value < 0.05 for t in tests])
        assert abs(rejected - 0.05) <= 2 * np.sqrt(0.05 * 0.95 / reps), f"{cluster}: {rejected:.3f}"
        assert {t[cluster].df for t in tests} == {df}
    assert {t["county_id"].n_pairs for t in tests} == {76 * 13}


def test_ar1_errors_are_detected():
    frame = ar1_panel(20180101, rho=0.5, offices_per_county=6, months=40)
    tests = wooldridge_tests(frame, ["x1"], outcome="y")
    county = tests["county_id"]
    assert county.coefficient == pytest.approx(differenced_slope(0.5), abs=3 * county.se)
    assert county.rho == pytest.approx(0.5, abs=3 * county.rho_se)
    assert county.p_value < 1e-6 and county.df == 18
    assert tests["office_id"].df == 19 * 6 - 1
    assert tests["office_id"].coefficient == county.coefficient  # one slope, two clusterings
    result = wooldridge_test(frame, ["x1"], outcome="y")
    assert result == county
    low, high = result.rho_interval()
    assert low < 0.5 < high and result.rejects
    assert high - low == pytest.approx(2 * 2.100922 * result.rho_se, rel=1e-6)  # t(18) 97.5 % quantile
    # detected with power 0.8 by the t(18) test: the noncentral t with noncentrality rho / se puts 80 % beyond the
    # critical value 2.100922 (both tails), a little below the approximation (t_0.975 + t_0.8) se
    detectable = result.detectable_rho()
    nc = detectable / result.rho_se
    assert stats.nct.sf(2.100922, 18, nc) + stats.nct.cdf(-2.100922, 18, nc) == pytest.approx(0.8, abs=1e-5)
    assert detectable == pytest.approx((2.100922 + 0.862049) * result.rho_se, rel=1e-3)


def test_wooldridge_test_counts_gaps_and_refuses_bad_input():
    frame = ar1_panel(3)
    holes = frame.drop(index=frame.index[(frame["office_id"] < 10) & (frame["month"] == "2012-06")])
    result = wooldridge_test(holes, ["x1"], outcome="y")
    assert result.n_gaps == 10 and result.n_rows == len(frame) - 10
    assert result.n_pairs == 76 * 13 - 10 * 3  # each hole removes the pairs ending in months 6, 7 and 8
    with pytest.raises(ValueError, match=r"columns not in the frame: \['x9'\]"):
        wooldridge_test(frame, ["x9"], outcome="y")
    fit = fit_mixed(frame, ["x1"], outcome="y")
    with pytest.raises(ValueError, match="not the model"):
        wooldridge_test(holes, ["x1"], outcome="y", fit=fit)
    with pytest.raises(ValueError, match="nested"):
        wooldridge_test(frame.assign(region=frame.index % 3), ["x1"], cluster="region", outcome="y")


def test_lagged_outcome_comparison_on_a_simulated_panel():
    frame = ar1_panel(8).rename(columns={"y": "to_work_share"})
    table = lagged_outcome_comparison(frame, ["x1"], term="x1")
    assert list(table["specification"].unique()) == [
        "as estimated",
        "rows with a lagged outcome",
        "with the lagged outcome",
    ]
    assert len(table) == 2 * (1 + 1 + 2)
    first = table[(table["specification"] == "as estimated") & (table["rule"] == "cr2-satterthwaite")].iloc[0]
    direct = fit_mixed(frame, ["x1"]).coef_test("CR2", "satterthwaite").loc["x1"]
    assert first["estimate"] == pytest.approx(direct["estimate"], rel=1e-10)
    assert first["p"] == pytest.approx(direct["p"], rel=1e-8)
    assert set(table.loc[table["specification"] != "as estimated", "n_obs"]) == {len(frame) - 76}
    assert set(table.loc[table["specification"] != "as estimated", "n_dropped"]) == {76}


def test_default_synthetic_data(frame_and_flow):
    """The generator's office-month noise in the outcome is i.i.d.: the implied autocorrelation is near 0."""
    from malstyring.analysis.robustness import M3_TERMS

    frame, _ = frame_and_flow
    result = wooldridge_test(frame, M3_TERMS)
    assert result.n_gaps == 0 and result.n_pairs == 437 * (45 - 2)
    assert abs(result.rho) < 4 * result.rho_se
