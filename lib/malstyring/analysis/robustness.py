"""Robustness analyses beyond the article: restrictions, lags, within/between, few-cluster inference, a
binomial model, the specification curve and a Monte Carlo of the design. All use Model 3's covariates and the
book's one estimator (:mod:`malstyring.analysis.models`). Functions take frames, raw tables and fits and return
tables; reading data folders stays in the data layer (:mod:`malstyring.data.loading`).

Parallel work (the specification curve, the Monte Carlo) runs with joblib: local processes by default, or a Dask
cluster when ``scheduler`` names one (``"tcp://host:8786"``). Every random draw comes from a child of one
``numpy.random.SeedSequence(seed)``, so results do not depend on the backend, the number of workers or chunking.
"""

import fcntl
import hashlib
import itertools
import os
import pickle
import time
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import optimize, stats

from ..data.loading import RawData
from ..data.panel import month_number
from ..data.paths import RUN_SHARE_ENV
from ..synthetic import generator
from ..synthetic import parameters as generator_parameters
from ..synthetic.generator import draw_outcome_shares, true_coefficients, true_outcome_mean
from . import inference, models
from .calibration import share_exactly_0_or_1
from .inference import ARTICLE_RULE, BOOK_RULE, RULES, SIGNIFICANCE_LEVEL, InferenceRule, critical_values, t_tests
from .models import Design, fit_design, fit_mixed, model_terms
from .operationalise import ATTAINMENT_CODINGS, FrameOptions, build_frame, covariates

M3_TERMS = model_terms("M3")
CONTROLS = [t for t in M3_TERMS if t != "index"]

NOMINAL_LEVEL = 1 - SIGNIFICANCE_LEVEL
"""Confidence level (0–1) of the book's intervals: 95 %, the complement of its significance level."""
MC_SE_MULTIPLE = 2
"""How many Monte Carlo standard errors a simulated share (coverage, rejection rate) must lie from the value it is
compared with before the book reads the difference as more than chance."""


def mc_se(share: float | np.ndarray, n: int) -> float | np.ndarray:
    """Monte Carlo (binomial) standard error of a share 0–1 of ``n`` independent re-draws: sqrt(share (1 - share) /
    n)."""
    return np.sqrt(share * (1 - share) / n)


BA_TERMS = ["unemployment_ba_region" if t == "unemployment_municipality" else t for t in M3_TERMS]
"""Model 3 with the municipality's unemployment replaced by its labour-market (BA) region's (the article's
footnote 18)."""


def ba_region_comparison(frame: pd.DataFrame) -> tuple[dict, int]:
    """Model 3 as in the article and with BA-region unemployment, fitted on the same rows (those with a BA-region
    rate). Returns ({'municipality': fit, 'BA region': fit}, rows without a BA-region rate left out)."""
    usable = frame["unemployment_ba_region"].notna()
    same = frame[usable]
    fits = {
        "municipality": fit_mixed(same, M3_TERMS, model="M3"),
        "BA region": fit_mixed(same, BA_TERMS, model="M3 (BA-region unemployment)"),
    }
    return fits, int((~usable).sum())


def ba_regions_crossing_counties(municipality_year: pd.DataFrame, offices: pd.DataFrame) -> int:
    """How many labour-market (BA) regions hold municipalities of more than one county, from the raw tables
    ``municipality_year`` (municipality_id, ba_region_id) and ``offices`` (municipality_id, county_id)."""
    counties = offices[["municipality_id", "county_id"]].drop_duplicates()
    regions = municipality_year[["municipality_id", "ba_region_id"]].drop_duplicates().merge(counties)
    return int((regions.groupby("ba_region_id")["county_id"].nunique() > 1).sum())


FEW_EXITS = 3
"""An office-month with at most this many exits has few exits: its share to work can only be 0, 1/n, ..., 1 for
n ≤ 3, so it is often exactly 0 or 1."""


@dataclass(frozen=True)
class ExtremeShares:
    """How often the outcome (the share of exits to work) is exactly 0 or 1: ``overall`` among all office-months,
    ``few_exits`` the share of office-months with at most FEW_EXITS exits, and ``among_few_exits`` how often their
    outcome is 0 or 1 (all shares 0–1)."""

    overall: float
    few_exits: float
    among_few_exits: float


