"""The article's model, estimated one way: three-level random intercepts (month in office in county), ML.

Model. ``y = X b + u_county + u_office + e`` with independent normal intercepts and errors. For county g the
marginal covariance is ``V_g = s2 (I + go Z_g Z_g' + gc 1 1')``, where Z_g holds the office dummies and the
ratios go = var_office / s2 and gc = var_county / s2 are the only non-linear parameters.

Closed form. For given ratios, b and s2 have closed-form ML solutions (GLS, then rss / n), so the likelihood is
profiled over (go, gc). V_g^-1 is applied by two Woodbury steps (office, then county); with ``a_o = 1/(1 + n_o
go)`` and ``h_g = gc / (1 + gc q_g)``, every quantity the likelihood, its gradient and the sandwich need is a sum
per office or per county of X and y (see :class:`Sums`), so a fit never touches the rows once those sums exist.

Global optimum. The profile is two-dimensional: it is evaluated on a grid of ratios (zero included), the grid's
competitive local maxima are polished by projected Newton steps (analytic gradient, Hessian by differences of
it; L-BFGS-B where Newton stalls), and the best is kept. A different local optimum within
:data:`SECOND_OPTIMUM_TOLERANCE` log-likelihood units is reported in the convergence note. (statsmodels
MixedLM, which the book used first, stopped at a worse optimum on seed 4 without a warning.)

Inference. Model-based covariance ``A^-1`` with ``A = sum_g X_g' V_g^-1 X_g``; county-clustered sandwich
``A^-1 (sum_g s_g s_g') A^-1 * c`` with the score ``s_g = X_g' V_g^-1 r_g`` and the small-sample factor c named
as in clubSandwich: CR0 (1), CR1 (G/(G-1)), CR1S (G(N-1)/((G-1)(N-p))); and CR2 with Satterthwaite degrees of
freedom (:mod:`malstyring.analysis.inference`). Every test and interval goes through one API on the fit
(:meth:`MixedFit.coef_test`, :meth:`MixedFit.confint`, :meth:`MixedFit.lincom`, :meth:`MixedFit.tidy`), with the
rule named by a covariance type and a degrees-of-freedom rule (``normal``, ``G-1``, ``satterthwaite``). The wild
cluster bootstrap holds V fixed and works on the same per-county sums.

The references (statsmodels MixedLM, R's lme4 with clubSandwich) live beside the tests; they are not in the
book's path.
"""

import time
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy import optimize

from ..data.reference import variables
from .inference import (
    ARTICLE_RULE,
    VCOV_TYPES,
    CountyBases,
    InferenceRule,
    critical_values,
    estimating_matrices,
    stars,
    t_tests,
)

LOG_2PI_1 = np.log(2 * np.pi) + 1
OUTCOME = "to_work_share"
"""Share (0–1) of the exits of users with reduced work capacity that went to work."""
MODELS = ("M1", "M2", "M3", "M4", "M5", "M6")
DEFAULT_VCOV = ARTICLE_RULE.vcov
RATIO_GRID = np.array([0.0, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0])
"""Variance ratios (random-intercept variance / residual variance) tried before polishing."""
RATIO_MAX = 1e4
MAX_STARTS = 3
PEAK_MARGIN = 20.0
"""Grid peaks polished: the best, and up to two more whose grid log-likelihood is within PEAK_MARGIN of it. A
peak 20 units below on the grid would have to rise by 19 units between neighbouring grid points to become a
competing optimum; the profile is far smoother than that at the book's scale."""
SECOND_OPTIMUM_TOLERANCE = 1.0
"""A distinct local optimum this close (log-likelihood units) to the best is reported."""
BOUNDARY_RATIO = 1e-8
"""A ratio below this counts as a variance on the boundary (zero)."""
NEWTON_TOLERANCE = 1e-4
"""Newton stops when the projected gradient is below this (log-likelihood units per unit of ratio)."""
GRADIENT_TOLERANCE = 1e-2
"""Largest acceptable projected gradient of the profiled log-likelihood at the optimum (per unit of ratio). The
curvature is of the order 1e4–1e5 on the book's panel, so 1e-2 leaves the ratios within ~1e-6 of the maximum and
the log-likelihood within ~1e-9; Newton steps usually bring the gradient to ~1e-7."""


class EstimationError(ValueError):
    """A model cannot be estimated; the message names the model and the cause."""


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


# --- sufficient statistics ------------------------------------------------------------------------------------


