"""The estimator against known truths: dense-matrix likelihoods and sandwiches, simulated parameters, OLS with
clustered errors, and statsmodels MixedLM as an independent optimiser (R's lme4 is in test_lme4.py)."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from malstyring.analysis import models
from malstyring.analysis.inference import stars
from malstyring.analysis.mixedlm import fit_statsmodels
from malstyring.analysis.models import Design, EstimationError, fit_mixed, profile_loglik


def simulate_panel(seed, n_counties=12, offices_per_county=8, months=20, beta=(0.4, -0.05, 0.1), sds=(0.05, 0.08, 0.2)):
    """y = b0 + b1 x1 + b2 x2 + u_county + u_office + e with known parameters (sds: county, office, residual)."""
    rng = np.random.default_rng(seed)
    sd_c, sd_o, sd_e = sds
    n_off = n_counties * offices_per_county
    county = np.repeat(np.arange(n_counties), offices_per_county * months)
    office = np.repeat(np.arange(n_off), months)
    office_level = rng.normal(size=n_off)[office]
    x1 = office_level + rng.normal(size=len(office))
    x2 = rng.binomial(1, 0.4, size=len(office)).astype(float)
    y = (
        beta[0]
        + beta[1] * x1
        + beta[2] * x2
        + rng.normal(0, sd_c, n_counties)[county]
        + rng.normal(0, sd_o, n_off)[office]
        + rng.normal(0, sd_e, len(office))
    )
    return pd.DataFrame(
        {
            "county_id": [f"c{c:02d}" for c in county],
            "office_id": [f"o{o:03d}" for o in office],
            "x1": x1,
            "x2": x2,
            "y": y,
        }
    )


def dense_covariance(county, office, s2, so2, sc2):
    """The marginal covariance written out in full (rows x rows)."""
    same_office = office[:, None] == office[None, :]
    same_county = county[:, None] == county[None, :]
    return s2 * np.eye(len(office)) + so2 * same_office + sc2 * same_county


def dense_gls(design, s2, so2, sc2):
    """GLS estimate, A = X'V^-1X and the county scores X_g'V_g^-1 r_g from the dense covariance."""
    v_inv = np.linalg.inv(dense_covariance(design.county, design.office, s2, so2, sc2))
    x, y = design.x, design.y
    a_mat = x.T @ v_inv @ x
    beta = np.linalg.solve(a_mat, x.T @ v_inv @ y)
    r = y - x @ beta
    scores = np.array(
        [x[design.county == g].T @ (v_inv @ r)[design.county == g] for g in np.unique(design.county)]
    )  # V^-1 is block diagonal by county, so (V^-1 r)_g = V_g^-1 r_g
    return beta, a_mat, scores


@pytest.fixture(scope="module")
def small():
    df = simulate_panel(7, n_counties=6, offices_per_county=3, months=6)
    return df, Design.from_frame(df, ["x1", "x2"], outcome="y")


def test_profile_loglik_equals_dense_likelihood(small):
    """The closed-form profile at arbitrary ratios = the dense normal log-density at the GLS estimate."""
    _, design = small
    sums = design.sums()
    for go, gc in [(0.0, 0.0), (0.3, 0.0), (0.2, 0.7), (2.0, 0.05)]:
        beta, _, _ = dense_gls(design, 1.0, go, gc)
        v_tilde = dense_covariance(design.county, design.office, 1.0, go, gc)
        r = design.y - design.x @ beta
        s2 = r @ np.linalg.solve(v_tilde, r) / len(r)
        dense = stats.multivariate_normal(mean=design.x @ beta, cov=s2 * v_tilde).logpdf(design.y)
        assert profile_loglik(sums, go, gc) == pytest.approx(dense, rel=1e-11)


def test_gradient_equals_finite_differences(small):
    _, design = small
    sums = design.sums()
    for theta in [(0.3, 0.2), (1.5, 0.05)]:
        grad = models._profile(sums, *theta).gradient
        h = 1e-6
        for k in range(2):
            e = np.zeros(2)
            e[k] = h
            fd = (profile_loglik(sums, *(np.array(theta) + e)) - profile_loglik(sums, *(np.array(theta) - e))) / (2 * h)
            assert grad[k] == pytest.approx(fd, rel=1e-6, abs=1e-6)


def test_fit_is_the_maximum_and_inference_equals_dense_sandwich(small):
    """At the fitted ratios: coefficients, model-based covariance and CR0/CR1/CR1S equal dense computations, and
    no point of a fine grid around the optimum has a higher likelihood."""
    _, design = small
    fit = models.fit_design(design)
    s2, so2, sc2 = fit.var_residual, fit.var_office, fit.var_county
    beta, a_mat, scores = dense_gls(design, s2, so2, sc2)
    np.testing.assert_allclose(fit.coef.to_numpy(), beta, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(fit.vcov("model").to_numpy(), np.linalg.inv(a_mat), rtol=1e-8)
    a_inv = np.linalg.inv(a_mat)
    cr0 = a_inv @ scores.T @ scores @ a_inv
    g, n, p = 6, len(design.y), 3
    np.testing.assert_allclose(fit.vcov("CR0").to_numpy(), cr0, rtol=1e-7, atol=1e-14)
    np.testing.assert_allclose(fit.vcov("CR1").to_numpy(), cr0 * g / (g - 1), rtol=1e-7, atol=1e-14)
    np.testing.assert_allclose(fit.vcov("CR1S").to_numpy(), cr0 * g * (n - 1) / ((g - 1) * (n - p)), rtol=1e-7)
    sums = design.sums()
    go, gc = fit.convergence.ratios
    around = [profile_loglik(sums, max(go * f1, 0), max(gc * f2, 0)) for f1 in (0.98, 1.02) for f2 in (0.98, 1.02)]
    assert max(around) <= fit.loglik + 1e-9
    assert fit.k == 3 + 3
    assert fit.aic == pytest.approx(-2 * fit.loglik + 2 * 6)
    assert fit.bic == pytest.approx(-2 * fit.loglik + 6 * np.log(n))
    with pytest.raises(ValueError, match="vcov must be"):
        fit.vcov("HC3")


def test_clustered_se_with_no_random_effects_equals_ols_cluster():
    """When both variances are estimated as zero the estimator is OLS, and CR1S is statsmodels' cluster
    covariance with its small-sample correction. The noise is built so that both ML variances are zero: it sums
    to zero within every county, and the two months of an office are negatively correlated."""
    rng = np.random.default_rng(11)
    n_counties, offices = 10, 15
    n = n_counties * offices * 2
    county = np.repeat(np.arange(n_counties), offices * 2)
    office = np.repeat(np.arange(n_counties * offices), 2)
    first = rng.normal(size=n // 2)
    noise = np.column_stack([first, -0.8 * first + 0.3 * rng.normal(size=n // 2)]).reshape(-1)
    noise -= pd.Series(noise).groupby(county).transform("mean").to_numpy()
    x = rng.normal(size=(n, 2))
    y = x @ np.array([0.5, -0.2]) + noise
    df = pd.DataFrame({"county_id": county, "office_id": office, "x1": x[:, 0], "x2": x[:, 1], "y": y})
    fit = fit_mixed(df, ["x1", "x2"], outcome="y")
    assert fit.convergence.boundary == ("office", "county")
    assert fit.var_office == 0 and fit.var_county == 0
    design = Design.from_frame(df, ["x1", "x2"], outcome="y")
    ols = sm.OLS(design.y, design.x).fit()
    np.testing.assert_allclose(fit.coef.to_numpy(), ols.params, rtol=1e-8)
    ref = ols.get_robustcov_results(cov_type="cluster", groups=county, use_correction=True).cov_params()
    np.testing.assert_allclose(fit.vcov("CR1S").to_numpy(), ref, rtol=1e-8)


def test_parameter_recovery_on_simulated_panel():
    beta = np.array([0.4, -0.05, 0.1])
    sds = (0.05, 0.08, 0.2)
    fit = fit_mixed(simulate_panel(3, beta=tuple(beta), sds=sds), ["x1", "x2"], outcome="y")
    est = fit.coef[["Intercept", "x1", "x2"]].to_numpy()
    se = fit.se_model[["Intercept", "x1", "x2"]].to_numpy()
    # 99.7 % intervals for each of the three coefficients of one panel; coverage over panels is tested below
    assert np.all(np.abs(est - beta) < 3 * se), (est, se)
    # 1,920 residual degrees of freedom: the residual variance has a relative SE of about sqrt(2/1920) = 3 %
    assert fit.var_residual == pytest.approx(sds[2] ** 2, rel=0.10)
    assert fit.n_obs == 12 * 8 * 20 and fit.n_groups == 12 and fit.n_offices == 96


def test_recovery_coverage_over_seeds():
    """Across 40 simulated panels the 95 % CR1 interval for x1 covers the truth at least 34 times (a binomial
    with p = 0.95 falls below 34 of 40 with probability < 1 %; CR1 with 15 clusters is slightly liberal)."""
    covered = 0
    for seed in range(40):
        df = simulate_panel(100 + seed, n_counties=15, offices_per_county=5, months=12)
        fit = fit_mixed(df, ["x1", "x2"], outcome="y")
        covered += abs(fit.coef["x1"] + 0.05) < 1.96 * fit.se_cluster["x1"]
    assert covered >= 34


def test_icc_recovers_simulated_variance_shares():
    """Office ICC of a large simulated null model. Truth 0.2^2 / (0.1^2 + 0.2^2 + 0.3^2) = 0.286; with 1,000
    offices its sampling SD is about 0.02 (so 0.06 is 3 SD), and ICCs are exactly the variance shares."""
    df = simulate_panel(5, n_counties=40, offices_per_county=25, months=10, beta=(0.4, 0, 0), sds=(0.1, 0.2, 0.3))
    fit = fit_mixed(df, [], outcome="y")
    total = fit.var_county + fit.var_office + fit.var_residual
    assert fit.icc == {"office": fit.var_office / total, "county": fit.var_county / total}
    assert fit.icc["office"] == pytest.approx(0.2**2 / 0.14, abs=0.06)
    assert fit.var_residual == pytest.approx(0.09, rel=0.03)  # 9,000 rows: relative SD about 1.5 %


def test_predictions_use_the_clustered_covariance(small):
    df, design = small
    fit = models.fit_design(design)
    rows = pd.DataFrame({"x1": [0.0, 1.0], "x2": [0.5, 0.5]})
    pred = fit.predict(rows)
    x = np.column_stack([np.ones(2), rows.to_numpy()])
    cov = fit.vcov("CR1").to_numpy()
    np.testing.assert_allclose(pred["predicted"], x @ fit.coef.to_numpy())
    np.testing.assert_allclose(pred["se"], np.sqrt(np.diag(x @ cov @ x.T)))
    np.testing.assert_allclose(pred["upper"] - pred["predicted"], stats.norm.ppf(0.975) * pred["se"])


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [("x1", np.nan, r"non-finite values in \['x1'\]"), ("x2", np.inf, "non-finite"), ("y", "a", "non-finite")],
)
def test_bad_values_stop_with_the_model_and_column_named(small, column, value, message):
    df = small[0].copy()
    df[column] = df[column].astype(object)
    df.loc[3, column] = value
    with pytest.raises(EstimationError, match=f"model M9: .*{message}"):
        fit_mixed(df, ["x1", "x2"], model="M9", outcome="y")


def test_constant_column_is_rejected(small):
    df = small[0].copy()
    df["x2"] = 1.0
    with pytest.raises(EstimationError, match=r"model M9: no variance in \['x2'\]"):
        fit_mixed(df, ["x1", "x2"], model="M9", outcome="y")


def test_engine_agrees_with_statsmodels_where_statsmodels_converges():
    df = simulate_panel(21, n_counties=10, offices_per_county=6, months=15, sds=(0.08, 0.1, 0.25))
    ours = fit_mixed(df, ["x1", "x2"], outcome="y")
    ref = fit_statsmodels(df, ["x1", "x2"], outcome="y")
    assert ours.loglik >= ref.loglik - 1e-6  # ours is the maximum
    assert ours.loglik == pytest.approx(ref.loglik, abs=1e-4)
    np.testing.assert_allclose(ours.coef, ref.coef, atol=1e-5)
    # MixedLM's model-based SEs come from its joint Hessian (theirs differ from lme4's too); the clustered ones are
    # evaluated with the book's sandwich at MixedLM's optimum, so they test the optimum, not the formula
    np.testing.assert_allclose(ours.se_model, ref.se_model, rtol=1e-2)
    np.testing.assert_allclose(ours.se_cluster, ref.se_cluster, rtol=1e-4)
    assert ours.var_office == pytest.approx(ref.var_office, rel=1e-3)


def test_engine_reaches_at_least_statsmodels_optimum_on_the_book_models(default_fits, frame_and_flow):
    """On the default synthetic panel MixedLM's optimum (L-BFGS; Powell takes minutes here) is never better than
    ours. Model 1 only: the other models are checked against lme4 in test_lme4.py."""
    frame, _ = frame_and_flow
    for model in ("M1",):
        ref = fit_statsmodels(frame, models.model_terms(model), model=model, methods=("lbfgs",))
        ours = default_fits[model]
        assert ours.loglik >= ref.loglik - 1e-6
        assert ours.loglik == pytest.approx(ref.loglik, abs=1e-2)
        assert ours.coef["index"] == pytest.approx(ref.coef["index"], abs=1e-3)


def test_every_book_model_converged_with_a_small_gradient(default_fits):
    for name, fit in default_fits.items():
        assert fit.convergence.ok, (name, fit.convergence.note())
        assert max(abs(g) for g in fit.convergence.gradient) < models.GRADIENT_TOLERANCE
        assert fit.n_obs == 19665 and fit.n_groups == 19


@pytest.mark.parametrize(
    ("p", "mark"), [(0.001, "**"), (0.0099, "**"), (0.01, "*"), (0.049, "*"), (0.05, ""), (0.5, "")]
)
def test_stars(p, mark):
    assert stars(p) == mark


def test_regression_table_keeps_the_articles_row_order(default_fits):
    from malstyring.book.tables import comparison_frame, regression_table
    from malstyring.data.reference import published_results, variables

    fits = {m: default_fits[m] for m in ("M1", "M2")}
    comp = comparison_frame(fits, published_results(), variables(), ["M1", "M2"])
    table = regression_table(comp, fits, published_results(), ["M1", "M2"])
    labels = table["Variable"].tolist()
    assert labels[0].startswith("Goal-attainment index")
    assert labels[-6].startswith("Constant") and labels[-5:] == ["N", "Counties", "AIC", "BIC", "Log likelihood"]
    # published cells are printed exactly as in the article (with a typographic minus)
    assert table.loc[0, "M2 publ."] == "\u22120.038**"
