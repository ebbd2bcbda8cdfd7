"""The robustness tools against independent computations: a brute-force bootstrap loop with dense matrices, hand
lags, and the Monte Carlo's invariance to the parallel backend."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from malstyring.analysis.inference import RULES
from malstyring.analysis.models import Design, bootstrap_weights, fit_design
from malstyring.analysis.operationalise import FrameOptions
from malstyring.analysis.robustness import (
    CHANCE_UNDER,
    NOMINAL_LEVEL,
    SAMPLES,
    Spec,
    add_index_lags,
    all_specs,
    ba_regions_crossing_counties,
    coverage_by_rule,
    coverage_summary,
    coverage_verdict,
    extreme_shares,
    mc_se,
    minimum_detectable_effect,
    monte_carlo_draws,
    monte_carlo_summary,
    most_influential_choice,
    mundlak,
    power,
    power_check,
    undercover_margin,
    variance_inflation,
)
from tests.test_models import dense_covariance, simulate_panel


@pytest.fixture(scope="module")
def fitted():
    df = simulate_panel(21, n_counties=10, offices_per_county=6, months=15, sds=(0.08, 0.1, 0.25))
    design = Design.from_frame(df, ["x1", "x2"], outcome="y")
    return design, fit_design(design)


def test_vectorised_bootstrap_equals_brute_force_loop(fitted):
    """Each replicate re-estimated by dense GLS with the variances held fixed, and its CR1 t computed in full."""
    design, fit = fitted
    j = 1
    weights = bootstrap_weights("webb", fit.n_groups, 25, seed=5)
    base = fit.coef.to_numpy().copy()
    base[j] = 0.0  # any base vector works; the restricted one is a special case
    t_fast = fit._bootstrap_t(base, weights, [j])[0]
    x, y, county = design.x, design.y, design.county
    v_inv = np.linalg.inv(dense_covariance(county, design.office, fit.var_residual, fit.var_office, fit.var_county))
    a_inv = np.linalg.inv(x.T @ v_inv @ x)
    g = fit.n_groups
    t_loop = []
    for b in range(weights.shape[1]):
        y_star = x @ base + weights[county, b] * (y - x @ base)
        beta_star = a_inv @ x.T @ v_inv @ y_star
        wr = v_inv @ (y_star - x @ beta_star)
        scores = np.array([x[county == k].T @ wr[county == k] for k in range(g)])
        cov = a_inv @ scores.T @ scores @ a_inv * g / (g - 1)
        t_loop.append((beta_star[j] - base[j]) / np.sqrt(cov[j, j]))
    np.testing.assert_allclose(t_fast, t_loop, rtol=1e-8)


def test_bootstrap_is_reproducible_and_sensible(fitted):
    _, fit = fitted
    a = fit.wild_bootstrap("x1", n_boot=499, seed=1).loc["x1"]
    b = fit.wild_bootstrap("x1", n_boot=499, seed=1).loc["x1"]
    pd.testing.assert_series_equal(a, b)
    assert a["ci_low"] < a["estimate"] < a["ci_high"]
    # x1 has a true effect of -0.05 with a small SE: clearly rejected
    assert a["p_boot"] < 0.05
    with pytest.raises(ValueError, match="weights"):
        bootstrap_weights("normal", 5, 10, 1)


def test_monte_carlo_is_the_same_locally_serially_and_on_a_dask_cluster(frame_and_flow):
    """Every replication draws from its own child seed, so workers, chunking and the backend change nothing."""
    from dask.distributed import LocalCluster

    frame, _ = frame_and_flow
    serial = monte_carlo_draws(frame, 3, -0.026, seed=7, n_jobs=1)
    local = monte_carlo_draws(frame, 3, -0.026, seed=7, n_jobs=2)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        dask = monte_carlo_draws(frame, 3, -0.026, seed=7, n_jobs=2, scheduler=cluster.scheduler_address)
    for other in (local, dask):  # equal up to BLAS threading in the worker processes (~1e-10 relative)
        np.testing.assert_allclose(serial.estimate, other.estimate, rtol=1e-8)
        np.testing.assert_allclose(serial.se["CR2"], other.se["CR2"], rtol=1e-8)
        np.testing.assert_allclose(serial.df_satterthwaite, other.df_satterthwaite, rtol=1e-8)
    index = serial.replications()
    assert index["estimate"].nunique() == 3  # three different draws
    # with the truth at -0.026 and an SE near 0.013 an estimate outside (-0.1, 0.05) would be a 5-SD event
    assert index["estimate"].between(-0.1, 0.05).all()


def test_monte_carlo_coverage_follows_each_rule_and_knows_every_true_coefficient(frame_and_flow):
    """Coverage under each rule is recomputed here by hand from the recorded draws, and every Model 3 coefficient
    is compared with the generator's own true value."""
    from scipy import stats

    from malstyring.synthetic.generator import true_coefficients

    frame, _ = frame_and_flow
    draws = monte_carlo_draws(frame, 6, -0.026, seed=11, n_jobs=2)
    cover = coverage_by_rule(draws).set_index(["rule", "term"])
    j = draws.terms.index("pilot")
    est, truth = draws.estimate[:, j], true_coefficients(-0.026)["pilot"]
    by_hand = {
        "cr1-normal": np.abs(est - truth) <= stats.norm.ppf(0.975) * draws.se["CR1"][:, j],
        "cr1-t": np.abs(est - truth) <= stats.t.ppf(0.975, draws.n_groups - 1) * draws.se["CR1"][:, j],
        "cr2-satterthwaite": np.abs(est - truth)
        <= stats.t.ppf(0.975, draws.df_satterthwaite[:, j]) * draws.se["CR2"][:, j],
    }
    for rule, covered in by_hand.items():
        assert cover.loc[(rule, "pilot"), "coverage"] == covered.mean()
    index = draws.replications(RULES["cr2-satterthwaite"])
    assert cover.loc[("cr2-satterthwaite", "index"), "rejection_rate"] == index["rejected"].mean()
    assert cover.loc[("cr2-satterthwaite", "index"), "coverage"] == index["covered"].mean()
    truth_all = true_coefficients(-0.026)
    terms = cover.loc["cr1-normal"].index
    assert sorted(terms) == sorted(truth_all.index)
    assert (cover.loc["cr1-normal", "truth"] == truth_all[terms]).all()
    assert cover.loc["cr1-normal"].loc[["staff_mean_salary", "student_share"], "truth"].eq(0).all()
    assert cover[["coverage", "rejection_rate"]].stack().between(0, 1).all()