@dataclass
class Sums:
    """Sums of X and y per office and per county: all the likelihood and the sandwich need.

    Offices are numbered 0..m-1 and counties 0..G-1; ``membership`` (G, m) says which county each office is in.
    """

    n: int
    n_office: np.ndarray  # (m,) rows per office
    county_of_office: np.ndarray  # (m,)
    membership: np.ndarray  # (G, m) one-hot
    xtx: np.ndarray  # (G, p, p) X_g' X_g
    sx: np.ndarray  # (m, p) column sums of X per office
    xty: np.ndarray  # (G, p) X_g' y_g
    sy: np.ndarray  # (m,) sum of y per office
    yty: float
    county_start: np.ndarray  # (G,) first row of each county (rows sorted by county, then office)
    office_start: np.ndarray  # (m,) first row of each office

    @property
    def n_counties(self) -> int:
        return self.membership.shape[0]

    def __post_init__(self):
        self.n_office_float = self.n_office.astype(float)
        if self.xty is not None:
            p = self.sx.shape[1]
            self.sxy = np.column_stack([self.sx, self.sy])  # (m, p + 1)
            self.sxy1 = np.column_stack([self.sx, self.sy, self.n_office_float])  # (m, p + 2)
            self.cross = np.empty((p + 1, p + 1))  # [X y]'[X y]
            self.cross[:p, :p] = self.xtx.sum(axis=0)
            self.cross[:p, p] = self.cross[p, :p] = self.xty.sum(axis=0)
            self.cross[p, p] = self.yty

    @classmethod
    def from_arrays(cls, y: np.ndarray, x: np.ndarray, county: np.ndarray, office: np.ndarray) -> "Sums":
        """``county`` and ``office`` are codes 0..G-1 and 0..m-1 with rows sorted by county, then office (as
        :class:`Design` keeps them); offices must be nested in counties."""
        m, g = int(office[-1]) + 1, int(county[-1]) + 1
        if np.any(np.diff(county) < 0) or np.any(np.diff(office) < 0):
            raise ValueError("rows must be sorted by county, then office")
        county_of_office = np.full(m, -1)
        county_of_office[office] = county
        if np.any(county_of_office[office] != county):
            raise EstimationError("an office appears in more than one county; offices must be nested in counties")
        office_start = np.searchsorted(office, np.arange(m))
        county_bounds = np.searchsorted(county, np.arange(g + 1))
        sx = np.add.reduceat(x, office_start, axis=0)
        membership = np.zeros((g, m))
        membership[county_of_office, np.arange(m)] = 1.0
        xtx = np.stack([x[a:b].T @ x[a:b] for a, b in zip(county_bounds[:-1], county_bounds[1:], strict=True)])
        n_office = np.diff(np.r_[office_start, len(y)])
        empty = cls(
            len(y), n_office, county_of_office, membership, xtx, sx, None, None, 0.0, county_bounds[:-1], office_start
        )
        return empty.with_outcome(y, x)

    def with_outcome(self, y: np.ndarray, x: np.ndarray) -> "Sums":
        """The same design with another outcome vector (cheap: only the y sums are recomputed)."""
        xty = np.add.reduceat(x * y[:, None], self.county_start, axis=0)
        sy = np.add.reduceat(y, self.office_start)
        return replace(self, xty=xty, sy=sy, yty=float(y @ y))


@dataclass
class _Profile:
    """The likelihood profiled over b and s2 at given ratios, with its gradient and the GLS pieces."""

    beta: np.ndarray
    s2: float
    loglik: float
    gradient: np.ndarray  # d loglik / d (go, gc)
    a: np.ndarray  # (m,) 1 / (1 + n_o go)
    h: np.ndarray  # (G,) gc / (1 + gc q_g)
    q_vec: np.ndarray  # (G, p) X_g' W_g 1


def _profile(s: Sums, go: float, gc: float, gradient: bool = True) -> _Profile:
    """GLS at ratios (go, gc) on the scale of V~ = V / s2: profiled b, s2, log-likelihood and (optionally) its
    gradient. Every cross-product of X and y is one block of the (p+1) x (p+1) matrix [X y]'V~^-1[X y]."""
    n_o = s.n_office_float
    a = 1.0 / (1.0 + n_o * go)
    c = go * a
    p = s.sx.shape[1]
    # office step: W = I - c_o 1 1' within each office; county step: V~^-1 = W - h W11'W, h = gc / (1 + gc q)
    county_sums = s.membership @ (a[:, None] * s.sxy1)  # (G, p + 2): [X y]'W1 and 1'W1 per county
    q_xy, q = county_sums[:, : p + 1], county_sums[:, p + 1]
    h = gc / (1.0 + gc * q)
    cross = s.cross - s.sxy.T @ (c[:, None] * s.sxy) - q_xy.T @ (h[:, None] * q_xy)
    a_mat, b_vec, ywy = cross[:p, :p], cross[:p, p], cross[p, p]
    beta = np.linalg.solve(a_mat, b_vec)
    rss = float(ywy - beta @ b_vec)
    n = s.n
    s2 = rss / n
    logdet = np.log1p(n_o * go).sum() + np.log1p(gc * q).sum()
    loglik = float(-0.5 * n * (LOG_2PI_1 + np.log(s2)) - 0.5 * logdet)
    if not gradient:
        return _Profile(beta, s2, loglik, None, a, h, q_xy[:, :p])
    # gradient (envelope theorem for b): residual sums per office, then 1_o'V~^-1 r and 1_g'V~^-1 r
    g_of = s.county_of_office
    s_o = s.sy - s.sx @ beta
    z_r = s.membership @ (a * s_o)
    na = n_o * a
    h_o = h[g_of]
    t_o = a * s_o - na * h_o * z_r[g_of]
    w_g = z_r / (1.0 + gc * q)
    tr_o = na.sum() - h_o @ (na * na)
    tr_c = (q / (1.0 + gc * q)).sum()
    grad = np.array([0.5 * n * (t_o @ t_o) / rss - 0.5 * tr_o, 0.5 * n * (w_g @ w_g) / rss - 0.5 * tr_c])
    return _Profile(beta, s2, loglik, grad, a, h, q_xy[:, :p])


