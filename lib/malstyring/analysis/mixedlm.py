"""statsmodels MixedLM as an independent reference for the book's estimator (``fit --engine statsmodels``).

Not in the book's path: the chapters use :mod:`malstyring.analysis.models`. MixedLM fits the same model (county
groups, a variance component for the office, ML), with its own optimiser. It has no clustered covariance, so the county
sandwich is evaluated at MixedLM's estimates with the book's formula; the coefficients, model-based standard
errors, variances and log-likelihood are MixedLM's own. MixedLM can stop at a worse local optimum without a
warning (seen on seed 4, Models 3 and 6, and on small simulated panels), so two of its optimisers are tried.
"""

import time
import warnings

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf

from .models import OUTCOME, Convergence, Design, EstimationError, MixedFit, _county_pieces, _profile, check_finite

METHODS = ("lbfgs", "powell")
"""MixedLM's optimisers tried; the fit with the highest log-likelihood is returned."""


def fit_statsmodels(
    frame: pd.DataFrame, terms: list[str], model: str = "custom", outcome: str = OUTCOME, methods=METHODS
) -> MixedFit:
    """ML fit with statsmodels MixedLM (the best of ``methods``), returned as the book's result type.

    The model-based standard errors are MixedLM's (from its joint Hessian); they differ from lme4's and the book's
    conditional ``A^-1`` in the third digit on small panels.
    """
    start = time.perf_counter()
    design = Design.from_frame(frame, terms, model, outcome)
    data = pd.DataFrame(design.x[:, 1:], columns=terms)
    data["y"], data["county"], data["office"] = design.y, design.county, design.office
    formula = "y ~ " + (" + ".join(terms) if terms else "1")
    md = smf.mixedlm(formula, data, groups=data["county"], re_formula="1", vc_formula={"office": "0 + C(office)"})
    attempts = []
    for method in methods:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                attempts.append((md.fit(reml=False, method=method), method, [str(w.message) for w in caught]))
            except (np.linalg.LinAlgError, ValueError):
                continue
    if not attempts:
        raise EstimationError(f"model {model}: every MixedLM optimiser failed")
    res, method, messages = max(attempts, key=lambda a: a[0].llf)
    s2 = float(res.scale)
    var_county = float(np.asarray(res.cov_re)[0, 0])
    var_office = float(res.vcomp[0])
    theta = np.array([var_office / s2, var_county / s2])
    sums = design.sums()
    profile = _profile(sums, *theta)
    xwx, xwy = _county_pieces(sums, profile, theta[0])
    beta = res.fe_params.to_numpy()
    names = design.names
    info, xvy = xwx / s2, xwy / s2
    k = len(names)
    conv = Convergence(
        optimiser=f"statsmodels MixedLM ({method})",
        success=bool(res.converged),
        message="; ".join(messages) or "converged",
        ratios=(float(theta[0]), float(theta[1])),
        gradient=(0.0, 0.0),  # not reported by MixedLM
        boundary=tuple(n for n, t in zip(("office", "county"), theta, strict=True) if t <= 1e-8),
        second_optimum=None,
        evaluations=0,
    )
    fit = MixedFit(
        model=model,
        terms=list(terms),
        coef=pd.Series(beta, index=names),
        cov_model=pd.DataFrame(res.cov_params().to_numpy()[:k, :k], index=names, columns=names),
        scores=xvy - info @ beta,
        county_info=info,
        county_xvy=xvy,
        var_county=var_county,
        var_office=var_office,
        var_residual=s2,
        loglik=float(res.llf),
        n_obs=sums.n,
        n_groups=sums.n_counties,
        n_offices=len(sums.n_office),
        convergence=conv,
        engine="statsmodels MixedLM",
        seconds=time.perf_counter() - start,
        design=design,
    )
    check_finite(fit)
    return fit