def test_rademacher_and_webb_weights_have_mean_zero_variance_one():
    for kind in ("webb", "rademacher"):
        w = bootstrap_weights(kind, 19, 20000, seed=3)
        assert abs(w.mean()) < 0.01 and abs(w.var() - 1) < 0.01


def test_lags_stay_within_office_and_count_the_loss():
    rows = []
    for office, county in ((1, "a"), (2, "a"), (3, "b")):
        for t, month in enumerate(pd.period_range("2012-01", "2012-06", freq="M").strftime("%Y-%m")):
            rows.append({"office_id": office, "county_id": county, "month": month, "index": office * 10 + t})
    frame = pd.DataFrame(rows)
    out, dropped = add_index_lags(frame, max_lag=3)
    assert dropped == 3 * 2  # first two months of each office lack two earlier months
    assert len(out) == 3 * 4
    for r in out.itertuples():
        t = int(r.month[-2:]) - 1
        assert r.index_lag1 == r.office_id * 10 + t
        assert r.index_lag3 == r.office_id * 10 + t - 2  # never another office's value


def test_mundlak_split():
    frame = pd.DataFrame({"office_id": [1, 1, 1, 2, 2], "index": [0.2, 0.4, 0.6, 0.5, 0.7]})
    out = mundlak(frame)
    np.testing.assert_allclose(out["index_between"], [0.4, 0.4, 0.4, 0.6, 0.6])
    np.testing.assert_allclose(out["index_within"], [-0.2, 0.0, 0.2, -0.1, 0.1], atol=1e-12)
    np.testing.assert_allclose(out["index_between"] + out["index_within"], out["index"])


