"""The robustness tools against independent computations: a brute-force bootstrap loop with dense matrices, hand
lags, and the Monte Carlo's invariance to the parallel backend."""

import numpy as np
import pandas as pd
import pytest

from malstyring.analysis.inference import RULES
from malstyring.analysis.models import Design, bootstrap_weights, fit_design
from malstyring.analysis.robustness import (
    CHANCE_UNDER,
    add_index_lags,
    coverage_by_rule,
    coverage_summary,
    coverage_verdict,
    minimum_detectable_effect,
    monte_carlo_draws,
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
    assert summary.expected_under == pytest.approx(4 * 0.0228)
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
    assert CHANCE_UNDER == pytest.approx(0.02275, abs=1e-4)  # Phi(-2)


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
    assert check.simulated == 0.25 and check.simulated_se == pytest.approx(0.216506, abs=1e-6)
    assert check.sd_estimates == pytest.approx(sd)
    assert check.calculated_design == pytest.approx(float(power(-0.02, sd, df=13.0)))  # the re-draws' mean df
    assert check.calculated_build == pytest.approx(float(power(-0.02, 0.012, df=17.0)))
    assert check.gap_design == pytest.approx(abs(check.calculated_design - 0.25) / 0.216506, rel=1e-5)
    none = power_check(reps.assign(rejected=False), effect=-0.02, se=0.012, df=17.0)
    assert none.simulated_se == 0 and np.isinf(none.gap_build)
