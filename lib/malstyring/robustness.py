"""Robustness analyses beyond the article: restrictions, lags, within/between, few-cluster inference, a
binomial model, the specification curve and a Monte Carlo of the design. All use Model 3's covariates and the
fast ML fit of :mod:`malstyring.fastfit` (checked against MixedLM in the tests)."""

import itertools
import time
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from .fastfit import fast_fit, wild_cluster_bootstrap
from .models import model_terms
from .operationalise import FrameOptions, build_frame, covariates
from .validate import RawData, load_raw

M3_TERMS = model_terms("M3")
CONTROLS = [t for t in M3_TERMS if t != "index"]


def variance_inflation(frame: pd.DataFrame, terms: list[str] = M3_TERMS) -> pd.Series:
    """VIF of each term: 1 / (1 - R^2) from regressing it on the other terms (with a constant)."""
    x = frame[terms].to_numpy(float)
    out = {}
    for j, term in enumerate(terms):
        others = np.column_stack([np.ones(len(x)), np.delete(x, j, axis=1)])
        coef, *_ = np.linalg.lstsq(others, x[:, j], rcond=None)
        resid = x[:, j] - others @ coef
        r2 = 1 - resid.var() / x[:, j].var()
        out[term] = 1 / (1 - r2) if r2 < 1 else np.inf
    return pd.Series(out).sort_values(ascending=False)


def add_index_lags(frame: pd.DataFrame, max_lag: int = 12) -> tuple[pd.DataFrame, int]:
    """Distributed-lag frame: for the outcome month m = t+1, the index at m-1 (= t), m-2, ..., m-``max_lag``.

    Lags are looked up within the same office only (never across offices). Returns the frame restricted to rows
    with every lag present, and the number of rows dropped for missing lags.
    """
    from .panel import month_number

    idx = frame[["office_id", "month", "index"]].copy()
    idx["num"] = month_number(idx["month"])
    out = frame.copy()
    out["num"] = month_number(out["month"])
    lookup = idx.set_index(["office_id", "num"])["index"]
    for k in range(1, max_lag + 1):
        keys = pd.MultiIndex.from_arrays([out["office_id"], out["num"] - (k - 1)])
        out[f"index_lag{k}"] = lookup.reindex(keys).to_numpy()
    lag_cols = [f"index_lag{k}" for k in range(1, max_lag + 1)]
    complete = out[lag_cols].notna().all(axis=1)
    return out[complete].drop(columns="num").reset_index(drop=True), int((~complete).sum())


def mundlak(frame: pd.DataFrame, column: str = "index") -> pd.DataFrame:
    """Split ``column`` into the office's mean over the sample (between) and the month's deviation (within)."""
    out = frame.copy()
    out[f"{column}_between"] = out.groupby("office_id")[column].transform("mean")
    out[f"{column}_within"] = out[column] - out[f"{column}_between"]
    return out


def binomial_model(frame: pd.DataFrame, terms: list[str] = M3_TERMS, term: str = "index") -> dict:
    """Fractional-logit / binomial GLM (= GEE with independence) of the share to work, weighted by the number
    of exits, with county-clustered errors; returns the coefficient (log-odds), its clustered SE and p, and the
    average marginal effect on the probability scale with a delta-method SE."""
    data = frame.sort_values(["county_id", "office_id"], kind="stable")
    x = sm.add_constant(data[terms].astype(float), has_constant="add")
    # exits to work out of exits: a binomial GLM with n trials (the fractional logit weighted by exits)
    counts = np.column_stack([data["exits_to_work"], data["exits"] - data["exits_to_work"]])
    model = sm.GLM(counts, x, family=sm.families.Binomial())
    groups = pd.factorize(data["county_id"])[0]
    res = model.fit(cov_type="cluster", cov_kwds={"groups": groups})
    p = res.predict(x)
    ame = float(res.params[term] * np.mean(p * (1 - p)))
    # delta method for the AME: gradient w.r.t. all coefficients
    dp = (p * (1 - p)).to_numpy()
    grad = res.params[term] * ((1 - 2 * p.to_numpy()) * dp)[:, None] * x.to_numpy()
    grad = grad.mean(axis=0)
    grad[list(x.columns).index(term)] += dp.mean()
    ame_se = float(np.sqrt(grad @ res.cov_params().to_numpy() @ grad))
    return {
        "coef": float(res.params[term]),
        "se": float(res.bse[term]),
        "p": float(res.pvalues[term]),
        "ame": ame,
        "ame_se": ame_se,
        "ame_p": float(2 * stats.norm.sf(abs(ame / ame_se))),
    }


@dataclass(frozen=True)
class Spec:
    """One analyst choice set for the specification curve."""

    sample: str  # 'all', 'drop smallest 20%', 'drop 2012'
    lead: int
    attainment: str

    def options(self) -> FrameOptions:
        return FrameOptions(
            lead=self.lead,
            attainment=self.attainment,
            exclude_years=(2012,) if self.sample == "drop 2012" else (),
            drop_smallest=0.2 if self.sample == "drop smallest 20%" else 0.0,
        )