def test_variance_inflation_by_hand():
    rng = np.random.default_rng(0)
    a = rng.normal(size=2000)
    frame = pd.DataFrame({"a": a, "b": a + 0.5 * rng.normal(size=2000), "c": rng.normal(size=2000)})
    vif = variance_inflation(frame, ["a", "b", "c"])
    r2 = np.corrcoef(frame["a"], frame["b"])[0, 1] ** 2
    assert vif["a"] == pytest.approx(1 / (1 - r2), rel=0.01)
    assert vif["c"] == pytest.approx(1.0, abs=0.01)


def test_power_and_minimum_detectable_effect():
    assert power(0.0, 0.01) == pytest.approx(0.05)
    mde = minimum_detectable_effect(0.01)
    assert mde == pytest.approx((1.959964 + 0.841621) * 0.01, rel=1e-5)
    assert power(mde, 0.01) == pytest.approx(0.8, abs=0.001)


def test_monte_carlo_shared_within_a_run_is_the_same_and_computed_once(frame_and_flow, tmp_path, monkeypatch):
    """Chapters executed in one run share identical re-draws through the run's folder: the second call loads what
    the first computed, and both equal a call outside any run."""
    from malstyring.data.paths import RUN_SHARE_ENV

    frame, _ = frame_and_flow
    alone = monte_carlo_draws(frame, 3, -0.026, seed=5, n_jobs=1)
    monkeypatch.setenv(RUN_SHARE_ENV, str(tmp_path))
    first = monte_carlo_draws(frame, 3, -0.026, seed=5, n_jobs=1)
    assert len(list(tmp_path.glob("monte-carlo-*.pkl"))) == 1
    second = monte_carlo_draws(frame, 3, -0.026, seed=5, n_jobs=1)
    assert second.seconds == first.seconds  # loaded, not recomputed
    for other in (first, second):
        np.testing.assert_array_equal(other.estimate, alone.estimate)
        np.testing.assert_array_equal(other.df_satterthwaite, alone.df_satterthwaite)
    monte_carlo_draws(frame, 3, 0.0, seed=5, n_jobs=1)  # another truth is another input
    assert len(list(tmp_path.glob("monte-carlo-*.pkl"))) == 2


def _hand_coverage() -> pd.DataFrame:
    """Two rules over four terms, by hand: rule 'a' has a median of (0.93 + 0.95) / 2, its worst term is 'x2'
    (0.80), two terms are flagged and the truth is 0 for 'x3' and 'x4'."""
    rows = [
        ("a", "index", -0.03, 0.95, False, 0.40),
        ("a", "x2", 0.10, 0.80, True, 0.99),
        ("a", "x3", 0.0, 0.93, False, 0.07),
        ("a", "x4", 0.0, 0.96, True, 0.04),
        ("b", "index", -0.03, 0.50, True, 0.90),
    ]
    return pd.DataFrame(rows, columns=["rule", "term", "truth", "coverage", "undercovered", "rejection_rate"])


def test_coverage_summary_of_a_hand_made_table():
    summary = coverage_summary(_hand_coverage(), "a")
    assert summary.n_terms == 4
    assert summary.median == pytest.approx(0.94)
    assert summary.lowest == 0.80 and summary.worst == "x2"
    assert summary.n_under == 2  # the flag is counted as given, whatever the coverage
    assert summary.expected_under == pytest.approx(4 * 0.0227501319)  # Phi(-2) from a normal table
    assert summary.null_rejection.to_dict() == {"x3": 0.07, "x4": 0.04}
    assert summary.coverage["index"] == 0.95 and summary.rejection["x2"] == 0.99
    other = coverage_summary(_hand_coverage(), "b")
    assert (other.n_terms, other.median, other.worst, other.n_under) == (1, 0.50, "index", 1)
    assert other.null_rejection.empty
    with pytest.raises(ValueError, match="no coverage rows"):
        coverage_summary(_hand_coverage(), "c")


