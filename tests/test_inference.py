"""Few-cluster inference against independent computations: clubSandwich's CR2 and Satterthwaite formulas written
out with dense n_g x n_g matrices, the Bell–McCaffrey CR2 for OLS, CR2's exact unbiasedness under the working
model, and the inference API's internal consistency (R itself is in test_lme4.py)."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from malstyring.analysis.inference import RULES, CountyBases, estimating_matrices, star_fate
from malstyring.analysis.models import Design, fit_at_ratios, fit_design
from tests.test_models import simulate_panel


def unbalanced_panel(seed: int = 3) -> pd.DataFrame:
    """A panel with counties of different sizes, a county-level and an office-level covariate and a dummy that is
    1 in two counties only (the case where few-cluster degrees of freedom collapse)."""
    df = simulate_panel(seed, n_counties=7, offices_per_county=4, months=9, sds=(0.06, 0.08, 0.2))
    rng = np.random.default_rng(seed)
    keep = rng.random(len(df)) > 0.25  # unbalanced offices and counties
    df = df[keep].reset_index(drop=True)
    counties = sorted(df["county_id"].unique())
    county_level = dict(zip(counties, rng.normal(size=len(counties)), strict=True))
    df["county_x"] = df["county_id"].map(county_level)
    df["pilot"] = df["county_id"].isin(counties[:2]).astype(float) * (df["office_id"].str[-1] < "5")
    office_level = {o: rng.normal() for o in df["office_id"].unique()}
    df["office_x"] = df["office_id"].map(office_level)
    df["y"] = df["y"] + 0.05 * df["county_x"] + 0.1 * df["pilot"]
    return df


TERMS = ["x1", "x2", "county_x", "pilot", "office_x"]


def mat_power(a, power):
    """clubSandwich's matrix_power: eigenvalues below 1e-12 become 0."""
    values, vectors = np.linalg.eigh((a + a.T) / 2)
    powered = np.where(values > 1e-12, np.abs(values) ** power, 0.0)
    return (vectors * powered) @ vectors.T


def dense_club_sandwich(design: Design, beta: np.ndarray, ratios, kind: str):
    """vcovCR + coef_test(Satterthwaite) for an lmerMod, transcribed with dense matrices: returns (vcov, df)."""
    go, gc = ratios
    xs, targets, resids = [], [], []
    for g in np.unique(design.county):
        rows = design.county == g
        office = design.office[rows]
        t = np.eye(rows.sum()) + go * (office[:, None] == office[None, :]) + gc
        xs.append(design.x[rows])
        targets.append(t)
        resids.append(design.y[rows] - design.x[rows] @ beta)
    ws = [np.linalg.inv(t) for t in targets]
    m = np.linalg.inv(sum(x.T @ w @ x for x, w in zip(xs, ws, strict=True)))
    j, p = len(xs), design.x.shape[1]
    es = []
    for x, w, t in zip(xs, ws, targets, strict=True):
        if kind == "CR2":
            upper = np.linalg.cholesky(t).T  # R's chol(): upper triangular, R'R = T
            ih = np.eye(len(x)) - x @ m @ x.T @ w
            a = upper.T @ mat_power(upper @ ih @ t @ upper.T, -0.5) @ upper
        else:  # CR1
            a = np.sqrt(j / (j - 1)) * np.eye(len(x))
        es.append(x.T @ w @ a)
    comps = np.array([e @ r for e, r in zip(es, resids, strict=True)])
    vcov = m @ comps.T @ comps @ m
    chol_m = np.linalg.cholesky(m)
    gs = [m @ e @ np.linalg.cholesky(t) for e, t in zip(es, targets, strict=True)]
    hs = [m @ e @ x @ chol_m for e, x in zip(es, xs, strict=True)]
    df = []
    for i in range(p):
        h = np.array([hg[i] for hg in hs])
        big_p = -h @ h.T + np.diag([np.sum(gg[i] ** 2) for gg in gs])
        df.append(np.trace(big_p) ** 2 / np.sum(big_p**2))
    return vcov, np.array(df)


@pytest.fixture(scope="module")
def fitted():
    design = Design.from_frame(unbalanced_panel(), TERMS, outcome="y")
    return design, fit_design(design)