SAMPLES = ("all", "drop smallest 20%", "drop 2012")
LEADS = (1, 3, 6, 12)
CODINGS = ("strict", "partial")
SE_TYPES = ("model-based", "county-clustered", "wild bootstrap")


def all_specs(samples=SAMPLES, leads=LEADS, codings=CODINGS) -> list[Spec]:
    return [Spec(s, lead, c) for s, lead, c in itertools.product(samples, leads, codings)]


@lru_cache(maxsize=2)
def _raw(data_dir: str) -> RawData:
    return load_raw(data_dir)


@lru_cache(maxsize=4)
def _covariates(data_dir: str, attainment: str) -> pd.DataFrame:
    return covariates(_raw(data_dir), FrameOptions(attainment=attainment))


def run_spec(data_dir: str, spec: Spec, n_boot: int = 999, seed: int = 20180101) -> list[dict]:
    """Fit Model 3 under one spec; one result row per standard-error type."""
    raw = _raw(data_dir)
    frame, _ = build_frame(raw, spec.options(), cov=_covariates(data_dir, spec.attainment))
    fit = fast_fit(frame, M3_TERMS)
    est = fit.coef["index"]
    z = stats.norm.ppf(0.975)
    boot = wild_cluster_bootstrap(fit, "index", n_boot=n_boot, seed=seed)
    base = {"sample": spec.sample, "lead": spec.lead, "attainment": spec.attainment, "n_obs": fit.n_obs}
    intervals = {
        "model-based": (fit.se_model["index"], float(2 * stats.norm.sf(abs(est / fit.se_model["index"])))),
        "county-clustered": (fit.se_cluster["index"], fit.p_cluster("index")),
    }
    rows = [
        base | {"se_type": name, "estimate": est, "low": est - z * se, "high": est + z * se, "p": p}
        for name, (se, p) in intervals.items()
    ]
    rows.append(
        base
        | {
            "se_type": "wild bootstrap",
            "estimate": est,
            "low": boot["ci_low"],
            "high": boot["ci_high"],
            "p": boot["p_boot"],
        }
    )
    return rows


def specification_curve(data_dir: str, specs: list[Spec], n_jobs: int = 2, n_boot: int = 999, progress: bool = True):
    """Run every spec (in parallel with joblib, a progress bar on stderr) and return a tidy frame sorted by
    estimate, with the elapsed seconds in ``attrs['seconds']``."""
    from joblib import Parallel, delayed
    from tqdm import tqdm

    start = time.perf_counter()
    data_dir = str(data_dir)
    jobs = (delayed(run_spec)(data_dir, spec, n_boot) for spec in tqdm(specs, disable=not progress, desc="specs"))
    rows = Parallel(n_jobs=n_jobs)(jobs)
    out = pd.DataFrame([r for chunk in rows for r in chunk])
    out = out.sort_values(["estimate", "sample", "lead", "attainment", "se_type"], kind="stable").reset_index(drop=True)
    out.attrs["seconds"] = time.perf_counter() - start
    return out


def _one_replication(seed: int, index_effect: float) -> dict:
    from .synthetic import generate_tables

    raw = RawData(tables=generate_tables(seed, index_effect))
    frame, _ = build_frame(raw)
    fit = fast_fit(frame, M3_TERMS)
    est, se = fit.coef["index"], fit.se_cluster["index"]
    return {"seed": seed, "truth": index_effect, "estimate": est, "se": se, "p": fit.p_cluster("index")}


def monte_carlo(n_rep: int, index_effect: float, first_seed: int = 1000, n_jobs: int = 2) -> pd.DataFrame:
    """Re-generate the synthetic panel ``n_rep`` times with a known index effect and re-estimate Model 3."""
    from joblib import Parallel, delayed

    seeds = range(first_seed, first_seed + n_rep)
    rows = Parallel(n_jobs=n_jobs)(delayed(_one_replication)(s, index_effect) for s in seeds)
    out = pd.DataFrame(rows)
    out["covered"] = (out["estimate"] - out["truth"]).abs() <= stats.norm.ppf(0.975) * out["se"]
    out["rejected"] = out["p"] < 0.05
    return out


def power(effect: float | np.ndarray, se: float, alpha: float = 0.05) -> np.ndarray:
    """Power of a two-sided z test of coefficient = 0 when the true coefficient is ``effect`` and its standard
    error is ``se`` (normal approximation)."""
    z = stats.norm.ppf(1 - alpha / 2)
    ratio = np.abs(np.asarray(effect, dtype=float)) / se
    return stats.norm.cdf(ratio - z) + stats.norm.cdf(-ratio - z)


def minimum_detectable_effect(se: float, target_power: float = 0.8, alpha: float = 0.05) -> float:
    """Smallest |effect| detected with ``target_power`` by a two-sided test at ``alpha`` (normal approximation)."""
    return float((stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(target_power)) * se)
