"""The robustness tools against independent computations: MixedLM, a brute-force bootstrap loop, hand lags."""

import warnings

import numpy as np
import pandas as pd
import pytest

from malstyring.fastfit import _bootstrap_t, bootstrap_weights, fast_fit, wild_cluster_bootstrap
from malstyring.models import clustered_covariance, fit_mixed
from malstyring.robustness import add_index_lags, minimum_detectable_effect, mundlak, power, variance_inflation
from tests.test_models import simulate_panel


@pytest.fixture(scope="module")
def panel():
    df = simulate_panel(21, n_counties=10, offices_per_county=6, months=15, sds=(0.08, 0.1, 0.25))
    return df.rename(columns={"y": "to_work_share"})


def test_fast_fit_equals_mixedlm(panel):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = fit_mixed(panel, ["x1", "x2"])
    fast = fast_fit(panel, ["x1", "x2"])
    assert fast.loglik == pytest.approx(ref.loglik, abs=1e-4)
    np.testing.assert_allclose(fast.coef.to_numpy(), ref.coef.to_numpy(), atol=1e-5)
    np.testing.assert_allclose(fast.se_cluster.to_numpy(), ref.se_cluster.to_numpy(), rtol=1e-3)
    assert fast.var_office == pytest.approx(ref.var_office, rel=1e-3)
    assert fast.var_residual == pytest.approx(ref.var_residual, rel=1e-4)


def test_fast_fit_equals_mixedlm_on_model_3(frame_and_flow):
    from malstyring.models import fit_model, model_terms

    frame, _ = frame_and_flow
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = fit_model(frame, "M3")
    fast = fast_fit(frame, model_terms("M3"))
    assert fast.loglik == pytest.approx(ref.loglik, abs=1e-3)
    assert fast.coef["index"] == pytest.approx(ref.coef["index"], abs=1e-5)
    assert fast.se_cluster["index"] == pytest.approx(ref.se_cluster["index"], rel=1e-3)


def test_vectorised_bootstrap_equals_brute_force_loop(panel):
    fit = fast_fit(panel, ["x1", "x2"])
    j = fit.names.index("x1")
    weights = bootstrap_weights("webb", fit.n_groups, 25, seed=5)
    base = fit.coef.to_numpy().copy()
    base[j] = 0.0  # any base vector works; the restricted one is a special case
    t_fast = _bootstrap_t(fit, j, base, weights)
    x, y, county, office = fit._x, fit._y, fit._county, fit._office
    s2, so2, sc2 = fit.var_residual, fit.var_office, fit.var_county
    resid = y - x @ base
    t_loop = []
    for b in range(weights.shape[1]):
        y_star = x @ base + weights[county, b] * resid
        # GLS with the variance components held fixed, by brute force
        _, a_inv = clustered_covariance(x, np.zeros_like(y), county, office, s2, so2, sc2)
        from malstyring.models import _within_group_inverse

        xvy = np.zeros(x.shape[1])
        for g in np.unique(county):
            rows = county == g
            _, off = np.unique(office[rows], return_inverse=True)
            xvy += x[rows].T @ _within_group_inverse(y_star[rows], off, s2, so2, sc2)
        beta_star = a_inv @ xvy
        cov, _ = clustered_covariance(x, y_star - x @ beta_star, county, office, s2, so2, sc2)
        t_loop.append(beta_star[j] / np.sqrt(cov[j, j]))
    np.testing.assert_allclose(t_fast, t_loop, rtol=1e-8)


def test_bootstrap_is_reproducible_and_sensible(panel):
    fit = fast_fit(panel, ["x1", "x2"])
    a = wild_cluster_bootstrap(fit, "x1", n_boot=499, seed=1)
    b = wild_cluster_bootstrap(fit, "x1", n_boot=499, seed=1)
    assert a == b
    assert a["ci_low"] < a["estimate"] < a["ci_high"]
    # x1 has a true effect of -0.05 with a small SE: clearly rejected; x2 likewise has a clear effect
    assert a["p_boot"] < 0.05
    with pytest.raises(ValueError, match="weights"):
        bootstrap_weights("normal", 5, 10, 1)


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