@pytest.mark.parametrize("kind", ["CR2", "CR1"])
def test_subspace_computation_equals_the_dense_transcription(fitted, kind):
    design, fit = fitted
    vcov, df = dense_club_sandwich(design, fit.coef.to_numpy(), fit.ratios, kind)
    np.testing.assert_allclose(fit.vcov(kind).to_numpy(), vcov, rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(fit.degrees_of_freedom(kind, "satterthwaite"), df, rtol=1e-9)
    # the dummy that is non-zero in two counties has few degrees of freedom; the others many more
    assert df[fit.coef.index.get_loc("pilot")] < 3 < df.max()


def test_cr2_for_ols_is_bell_and_mccaffrey():
    """With both variance ratios 0 the working model is OLS, and CR2 is (I - H_gg)^(-1/2) applied to each county's
    residuals: Bell and McCaffrey (2002), computed here from its textbook formula."""
    df = simulate_panel(5, n_counties=6, offices_per_county=3, months=6)
    design = Design.from_frame(df, ["x1", "x2"], outcome="y")
    fit = fit_at_ratios(design, (0.0, 0.0))
    x, y = design.x, design.y
    xtx_inv = np.linalg.inv(x.T @ x)
    beta = xtx_inv @ x.T @ y
    meat = np.zeros((3, 3))
    for g in np.unique(design.county):
        rows = design.county == g
        h_gg = x[rows] @ xtx_inv @ x[rows].T
        u = x[rows].T @ mat_power(np.eye(rows.sum()) - h_gg, -0.5) @ (y[rows] - x[rows] @ beta)
        meat += np.outer(u, u)
    np.testing.assert_allclose(fit.coef.to_numpy(), beta, rtol=1e-10)
    np.testing.assert_allclose(fit.vcov("CR2").to_numpy(), xtx_inv @ meat @ xtx_inv, rtol=1e-9)


def test_cr2_is_unbiased_under_the_working_model(fitted):
    """Pustejovsky and Tipton (2018): with the working model true, E[V_CR2] = M exactly. The Satterthwaite mean of
    each coefficient's variance estimate (trace of P) must therefore equal M's diagonal."""
    design, fit = fitted
    em = estimating_matrices(design.county_bases(), design.y, fit.coef.to_numpy(), fit.ratios, "CR2")
    # trace(P) = sum_g d_g - sum_g |h_g|^2; recover it from df and sum(P^2) is not possible, so compute it directly
    w = np.eye(len(fit.coef))
    mw = em.bread @ w.T
    chol = np.linalg.cholesky(em.bread)
    d = sum(np.einsum("kr,kl,lr->r", f.T @ mw, t, f.T @ mw) for f, t in zip(em.f, em.target, strict=True))
    h2 = sum((((qx @ chol).T @ (f.T @ mw)) ** 2).sum(axis=0) for f, qx in zip(em.f, em.qx, strict=True))
    np.testing.assert_allclose(d - h2, np.diag(em.bread), rtol=1e-9)


def test_bases_span_the_design_and_the_offices(fitted):
    design, _ = fitted
    bases = design.county_bases()
    for q, qx, lo, hi in zip(bases.q, bases.qx, bases.bounds[:-1], bases.bounds[1:], strict=True):
        np.testing.assert_allclose(q.T @ q, np.eye(q.shape[1]), atol=1e-12)
        np.testing.assert_allclose(q @ qx, design.x[lo:hi], atol=1e-10)  # X_g lies in the span
    assert design.county_bases() is bases  # computed once


def test_rules_and_api_agree_with_each_other(fitted):
    _, fit = fitted
    g = fit.n_groups
    normal = fit.coef_test("CR1", "normal")
    pd.testing.assert_series_equal(normal["p"], fit.p_values("CR1"), check_names=False)
    naive = fit.coef_test("CR1", "G-1")
    assert (naive["df"] == g - 1).all()
    np.testing.assert_allclose(naive["p"], 2 * stats.t.sf(np.abs(naive["t"]), g - 1))
    tidy = fit.tidy(0.9, "CR2", "satterthwaite")
    half = stats.t.ppf(0.95, tidy["df"]) * tidy["se"]
    np.testing.assert_allclose(tidy["high"] - tidy["estimate"], half)
    np.testing.assert_allclose(tidy["estimate"] - tidy["low"], half)
    # a unit-weight combination is the coefficient's own test, df included
    one = fit.lincom({"pilot": 1.0}, vcov="CR2", df="satterthwaite")
    row = fit.coef_test("CR2", "satterthwaite").loc["pilot"]
    for col in ("estimate", "se", "df", "t", "p"):
        assert one[col] == pytest.approx(row[col], rel=1e-10)
    two = fit.lincom({"x1": 1.0, "x2": -2.0}, vcov="CR1", df="normal")
    cov = fit.vcov("CR1")
    assert two["se"] ** 2 == pytest.approx(cov.loc["x1", "x1"] + 4 * cov.loc["x2", "x2"] - 4 * cov.loc["x1", "x2"])
    assert fit.table("CR2", "satterthwaite")["df_cluster"].equals(tidy["df"])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda f: f.coef_test("HC3", "normal"), "vcov must be"),
        (lambda f: f.coef_test("CR2", "kenward-roger"), "df must be one of"),
        (lambda f: f.coef_test("model", "satterthwaite"), "Satterthwaite"),
        (lambda f: f.lincom({"nope": 1.0}), "no such term"),
        (lambda f: f.confint(1.5), "level must be"),
        (lambda f: f.wild_bootstrap(["x1", "nope"], n_boot=9), "no such term"),
    ],
)
def test_bad_inference_requests_are_refused_with_a_clear_message(fitted, call, message):
    _, fit = fitted
    with pytest.raises(ValueError, match=message):
        call(fit)


