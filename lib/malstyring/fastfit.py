"""A fast maximum-likelihood fit of the same three-level random-intercept model, for repeated fitting.

The robustness chapter refits Model 3 dozens of times (lags, samples, codings, Monte Carlo seeds) and
bootstraps it thousands of times. statsmodels MixedLM, which the book uses for its main tables, needs a few
seconds per fit. Because the model only has nested random *intercepts*, the marginal covariance of a county,
``V = s2 (I + go Z_o Z_o' + gc 11')``, can be inverted in closed form (two Woodbury steps), so every quantity
the likelihood needs reduces to sums per office and per county. The profiled log-likelihood over the two
variance ratios (go, gc) is then maximised with L-BFGS-B (bounds allow zero variances).

The tests check that this estimator gives MixedLM's coefficients, variance components and log-likelihood.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats

WEIGHTS = ("webb", "rademacher")


@dataclass
class _Structure:
    """Sufficient statistics of (y, X) per office and per county."""

    n: int
    n_o: np.ndarray  # (m,)
    county_of_office: np.ndarray  # (m,)
    n_counties: int
    sx: np.ndarray  # (m, p) column sums of X per office
    sx_outer: np.ndarray  # (m, p*p) outer products sx_o sx_o'
    membership: np.ndarray  # (G, m) one-hot county of each office
    sy: np.ndarray  # (m,)
    xtx_g: np.ndarray  # (G, p, p)
    xty_g: np.ndarray  # (G, p)
    yty: float


def _structure(y: np.ndarray, x: np.ndarray, county: np.ndarray, office: np.ndarray) -> _Structure:
    office_codes, office_idx = np.unique(office, return_inverse=True)
    county_codes, county_idx = np.unique(county, return_inverse=True)
    m, g, p = len(office_codes), len(county_codes), x.shape[1]
    county_of_office = np.zeros(m, dtype=int)
    county_of_office[office_idx] = county_idx
    if np.any(np.bincount(office_idx, weights=county_idx, minlength=m) != county_of_office * np.bincount(office_idx)):
        raise ValueError("an office appears in more than one county")
    sx = np.zeros((m, p))
    np.add.at(sx, office_idx, x)
    sy = np.bincount(office_idx, weights=y, minlength=m)
    xtx_g = np.zeros((g, p, p))
    xty_g = np.zeros((g, p))
    for k in range(g):
        rows = county_idx == k
        xtx_g[k] = x[rows].T @ x[rows]
        xty_g[k] = x[rows].T @ y[rows]
    sx_outer = np.einsum("oi,oj->oij", sx, sx).reshape(m, p * p)
    membership = np.zeros((g, m))
    membership[county_of_office, np.arange(m)] = 1.0
    n_o = np.bincount(office_idx, minlength=m)
    return _Structure(len(y), n_o, county_of_office, g, sx, sx_outer, membership, sy, xtx_g, xty_g, y @ y)


def _gls_pieces(s: _Structure, go: float, gc: float):
    """Per-county X'V~^-1 X, X'V~^-1 y and y'V~^-1 y (V~ = V / s2), and log det V~."""
    n_o = s.n_o.astype(float)
    c = go / (1 + n_o * go)
    a = 1 / (1 + n_o * go)
    g_idx = s.county_of_office
    p = s.sx.shape[1]
    xwx = s.xtx_g - (s.membership @ (c[:, None] * s.sx_outer)).reshape(-1, p, p)
    xwy = s.xty_g - s.membership @ ((c * s.sy)[:, None] * s.sx)
    ywy = s.yty - np.sum(c * s.sy**2)
    q_vec = s.membership @ (a[:, None] * s.sx)
    q = np.bincount(g_idx, weights=n_o * a, minlength=s.n_counties)
    z = np.bincount(g_idx, weights=a * s.sy, minlength=s.n_counties)
    logdet = np.sum(np.log1p(n_o * go)) + np.sum(np.log1p(gc * q))
    if gc > 0:
        d = 1 / gc + q
        xwx = xwx - np.einsum("gi,gj->gij", q_vec, q_vec) / d[:, None, None]
        xwy = xwy - q_vec * (z / d)[:, None]
        ywy = ywy - np.sum(z**2 / d)
    return xwx, xwy, ywy, logdet


def _profile(s: _Structure, go: float, gc: float):
    xwx, xwy, ywy, logdet = _gls_pieces(s, go, gc)
    a_mat = xwx.sum(axis=0)
    b_vec = xwy.sum(axis=0)
    beta = np.linalg.solve(a_mat, b_vec)
    rss = ywy - beta @ b_vec
    s2 = rss / s.n
    ll = -0.5 * s.n * (np.log(2 * np.pi) + 1 + np.log(s2)) - 0.5 * logdet
    return ll, beta, s2, xwx


@dataclass
class FastFit:
    """Result of :func:`fast_fit`: fixed effects with model-based and county-clustered SEs, variances (squared
    outcome units) and the maximised log-likelihood."""

    names: list[str]
    coef: pd.Series
    se_model: pd.Series
    se_cluster: pd.Series
    var_county: float
    var_office: float
    var_residual: float
    loglik: float
    n_obs: int
    n_groups: int
    # kept for the bootstrap
    _m_g: np.ndarray
    _a_inv: np.ndarray
    _x: np.ndarray
    _y: np.ndarray
    _county: np.ndarray
    _office: np.ndarray

    def p_cluster(self, term: str) -> float:
        return float(2 * stats.norm.sf(abs(self.coef[term] / self.se_cluster[term])))


def _county_scores(x, resid, county, office, s2, so2, sc2):
    from .models import _within_group_inverse

    groups = np.unique(county)
    out = np.zeros((len(groups), x.shape[1]))
    for k, g in enumerate(groups):
        rows = county == g
        _, off = np.unique(office[rows], return_inverse=True)
        out[k] = x[rows].T @ _within_group_inverse(resid[rows], off, s2, so2, sc2)
    return out


