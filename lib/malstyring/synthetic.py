"""A synthetic NAV office panel calibrated to what Roaldsnes (2018) reports.

The real office-month registers are confidential. This generator writes the six contract tables (see
:mod:`malstyring.codebook`) for 437 offices in the 19 counties of 2012–2015, January 2012 – October 2015, so that
the whole book runs end to end and the estimators can be checked against a known truth.

Design and assumptions (the article does not pin these down; the book's appendix repeats them):

* **Offices.** Offices per county follow the 2012 municipality counts, with Oslo's district offices and a few
  shared offices bringing the total to 437. State employees per office are log-normal with the article's
  quantiles (40 % above 9, 20 % above 20), clipped to the printed range 1–178. Users with reduced work capacity
  (NAE) are about 50 x employees^0.85 (more users per employee in small offices), about 200,000 nationally;
  exits are about 2.75 % of users a month (about 66,000 a year), with at least one exit in every office-month
  (the article's N of 19,665 = 437 x 45 implies that every office-month had an outcome).
* **Scorecard.** Each indicator's monthly value is ``target + scale * z``, with ``z`` a latent score made of a
  year effect, the office's scorecard propensity (persistent, slightly higher in small offices), a county
  effect and an AR(1) monthly shock; so an indicator is met exactly when ``z >= 0``. Base rates are set so that
  'contact within 48 hours' is mostly met, 'employer contact' mostly missed and 'NAE follow-up in 6 months'
  about half and half (Figure 2), and the index falls from 2012 to 2015 (Figures 3–4).
  Journal entries within 24 hours hover near 0.90 with short, sharp drops ('icicles') to about 0.70 that recover
  the next month; the icicle rate differs between offices (Figure 6).
* **Outcome.** The share of exits that go to work in month t+1 follows the article's Model 3 (Table 1) as the
  true model: ``p = b0 + x_t'b + u_county + u_office``, with the published coefficients, except: the index
  coefficient is the parameter ``index_effect`` (default the published -0.026); 'number of NAE users', printed
  as -0.000, is set to -0.00002 per user; mean salary (in NOK 1,000) and the student share, printed as 0.000,
  are 0. The intercept is solved so that the mean share is 0.41, because the published constant belongs to
  variable scales and centring the article does not report. Exits to work are then drawn as
  ``Binomial(exits, p)`` (clipped to 0.01–0.99), so small offices show shares of exactly 0 or 1.
  Random-intercept standard deviations are chosen so that a null model gives ICCs close to 0.07 (office) and
  0.014 (county); extra office-month noise in the true share (sd ``SD_MONTH``) brings the log-likelihood of
  Model 1 near the published -2410. County effects and office sizes are drawn at fixed normal quantiles in
  random order, so these targets hold for every seed, not just the default.
* **Programme dummies, index and size categories** entering the true model are computed with the same
  operationalisation code the analysis uses (75th percentile, strict attainment, size quintiles).

Everything is drawn from one ``numpy.random.Generator`` seeded by ``seed``; the same seed and version give
byte-identical files. A ``manifest.json`` records the seed, generator version, parameters and a SHA-256 per file.
"""

import hashlib
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import norm

from .operationalise import PROGRAMMES, FrameOptions, covariates
from .panel import panel_months
from .reference import indicator_catalogue, published_results
from .validate import RawData

GENERATOR_VERSION = "1.0.0"
DEFAULT_SEED = 20180101
PUBLISHED_INDEX_EFFECT = -0.026
TARGET_MEAN_SHARE = 0.41
SD_COUNTY = 0.024
SD_OFFICE = 0.060
SD_MONTH = 0.10
"""Extra office-month noise in the true share (overdispersion), sized to the published log-likelihoods."""

# county number -> (name, offices); 2012 municipality counts adjusted to 437 offices (Oslo: 15 district offices)
COUNTIES = {
    "01": ("Østfold", 18),
    "02": ("Akershus", 22),
    "03": ("Oslo", 15),
    "04": ("Hedmark", 22),
    "05": ("Oppland", 26),
    "06": ("Buskerud", 21),
    "07": ("Vestfold", 14),
    "08": ("Telemark", 18),
    "09": ("Aust-Agder", 15),
    "10": ("Vest-Agder", 15),
    "11": ("Rogaland", 26),
    "12": ("Hordaland", 32),
    "14": ("Sogn og Fjordane", 26),
    "15": ("Møre og Romsdal", 34),
    "16": ("Sør-Trøndelag", 25),
    "17": ("Nord-Trøndelag", 23),
    "18": ("Nordland", 41),
    "19": ("Troms", 25),
    "20": ("Finnmark", 19),
}