def test_wild_bootstrap_for_several_terms_equals_one_at_a_time(fitted):
    _, fit = fitted
    both = fit.wild_bootstrap(["x1", "county_x"], n_boot=199, seed=4)
    for term in ("x1", "county_x"):
        alone = fit.wild_bootstrap(term, n_boot=199, seed=4)
        pd.testing.assert_series_equal(both.loc[term], alone.loc[term])


def test_the_book_compares_the_three_rules():
    assert set(RULES) == {"cr1-normal", "cr1-t", "cr2-satterthwaite"}
    assert all(rule.label for rule in RULES.values())


def test_county_bases_cover_a_county_smaller_than_its_columns():
    """A county with fewer rows than office dummies plus columns uses the whole space as its basis."""
    x = np.column_stack([np.ones(5), np.arange(5.0), np.arange(5.0) ** 2])
    county = np.array([0, 0, 1, 1, 1])
    office = np.array([0, 1, 2, 2, 3])
    bases = CountyBases.from_arrays(x, county, office)
    assert bases.q[0].shape == (2, 2) and bases.q[1].shape == (3, 3)


def test_covers_counts_the_bounds_as_inside_and_aligns_by_term():
    from malstyring.analysis.inference import covers

    interval = pd.DataFrame({"low": [-1.0, 0.0, 2.0], "high": [1.0, 0.5, 3.0]}, index=["a", "b", "c"])
    truth = pd.Series({"c": 3.0, "b": 0.6, "a": -1.0, "unused": 9.0})
    assert covers(interval, truth).tolist() == [True, False, True]
    with pytest.raises(ValueError, match="no true value"):
        covers(interval, truth.drop("b"))


T_975 = {3: 3.182446305284263, 16: 2.119905299221011}
"""Two-sided 5 % critical values of Student's t (printed tables), independent of SciPy."""


@pytest.mark.parametrize(
    ("value", "stars", "df", "fate"),
    [
        # -0.026*: the SE lies in [0.0255 / 2.5758, 0.0265 / 1.9600] = [0.00990, 0.01352], so |t| in [1.886, 2.677]
        (-0.026, "*", 16, "undetermined"),  # 1.886 < 2.120 < 2.677
        (-0.026, "*", 3, "fails"),  # even the largest |t|, 2.677, is below 3.182
        # 0.338**: the SE is at most 0.3385 / 2.5758 = 0.13141, so |t| >= 0.3375 / 0.13141 = 2.568
        (0.338, "**", 16, "survives"),  # 2.568 > 2.120
        (0.338, "**", 3, "undetermined"),  # 2.568 < 3.182, and no lower bound on the SE
    ],
)
def test_star_fate_by_hand(value, stars, df, fate):
    assert star_fate(value, stars, df) == fate
    low_t = (abs(value) - 0.0005) / ((abs(value) + 0.0005) / (1.959964 if stars == "*" else 2.575829))
    assert (low_t > T_975[df]) == (fate == "survives")