def test_undercover_margin_and_chance_are_two_nominal_monte_carlo_ses():
    # 95 % over 200 re-draws: SE = sqrt(0.95 * 0.05 / 200) = 0.015411, twice that 0.030822
    assert undercover_margin(200) == pytest.approx(0.030822, abs=1e-6)
    assert undercover_margin(100, level=0.9) == pytest.approx(0.06)  # 2 sqrt(0.09 / 100)
    assert CHANCE_UNDER == pytest.approx(0.0227501319, rel=1e-8)  # Phi(-2) from a normal table


@pytest.mark.parametrize(
    ("coverage", "mc_se", "verdict"),
    [(0.95, 0.01, "within"), (0.935, 0.01, "within"), (0.925, 0.01, "below"), (0.98, 0.01, "above")],
)
def test_coverage_verdict_is_judged_by_two_monte_carlo_ses(coverage, mc_se, verdict):
    assert coverage_verdict(coverage, mc_se) == verdict


def test_most_influential_choice_of_a_hand_made_curve():
    # by lag: 1 -> 2/2 significant, 6 -> 0/2 (spread 1); by sample: 'all' 1/2, 'drop' 1/2 (spread 0)
    curve = pd.DataFrame(
        {"sample": ["all", "drop", "all", "drop"], "lag": [1, 1, 6, 6], "significant": [True, True, False, False]}
    )
    driver, shares = most_influential_choice(curve, ["sample", "lag"])
    assert driver == "lag" and shares.to_dict() == {1: 1.0, 6: 0.0}
    # no choice moves anything: the first is returned, with a spread of 0
    flat = curve.assign(significant=True)
    driver, shares = most_influential_choice(flat, ["sample", "lag"])
    assert driver == "sample" and shares.max() - shares.min() == 0


def test_power_check_reconciles_simulated_and_calculated_power_by_hand():
    # 4 re-draws, 1 rejected: rate 0.25 with Monte Carlo SE sqrt(0.25 * 0.75 / 4) = 0.216506
    est = np.array([-0.05, -0.01, 0.0, 0.02])
    reps = pd.DataFrame({"truth": -0.02, "estimate": est, "se": 0.01, "df": [10.0, 12.0, 14.0, 16.0]})
    reps["covered"], reps["rejected"] = True, [True, False, False, False]
    check = power_check(reps, effect=-0.02, se=0.012, df=17.0)
    sd = est.std(ddof=1)

    def t_power(se, df):  # two-sided t test at 5 %: both tails of the noncentral t with noncentrality 0.02 / se
        crit = stats.t.ppf(0.975, df)
        return stats.nct.sf(crit, df, 0.02 / se) + stats.nct.cdf(-crit, df, 0.02 / se)

    design, build = t_power(sd, 13.0), t_power(0.012, 17.0)  # 13: the re-draws' mean df
    assert check.simulated == 0.25 and check.simulated_se == pytest.approx(0.216506, abs=1e-6)
    assert check.sd_estimates == pytest.approx(sd)
    assert check.calculated_design == pytest.approx(design, rel=1e-9)
    assert check.calculated_build == pytest.approx(build, rel=1e-9)
    assert check.gap_design == pytest.approx(abs(design - 0.25) / 0.216506, rel=1e-5)
    assert check.gap_build == pytest.approx(abs(build - 0.25) / 0.216506, rel=1e-5)
    none = power_check(reps.assign(rejected=False), effect=-0.02, se=0.012, df=17.0)
    assert none.simulated_se == 0 and np.isinf(none.gap_build)


