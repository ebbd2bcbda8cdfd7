"""The estimator against known truths: simulated parameters, closed-form likelihoods, OLS with clustered errors."""

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from malstyring.models import clustered_covariance, fit_mixed, intraclass_correlations, marginal_loglik, stars


def simulate_panel(seed, n_counties=12, offices_per_county=8, months=20, beta=(0.4, -0.05, 0.1), sds=(0.05, 0.08, 0.2)):
    """y = b0 + b1 x1 + b2 x2 + u_county + u_office + e with known parameters."""
    rng = np.random.default_rng(seed)
    sd_c, sd_o, sd_e = sds
    rows = []
    for c in range(n_counties):
        uc = rng.normal(0, sd_c)
        for o in range(offices_per_county):
            uo = rng.normal(0, sd_o)
            office_level = rng.normal()
            for _ in range(months):
                x1 = office_level + rng.normal()
                x2 = rng.binomial(1, 0.4)
                y = beta[0] + beta[1] * x1 + beta[2] * x2 + uc + uo + rng.normal(0, sd_e)
                rows.append((f"c{c:02d}", f"c{c:02d}o{o}", x1, x2, y))
    return pd.DataFrame(rows, columns=["county_id", "office_id", "x1", "x2", "y"])


def test_parameter_recovery_on_simulated_panel():
    beta = np.array([0.4, -0.05, 0.1])
    sds = (0.05, 0.08, 0.2)
    df = simulate_panel(3, beta=tuple(beta), sds=sds)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = fit_mixed(df, ["x1", "x2"], outcome="y")
    est = fit.coef[["Intercept", "x1", "x2"]].to_numpy()
    se = fit.se_model[["Intercept", "x1", "x2"]].to_numpy()
    # 99.7 % intervals for each of the three coefficients of one panel; coverage of 95 % intervals is tested below
    assert np.all(np.abs(est - beta) < 3 * se), (est, se)
    assert fit.var_residual == pytest.approx(sds[2] ** 2, rel=0.05)
    assert fit.var_office == pytest.approx(sds[1] ** 2, rel=0.5)
    assert fit.n_obs == 12 * 8 * 20 and fit.n_groups == 12 and fit.n_offices == 96


def test_recovery_coverage_over_seeds():
    """Across 20 simulated panels the 95 % interval (clustered SE) for x1 covers the truth at least 16 times."""
    covered = 0
    for seed in range(20):
        df = simulate_panel(100 + seed, n_counties=15, offices_per_county=5, months=12)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = fit_mixed(df, ["x1", "x2"], outcome="y")
        covered += abs(fit.coef["x1"] + 0.05) < 1.96 * fit.se_cluster["x1"]
    assert covered >= 16


def test_loglik_closed_form_equals_dense_computation():
    rng = np.random.default_rng(0)
    county = np.array([0] * 7 + [1] * 5)
    office = np.array([0, 0, 0, 1, 1, 2, 2, 3, 3, 3, 4, 4])
    x = np.column_stack([np.ones(12), rng.normal(size=12)])
    y = rng.normal(size=12)
    beta = np.array([0.1, 0.3])
    s2, so2, sc2 = 0.5, 0.2, 0.1
    v = s2 * np.eye(12) + so2 * (office[:, None] == office[None, :]) + sc2 * (county[:, None] == county[None, :])
    dense = stats.multivariate_normal(mean=x @ beta, cov=v).logpdf(y)
    assert marginal_loglik(y, x, beta, county, office, s2, so2, sc2) == pytest.approx(dense, rel=1e-12)


def test_fit_loglik_aic_bic_agree_with_hand_computation():
    df = simulate_panel(7, n_counties=6, offices_per_county=3, months=6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = fit_mixed(df, ["x1"], outcome="y")
    data = df.sort_values(["county_id", "office_id"], kind="stable")
    x = np.column_stack([np.ones(len(data)), data["x1"]])
    ll = marginal_loglik(
        data["y"].to_numpy(),
        x,
        fit.coef.to_numpy(),
        pd.factorize(data["county_id"])[0],
        pd.factorize(data["office_id"])[0],
        fit.var_residual,
        fit.var_office,
        fit.var_county,
    )
    assert fit.loglik == pytest.approx(ll, rel=1e-8)
    assert fit.k == 2 + 3
    assert fit.aic == pytest.approx(-2 * ll + 2 * 5)
    assert fit.bic == pytest.approx(-2 * ll + 5 * np.log(len(df)))


def test_clustered_se_with_zero_random_effects_equals_ols_cluster():
    rng = np.random.default_rng(11)
    n, groups = 300, 10
    county = np.repeat(np.arange(groups), n // groups)
    office = np.arange(n)  # every row its own office: no office effect
    x = np.column_stack([np.ones(n), rng.normal(size=n), rng.normal(size=n)])
    y = x @ np.array([1.0, 0.5, -0.2]) + rng.normal(size=n) + 0.5 * rng.normal(size=groups)[county]
    ols = sm.OLS(y, x).fit()
    ref = ols.get_robustcov_results(cov_type="cluster", groups=county, use_correction=False).cov_params()
    mine, _ = clustered_covariance(x, y - x @ ols.params, county, office, s2=1.7, so2=0.0, sc2=0.0)
    # ours carries the small-sample factor G/(G-1); statsmodels without correction carries none
    np.testing.assert_allclose(mine, ref * groups / (groups - 1), rtol=1e-10)


def test_icc_from_variance_components():
    df = simulate_panel(5, n_counties=20, offices_per_county=10, months=10, sds=(0.1, 0.2, 0.3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = fit_mixed(df, [], outcome="y")
    icc = intraclass_correlations(fit)
    total = 0.1**2 + 0.2**2 + 0.3**2
    assert icc["office"] == pytest.approx(0.2**2 / total, abs=0.1)
    assert icc["office"] + icc["county"] < 1


@pytest.mark.parametrize(
    ("p", "mark"), [(0.001, "**"), (0.0099, "**"), (0.01, "*"), (0.049, "*"), (0.05, ""), (0.5, "")]
)
def test_stars(p, mark):
    assert stars(p) == mark


def test_regression_table_keeps_the_articles_row_order(frame_and_flow):
    from malstyring.models import fit_models
    from malstyring.reference import published_results, variables
    from malstyring.tables import comparison_frame, regression_table

    frame, _ = frame_and_flow
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fits = fit_models(frame, ["M1", "M2"])
    comp = comparison_frame(fits, published_results(), variables(), ["M1", "M2"])
    table = regression_table(comp, fits, published_results(), ["M1", "M2"])
    labels = table["Variable"].tolist()
    assert labels[0].startswith("Goal-attainment index")
    assert labels[-6].startswith("Constant") and labels[-5:] == ["N", "Counties", "AIC", "BIC", "Log likelihood"]
    # published cells are printed exactly as in the article (with a typographic minus)
    assert table.loc[0, "M2 publ."] == "\u22120.038**"