def extreme_shares(frame: pd.DataFrame, few_exits: int = FEW_EXITS) -> ExtremeShares:
    """:class:`ExtremeShares` of a frame with the columns ``to_work_share`` (0–1) and ``exits``."""
    few = frame["exits"] <= few_exits
    return ExtremeShares(
        overall=share_exactly_0_or_1(frame["to_work_share"]),
        few_exits=float(few.mean()),
        among_few_exits=share_exactly_0_or_1(frame.loc[few, "to_work_share"]),
    )


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
    average marginal effect on the probability scale with a delta-method SE. p-values are read against a t
    distribution on G - 1 degrees of freedom (G counties), the few-cluster reading available for this sandwich;
    ``df`` reports it."""
    import statsmodels.api as sm  # here, not at the top: every chapter imports this module, few fit the GLM (0.35 s)

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
    df = float(len(np.unique(groups)) - 1)
    _, (p_coef, p_ame) = t_tests(
        np.array([res.params[term], ame]), np.array([res.bse[term], ame_se]), np.array([df, df])
    )
    return {
        "coef": float(res.params[term]),
        "se": float(res.bse[term]),
        "p": float(p_coef),
        "ame": ame,
        "ame_se": ame_se,
        "ame_p": float(p_ame),
        "df": df,
    }


@dataclass(frozen=True)
class Spec:
    """One analyst choice set for the specification curve."""

    sample: str  # a key of SAMPLE_RESTRICTIONS
    lead: int
    attainment: str

    def options(self) -> FrameOptions:
        return FrameOptions(lead=self.lead, attainment=self.attainment, **SAMPLE_RESTRICTIONS[self.sample])


SAMPLE_RESTRICTIONS = {
    "all": {},
    "drop smallest 20%": {"drop_smallest": 0.2},
    "drop 2012": {"exclude_years": (2012,)},
}
"""The article's sample restrictions, by name: the :class:`FrameOptions` keywords of each (none for the full
sample). The specification curve and the robustness chapter's table of the article's checks both read them here."""
SAMPLES = tuple(SAMPLE_RESTRICTIONS)
LEADS = (1, 3, 6, 12)


def all_specs(samples=SAMPLES, leads=LEADS, codings=ATTAINMENT_CODINGS) -> list[Spec]:
    return [Spec(s, lead, c) for s, lead, c in itertools.product(samples, leads, codings)]


@contextmanager
def parallel_backend(scheduler: str | None):
    """joblib's local processes, or the Dask cluster at ``scheduler`` (an address such as tcp://10.0.0.5:8786)."""
    if not scheduler:
        yield
        return
    import joblib
    from dask.distributed import Client

    with Client(scheduler) as client, joblib.parallel_config(backend="dask"):
        client.wait_for_workers(1, timeout=60)
        yield


def chapter_seeds(seed: int) -> dict[str, np.random.SeedSequence]:
    """The independent streams a chapter's random draws use, derived from its one ``seed`` parameter: the wild
    bootstrap, the specification curve and the Monte Carlo. Every chapter that re-draws the design's outcome takes
    the same Monte Carlo stream, so the same seed gives the same re-draws in every chapter."""
    boot, spec, mc = np.random.SeedSequence(seed).spawn(3)
    return {"bootstrap": boot, "specification curve": spec, "monte carlo": mc}


def child_seeds(seed: int | np.random.SeedSequence, n: int) -> list[np.random.SeedSequence]:
    """``n`` independent child seeds of ``seed`` (an integer or a SeedSequence)."""
    parent = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    return parent.spawn(n)


def _parallel(tasks: list, n_jobs: int, scheduler: str | None) -> list:
    from joblib import Parallel

    with parallel_backend(scheduler):
        return Parallel(n_jobs=-1 if scheduler else n_jobs)(tasks)


SE_TYPES = ("model-based", BOOK_RULE.short, "wild bootstrap")
"""The three kinds of inference in the specification curve: model-based (normal), the book's few-cluster rule,
and the wild cluster restricted bootstrap."""