# indicator code -> (base probability of meeting the target, scale of the value around the target)
INDICATOR_DESIGN = {
    "follow_up_combined_3m": (0.55, 0.08),
    "jobmatch": (0.55, 0.08),
    "young_nae_activity_plan": (0.45, 0.06),
    "dialogue_meeting_2": (0.60, 0.08),
    "employer_assistance": (0.10, 0.06),
    "contact_48h": (0.70, 0.06),
    "nae_follow_up_6m": (0.36, 0.07),
    "market_share": (0.55, 0.10),
    "jobseekers_follow_up_3m": (0.60, 0.07),
    "young_jobseekers_follow_up_3m": (0.55, 0.07),
    "aap_follow_up_decision": (0.70, 0.08),
    "aap_activity_plan": (0.65, 0.08),
}
YEAR_SHIFT = {2012: 0.36, 2013: 0.40, 2014: 0.38, 2015: 0.14}
"""Added to every latent score: the index declines from 2012 to 2015."""
SIZE_LOADING = -0.25
"""Correlation between an office's scorecard propensity and its (log) size: small offices score a little better."""
SCORE_LOADING = 0.40
AR_RHO = 0.5


def true_coefficients(index_effect: float = PUBLISHED_INDEX_EFFECT) -> pd.Series:
    """The coefficients of the data-generating model (published Model 3, with the documented exceptions)."""
    pub = published_results()
    m3 = pub[(pub["model"] == "M3") & ~pub["variable"].isin(["n_obs", "n_groups", "aic", "bic", "loglik"])]
    beta = m3.set_index("variable")["value"].astype(float)
    beta["index"] = index_effect
    beta["nae_users"] = -0.00002
    beta["staff_mean_salary"] = 0.0
    beta["student_share"] = 0.0
    return beta.drop("Intercept")


