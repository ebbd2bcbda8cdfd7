"""Three-level random-intercept models (month in office in county), fitted by maximum likelihood.

``fit_mixed`` wraps statsmodels MixedLM with county as the group, a random intercept for the county and a variance
component for the office (nested in county). It adds what MixedLM lacks: county-clustered (sandwich) standard
errors with the small-sample factor G/(G-1), the article's stars, AIC/BIC with the parameter count
k = fixed effects + 3 variance parameters, and intraclass correlations.

The marginal covariance of county g is ``V_g = s2 I + so2 Z_o Z_o' + sc2 11'``; its inverse is applied by two
nested Woodbury steps (office, then county), so no n_g x n_g matrix is ever formed.
"""

import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from scipy import stats
from statsmodels.tools.sm_exceptions import ConvergenceWarning

from .reference import variables

OUTCOME = "to_work_share"
OPTIMISERS = ("lbfgs", "powell", "nm")
"""Tried in order until one fits without warnings. L-BFGS is fast; Powell and Nelder-Mead (derivative-free, on
the two profiled variance parameters only) rescue the fits where L-BFGS stops early."""
BOUNDARY_NOTE = "MLE may be on the boundary"
"""statsmodels warns of a boundary solution whenever a variance is below 0.01 in absolute terms, which every
variance of a 0–1 share is. That heuristic is replaced by a scale-free check: a variance below
BOUNDARY_RATIO times the residual variance is reported as on the boundary."""
BOUNDARY_RATIO = 1e-4


def model_terms(model: str) -> list[str]:
    """Fixed-effect terms (without intercept) of Models M1–M6, in the article's row order.

    M1: index; M2: + NAV effort and programmes; M3: + demography, office internals, size, pilot and controls.
    M4–M6: the same with the three individual attainment dummies in place of the index.
    """
    blocks = {
        "M1": ("index",),
        "M2": ("index", "effort"),
        "M3": ("index", "effort", "extended"),
        "M4": ("attainment",),
        "M5": ("attainment", "effort"),
        "M6": ("attainment", "effort", "extended"),
    }
    if model not in blocks:
        raise ValueError(f"unknown model {model!r}; allowed: {sorted(blocks)}")
    v = variables()
    return v.loc[v["block"].isin(blocks[model]), "variable"].tolist()


MODELS = ("M1", "M2", "M3", "M4", "M5", "M6")


def stars(p: float) -> str:
    """The article's significance marks: ** p<0.01, * p<0.05."""
    if not np.isfinite(p):
        return ""
    return "**" if p < 0.01 else "*" if p < 0.05 else ""


@dataclass
class MixedFit:
    """Results of one three-level random-intercept fit. Variances are on the outcome's squared scale."""

    model: str
    terms: list[str]
    coef: pd.Series
    se_model: pd.Series
    se_cluster: pd.Series
    cov_cluster: pd.DataFrame
    var_county: float
    var_office: float
    var_residual: float
    loglik: float
    n_obs: int
    n_groups: int
    n_offices: int
    converged: bool
    optimiser: str
    seconds: float
    messages: list[str] = field(default_factory=list)

    @property
    def k(self) -> int:
        """Number of estimated parameters: fixed effects plus three variance parameters."""
        return len(self.coef) + 3

    @property
    def aic(self) -> float:
        return -2 * self.loglik + 2 * self.k

    @property
    def bic(self) -> float:
        return -2 * self.loglik + self.k * np.log(self.n_obs)

    @property
    def p_cluster(self) -> pd.Series:
        """Two-sided normal p-values from the clustered standard errors."""
        return pd.Series(2 * stats.norm.sf(np.abs(self.coef / self.se_cluster)), index=self.coef.index)

    @property
    def p_model(self) -> pd.Series:
        return pd.Series(2 * stats.norm.sf(np.abs(self.coef / self.se_model)), index=self.coef.index)

    def table(self) -> pd.DataFrame:
        """One row per parameter: estimate, model-based SE, clustered SE, clustered p and stars."""
        out = pd.DataFrame(
            {
                "estimate": self.coef,
                "se_model": self.se_model,
                "se_cluster": self.se_cluster,
                "p_cluster": self.p_cluster,
            }
        )
        out["stars"] = out["p_cluster"].map(stars)
        out.index.name = "parameter"
        return out

    def fit_statistics(self) -> pd.Series:
        return pd.Series(
            {
                "n_obs": self.n_obs,
                "n_groups": self.n_groups,
                "n_offices": self.n_offices,
                "k": self.k,
                "loglik": self.loglik,
                "aic": self.aic,
                "bic": self.bic,
                "var_county": self.var_county,
                "var_office": self.var_office,
                "var_residual": self.var_residual,
            }
        )