def run_spec(raw: RawData, cov: pd.DataFrame, spec: Spec, n_boot: int, seed: np.random.SeedSequence) -> list[dict]:
    """Fit Model 3 under one spec (``cov``: covariates for the spec's attainment coding); one row per SE type."""
    frame, _ = build_frame(raw, spec.options(), cov=cov)
    fit = fit_mixed(frame, M3_TERMS, model=f"M3 ({spec.sample}, t+{spec.lead}, {spec.attainment})")
    boot = fit.wild_bootstrap("index", n_boot=n_boot, seed=seed).loc["index"]
    base = {"sample": spec.sample, "lead": spec.lead, "attainment": spec.attainment, "n_obs": fit.n_obs}
    rows = []
    for name, (vcov, df) in zip(SE_TYPES[:2], [("model", "normal"), (BOOK_RULE.vcov, BOOK_RULE.df)], strict=True):
        tidy = fit.tidy(vcov=vcov, df=df).loc["index"]
        rows.append(base | {"se_type": name, "estimate": tidy["estimate"], "low": tidy["low"], "high": tidy["high"]})
        rows[-1]["p"] = float(tidy["p"])
    rows.append(
        base
        | {"se_type": SE_TYPES[2], "estimate": float(fit.coef["index"]), "low": boot["ci_low"], "high": boot["ci_high"]}
        | {"p": boot["p_boot"]}
    )
    return rows


def specification_curve(
    raw: RawData,
    specs: list[Spec],
    seed: int | np.random.SeedSequence,
    n_boot: int = 999,
    n_jobs: int = 2,
    scheduler: str | None = None,
    progress: bool = True,
) -> pd.DataFrame:
    """Run every spec (joblib processes or a Dask cluster, progress on stderr) and return a tidy frame sorted by
    estimate, with the elapsed seconds in ``attrs['seconds']``."""
    from joblib import delayed
    from tqdm import tqdm

    start = time.perf_counter()
    codings = sorted({spec.attainment for spec in specs})
    covs = {c: covariates(raw, FrameOptions(attainment=c)) for c in codings}
    slim = RawData(tables={"office_month": raw["office_month"]})  # all build_frame needs besides the covariates
    seeds = child_seeds(seed, len(specs))
    tasks = [
        delayed(run_spec)(slim, covs[spec.attainment], spec, n_boot, s)
        for spec, s in zip(tqdm(specs, disable=not progress, desc="specifications"), seeds, strict=True)
    ]
    rows = _parallel(tasks, n_jobs, scheduler)
    out = pd.DataFrame([r for chunk in rows for r in chunk])
    out = out.sort_values(["estimate", "sample", "lead", "attainment", "se_type"], kind="stable").reset_index(drop=True)
    out.attrs["seconds"] = time.perf_counter() - start
    return out


# --- Monte Carlo ---------------------------------------------------------------------------------------------

MC_VCOVS = ("CR1", "CR2")
"""Covariance types recorded in every Monte Carlo re-draw (with CR2's Satterthwaite degrees of freedom), so that
every rule in :data:`malstyring.analysis.inference.RULES` can be evaluated on the same draws."""


def _replicate_chunk(design: Design, frame: pd.DataFrame, index_effect: float, seeds: list) -> list[np.ndarray]:
    """Re-draw the outcome for each seed on one fixed design and re-estimate Model 3 (the X sums and the county
    bases are reused). One (4, k) array per seed in ``design.names`` order: coefficients, CR1 SEs, CR2 SEs and
    CR2's Satterthwaite degrees of freedom."""
    sums = design.sums()
    design.county_bases()
    mean = true_outcome_mean(frame, index_effect)[design.order]
    exits = frame["exits"].to_numpy()[design.order]
    out = []
    for ss in seeds:
        y = draw_outcome_shares(np.random.default_rng(ss), mean, exits, design.county, design.office)
        fit = fit_design(replace(design, y=y), sums.with_outcome(y, design.x))
        cr2 = fit.coef_test("CR2", "satterthwaite")
        out.append(np.vstack([fit.coef.to_numpy(), fit.se("CR1").to_numpy(), cr2["se"], cr2["df"]]))
    return out