def test_monte_carlo_summary_of_hand_made_replications():
    # 4 re-draws around a truth of -0.02: estimates -0.05, -0.01, 0.0, 0.02 (mean -0.01, so bias +0.01)
    est = np.array([-0.05, -0.01, 0.0, 0.02])
    reps = pd.DataFrame({"truth": -0.02, "estimate": est, "se": [0.01, 0.02, 0.01, 0.02]})
    reps["covered"], reps["rejected"] = [True, True, True, False], [True, False, False, False]
    summary = monte_carlo_summary(reps)
    sd = np.sqrt(((est + 0.01) ** 2).sum() / 3)  # 0.029439
    assert summary.bias.value == pytest.approx(0.01) and summary.bias.mc_se == pytest.approx(sd / 2)
    assert summary.sd.value == pytest.approx(sd) and summary.sd.mc_se == pytest.approx(sd / np.sqrt(6))
    assert summary.mean_se.value == pytest.approx(0.015)
    assert summary.mean_se.mc_se == pytest.approx(np.sqrt(4 * 0.005**2 / 3) / 2)  # SD of the SEs over sqrt(4)
    assert summary.coverage.value == 0.75 and summary.coverage.mc_se == pytest.approx(np.sqrt(0.75 * 0.25 / 4))
    assert summary.rejection.value == 0.25 and summary.rejection.mc_se == pytest.approx(np.sqrt(0.25 * 0.75 / 4))
    one = monte_carlo_summary(reps.iloc[:1])
    assert np.isnan(one.sd.value) and np.isnan(one.sd.mc_se) and one.coverage.mc_se == 0


def test_mc_se_and_the_nominal_level():
    assert NOMINAL_LEVEL == pytest.approx(0.95)
    assert mc_se(0.5, 100) == pytest.approx(0.05)  # sqrt(0.25 / 100)
    assert mc_se(0.0, 10) == 0 and mc_se(1.0, 10) == 0
    np.testing.assert_allclose(mc_se(np.array([0.1, 0.9]), 900), [0.01, 0.01])


def test_sample_restrictions_are_the_frame_options_of_each_spec():
    assert SAMPLES == ("all", "drop smallest 20%", "drop 2012")
    assert Spec("all", 1, "strict").options() == FrameOptions()
    assert Spec("drop smallest 20%", 3, "partial").options() == FrameOptions(
        lead=3, attainment="partial", drop_smallest=0.2
    )
    assert Spec("drop 2012", 6, "strict").options() == FrameOptions(lead=6, exclude_years=(2012,))
    specs = all_specs()
    assert len(specs) == 3 * 4 * 2 and {s.attainment for s in specs} == {"strict", "partial"}


def test_extreme_shares_of_a_hand_made_frame():
    # six office-months: three with at most 3 exits (shares 0, 0.5, 1), three with more (shares 1, 0.4, 0.25)
    frame = pd.DataFrame({"exits": [1, 2, 3, 4, 5, 8], "to_work_share": [0.0, 0.5, 1.0, 1.0, 0.4, 0.25]})
    extremes = extreme_shares(frame)
    assert extremes.overall == pytest.approx(3 / 6)
    assert extremes.few_exits == pytest.approx(3 / 6)
    assert extremes.among_few_exits == pytest.approx(2 / 3)
    assert extreme_shares(frame, few_exits=1).among_few_exits == 1.0


def test_ba_regions_crossing_counties_of_hand_made_tables():
    # region 10 holds municipalities 1 (county A) and 2 (county B): it crosses; region 20 holds 3 and 4, both in
    # county C; region 30 holds municipality 5 (county C) only. Several years per municipality count once.
    municipality_year = pd.DataFrame(
        {
            "municipality_id": [1, 1, 2, 3, 4, 5],
            "year": [2012, 2013, 2012, 2012, 2012, 2012],
            "ba_region_id": [10, 10, 10, 20, 20, 30],
        }
    )
    offices = pd.DataFrame(
        {"office_id": [101, 102, 103, 104, 105, 106], "municipality_id": [1, 2, 3, 4, 5, 5]}
        | {"county_id": ["A", "B", "C", "C", "C", "C"]}
    )
    assert ba_regions_crossing_counties(municipality_year, offices) == 1
    offices.loc[offices["municipality_id"] == 5, "county_id"] = "D"
    assert ba_regions_crossing_counties(municipality_year, offices) == 1  # region 30 lies in D only
    offices.loc[offices["municipality_id"] == 4, "county_id"] = "D"
    assert ba_regions_crossing_counties(municipality_year, offices) == 2