def _within_group_inverse(a: np.ndarray, office: np.ndarray, s2: float, so2: float, sc2: float) -> np.ndarray:
    """V_g^{-1} a for the rows of one county (``office`` holds codes 0..m-1 for those rows)."""
    m = office.max() + 1
    n_o = np.bincount(office, minlength=m).astype(float)
    # W a = V_o^{-1} a office by office: (a - c_o * 1 * sum_o(a)) / s2, c_o = so2 / (s2 + n_o so2)
    c_o = so2 / (s2 + n_o * so2)

    def w_apply(x: np.ndarray) -> np.ndarray:
        sums = np.zeros((m,) + x.shape[1:])
        np.add.at(sums, office, x)
        return (x - c_o[office].reshape((-1,) + (1,) * (x.ndim - 1)) * sums[office]) / s2

    wa = w_apply(a)
    w1 = w_apply(np.ones(len(office)))
    if sc2 <= 0:
        return wa
    denom = 1.0 / sc2 + w1.sum()
    return wa - np.multiply.outer(w1, wa.sum(axis=0)) / denom


def marginal_loglik(
    y: np.ndarray,
    x: np.ndarray,
    beta: np.ndarray,
    county: np.ndarray,
    office: np.ndarray,
    s2: float,
    so2: float,
    sc2: float,
) -> float:
    """Gaussian log-likelihood of the three-level random-intercept model at given parameters (closed form)."""
    total = 0.0
    r_all = y - x @ beta
    for g in np.unique(county):
        rows = county == g
        _, off = np.unique(office[rows], return_inverse=True)
        r = r_all[rows]
        n_o = np.bincount(off).astype(float)
        w1 = _within_group_inverse(np.ones(rows.sum()), off, s2, so2, 0.0)
        logdet = np.sum(n_o * np.log(s2) + np.log1p(n_o * so2 / s2)) + np.log1p(sc2 * w1.sum())
        quad = r @ _within_group_inverse(r, off, s2, so2, sc2)
        total += -0.5 * (rows.sum() * np.log(2 * np.pi) + logdet + quad)
    return float(total)


def clustered_covariance(
    x: np.ndarray, resid: np.ndarray, county: np.ndarray, office: np.ndarray, s2: float, so2: float, sc2: float
) -> tuple[np.ndarray, np.ndarray]:
    """County-clustered sandwich ``A^-1 B A^-1 * G/(G-1)`` and the model-based ``A^-1`` for the fixed effects.

    A = sum_g X_g' V_g^-1 X_g, B = sum_g (X_g' V_g^-1 r_g)(X_g' V_g^-1 r_g)', r_g the marginal residuals.
    """
    p = x.shape[1]
    a_mat = np.zeros((p, p))
    b_mat = np.zeros((p, p))
    groups = np.unique(county)
    for g in groups:
        rows = county == g
        _, off = np.unique(office[rows], return_inverse=True)
        vx = _within_group_inverse(x[rows], off, s2, so2, sc2)
        a_mat += x[rows].T @ vx
        score = vx.T @ resid[rows]
        b_mat += np.outer(score, score)
    a_inv = np.linalg.inv(a_mat)
    n_g = len(groups)
    return a_inv @ b_mat @ a_inv * n_g / (n_g - 1), a_inv