@dataclass(frozen=True)
class MonteCarloDraws:
    """Model 3 re-estimated on ``n_rep`` re-draws of the outcome: arrays of shape (n_rep, k) by term, and the
    generator's true coefficient of every term (NaN for the intercept, which the generator centres)."""

    terms: list[str]
    index_effect: float
    truth: pd.Series
    estimate: np.ndarray
    se: dict  # {'CR1': (n_rep, k), 'CR2': (n_rep, k)}
    df_satterthwaite: np.ndarray  # CR2's, (n_rep, k)
    n_groups: int  # counties (clusters)
    seconds: float

    @property
    def n_rep(self) -> int:
        return self.estimate.shape[0]

    def _tests(self, rule: InferenceRule) -> tuple[np.ndarray, np.ndarray]:
        """(se, df) of every re-draw and term under ``rule``."""
        if rule.vcov not in self.se:
            raise ValueError(f"the Monte Carlo records {MC_VCOVS}, not {rule.vcov!r}")
        if rule.df == "satterthwaite" and rule.vcov != "CR2":
            raise ValueError("the Monte Carlo records Satterthwaite degrees of freedom for CR2 only")
        df = {
            "normal": np.full_like(self.estimate, np.inf),
            "G-1": np.full_like(self.estimate, self.n_groups - 1.0),
            "satterthwaite": self.df_satterthwaite,
        }[rule.df]
        return self.se[rule.vcov], df

    def replications(self, rule: InferenceRule = ARTICLE_RULE, term: str = "index", level: float = NOMINAL_LEVEL):
        """One row per re-draw for ``term``: truth, estimate, se, df, p (of coefficient = 0), covered (the
        ``level`` interval holds the truth) and rejected (p below the book's level) under ``rule``."""
        j = self.terms.index(term)
        se, df = (a[:, j] for a in self._tests(rule))
        est = self.estimate[:, j]
        _, p = t_tests(est, se, df)
        out = pd.DataFrame(
            {"replication": np.arange(self.n_rep), "truth": self.truth[term], "estimate": est, "se": se, "df": df}
        )
        out["p"] = p
        out["covered"] = np.abs(est - self.truth[term]) <= critical_values(level, df) * se
        out["rejected"] = out["p"] < SIGNIFICANCE_LEVEL
        return out

    def coverage(self, rule: InferenceRule = ARTICLE_RULE, level: float = NOMINAL_LEVEL) -> pd.DataFrame:
        """One row per term with a true value: truth, mean and SD of the estimates, mean SE, coverage of the
        ``level`` intervals (share 0–1) with its Monte Carlo SE, and the rejection rate of coefficient = 0 at the
        book's level (``rejection_rate``: the size where the truth is 0, the power elsewhere), under ``rule``."""
        se, df = self._tests(rule)
        truth = self.truth.to_numpy()
        covered = np.abs(self.estimate - truth) <= critical_values(level, df) * se
        _, p = t_tests(self.estimate, se, df)
        cover = covered.mean(axis=0)
        out = pd.DataFrame(
            {
                "truth": truth,
                "mean_estimate": self.estimate.mean(axis=0),
                "sd_estimate": self.estimate.std(axis=0, ddof=1),
                "mean_se": se.mean(axis=0),
                "coverage": cover,
                "coverage_mc_se": mc_se(cover, self.n_rep),
                "rejection_rate": (p < SIGNIFICANCE_LEVEL).mean(axis=0),
            },
            index=pd.Index(self.terms, name="term"),
        )
        return out.dropna(subset=["truth"])


def _shared_draws_path(design: Design, frame: pd.DataFrame, n_rep: int, effect: float, seed) -> Path | None:
    """Where the re-draws of this exact input are shared within a run of the chapters, or None outside one. The
    key covers the design, the exits, the truth, the replications, the seed and the source of every module that
    computes them."""
    folder = os.environ.get(RUN_SHARE_ENV)
    if not folder:
        return None
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    digest = hashlib.sha256()
    for part in (design.x, design.county, design.office, frame["exits"].to_numpy(), design.order):
        digest.update(np.ascontiguousarray(part).tobytes())
    digest.update(repr((n_rep, float(effect), ss.entropy, ss.spawn_key, list(design.names))).encode())
    sources = (__file__, models.__file__, inference.__file__, generator.__file__, generator_parameters.__file__)
    for source in (*sources, generator_parameters.PARAMETER_FILE):
        digest.update(Path(source).read_bytes())
    return Path(folder) / f"monte-carlo-{digest.hexdigest()[:20]}.pkl"