def _county_pieces(s: Sums, pr: _Profile, go: float) -> tuple[np.ndarray, np.ndarray]:
    """Per-county X_g' V~_g^-1 X_g (G, p, p) and X_g' V~_g^-1 y_g (G, p) at a profile's ratios."""
    c = go * pr.a
    bounds = np.searchsorted(s.county_of_office, np.arange(s.n_counties + 1))  # offices are sorted by county
    xwx = s.xtx.copy()
    for g, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
        xwx[g] -= s.sx[lo:hi].T @ (c[lo:hi, None] * s.sx[lo:hi])
    xwx -= pr.h[:, None, None] * pr.q_vec[:, :, None] * pr.q_vec[:, None, :]
    z = s.membership @ (pr.a * s.sy)
    xwy = s.xty - s.membership @ ((c * s.sy)[:, None] * s.sx) - (pr.h * z)[:, None] * pr.q_vec
    return xwx, xwy


def profile_loglik(s: Sums, go: float, gc: float) -> float:
    """Profiled log-likelihood at variance ratios (go, gc) >= 0."""
    return _profile(s, go, gc, gradient=False).loglik


# --- the optimum ---------------------------------------------------------------------------------------------


@dataclass
class Convergence:
    """How the optimum was found: optimiser status, projected gradient, boundaries, competing optima."""

    optimiser: str
    success: bool
    message: str
    ratios: tuple[float, float]  # (var_office / s2, var_county / s2)
    gradient: tuple[float, float]  # projected gradient of the profiled log-likelihood at the optimum
    boundary: tuple[str, ...]  # 'office' and/or 'county' when that variance is estimated as zero
    second_optimum: float | None  # log-likelihood of a distinct local optimum within the tolerance, if any
    evaluations: int

    @property
    def ok(self) -> bool:
        """Judged by the projected gradient: L-BFGS-B may stop 'abnormally' once the line search cannot improve
        a likelihood that is already at its maximum to machine precision."""
        return max(abs(g) for g in self.gradient) < GRADIENT_TOLERANCE

    def note(self) -> str:
        """One line for the reader, e.g. 'converged (grid + Newton)', plus any caveat. The gradient's size is
        shown only when it is too large: its last digits differ between machines."""
        text = f"converged ({self.optimiser})" if self.ok else f"NOT converged ({self.optimiser})"
        if self.boundary:
            text += f"; {' and '.join(self.boundary)} variance estimated as zero"
        if self.second_optimum is not None:
            text += f"; another local optimum with log-likelihood {self.second_optimum:.2f}"
        if not self.ok:
            size = max(abs(g) for g in self.gradient)
            text += f"; projected gradient {size:.1e} (tolerance {GRADIENT_TOLERANCE:g}); optimiser: {self.message}"
        return text