def fast_fit(frame: pd.DataFrame, terms: list[str], outcome: str = "to_work_share") -> FastFit:
    """ML fit of ``outcome ~ 1 + terms`` with county and office-in-county random intercepts (see module doc)."""
    data = frame.sort_values(["county_id", "office_id"], kind="stable")
    y = data[outcome].to_numpy(float)
    x = np.column_stack([np.ones(len(data)), data[terms].to_numpy(float)]) if terms else np.ones((len(data), 1))
    county = pd.factorize(data["county_id"])[0]
    office = pd.factorize(data["office_id"])[0]
    s = _structure(y, x, county, office)

    def negll(theta):
        return -_profile(s, theta[0], theta[1])[0]

    best = None
    for start in ((0.05, 0.01), (0.2, 0.05)):
        res = optimize.minimize(negll, np.array(start), method="L-BFGS-B", bounds=[(0, 50), (0, 50)])
        if best is None or res.fun < best.fun:
            best = res
    go, gc = best.x
    ll, beta, s2, xwx = _profile(s, go, gc)
    a_mat = xwx.sum(axis=0) / s2
    a_inv = np.linalg.inv(a_mat)
    so2, sc2 = go * s2, gc * s2
    scores = _county_scores(x, y - x @ beta, county, office, s2, so2, sc2)
    n_g = s.n_counties
    cov_cl = a_inv @ (scores.T @ scores) @ a_inv * n_g / (n_g - 1)
    names = ["Intercept", *terms]
    return FastFit(
        names=names,
        coef=pd.Series(beta, index=names),
        se_model=pd.Series(np.sqrt(np.diag(a_inv)), index=names),
        se_cluster=pd.Series(np.sqrt(np.diag(cov_cl)), index=names),
        var_county=sc2,
        var_office=so2,
        var_residual=s2,
        loglik=float(ll),
        n_obs=s.n,
        n_groups=n_g,
        _m_g=xwx / s2,
        _a_inv=a_inv,
        _x=x,
        _y=y,
        _county=county,
        _office=office,
    )


def bootstrap_weights(kind: str, n_groups: int, n_boot: int, seed: int) -> np.ndarray:
    """Wild-bootstrap weights, one column per replicate: Webb's six-point or Rademacher (+-1)."""
    rng = np.random.default_rng(seed)
    if kind == "webb":
        support = np.array([-np.sqrt(1.5), -1, -np.sqrt(0.5), np.sqrt(0.5), 1, np.sqrt(1.5)])
        return rng.choice(support, size=(n_groups, n_boot))
    if kind == "rademacher":
        return rng.choice(np.array([-1.0, 1.0]), size=(n_groups, n_boot))
    raise ValueError(f"weights must be one of {WEIGHTS}, got {kind!r}")


def _bootstrap_t(fit: FastFit, j: int, base: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """t statistics of (beta*_j - base_j) in the replicates y* = X base + w_g e_g, e = y - X base (V fixed)."""
    s2, so2, sc2 = fit.var_residual, fit.var_office, fit.var_county
    resid = fit._y - fit._x @ base
    u = _county_scores(fit._x, resid, fit._county, fit._office, s2, so2, sc2)  # (G, p)
    delta = fit._a_inv @ (u.T @ weights)  # (p, B): beta* - base
    h = fit._a_inv[j]
    alpha = u @ h  # (G,)
    mh = fit._m_g @ h  # (G, p)
    contrib = alpha[:, None] * weights - mh @ delta  # (G, B)
    n_g = weights.shape[0]
    var = (contrib**2).sum(axis=0) * n_g / (n_g - 1)
    return delta[j] / np.sqrt(var)


def wild_cluster_bootstrap(
    fit: FastFit, term: str, n_boot: int = 9999, weights: str = "webb", seed: int = 20180101, level: float = 0.95
) -> dict:
    """Wild cluster bootstrap (county clusters) for one coefficient, holding the variance components fixed.

    p-value: restricted bootstrap (WCR; residuals from the model with the coefficient set to 0), symmetric, on
    the clustered t statistic. Interval: unrestricted bootstrap-t (WCU). Returns estimate, se, t, p_boot,
    ci_low, ci_high, n_boot, weights.
    """
    j = fit.names.index(term)
    w = bootstrap_weights(weights, fit.n_groups, n_boot, seed)
    t_obs = fit.coef[term] / fit.se_cluster[term]
    # restricted estimate: GLS with column j dropped, same variance components
    keep = [k for k in range(len(fit.names)) if k != j]
    m_total = fit._m_g.sum(axis=0)
    xvy = _county_scores(fit._x, fit._y, fit._county, fit._office, fit.var_residual, fit.var_office, fit.var_county)
    xvy = xvy.sum(axis=0)
    restricted = np.zeros(len(fit.names))
    restricted[keep] = np.linalg.solve(m_total[np.ix_(keep, keep)], xvy[keep])
    t_null = _bootstrap_t(fit, j, restricted, w)
    p_boot = float(np.mean(np.abs(t_null) >= abs(t_obs)))
    t_unres = _bootstrap_t(fit, j, fit.coef.to_numpy(), w)
    lo_q, hi_q = np.quantile(t_unres, [(1 - level) / 2, (1 + level) / 2])
    se = fit.se_cluster[term]
    return {
        "estimate": float(fit.coef[term]),
        "se": float(se),
        "t": float(t_obs),
        "p_boot": p_boot,
        "ci_low": float(fit.coef[term] - hi_q * se),
        "ci_high": float(fit.coef[term] - lo_q * se),
        "n_boot": n_boot,
        "weights": weights,
    }