def monte_carlo_draws(
    frame: pd.DataFrame,
    n_rep: int,
    index_effect: float,
    seed: int | np.random.SeedSequence,
    n_jobs: int = 2,
    scheduler: str | None = None,
) -> MonteCarloDraws:
    """Monte Carlo of the design: keep the panel (covariates, exits, offices) and re-draw only the outcome
    ``n_rep`` times from the synthetic data-generating model with a true index coefficient ``index_effect``;
    re-estimate Model 3 each time with CR1 and CR2 standard errors. Replication i always uses the i-th child of
    ``seed``, however the work is split (joblib processes, or a Dask cluster at ``scheduler``). Within one run of
    the chapters (:data:`RUN_SHARE_ENV`) the same input is computed once and shared."""
    if n_rep < 1:
        raise ValueError(f"n_rep must be at least 1, got {n_rep!r}")
    design = Design.from_frame(frame, M3_TERMS, "M3 (Monte Carlo)")
    shared = _shared_draws_path(design, frame, n_rep, index_effect, seed)
    if shared is None:
        return _monte_carlo_draws(design, frame, n_rep, index_effect, seed, n_jobs, scheduler)
    with open(shared.with_suffix(".lock"), "w") as lock:  # the second chapter waits for the first one's draws
        fcntl.flock(lock, fcntl.LOCK_EX)
        if shared.exists():
            return pickle.loads(shared.read_bytes())
        draws = _monte_carlo_draws(design, frame, n_rep, index_effect, seed, n_jobs, scheduler)
        shared.write_bytes(pickle.dumps(draws))
        return draws


def _monte_carlo_draws(
    design: Design,
    frame: pd.DataFrame,
    n_rep: int,
    index_effect: float,
    seed: int | np.random.SeedSequence,
    n_jobs: int,
    scheduler: str | None,
) -> MonteCarloDraws:
    from joblib import delayed

    start = time.perf_counter()
    design.county_bases()
    seeds = child_seeds(seed, n_rep)
    n_chunks = max(1, min(n_rep, 4 * max(n_jobs, 1)))
    chunks = [list(c) for c in np.array_split(np.arange(n_rep), n_chunks) if len(c)]
    tasks = [delayed(_replicate_chunk)(design, frame, index_effect, [seeds[i] for i in c]) for c in chunks]
    draws = np.stack([r for chunk in _parallel(tasks, n_jobs, scheduler) for r in chunk])
    terms = list(design.names)
    return MonteCarloDraws(
        terms=terms,
        index_effect=index_effect,
        truth=true_coefficients(index_effect).reindex(terms),
        estimate=draws[:, 0, :],
        se={"CR1": draws[:, 1, :], "CR2": draws[:, 2, :]},
        df_satterthwaite=draws[:, 3, :],
        n_groups=int(design.county.max()) + 1,
        seconds=time.perf_counter() - start,
    )


def coverage_by_rule(draws: MonteCarloDraws, rules=None, level: float = NOMINAL_LEVEL) -> pd.DataFrame:
    """:meth:`MonteCarloDraws.coverage` for each rule (default: every rule in RULES), stacked with a ``rule``
    column, and ``undercovered``: coverage more than MC_SE_MULTIPLE Monte Carlo SEs below ``level`` (the SE of an
    exactly nominal interval, :func:`mc_se` of ``level``)."""
    rules = list(RULES.values()) if rules is None else rules
    parts = []
    for rule in rules:
        part = draws.coverage(rule, level).reset_index()
        part.insert(0, "rule", rule.name)
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    out["undercovered"] = out["coverage"] < level - undercover_margin(draws.n_rep, level)
    return out


def undercover_margin(n_rep: int, level: float = NOMINAL_LEVEL) -> float:
    """MC_SE_MULTIPLE (two) Monte Carlo standard errors of an exactly nominal interval's coverage (a share 0–1) over
    ``n_rep`` re-draws, 2 sqrt(level (1 - level) / n_rep): a coverage further below ``level`` than this is told from
    chance."""
    return float(MC_SE_MULTIPLE * mc_se(level, n_rep))