def fit_mixed(
    frame: pd.DataFrame,
    terms: list[str],
    model: str = "custom",
    outcome: str = OUTCOME,
    county: str = "county_id",
    office: str = "office_id",
) -> MixedFit:
    """Fit ``outcome ~ terms`` with county and office-in-county random intercepts by ML (not REML).

    Optimisers are tried in order (L-BFGS, Powell, Nelder-Mead) until one fits without warnings; if none does, the
    fit with the highest log-likelihood is used and its warnings are re-issued. Every problem, including those of
    optimisers that were not used, is kept in ``messages``.
    """
    missing = [t for t in [outcome, county, office, *terms] if t not in frame.columns]
    if missing:
        raise KeyError(f"columns not in the frame: {missing}")
    data = frame[[outcome, county, office, *terms]].dropna()
    if len(data) < len(frame):
        raise ValueError(f"{len(frame) - len(data)} row(s) have missing values; build the frame with build_frame()")
    data = data.sort_values([county, office], kind="stable").reset_index(drop=True)
    formula = f"{outcome} ~ " + (" + ".join(terms) if terms else "1")
    start = time.perf_counter()
    md = smf.mixedlm(formula, data, groups=data[county], re_formula="1", vc_formula={"office": f"0 + C({office})"})
    messages: list[str] = []
    attempts = []  # (optimiser, result, problems)
    for optimiser in OPTIMISERS:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                # a rescue starts where the previous optimiser stopped
                start_params = attempts[-1][1].params_object if attempts else None
                res = md.fit(reml=False, method=optimiser, start_params=start_params)
            except (np.linalg.LinAlgError, ValueError) as err:
                messages.append(f"{optimiser}: failed ({err})")
                continue
        problems = [
            str(w.message)
            for w in caught
            if issubclass(w.category, ConvergenceWarning | RuntimeWarning) and BOUNDARY_NOTE not in str(w.message)
        ]
        if not res.converged and not problems:
            problems.append("did not converge")
        attempts.append((optimiser, res, problems))
        if not problems:
            break
    if not attempts:
        raise RuntimeError(f"model {model}: every optimiser failed: {messages}")
    # a clean fit if there is one, else the highest log-likelihood; earlier optimisers' problems become notes
    clean = [a for a in attempts if not a[2]]
    used, result, problems = clean[0] if clean else max(attempts, key=lambda a: a[1].llf)
    for optimiser, _res, probs in attempts:
        if optimiser != used:
            messages += [f"note: {optimiser} had problems ({'; '.join(probs)}); used {used}"]
    messages += [f"{used}: {p}" for p in problems]
    names = list(result.fe_params.index)
    beta = result.fe_params.to_numpy()
    s2 = float(result.scale)
    sc2 = float(np.asarray(result.cov_re)[0, 0])
    so2 = float(result.vcomp[0])
    x = md.exog
    y = md.endog
    county_codes = pd.factorize(data[county])[0]
    office_codes = pd.factorize(data[office])[0]
    for label, var in (("county", sc2), ("office", so2)):
        if var < BOUNDARY_RATIO * s2:
            messages.append(f"{used}: the {label} variance ({var:.2e}) is on the boundary (zero)")
    cov_cl, _ = clustered_covariance(x, y - x @ beta, county_codes, office_codes, s2, so2, sc2)
    se_cl = np.sqrt(np.diag(cov_cl))
    fit = MixedFit(
        model=model,
        terms=list(terms),
        coef=pd.Series(beta, index=names),
        se_model=pd.Series(result.bse_fe.to_numpy(), index=names),
        se_cluster=pd.Series(se_cl, index=names),
        cov_cluster=pd.DataFrame(cov_cl, index=names, columns=names),
        var_county=sc2,
        var_office=so2,
        var_residual=s2,
        loglik=float(result.llf),
        n_obs=len(data),
        n_groups=data[county].nunique(),
        n_offices=data[office].nunique(),
        converged=bool(result.converged),
        optimiser=used,
        seconds=time.perf_counter() - start,
        messages=messages,
    )
    emit_warnings(fit)
    return fit