def _offices(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    office_id = 0
    for county_id, (county_name, n) in COUNTIES.items():
        for k in range(1, n + 1):
            office_id += 1
            municipality = f"{county_id}01" if county_id == "03" else f"{county_id}{k:02d}"
            rows.append((office_id, f"Synthetic office {office_id:03d}", municipality, county_id, county_name))
    offices = pd.DataFrame(rows, columns=["office_id", "office_name", "municipality_id", "county_id", "county_name"])
    offices["pilot"] = 0
    offices.loc[rng.choice(len(offices), size=5, replace=False), "pilot"] = 1
    return offices


def _quantile_draws(rng: np.random.Generator, n: int) -> np.ndarray:
    """Standard-normal quantiles in random order: with only 19 counties this keeps county-level spreads stable
    across seeds (only which county gets which value is random)."""
    return rng.permutation(norm.ppf((np.arange(n) + 0.5) / n))


def _ar1(rng: np.random.Generator, shape: tuple[int, int], rho: float) -> np.ndarray:
    """Standard-normal AR(1) series along axis 1 (months)."""
    e = rng.standard_normal(shape)
    out = np.empty(shape)
    out[:, 0] = e[:, 0]
    scale = np.sqrt(1 - rho**2)
    for t in range(1, shape[1]):
        out[:, t] = rho * out[:, t - 1] + scale * e[:, t]
    return out


def generate_tables(seed: int = DEFAULT_SEED, index_effect: float = PUBLISHED_INDEX_EFFECT) -> dict[str, pd.DataFrame]:
    """Draw the six contract tables. Deterministic in ``seed``."""
    rng = np.random.default_rng(seed)
    offices = _offices(rng)
    months = panel_months()
    n_o, n_t = len(offices), len(months)
    years = np.array([int(m[:4]) for m in months])
    county_codes = sorted(COUNTIES)
    county_idx = offices["county_id"].map({c: i for i, c in enumerate(county_codes)}).to_numpy()
    n_c = len(county_codes)

    # --- office size and users -------------------------------------------------------------------------------
    # log-normal sizes at fixed quantiles (only their assignment to offices is random), so every seed has the
    # article's size distribution: 40 % above 9 and 20 % above 20 state employees, range 1–178
    z_size = _quantile_draws(rng, n_o)
    staff_base = np.clip(np.exp(1.854 + 1.355 * z_size), 1, 178)
    staff_base[np.argmin(staff_base)] = 1.0
    staff_base[np.argmax(staff_base)] = 178.0
    staff = np.clip(np.rint(staff_base[:, None] * (1 + 0.03 * rng.standard_normal((n_o, n_t)))), 1, 178)
    # small offices serve more users per state employee (municipal staff carry part of the work there)
    users_base = 50.4 * staff_base**0.85 * np.exp(0.15 * rng.standard_normal(n_o))
    season = 0.02 * np.sin(2 * np.pi * np.arange(n_t) / 12)
    users = np.rint(users_base[:, None] * (1 + season + 0.02 * rng.standard_normal((n_o, n_t))))
    users = np.maximum(users, 3).astype(int)
    exit_rate = 0.0275 * np.exp(0.15 * rng.standard_normal(n_o))
    exits = 1 + rng.poisson(np.maximum(users * exit_rate[:, None] - 1, 0.05))

    # --- office-level latent scorecard propensity ----------------------------------------------------------------
    a_office = SIZE_LOADING * (np.log(staff_base) - np.log(staff_base).mean()) / np.log(staff_base).std()
    a_office = a_office + np.sqrt(1 - SIZE_LOADING**2) * rng.standard_normal(n_o)
    a_county = 0.2 * _quantile_draws(rng, n_c)

    def share(base: np.ndarray, sd_month: float, low: float = 0.0, high: float = 1.0) -> np.ndarray:
        return np.clip(base[:, None] + sd_month * rng.standard_normal((n_o, n_t)), low, high)

    # --- demography (counts out of users) ---------------------------------------------------------------------
    oslo = (offices["county_id"] == "03").to_numpy()
    demo_p = {
        "upper_secondary": share(rng.normal(0.55, 0.06, n_o), 0.02),
        "non_oecd_immigrants": share(np.clip(rng.normal(0.07, 0.04, n_o) + 0.12 * oslo, 0.005, 0.6), 0.01),
        "goal_keep_job": share(rng.normal(0.25, 0.05, n_o), 0.02),
        "women": share(rng.normal(0.57, 0.04, n_o), 0.02),
        "over_50": share(rng.normal(0.30, 0.05, n_o), 0.02),
        "key_duration": share(rng.normal(0.12, 0.03, n_o), 0.03),
    }
    counts = {name: rng.binomial(users, p) for name, p in demo_p.items()}
    plan_p = share(rng.normal(0.75, 0.06, n_o), 0.03)
    prog_p = share(rng.normal(0.35, 0.06, n_o), 0.03)
    on_programme = rng.binomial(users, prog_p)
    mix = rng.dirichlet(np.full(len(PROGRAMMES), 2.0), size=n_o)
    month_mix = mix[:, None, :] * np.exp(0.2 * rng.standard_normal((n_o, n_t, len(PROGRAMMES))))
    month_mix /= month_mix.sum(axis=2, keepdims=True)
    programme_counts = rng.multinomial(on_programme.reshape(-1), month_mix.reshape(-1, len(PROGRAMMES)))
    programme_counts = programme_counts.reshape(n_o, n_t, len(PROGRAMMES))

    # --- staff ----------------------------------------------------------------------------------------------
    age = share(rng.normal(46, 3, n_o), 0.3, 25, 65)
    seniority = np.clip(rng.normal(110, 25, n_o)[:, None] + 0.5 * np.arange(n_t) + rng.normal(0, 2, (n_o, n_t)), 6, 400)
    salary = (rng.normal(0, 20000, n_o)[:, None] + 450000 * 1.03 ** (years - 2012)[None, :]).round(0)
    sick_county = 0.006 * rng.standard_normal(n_c)
    sick_leave = share(rng.normal(0.066, 0.012, n_o) + sick_county[county_idx], 0.012, 0.0, 0.4)

    # --- indicators -------------------------------------------------------------------------------------------
    cat = indicator_catalogue()
    values: dict[str, np.ndarray] = {}
    year_shift = np.array([YEAR_SHIFT[y] for y in years])
    for code, (p_met, scale) in INDICATOR_DESIGN.items():
        loading = SCORE_LOADING
        noise_sd = np.sqrt(1 - loading**2)
        total_sd = np.sqrt(loading**2 + noise_sd**2 + 0.2**2)
        q = norm.ppf(p_met) * total_sd
        z = q + year_shift[None, :] + loading * a_office[:, None] + a_county[county_idx][:, None]
        z = z + noise_sd * _ar1(rng, (n_o, n_t), AR_RHO)
        values[code] = np.clip(cat.loc[code, "target"] + scale * z, 0.0005, 0.9995)
    values["sick_leave"] = sick_leave
    graded = share(rng.normal(0.25, 0.05, n_o), 0.03)
    values["graded_sick_leave_12w"] = graded
    icicle_rate = rng.beta(0.8, 12, n_o)
    icicles = rng.random((n_o, n_t)) < icicle_rate[:, None]
    depth = rng.uniform(0.12, 0.24, (n_o, n_t))
    journal_level = 0.905 + 0.012 * a_office + 0.004 * rng.standard_normal(n_o)
    journal = journal_level[:, None] + 0.010 * rng.standard_normal((n_o, n_t)) - icicles * depth
    values["journal_24h"] = np.clip(journal, 0.3, 0.999)

    # --- county and municipality controls ---------------------------------------------------------------------
    t_frac = np.arange(n_t) / 12
    unemp_c = np.clip(
        rng.normal(0.035, 0.008, n_c)[:, None] + 0.002 * t_frac + 0.002 * rng.standard_normal((n_c, n_t)), 0.01, 0.1
    )
    demand = np.clip(rng.normal(0.25, 0.04, n_c)[:, None] + 0.03 * np.sin(2 * np.pi * np.arange(n_t) / 12), 0.05, 1)
    demand = np.clip(demand + 0.01 * rng.standard_normal((n_c, n_t)), 0.05, 1)
    health = np.clip(rng.normal(0.11, 0.02, n_c)[:, None] + 0.001 * rng.standard_normal((n_c, n_t)), 0.03, 0.3)
    psych = np.clip(rng.normal(0.40, 0.03, n_c)[:, None] + 0.005 * rng.standard_normal((n_c, n_t)), 0.2, 0.7)
    county_month = pd.DataFrame(
        {
            "county_id": np.repeat(county_codes, n_t),
            "month": np.tile(months, n_c),
            "gross_unemployment": unemp_c.reshape(-1),
            "labour_demand": demand.reshape(-1),
            "health_benefit_share": health.reshape(-1),
            "aap_psych_share": psych.reshape(-1),
        }
    )
    munis = offices.drop_duplicates("municipality_id")[["municipality_id", "county_id"]].reset_index(drop=True)
    m_county = munis["county_id"].map({c: i for i, c in enumerate(county_codes)}).to_numpy()
    n_m = len(munis)
    unemp_m = unemp_c[m_county] + rng.normal(0, 0.008, n_m)[:, None] + 0.002 * rng.standard_normal((n_m, n_t))
    municipality_month = pd.DataFrame(
        {
            "municipality_id": np.repeat(munis["municipality_id"].to_numpy(), n_t),
            "month": np.tile(months, n_m),
            "gross_unemployment": np.clip(unemp_m, 0.005, 0.15).reshape(-1),
        }
    )
    muni_years = np.arange(2011, 2016)
    income = np.exp(rng.normal(np.log(500000), 0.12, n_m))[:, None] * 1.03 ** (muni_years - 2012)[None, :]
    students = np.clip(rng.normal(0.30, 0.06, n_m)[:, None] + 0.005 * rng.standard_normal((n_m, len(muni_years))), 0, 1)
    municipality_year = pd.DataFrame(
        {
            "municipality_id": np.repeat(munis["municipality_id"].to_numpy(), len(muni_years)),
            "year": np.tile(muni_years, n_m),
            "median_household_income_nok": income.round(0).reshape(-1),
            "student_share": students.reshape(-1),
        }
    )

    # --- office-month table (outcome filled in below) -----------------------------------------------------------
    ids = offices["office_id"].to_numpy()
    om = pd.DataFrame({"office_id": np.repeat(ids, n_t), "month": np.tile(months, n_o)})
    om["nae_users"] = users.reshape(-1)
    om["nae_exits"] = exits.reshape(-1)
    om["nae_exits_to_work"] = 0
    om["on_programme"] = on_programme.reshape(-1)
    for j, name in enumerate(PROGRAMMES):
        om[name] = programme_counts[:, :, j].reshape(-1)
    om["with_activity_plan"] = rng.binomial(users, plan_p).reshape(-1)
    for name, c in counts.items():
        om[name] = c.reshape(-1)
    om["state_employees"] = staff.astype(int).reshape(-1)
    om["staff_mean_age"] = age.reshape(-1)
    om["staff_mean_seniority_months"] = seniority.reshape(-1)
    om["staff_mean_salary_nok"] = salary.reshape(-1)
    om["staff_sick_leave"] = sick_leave.reshape(-1)

    codes = sorted(values)
    iv = pd.DataFrame(
        {
            "office_id": np.repeat(ids, n_t * len(codes)),
            "month": np.tile(np.repeat(months, len(codes)), n_o),
            "indicator": np.tile(codes, n_o * n_t),
            "value": np.stack([values[c] for c in codes], axis=2).reshape(-1),
        }
    )
    tables = {
        "offices": offices,
        "office_month": om,
        "indicator_values": iv,
        "municipality_month": municipality_month,
        "municipality_year": municipality_year,
        "county_month": county_month,
    }

    # --- outcome from the true model -----------------------------------------------------------------------------
    raw = RawData(tables={k: v.copy() for k, v in tables.items()})
    x = covariates(raw, FrameOptions())
    beta = true_coefficients(index_effect)
    eta = x[beta.index].to_numpy() @ beta.to_numpy()
    eta = eta - np.nanmean(eta) + TARGET_MEAN_SHARE
    u_county = SD_COUNTY * _quantile_draws(rng, n_c)
    u_office = SD_OFFICE * rng.standard_normal(n_o)
    key = pd.MultiIndex.from_frame(x[["office_id", "month"]])
    p_t = pd.Series(eta, index=key).reindex(pd.MultiIndex.from_frame(om[["office_id", "month"]])).to_numpy()
    p_t = p_t.reshape(n_o, n_t) + u_office[:, None] + u_county[county_idx][:, None]
    p_t = p_t + SD_MONTH * rng.standard_normal((n_o, n_t))
    # outcome in month m follows the covariates of month m-1; the first month uses its own covariates
    p_out = np.concatenate([p_t[:, :1], p_t[:, :-1]], axis=1)
    to_work = rng.binomial(exits, np.clip(p_out, 0.01, 0.99))
    om["nae_exits_to_work"] = to_work.reshape(-1)
    return tables


FLOAT_FORMAT = "%.6f"


def write_tables(tables: dict[str, pd.DataFrame], out: Path, manifest: dict) -> dict:
    """Write tables as CSV plus ``manifest.json`` with a SHA-256 per file; return the manifest."""
    out.mkdir(parents=True, exist_ok=True)
    files = {}
    for name, df in tables.items():
        path = out / f"{name}.csv"
        df.to_csv(path, index=False, float_format=FLOAT_FORMAT, lineterminator="\n")
        files[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
    manifest = {**manifest, "files": files}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return manifest


def generate(
    out: str | Path, seed: int = DEFAULT_SEED, index_effect: float = PUBLISHED_INDEX_EFFECT, verbose: bool = True
) -> dict:
    """Generate the synthetic panel into ``out`` (created if needed) and return its manifest."""
    if not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    start = time.perf_counter()
    tables = generate_tables(seed, index_effect)
    manifest = {
        "kind": "synthetic",
        "generator": "malstyring.synthetic",
        "generator_version": GENERATOR_VERSION,
        "seed": int(seed),
        "index_effect": float(index_effect),
    }
    manifest = write_tables(tables, Path(out), manifest)
    if verbose:
        rows = sum(len(t) for t in tables.values())
        print(
            f"wrote {len(tables)} tables ({rows:,} rows) to {out} in {time.perf_counter() - start:.1f} s (seed {seed})"
        )
    return manifest