CHANCE_UNDER = float(stats.norm.cdf(-MC_SE_MULTIPLE))
"""Chance that an exactly nominal interval's Monte Carlo coverage falls more than MC_SE_MULTIPLE (two) Monte Carlo
standard errors below its level (normal approximation: Phi(-2) = 0.02275)."""


@dataclass(frozen=True)
class CoverageSummary:
    """One inference rule's coverage over the coefficients with a true value in a Monte Carlo (the rows of
    :func:`coverage_by_rule` for that rule): the median and the lowest coverage (shares 0–1), the worst-covered
    term, how many are more than MC_SE_MULTIPLE Monte Carlo SEs below the level (``n_under``, and
    ``expected_under`` of them by chance alone if every interval were exactly nominal), and the per-term coverage
    and rejection rates (shares 0–1) of coefficient = 0 (``null_rejection``: those of the terms whose true value is
    0, i.e. the test's size)."""

    rule: str
    n_terms: int
    median: float
    lowest: float
    worst: str
    n_under: int
    expected_under: float
    coverage: pd.Series
    rejection: pd.Series
    null_rejection: pd.Series


def coverage_summary(cover: pd.DataFrame, rule: str) -> CoverageSummary:
    """:class:`CoverageSummary` of ``rule`` from a table with columns rule, term, truth, coverage, undercovered and
    rejection_rate (as :func:`coverage_by_rule` returns it)."""
    part = cover[cover["rule"] == rule].set_index("term")
    if part.empty:
        raise ValueError(f"no coverage rows for rule {rule!r}; the table has {sorted(cover['rule'].unique())}")
    return CoverageSummary(
        rule=rule,
        n_terms=len(part),
        median=float(part["coverage"].median()),
        lowest=float(part["coverage"].min()),
        worst=str(part["coverage"].idxmin()),
        n_under=int(part["undercovered"].sum()),
        expected_under=len(part) * CHANCE_UNDER,
        coverage=part["coverage"],
        rejection=part["rejection_rate"],
        null_rejection=part.loc[part["truth"] == 0, "rejection_rate"],
    )


def coverage_verdict(coverage: float, coverage_se: float, level: float = NOMINAL_LEVEL) -> str:
    """Where one coefficient's Monte Carlo ``coverage`` (a share 0–1) stands to ``level``, judged by its own Monte
    Carlo SE ``coverage_se``: 'within' (at most MC_SE_MULTIPLE SEs away), 'below' or 'above'."""
    if abs(coverage - level) <= MC_SE_MULTIPLE * coverage_se:
        return "within"
    return "below" if coverage < level else "above"


@dataclass(frozen=True)
class MonteCarloValue:
    """One quantity of a Monte Carlo and its Monte Carlo standard error (NaN when it has none, e.g. one re-draw)."""

    value: float
    mc_se: float


@dataclass(frozen=True)
class MonteCarloSummary:
    """One coefficient over the re-draws of a Monte Carlo: ``bias`` of the estimate (mean minus truth), ``sd`` of
    the estimates, ``mean_se`` (the mean standard error), ``coverage`` of the NOMINAL_LEVEL intervals and
    ``rejection`` of coefficient = 0 at the book's level (both shares 0–1), each with its Monte Carlo SE."""

    bias: MonteCarloValue
    sd: MonteCarloValue
    mean_se: MonteCarloValue
    coverage: MonteCarloValue
    rejection: MonteCarloValue


def monte_carlo_summary(mc: pd.DataFrame) -> MonteCarloSummary:
    """:class:`MonteCarloSummary` from the per-replication rows of :meth:`MonteCarloDraws.replications`."""
    r = len(mc)
    sd = mc["estimate"].std(ddof=1) if r > 1 else np.nan
    cover, reject = mc["covered"].mean(), mc["rejected"].mean()
    return MonteCarloSummary(
        bias=MonteCarloValue(mc["estimate"].mean() - mc["truth"].iloc[0], sd / np.sqrt(r)),
        sd=MonteCarloValue(sd, sd / np.sqrt(2 * (r - 1)) if r > 1 else np.nan),
        mean_se=MonteCarloValue(mc["se"].mean(), mc["se"].std(ddof=1) / np.sqrt(r) if r > 1 else np.nan),
        coverage=MonteCarloValue(cover, mc_se(cover, r)),
        rejection=MonteCarloValue(reject, mc_se(reject, r)),
    )