def emit_warnings(fit: "MixedFit") -> None:
    """Re-issue a fit's convergence problems as ConvergenceWarnings (notes about unused optimisers are not)."""
    for msg in fit.messages:
        if not msg.startswith("note:"):
            warnings.warn(f"model {fit.model}: {msg}", ConvergenceWarning, stacklevel=3)


def fit_model(frame: pd.DataFrame, model: str) -> MixedFit:
    """Fit one of the article's Models M1–M6."""
    return fit_mixed(frame, model_terms(model), model=model)


def intraclass_correlations(fit: MixedFit) -> dict[str, float]:
    """ICCs of a (null) model: the office's and the county's share of the total variance."""
    total = fit.var_county + fit.var_office + fit.var_residual
    return {"office": fit.var_office / total, "county": fit.var_county / total}


def predict_at_means(
    fit: MixedFit, frame: pd.DataFrame, variable: str, grid: np.ndarray, level: float = 0.95
) -> pd.DataFrame:
    """Linear prediction across ``grid`` values of ``variable`` with the other covariates at their means.

    The confidence band uses the clustered covariance of the fixed effects.
    """
    if variable not in fit.terms:
        raise ValueError(f"{variable!r} is not a term of model {fit.model}")
    means = frame[fit.terms].mean()
    rows = np.tile(np.r_[1.0, means.to_numpy()], (len(grid), 1))
    rows[:, 1 + fit.terms.index(variable)] = grid
    cov = fit.cov_cluster.to_numpy()
    pred = rows @ fit.coef.to_numpy()
    se = np.sqrt(np.einsum("ij,jk,ik->i", rows, cov, rows))
    z = stats.norm.ppf(0.5 + level / 2)
    return pd.DataFrame({variable: grid, "predicted": pred, "se": se, "lower": pred - z * se, "upper": pred + z * se})


def frame_fingerprint(frame: pd.DataFrame) -> str:
    """A short hash of a frame's contents (columns and values), used as a cache key."""
    import hashlib

    h = hashlib.sha256()
    h.update(",".join(frame.columns).encode())
    h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return h.hexdigest()[:16]


def fit_models(frame: pd.DataFrame, models=MODELS, cache_dir=None, verbose: bool = False) -> dict[str, MixedFit]:
    """Fit several of Models M1–M6, reusing results cached under ``cache_dir`` (keyed by the frame's contents
    and the package version) so that chapters sharing a frame do not refit. Progress goes to stdout."""
    import pickle
    from pathlib import Path

    from . import __version__

    key = frame_fingerprint(frame)
    fits = {}
    for model in models:
        path = Path(cache_dir) / f"{model}-{key}-{__version__}.pkl" if cache_dir else None
        if path is not None and path.exists():
            fits[model] = pickle.loads(path.read_bytes())
            emit_warnings(fits[model])
            continue
        fits[model] = fit_model(frame, model)
        if verbose:
            print(f"fitted {model} in {fits[model].seconds:.1f} s", flush=True)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(pickle.dumps(fits[model]))
    return fits


def convergence_report(fits: dict[str, MixedFit]) -> str:
    """Markdown: each model's optimiser and every convergence message, for display under a results table."""
    lines = []
    for name, fit in fits.items():
        problems = [m for m in fit.messages if not m.startswith("note:")]
        notes = [m.removeprefix("note: ") for m in fit.messages if m.startswith("note:")]
        status = "converged without warnings" if not problems else "**warning:** " + "; ".join(problems)
        extra = f" ({'; '.join(notes)})" if notes else ""
        lines.append(f"- {name}: optimiser {fit.optimiser}, {status}{extra}.")
    return "\n".join(lines)