def _projected_gradient(theta: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """Gradient of a maximisation with lower bounds 0: a negative slope at 0 counts as zero."""
    out = grad.copy()
    out[(theta <= BOUNDARY_RATIO) & (grad < 0)] = 0.0
    return out


def _newton(s: Sums, theta: np.ndarray, max_steps: int = 40) -> tuple[np.ndarray, int, bool]:
    """Projected Newton ascent from ``theta`` (Hessian by forward differences of the analytic gradient), with
    step halving. Returns the ratios, the number of likelihood evaluations and whether the projected gradient fell
    below NEWTON_TOLERANCE. At the optimum the log-likelihood is flat to ~1e-9 (rounding), so near it progress is
    judged by the gradient rather than by the likelihood."""
    current = _profile(s, *theta)
    evaluations = 1
    for _ in range(max_steps):
        grad = _projected_gradient(theta, current.gradient)
        if np.max(np.abs(grad)) < NEWTON_TOLERANCE:
            return theta, evaluations, True
        free = np.flatnonzero(grad != 0)
        hess = np.zeros((len(free), len(free)))
        for col, k in enumerate(free):
            e = np.zeros(2)
            e[k] = 1e-6 * max(theta[k], 1e-2)
            hess[:, col] = (_profile(s, *(theta + e)).gradient[free] - current.gradient[free]) / e[k]
            evaluations += 1
        hess = (hess + hess.T) / 2
        if np.all(np.linalg.eigvalsh(hess) < 0):
            step = -np.linalg.solve(hess, grad[free])
        else:  # not concave here: a gradient step scaled by the curvature's size
            step = grad[free] / max(np.max(np.abs(np.diag(hess))), 1.0)
        for _ in range(30):
            proposal = theta.copy()
            proposal[free] = np.clip(theta[free] + step, 0.0, RATIO_MAX)
            candidate = _profile(s, *proposal)
            evaluations += 1
            flat = candidate.loglik > current.loglik - 1e-7
            smaller = np.max(np.abs(_projected_gradient(proposal, candidate.gradient))) < np.max(np.abs(grad))
            if candidate.loglik > current.loglik + 1e-7 or (flat and smaller):
                break
            step = step / 2
        else:
            return theta, evaluations, False
        theta, current = proposal, candidate
    return theta, evaluations, False


def _lbfgsb(s: Sums, theta: np.ndarray) -> tuple[np.ndarray, int, str]:
    """L-BFGS-B with the analytic gradient: the fallback when Newton stalls."""

    def negative(t):
        pr = _profile(s, float(t[0]), float(t[1]))
        return -pr.loglik, -pr.gradient

    res = optimize.minimize(
        negative, theta, jac=True, method="L-BFGS-B", bounds=[(0.0, RATIO_MAX)] * 2, options={"maxiter": 500}
    )
    return np.where(res.x < BOUNDARY_RATIO, 0.0, res.x), res.nfev, str(res.message)


def maximise(s: Sums) -> tuple[np.ndarray, Convergence]:
    """Global maximum of the profiled log-likelihood over the two ratios: a grid (zero included), then Newton
    from each competitive grid peak (L-BFGS-B where Newton stalls). Distinct optima within
    SECOND_OPTIMUM_TOLERANCE of the best are reported."""
    grid = np.array([[profile_loglik(s, go, gc) for gc in RATIO_GRID] for go in RATIO_GRID])
    evaluations = grid.size
    padded = np.pad(grid, 1, constant_values=-np.inf)
    peaks = sorted(
        (
            (grid[i, j], i, j)
            for i in range(grid.shape[0])
            for j in range(grid.shape[1])
            if grid[i, j] >= padded[i : i + 3, j : j + 3].max()
        ),
        reverse=True,
    )
    starts = [pk for pk in peaks[:MAX_STARTS] if pk[0] > peaks[0][0] - PEAK_MARGIN]
    optima, methods, messages = [], set(), []
    for _, i, j in starts:
        theta, n_eval, ok = _newton(s, np.array([RATIO_GRID[i], RATIO_GRID[j]]))
        evaluations += n_eval
        methods.add("Newton")
        if not ok:
            theta, n_eval, message = _lbfgsb(s, theta)
            theta, more, ok = _newton(s, theta)
            evaluations += n_eval + more
            methods.add("L-BFGS-B")
            messages.append(message)
        optima.append((_profile(s, *theta).loglik, theta, ok))
    best_ll, theta, ok = max(optima, key=lambda o: o[0])
    final = _profile(s, *theta)
    distinct = [
        ll
        for ll, t, _ in optima
        if np.max(np.abs(t - theta) / np.maximum(theta, 1e-4)) > 1e-2 and ll > best_ll - SECOND_OPTIMUM_TOLERANCE
    ]
    grad = _projected_gradient(theta, final.gradient)
    boundary = tuple(name for name, t in zip(("office", "county"), theta, strict=True) if t <= BOUNDARY_RATIO)
    conv = Convergence(
        optimiser="grid + " + " + ".join(sorted(methods, reverse=True)),
        success=bool(ok),
        message="; ".join(messages) or "converged",
        ratios=(float(theta[0]), float(theta[1])),
        gradient=(float(grad[0]), float(grad[1])),
        boundary=boundary,
        second_optimum=max(distinct) if distinct else None,
        evaluations=evaluations,
    )
    return theta, conv


# --- the result ------------------------------------------------------------------------------------------------


@dataclass
class MixedFit:
    """One fit of the three-level model: estimates, inference and diagnostics. Variances are in squared outcome
    units (the outcome is a 0–1 share)."""

    model: str
    terms: list[str]
    coef: pd.Series
    cov_model: pd.DataFrame  # model-based covariance of the fixed effects, A^-1
    scores: np.ndarray  # (G, p) county scores X_g' V_g^-1 r_g
    county_info: np.ndarray  # (G, p, p) X_g' V_g^-1 X_g, for the wild bootstrap
    county_xvy: np.ndarray  # (G, p) X_g' V_g^-1 y_g, for the wild bootstrap
    var_county: float
    var_office: float
    var_residual: float
    loglik: float
    n_obs: int
    n_groups: int
    n_offices: int
    convergence: Convergence
    engine: str = "closed-form ML"
    seconds: float = 0.0
    messages: list[str] = field(default_factory=list)
    design: "Design | None" = field(default=None, repr=False)  # the rows, for CR2 and Satterthwaite df
    _cache: dict = field(default_factory=dict, repr=False)

    # -- inference --
    @property
    def bread(self) -> np.ndarray:
        """A^-1 = (sum_g X_g' V_g^-1 X_g)^-1 at the fitted variances: the sandwich's bread (for this engine also
        the model-based covariance)."""
        return np.linalg.inv(self.county_info.sum(axis=0))

    @property
    def ratios(self) -> tuple[float, float]:
        """The fitted variance ratios (var_office / var_residual, var_county / var_residual)."""
        return self.convergence.ratios

    def _estimating_matrices(self, kind: str):
        """CR2 (or CR0/CR1/CR1S) estimating matrices in the county subspaces, computed once per fit and type."""
        if kind not in self._cache:
            if self.design is None:
                raise ValueError(f"model {self.model}: CR2 and Satterthwaite df need the fit's design (rows)")
            bases = self.design.county_bases()
            self._cache[kind] = estimating_matrices(bases, self.design.y, self.coef.to_numpy(), self.ratios, kind)
        return self._cache[kind]

    def vcov(self, kind: str = DEFAULT_VCOV) -> pd.DataFrame:
        """Covariance of the fixed effects: 'model' or a county-clustered sandwich (one of VCOV_TYPES)."""
        if kind == "model":
            return self.cov_model
        if kind not in VCOV_TYPES:
            raise ValueError(f"vcov must be 'model' or one of {VCOV_TYPES}, got {kind!r}")
        if kind == "CR2":
            cov = self._estimating_matrices("CR2").vcov()
        else:
            g, n, p = self.n_groups, self.n_obs, len(self.coef)
            factor = {"CR0": 1.0, "CR1": g / (g - 1), "CR1S": g * (n - 1) / ((g - 1) * (n - p))}[kind]
            bread = self.bread
            cov = bread @ (self.scores.T @ self.scores) @ bread * factor
        return pd.DataFrame(cov, index=self.coef.index, columns=self.coef.index)

    def se(self, kind: str = DEFAULT_VCOV) -> pd.Series:
        return pd.Series(np.sqrt(np.diag(self.vcov(kind))), index=self.coef.index)

    def degrees_of_freedom(self, vcov: str, df: str, contrasts: np.ndarray | None = None) -> np.ndarray:
        """Degrees of freedom under rule ``df`` for each row of ``contrasts`` (default: each coefficient);
        ``inf`` for a normal reference distribution."""
        InferenceRule("custom", vcov, df, "")  # checks the pair
        w = np.eye(len(self.coef)) if contrasts is None else np.atleast_2d(np.asarray(contrasts, dtype=float))
        if df == "normal":
            return np.full(len(w), np.inf)
        if df == "G-1":
            return np.full(len(w), float(self.n_groups - 1))
        return self._estimating_matrices(vcov).satterthwaite_df(w)

    def coef_test(self, vcov: str = ARTICLE_RULE.vcov, df: str = ARTICLE_RULE.df) -> pd.DataFrame:
        """One row per coefficient: estimate, se, df, t and the two-sided p-value of coefficient = 0 under the
        rule (``vcov``, ``df``); ``df`` is ``inf`` for a normal reference distribution. Computed once per fit and
        rule; each call returns a copy."""
        key = ("coef_test", vcov, df)
        if key not in self._cache:
            se = self.se(vcov)
            dfs = self.degrees_of_freedom(vcov, df)
            t, p = t_tests(self.coef.to_numpy(), se.to_numpy(), dfs)
            out = pd.DataFrame({"estimate": self.coef, "se": se, "df": dfs, "t": t, "p": p}, index=self.coef.index)
            out.index.name = "parameter"
            out.attrs["rule"] = (vcov, df)
            self._cache[key] = out
        return self._cache[key].copy()

    def confint(self, level: float = 0.95, vcov: str = ARTICLE_RULE.vcov, df: str = ARTICLE_RULE.df) -> pd.DataFrame:
        """Confidence intervals (columns ``low`` and ``high``) at ``level`` under the rule (``vcov``, ``df``)."""
        test = self.coef_test(vcov, df)
        half = critical_values(level, test["df"].to_numpy()) * test["se"].to_numpy()
        return pd.DataFrame({"low": test["estimate"] - half, "high": test["estimate"] + half}, index=test.index)

    def tidy(self, level: float = 0.95, vcov: str = ARTICLE_RULE.vcov, df: str = ARTICLE_RULE.df) -> pd.DataFrame:
        """:meth:`coef_test` with the interval at ``level`` and the article's stars under the same rule."""
        out = self.coef_test(vcov, df).join(self.confint(level, vcov, df))
        out["stars"] = out["p"].map(stars)
        return out

    def lincom(
        self, weights: dict | pd.Series, level: float = 0.95, vcov: str = ARTICLE_RULE.vcov, df: str = ARTICLE_RULE.df
    ) -> pd.Series:
        """A linear combination sum_k w_k b_k of the coefficients (``weights`` by term; the others weigh 0):
        estimate, se, df, t, p and the interval at ``level`` under the rule (``vcov``, ``df``)."""
        weights = pd.Series(weights, dtype=float)
        unknown = sorted(set(weights.index) - set(self.coef.index))
        if unknown:
            raise ValueError(f"model {self.model}: no such term(s) for lincom: {unknown}")
        w = weights.reindex(self.coef.index, fill_value=0.0).to_numpy()
        estimate = float(w @ self.coef.to_numpy())
        se = float(np.sqrt(w @ self.vcov(vcov).to_numpy() @ w))
        dfs = float(self.degrees_of_freedom(vcov, df, w[None, :])[0])
        t, p = t_tests(estimate, se, dfs)
        half = float(critical_values(level, dfs)) * se
        return pd.Series(
            {"estimate": estimate, "se": se, "df": dfs, "t": float(t), "p": float(p)}
            | {"low": estimate - half, "high": estimate + half}
        )

    def p_values(self, kind: str = DEFAULT_VCOV) -> pd.Series:
        """Two-sided normal p-values (the article's reading)."""
        return self.coef_test(kind, "normal")["p"]

    @property
    def se_model(self) -> pd.Series:
        return self.se("model")

    @property
    def se_cluster(self) -> pd.Series:
        """County-clustered standard errors, CR1 (the article's)."""
        return self.se(DEFAULT_VCOV)

    @property
    def p_cluster(self) -> pd.Series:
        return self.p_values(DEFAULT_VCOV)

    @property
    def p_model(self) -> pd.Series:
        return self.p_values("model")

    # -- fit statistics --
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
    def icc(self) -> dict[str, float]:
        """Intraclass correlations: the office's and the county's share of the total variance."""
        total = self.var_county + self.var_office + self.var_residual
        return {"office": self.var_office / total, "county": self.var_county / total}

    def table(self, vcov: str = ARTICLE_RULE.vcov, df: str = ARTICLE_RULE.df) -> pd.DataFrame:
        """One row per parameter: estimate, model-based SE, clustered SE, its degrees of freedom (``inf``:
        normal), clustered p and stars under the rule (``vcov``, ``df``)."""
        test = self.coef_test(vcov, df)
        out = pd.DataFrame(
            {
                "estimate": self.coef,
                "se_model": self.se_model,
                "se_cluster": test["se"],
                "df_cluster": test["df"],
                "p_cluster": test["p"],
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

    def predict(
        self, rows: pd.DataFrame, level: float = 0.95, vcov: str = ARTICLE_RULE.vcov, df: str = ARTICLE_RULE.df
    ) -> pd.DataFrame:
        """Linear predictions (fixed part) for ``rows`` (one column per term) with a clustered confidence band
        under the rule (``vcov``, ``df``)."""
        missing = [t for t in self.terms if t not in rows.columns]
        if missing:
            raise ValueError(f"model {self.model}: columns missing for prediction: {missing}")
        x = np.column_stack([np.ones(len(rows)), rows[self.terms].to_numpy(float)])
        pred = x @ self.coef.to_numpy()
        se = np.sqrt(np.einsum("ij,jk,ik->i", x, self.vcov(vcov).to_numpy(), x))
        half = critical_values(level, self.degrees_of_freedom(vcov, df, x)) * se
        return pd.DataFrame({"predicted": pred, "se": se, "lower": pred - half, "upper": pred + half})

    def wild_bootstrap(
        self,
        terms: str | list[str] | None = None,
        n_boot: int = 9999,
        weights: str = "webb",
        seed: int | np.random.SeedSequence = 0,
        level: float = 0.95,
    ) -> pd.DataFrame:
        """Wild cluster bootstrap (county clusters) for each of ``terms`` (default: every coefficient), holding the
        variance components fixed; every term uses the same ``n_boot`` weight draws.

        p-value: restricted bootstrap (WCR; residuals from the model with the coefficient set to 0), symmetric,
        on the CR1 t statistic. Interval: unrestricted bootstrap-t (WCU). One row per term: estimate, se, t,
        p_boot, ci_low, ci_high, n_boot, weights.
        """
        names = list(self.coef.index)
        terms = names if terms is None else [terms] if isinstance(terms, str) else list(terms)
        unknown = [t for t in terms if t not in names]
        if unknown:
            raise ValueError(f"model {self.model}: no such term(s) for the wild bootstrap: {unknown}")
        w = bootstrap_weights(weights, self.n_groups, n_boot, seed)
        info_total = self.county_info.sum(axis=0)
        xvy_total = self.county_xvy.sum(axis=0)
        se_all = self.se_cluster
        columns = [names.index(t) for t in terms]
        t_unres = self._bootstrap_t(self.coef.to_numpy(), w, columns)  # (terms, B), from one set of replicates
        rows = {}
        for i, term in enumerate(terms):
            j = columns[i]
            keep = [k for k in range(len(names)) if k != j]
            restricted = np.zeros(len(names))
            restricted[keep] = np.linalg.solve(info_total[np.ix_(keep, keep)], xvy_total[keep])
            t_null = self._bootstrap_t(restricted, w, [j])[0]
            se = float(se_all[term])
            t_obs = float(self.coef[term]) / se
            lo_q, hi_q = np.quantile(t_unres[i], [(1 - level) / 2, (1 + level) / 2])
            rows[term] = {
                "estimate": float(self.coef[term]),
                "se": se,
                "t": t_obs,
                "p_boot": float(np.mean(np.abs(t_null) >= abs(t_obs))),
                "ci_low": float(self.coef[term] - hi_q * se),
                "ci_high": float(self.coef[term] - lo_q * se),
                "n_boot": n_boot,
                "weights": weights,
            }
        out = pd.DataFrame.from_dict(rows, orient="index")
        out.index.name = "parameter"
        return out

    def _bootstrap_t(self, base: np.ndarray, weights: np.ndarray, rows: list[int]) -> np.ndarray:
        """CR1 t statistics of (b*_k - base_k), k in ``rows``, in the replicates y* = X base + w_g e_g with
        e = y - X base; shape (len(rows), B)."""
        a_inv = self.bread
        u = self.county_xvy - self.county_info @ base  # (G, p) scores at base
        delta = a_inv @ (u.T @ weights)  # (p, B): b* - base
        g = weights.shape[0]
        out = np.empty((len(rows), weights.shape[1]))
        for i, k in enumerate(rows):
            h = a_inv[k]
            contrib = (u @ h)[:, None] * weights - (self.county_info @ h) @ delta  # (G, B)
            out[i] = delta[k] / np.sqrt((contrib**2).sum(axis=0) * g / (g - 1))
        return out


WEIGHTS = ("webb", "rademacher")


def bootstrap_weights(kind: str, n_groups: int, n_boot: int, seed: int | np.random.SeedSequence) -> np.ndarray:
    """Wild-bootstrap weights, one column per replicate: Webb's six-point or Rademacher (+-1)."""
    rng = np.random.default_rng(seed)
    if kind == "webb":
        support = np.array([-np.sqrt(1.5), -1, -np.sqrt(0.5), np.sqrt(0.5), 1, np.sqrt(1.5)])
        return rng.choice(support, size=(n_groups, n_boot))
    if kind == "rademacher":
        return rng.choice(np.array([-1.0, 1.0]), size=(n_groups, n_boot))
    raise ValueError(f"weights must be one of {WEIGHTS}, got {kind!r}")


# --- fitting -----------------------------------------------------------------------------------------------------


@dataclass
class Design:
    """The arrays of one model on one frame: y, X (intercept first), county and office codes, term names. Rows
    are sorted by county, then office; ``order`` maps them back (row i here is row order[i] of the frame)."""

    model: str
    names: list[str]
    y: np.ndarray
    x: np.ndarray
    county: np.ndarray
    office: np.ndarray
    order: np.ndarray
    bases: CountyBases | None = field(default=None, repr=False, compare=False)

    def county_bases(self) -> CountyBases:
        """The per-county subspaces CR2 works in (computed once; shared by designs made with ``replace``)."""
        if self.bases is None:
            self.bases = CountyBases.from_arrays(self.x, self.county, self.office)
        return self.bases

    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        terms: list[str],
        model: str = "custom",
        outcome: str = OUTCOME,
        county: str = "county_id",
        office: str = "office_id",
    ) -> "Design":
        """Check the columns (present, finite, varying) and build the arrays; errors name the model and cause."""
        columns = [outcome, *terms]
        missing = [t for t in [*columns, county, office] if t not in frame.columns]
        if missing:
            raise EstimationError(f"model {model}: columns not in the frame: {missing}")
        if len(frame) == 0:
            raise EstimationError(f"model {model}: the frame has no rows")
        county_codes = pd.factorize(frame[county], sort=True)[0]
        office_raw = pd.factorize(frame[office], sort=True)[0]
        if county_codes.min() < 0 or office_raw.min() < 0:
            raise EstimationError(f"model {model}: missing county or office identifiers")
        county_of = np.full(office_raw.max() + 1, -1)
        county_of[office_raw] = county_codes
        if np.any(county_of[office_raw] != county_codes):
            raise EstimationError(f"model {model}: an office appears in more than one county; offices must be nested")
        order = np.lexsort((office_raw, county_codes))  # rows by county, then office: contiguous blocks
        data = frame[columns]
        try:
            numeric = data.to_numpy(dtype=float)
        except (TypeError, ValueError):
            numeric = data.apply(pd.to_numeric, errors="coerce").to_numpy(float)
        bad = [c for c, ok in zip(columns, np.isfinite(numeric).all(axis=0), strict=True) if not ok]
        if bad:
            raise EstimationError(f"model {model}: missing or non-finite values in {bad}")
        flat = [
            t for t, varies in zip(terms, (numeric[:, 1:] != numeric[0, 1:]).any(axis=0), strict=True) if not varies
        ]
        if flat:
            raise EstimationError(f"model {model}: no variance in {flat} (constant column)")
        x = numeric.take(order, axis=0)
        y = x[:, 0].copy()
        x[:, 0] = 1.0  # the outcome's column becomes the intercept
        office_sorted = office_raw[order]
        office_codes = np.cumsum(np.r_[True, office_sorted[1:] != office_sorted[:-1]]) - 1
        return cls(model, ["Intercept", *terms], y, x, county_codes[order], office_codes, order)

    def sums(self) -> Sums:
        return Sums.from_arrays(self.y, self.x, self.county, self.office)


def _assemble(design: Design, s: Sums, theta: np.ndarray, conv: Convergence, start: float) -> MixedFit:
    pc = _profile(s, *theta)
    s2 = pc.s2
    xwx, xwy = _county_pieces(s, pc, theta[0])
    info = xwx / s2
    try:
        a_inv = np.linalg.inv(info.sum(axis=0))
    except np.linalg.LinAlgError as err:
        raise EstimationError(f"model {design.model}: the fixed-effect design is singular ({err})") from err
    xvy = xwy / s2
    names = design.names
    fit = MixedFit(
        model=design.model,
        terms=names[1:],
        coef=pd.Series(pc.beta, index=names),
        cov_model=pd.DataFrame(a_inv, index=names, columns=names),
        scores=xvy - info @ pc.beta,
        county_info=info,
        county_xvy=xvy,
        var_county=float(theta[1] * s2),
        var_office=float(theta[0] * s2),
        var_residual=float(s2),
        loglik=pc.loglik,
        n_obs=s.n,
        n_groups=s.n_counties,
        n_offices=len(s.n_office),
        convergence=conv,
        seconds=time.perf_counter() - start,
        design=design,
    )
    check_finite(fit)
    return fit


def check_finite(fit: MixedFit) -> None:
    """Stop with a message naming the model if any estimate or standard error is not finite."""
    values = np.r_[fit.coef.to_numpy(), fit.se_model.to_numpy(), fit.se_cluster.to_numpy(), fit.loglik]
    if not np.all(np.isfinite(values)):
        raise EstimationError(f"model {fit.model}: non-finite estimates or standard errors (check the data)")
    if fit.n_groups < 2:
        raise EstimationError(f"model {fit.model}: clustered standard errors need at least two counties")


def fit_design(design: Design, sums: Sums | None = None) -> MixedFit:
    """Fit a prepared design (``sums`` may be passed when only the outcome changed, see :meth:`Sums.with_outcome`)."""
    start = time.perf_counter()
    s = sums if sums is not None else design.sums()
    try:
        theta, conv = maximise(s)
    except np.linalg.LinAlgError as err:
        raise EstimationError(f"model {design.model}: the fixed-effect design is singular ({err})") from err
    if not conv.ok:
        raise EstimationError(f"model {design.model}: the optimiser failed: {conv.note()}")
    return _assemble(design, s, theta, conv, start)


def fit_at_ratios(design: Design, ratios: tuple[float, float]) -> MixedFit:
    """The model at given variance ratios (var_office / var_residual, var_county / var_residual) instead of at
    the ML optimum; b and the residual variance are profiled as usual. For comparing inference with another
    implementation at that implementation's own variance parameters."""
    start = time.perf_counter()
    s = design.sums()
    theta = np.asarray(ratios, dtype=float)
    if theta.shape != (2,) or np.any(theta < 0) or not np.all(np.isfinite(theta)):
        raise ValueError(f"ratios must be two finite numbers >= 0, got {ratios!r}")
    grad = _projected_gradient(theta, _profile(s, *theta).gradient)
    conv = Convergence(
        optimiser="ratios given",
        success=True,
        message="not optimised",
        ratios=(float(theta[0]), float(theta[1])),
        gradient=(float(grad[0]), float(grad[1])),
        boundary=tuple(name for name, t in zip(("office", "county"), theta, strict=True) if t <= BOUNDARY_RATIO),
        second_optimum=None,
        evaluations=1,
    )
    return _assemble(design, s, theta, conv, start)


def fit_mixed(
    frame: pd.DataFrame,
    terms: list[str],
    model: str = "custom",
    outcome: str = OUTCOME,
    county: str = "county_id",
    office: str = "office_id",
) -> MixedFit:
    """ML fit of ``outcome ~ 1 + terms`` with county and office-in-county random intercepts (see module doc)."""
    return fit_design(Design.from_frame(frame, terms, model, outcome, county, office))


def fit_model(frame: pd.DataFrame, model: str) -> MixedFit:
    """Fit one of the article's Models M1–M6."""
    return fit_mixed(frame, model_terms(model), model=model)


def fit_models(frame: pd.DataFrame, models=MODELS, verbose: bool = False) -> dict[str, MixedFit]:
    """Fit several of Models M1–M6 on one frame (progress to stdout when ``verbose``)."""
    fits = {}
    for model in models:
        fits[model] = fit_model(frame, model)
        if verbose:
            print(f"fitted {model} in {fits[model].seconds:.2f} s", flush=True)
    return fits


def one_sd_effect(
    fit: MixedFit, frame: pd.DataFrame, term: str, vcov: str = ARTICLE_RULE.vcov, df: str = ARTICLE_RULE.df
) -> pd.Series:
    """The change in the fit's outcome (for the article's models a share 0–1) when ``term`` rises by one standard
    deviation (ddof 1) of its values in ``frame``: ``sd``, then the fit's :meth:`~MixedFit.lincom` of sd × b
    (estimate, se, df, t, p, low, high) under the rule (``vcov``, ``df``). Sets the article's per-unit coefficient
    against the spread the data actually have."""
    sd = float(frame[term].std())
    return pd.concat([pd.Series({"sd": sd}), fit.lincom({term: sd}, vcov=vcov, df=df)])


def predict_at_means(
    fit: MixedFit,
    frame: pd.DataFrame,
    variable: str,
    grid: np.ndarray,
    level: float = 0.95,
    vcov: str = ARTICLE_RULE.vcov,
    df: str = ARTICLE_RULE.df,
) -> pd.DataFrame:
    """Predictions across ``grid`` values of ``variable`` with the other terms at their means in ``frame``, with a
    ``level`` confidence band under the rule (``vcov``, ``df``)."""
    if variable not in fit.terms:
        raise ValueError(f"{variable!r} is not a term of model {fit.model}")
    rows = pd.DataFrame([frame[fit.terms].mean()] * len(grid)).reset_index(drop=True)
    rows[variable] = np.asarray(grid, dtype=float)
    return pd.concat([rows[[variable]], fit.predict(rows, level, vcov, df)], axis=1)


def convergence_report(fits: dict[str, MixedFit]) -> str:
    """One sentence for readers: that every model reached the maximum of its likelihood, or, model by model, the
    convergence notes of those that did not or that carry a caveat (a variance at zero, a second optimum)."""
    names = list(fits)
    caveats = {
        n: f.convergence.note()
        for n, f in fits.items()
        if f.convergence.note() != f"converged ({f.convergence.optimiser})"
    }
    models = f"Models {names[0][1:]}–{names[-1][1:]}" if len(names) > 1 else f"Model {names[0][1:]}"
    if not caveats:
        return f"{models}: each fit reached the maximum of its likelihood (no variance at zero, no second optimum)."
    return f"{models}: " + "; ".join(f"{n}: {note}" for n, note in caveats.items()) + "."