def most_influential_choice(
    curve: pd.DataFrame, choices: list[str], flag: str = "significant"
) -> tuple[str, pd.Series]:
    """Of the specification curve's analyst ``choices`` (columns of ``curve``), the one whose options move the share
    of specifications with ``flag`` the most (largest max - min of the shares by option; the first on ties), and
    those shares (0–1) by option."""
    shares = {c: curve.groupby(c)[flag].mean() for c in choices}
    spread = {c: s.max() - s.min() for c, s in shares.items()}
    driver = max(spread, key=spread.get)
    return driver, shares[driver]


@dataclass(frozen=True)
class PowerCheck:
    """Simulated power against power calculated for the same test (t on the Satterthwaite df) from two standard
    errors: the spread of the re-drawn estimates (``calculated_design``, on the re-draws' mean df) and one build's
    own SE (``calculated_build``). Every power is a share 0–1 (``simulated``: the re-draws' rejection rate, with its
    Monte Carlo SE ``simulated_se``). ``gap_*``: how many Monte Carlo SEs of the simulated rate each lies from it."""

    simulated: float
    simulated_se: float
    sd_estimates: float
    calculated_design: float
    calculated_build: float

    @property
    def gap_design(self) -> float:
        return abs(self.calculated_design - self.simulated) / self.simulated_se if self.simulated_se > 0 else np.inf

    @property
    def gap_build(self) -> float:
        return abs(self.calculated_build - self.simulated) / self.simulated_se if self.simulated_se > 0 else np.inf


def power_check(replications: pd.DataFrame, effect: float, se: float, df: float) -> PowerCheck:
    """:class:`PowerCheck` from the per-replication rows of :meth:`MonteCarloDraws.replications` (true coefficient
    ``effect``) and one build's standard error ``se`` with ``df`` degrees of freedom."""
    summary = monte_carlo_summary(replications)
    sd = summary.sd.value
    return PowerCheck(
        simulated=float(summary.rejection.value),
        simulated_se=float(summary.rejection.mc_se),
        sd_estimates=float(sd),
        calculated_design=float(power(effect, sd, df=float(replications["df"].mean()))),
        calculated_build=float(power(effect, se, df=df)),
    )


def power(effect: float | np.ndarray, se: float, alpha: float = SIGNIFICANCE_LEVEL, df: float = np.inf) -> np.ndarray:
    """Power of a two-sided test of coefficient = 0 at level ``alpha`` when the true coefficient is ``effect`` and
    its standard error is ``se``: normal when ``df`` is infinite, otherwise a t test on ``df`` degrees of freedom
    (the noncentral t distribution with noncentrality effect / se)."""
    ratio = np.asarray(effect, dtype=float) / se
    if np.isinf(df):
        z = stats.norm.ppf(1 - alpha / 2)
        return stats.norm.cdf(np.abs(ratio) - z) + stats.norm.cdf(-np.abs(ratio) - z)
    t = stats.t.ppf(1 - alpha / 2, df)
    size = np.abs(ratio)
    wrong_side = np.nan_to_num(stats.nct.cdf(-t, df, size), nan=0.0)  # far tail: scipy returns NaN for ~0
    return stats.nct.sf(t, df, size) + wrong_side


TARGET_POWER = 0.8
"""The power (0–1) a minimum detectable effect is detected with: the conventional 80 %."""


def minimum_detectable_effect(
    se: float, target_power: float = TARGET_POWER, alpha: float = SIGNIFICANCE_LEVEL, df: float = np.inf
) -> float:
    """Smallest |effect| detected with ``target_power`` by a two-sided test at ``alpha`` whose standard error is
    ``se``: normal theory (z_(1-alpha/2) + z_power) se when ``df`` is infinite, otherwise the exact root of
    :func:`power` for a t test on ``df`` degrees of freedom (noncentral t)."""
    if np.isinf(df):
        return float((stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(target_power)) * se)
    return float(optimize.brentq(lambda b: power(b, se, alpha, df) - target_power, 0.0, 10 * se))
