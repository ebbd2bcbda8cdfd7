"""A synthetic NAV office panel calibrated to what Roaldsnes (2018) reports.

The real office-month registers are confidential. This generator writes the six contract tables (see
:mod:`malstyring.data.codebook`) for 437 offices in the 19 counties of 2012–2015, January 2012 – October 2015, so that
the whole book runs end to end and the estimators can be checked against a known truth.

Design (the book's appendix on the synthetic data describes it in words). Every tuned number – with its unit and
its source: the article, a calibration target, or an assumption – is a named parameter in
``data/reference/generator_parameters.csv``, read into :data:`P` (:mod:`malstyring.synthetic.parameters`); the
drawing functions below hold no tuned literal of their own.

* **Offices.** Offices per county follow the 2012 municipality counts, with Oslo's district offices and a few
  shared offices bringing the total to 437. State employees per office are log-normal with the article's
  quantiles, clipped to its printed range. Users with reduced work capacity (NAE) grow less than in proportion to
  the employees (more users per employee in small offices); exits are a share of the users a month, with at
  least one exit in every office-month (the article's N of 19,665 = 437 x 45 implies that every office-month had
  an outcome).
* **Scorecard.** Each indicator's monthly value is ``target + sd * z``, with ``z`` a latent score made of a
  year effect, the office's scorecard propensity (persistent, slightly higher in small offices), a county
  effect and an AR(1) monthly shock; so an indicator is met exactly when ``z >= 0``. Base probabilities follow
  the article's Figure 2 and the year effects its Figures 3–4. Journal entries within 24 hours hover near the
  national mean with short, sharp drops ('icicles') that recover the next month; the icicle rate differs between
  offices (the article's Figure 6).
* **Outcome.** The share of exits that go to work in month t+1 follows the article's Model 3 (Table 1) as the
  true model: ``p = b0 + x_t'b + u_county + u_office + e``, with the published coefficients, except: the index
  coefficient is the parameter ``index_effect`` (default the published −0.026), and the coefficients printed as
  0.000 or −0.000 that the generator cannot use are set in the parameter file. The intercept is solved so that
  the mean share is ``P.target_mean_share``, because the published constant belongs to variable scales and
  centring the article does not report. Exits to work are then drawn as ``Binomial(exits, p)`` (``p`` bounded),
  so small offices show shares of exactly 0 or 1. The random-intercept standard deviations are chosen to bring a
  null model's ICCs towards the article's, and the office-month noise ``e`` Model 1's log-likelihood. County
  effects and office sizes are drawn at fixed normal quantiles in random order, so their spread is the same on
  every seed (the ICCs and the log-likelihood still vary with the seed; the calibration report shows by how much).
* **Precision.** The indicators that are not continuous covariates of the models share a monthly office shock
  (``P.other_indicator_common``), so the index varies beyond the effort covariates and Model 3's index standard
  error falls in the band that the article's −0.026* implies.
* **Labour-market regions.** Runs of neighbouring municipalities form about ``P.n_ba_regions`` BA regions, some
  crossing a county border; each municipality-year's labour force is a multiple of its users with reduced work
  capacity.
* **Covariates of the true model** (index, programme dummies, size categories, shares) are computed by the
  generator itself from the arrays it drew, independently of the analysis code (``malstyring.analysis.operationalise``),
  so that the recovery tests also check the operationalisation; only the variables' sources (which indicator or count
  each is read from, ``data/reference/variables.csv``) are shared. They follow the article's definitions (Appendix 2,
  Table 3): the index is the share of the year's included indicators met (strict attainment), programme dummies mark
  shares at or above the month's 75th percentile, and size groups are quintiles of the offices' mean state employees.
  ``generate_tables(..., return_truth=True)`` returns them. Drawn floats are rounded to the 6 decimals written
  to the CSV files first, so the truth holds for the files as read, not only for the arrays in memory.
* **Scale.** ``scale=N`` writes N times as many offices per county (4,370 offices for N=10), for benchmarks.
  Everything else is the same design: the same distributions, N times as many pilot offices, and each county's
  municipalities each served by N offices (municipality ids stay 4-digit codes). Scale 1 is the calibrated
  panel; only it meets the calibration targets that count offices (437).

Everything is drawn from one ``numpy.random.Generator`` seeded by ``seed``; the same seed, scale and version give
byte-identical files. A ``manifest.json`` records the seed, generator version, parameters (index effect, scale)
and a SHA-256 per file.
"""

import hashlib
import json
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import norm

from ..data.codebook import PROGRAMMES
from ..data.panel import YEARS, panel_months, student_year, year_of
from ..data.provenance import GENERATOR_VERSION
from ..data.reference import (
    ATTAINMENT_DUMMIES,
    EFFORT_INDICATORS,
    FOLLOW_UP_3M,
    USER_SHARES,
    indicator_catalogue,
    published_results,
)
from .parameters import GeneratorParameters, generator_parameters

FIT_STATISTICS = ("n_obs", "n_groups", "aic", "bic", "loglik")
"""Rows of a model's column in ``published_results.csv`` that are not coefficients."""


def published_model3() -> pd.Series:
    """The article's Model 3 (Table 1) as printed: coefficient by variable, the intercept included."""
    pub = published_results()
    m3 = pub[(pub["model"] == "M3") & ~pub["variable"].isin(FIT_STATISTICS)]
    return m3.set_index("variable")["value"].astype(float)


DEFAULT_SEED = 20180101
PUBLISHED_INDEX_EFFECT = float(published_model3()["index"])
"""The article's Model 3 estimate of the index coefficient (Table 1): the generator's default true effect."""
P = generator_parameters()
"""Every tuned number of the data-generating process, with its unit and source or reason
(``data/reference/generator_parameters.csv``, read by :mod:`malstyring.synthetic.parameters`)."""
TARGET_MEAN_SHARE = P.target_mean_share
"""The mean true share of exits to work (0–1), which sets the outcome's intercept."""

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

OTHER_INDICATORS = (
    "young_nae_activity_plan",
    "dialogue_meeting_2",
    "nae_follow_up_6m",
    "market_share",
    "young_jobseekers_follow_up_3m",
    "aap_follow_up_decision",
    "aap_activity_plan",
)
"""Indicators drawn from a latent score that no model uses as a continuous covariate (the follow-up shares of
the effort block are ``jobseekers_follow_up_3m`` and, from 2015, ``follow_up_combined_3m``)."""
PROGRAMME_PERCENTILE = 0.75
SIZE_GROUPS = 5
DECIMALS = 6
FLOAT_FORMAT = f"%.{DECIMALS}f"
"""Floats are written with 6 decimals (shares to 0.0001 percentage points)."""
FIRST_DATA_YEAR = 2011
"""First year of the municipality-year table (student shares measured in October 2011 apply until September 2012)."""


def true_coefficients(index_effect: float = PUBLISHED_INDEX_EFFECT) -> pd.Series:
    """The coefficients of the data-generating model (published Model 3, with the documented exceptions)."""
    beta = published_model3()
    beta["index"] = index_effect
    for variable, value in P.true_coefficient.items():
        beta[variable] = value
    return beta.drop("Intercept")


def _municipality_id(county_id: str, k: int, n_base: int) -> str:
    """4-digit municipality number of the county's k-th office (1-based). Oslo's district offices share 0301; in a
    scaled panel the county's ``n_base`` municipalities are reused in turn (like district offices of a city)."""
    if county_id == "03":
        return "0301"
    return f"{county_id}{(k - 1) % n_base + 1:02d}"


def _offices(rng: np.random.Generator, scale: int = 1) -> pd.DataFrame:
    """The offices table: ``scale`` x the 2012 office count per county, ids 1..n in county order."""
    n_total = scale * sum(n for _, n in COUNTIES.values())
    width = max(3, len(str(n_total)))
    rows = []
    office_id = 0
    for county_id, (county_name, n_base) in COUNTIES.items():
        for k in range(1, scale * n_base + 1):
            office_id += 1
            name = f"Synthetic office {office_id:0{width}d}"
            rows.append((office_id, name, _municipality_id(county_id, k, n_base), county_id, county_name))
    offices = pd.DataFrame(rows, columns=["office_id", "office_name", "municipality_id", "county_id", "county_name"])
    offices["pilot"] = 0
    offices.loc[rng.choice(len(offices), size=P.n_pilot_offices * scale, replace=False), "pilot"] = 1
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


def _monthly(rng: np.random.Generator, base: np.ndarray, n_t: int, sd: float, low=0.0, high=1.0) -> np.ndarray:
    """An office-level ``base`` (n_o,) plus normal month noise (sd ``sd``), clipped to ``low``–``high``: (n_o, n_t)."""
    return np.clip(base[:, None] + sd * rng.standard_normal((len(base), n_t)), low, high)


@dataclass
class _Draws:
    """Everything the generator drew. Office arrays are (n_o, n_t) in office_id order by month order; shares 0–1,
    counts in persons, months ``YYYY-MM``."""

    offices: pd.DataFrame
    months: list[str]
    county_codes: list[str]
    county_idx: np.ndarray  # (n_o,) row of each office's county in the county arrays
    munis: pd.DataFrame  # municipality_id, county_id; one row per municipality
    muni_idx: np.ndarray  # (n_o,) row of each office's municipality in the municipality arrays
    staff_base: np.ndarray  # (n_o,) office's typical state employees
    staff: np.ndarray  # state employees (whole numbers, as float)
    users: np.ndarray  # NAE users (int)
    exits: np.ndarray  # NAE exits (int, >= 1)
    a_office: np.ndarray  # (n_o,) scorecard propensity
    a_county: np.ndarray  # (n_c,) county scorecard effect
    demography: dict[str, np.ndarray]  # count column -> users with the trait (int)
    plan_p: np.ndarray  # probability that a user has an activity plan
    on_programme: np.ndarray  # users on any programme (int)
    programme_counts: np.ndarray  # (n_o, n_t, len(PROGRAMMES)) users per programme (int)
    age: np.ndarray  # staff mean age, years
    seniority: np.ndarray  # months
    salary: np.ndarray  # NOK per year, whole kroner
    sick_leave: np.ndarray  # share 0–1
    values: dict[str, np.ndarray]  # indicator code -> monthly value (share 0–1)
    county: dict[str, np.ndarray]  # county_month column -> (n_c, n_t)
    unemployment_municipality: np.ndarray  # (n_m, n_t), clipped as written
    income: np.ndarray  # (n_m, n_years) median household income, NOK, whole kroner
    students: np.ndarray  # (n_m, n_years) student share 0–1
    muni_years: np.ndarray  # (n_years,) 2011..2015
    ba_region: np.ndarray  # (n_m,) BA-region code of each municipality
    labour_force: np.ndarray  # (n_m, n_years) persons
    with_plan: np.ndarray | None = None  # users with an activity plan (int); drawn last, see generate_tables


def _draw_sizes(rng: np.random.Generator, n_o: int, n_t: int) -> tuple[np.ndarray, ...]:
    """Office sizes and NAE flows: staff_base (n_o,), staff, users, exits (n_o, n_t)."""
    # log-normal sizes at fixed quantiles (only their assignment to offices is random), so every seed has the
    # article's size distribution (its quantiles and range, see the parameter file)
    z_size = _quantile_draws(rng, n_o)
    staff_base = np.clip(np.exp(P.staff_log_mean + P.staff_log_sd * z_size), P.staff_min, P.staff_max)
    staff_base[np.argmin(staff_base)] = P.staff_min
    staff_base[np.argmax(staff_base)] = P.staff_max
    staff = staff_base[:, None] * (1 + P.staff_month_sd * rng.standard_normal((n_o, n_t)))
    staff = np.clip(np.rint(staff), P.staff_min, P.staff_max)
    # small offices serve more users per state employee (municipal staff carry part of the work there)
    users_base = P.users_at_one_employee * staff_base**P.users_staff_elasticity
    users_base = users_base * np.exp(P.users_office_sd * rng.standard_normal(n_o))
    season = P.users_season_amplitude * np.sin(2 * np.pi * np.arange(n_t) / 12)
    users = np.rint(users_base[:, None] * (1 + season + P.users_month_sd * rng.standard_normal((n_o, n_t))))
    users = np.maximum(users, P.users_min).astype(int)
    exit_rate = P.exit_rate * np.exp(P.exit_rate_office_sd * rng.standard_normal(n_o))
    exits = 1 + rng.poisson(np.maximum(users * exit_rate[:, None] - 1, P.exits_extra_min))
    return staff_base, staff, users, exits


def _draw_propensity(rng: np.random.Generator, staff_base: np.ndarray, n_c: int) -> tuple[np.ndarray, np.ndarray]:
    """Latent scorecard propensity: per office (n_o,), correlated with log size, and per county (n_c,)."""
    log_size = np.log(staff_base)
    a_office = P.size_loading * (log_size - log_size.mean()) / log_size.std()
    a_office = a_office + np.sqrt(1 - P.size_loading**2) * rng.standard_normal(len(staff_base))
    a_county = P.county_propensity_sd * _quantile_draws(rng, n_c)
    return a_office, a_county


def _draw_users(rng: np.random.Generator, users: np.ndarray, oslo: np.ndarray) -> dict:
    """Demography counts, activity-plan probability and programme counts (out of ``users``)."""
    n_o, n_t = users.shape
    demo_p = {}
    for name, mean in P.demography_mean.items():  # the office_month columns, in the contract's order
        office = rng.normal(mean, P.demography_office_sd[name], n_o)
        if name == "non_oecd_immigrants":
            office = np.clip(office + P.oslo_non_oecd_extra * oslo, P.non_oecd_min, P.non_oecd_max)
        demo_p[name] = _monthly(rng, office, n_t, P.demography_month_sd[name])
    demography = {name: rng.binomial(users, p) for name, p in demo_p.items()}
    plan_p = _monthly(rng, rng.normal(P.plan_mean, P.plan_office_sd, n_o), n_t, P.plan_month_sd)
    prog_p = _monthly(rng, rng.normal(P.programme_mean, P.programme_office_sd, n_o), n_t, P.programme_month_sd)
    on_programme = rng.binomial(users, prog_p)
    n_p = len(PROGRAMMES)
    mix = rng.dirichlet(np.full(n_p, P.programme_mix_concentration), size=n_o)
    month_mix = mix[:, None, :] * np.exp(P.programme_mix_month_sd * rng.standard_normal((n_o, n_t, n_p)))
    month_mix /= month_mix.sum(axis=2, keepdims=True)
    programme_counts = rng.multinomial(on_programme.reshape(-1), month_mix.reshape(-1, n_p)).reshape(n_o, n_t, n_p)
    return {
        "demography": demography,
        "plan_p": plan_p,
        "on_programme": on_programme,
        "programme_counts": programme_counts,
    }


def _draw_staff(rng: np.random.Generator, n_t: int, years: np.ndarray, county_idx: np.ndarray, n_c: int) -> dict:
    """Staff age (years), seniority (months), salary (NOK per year) and sick leave (share 0–1), (n_o, n_t)."""
    n_o = len(county_idx)
    age = rng.normal(P.staff_age_mean, P.staff_age_office_sd, n_o)
    age = _monthly(rng, age, n_t, P.staff_age_month_sd, P.staff_age_min, P.staff_age_max)
    seniority = rng.normal(P.seniority_mean, P.seniority_office_sd, n_o)[:, None] + P.seniority_growth * np.arange(n_t)
    seniority = np.clip(seniority + rng.normal(0, P.seniority_month_sd, (n_o, n_t)), P.seniority_min, P.seniority_max)
    salary_trend = P.salary_mean * P.salary_growth ** (years - YEARS[0])
    salary = (rng.normal(0, P.salary_office_sd, n_o)[:, None] + salary_trend[None, :]).round(0)
    sick_county = P.sick_leave_county_sd * rng.standard_normal(n_c)
    sick_office = rng.normal(P.sick_leave_mean, P.sick_leave_office_sd, n_o) + sick_county[county_idx]
    sick_leave = _monthly(rng, sick_office, n_t, P.sick_leave_month_sd, 0.0, P.sick_leave_max)
    return {"age": age, "seniority": seniority, "salary": salary, "sick_leave": sick_leave}


def _draw_indicators(
    rng: np.random.Generator,
    years: np.ndarray,
    a_office: np.ndarray,
    a_county_office: np.ndarray,
    sick_leave,
    common: np.ndarray,
) -> dict[str, np.ndarray]:
    """Monthly scorecard indicator values (shares 0–1), (n_o, n_t) per indicator code. ``common`` is the shared
    monthly office shock (standard normal AR(1), (n_o, n_t)) of :data:`OTHER_INDICATORS`."""
    n_o, n_t = len(a_office), len(years)
    cat = indicator_catalogue()
    values: dict[str, np.ndarray] = {}
    year_shift = np.array([P.year_shift[y] for y in years])
    loading = P.score_loading
    noise_sd = np.sqrt(1 - loading**2)
    total_sd = np.sqrt(loading**2 + noise_sd**2 + P.county_propensity_sd**2)
    for code, p_met in P.indicator_base_probability.items():
        q = norm.ppf(p_met) * total_sd
        z = q + year_shift[None, :] + loading * a_office[:, None] + a_county_office[:, None]
        shared = P.other_indicator_common if code in OTHER_INDICATORS else 0.0
        own = _ar1(rng, (n_o, n_t), P.ar_rho)  # drawn for every indicator, so the stream matches version 1.1.0
        z = z + noise_sd * (np.sqrt(1 - shared**2) * own + shared * common)
        value = cat.loc[code, "target"] + P.indicator_value_sd[code] * z
        values[code] = np.clip(value, P.indicator_value_min, P.indicator_value_max)
    values["sick_leave"] = sick_leave
    graded = rng.normal(P.graded_sick_leave_mean, P.graded_sick_leave_office_sd, n_o)
    values["graded_sick_leave_12w"] = _monthly(rng, graded, n_t, P.graded_sick_leave_month_sd)
    icicle_rate = rng.beta(P.icicle_rate_a, P.icicle_rate_b, n_o)
    icicles = rng.random((n_o, n_t)) < icicle_rate[:, None]
    depth = rng.uniform(P.icicle_depth_min, P.icicle_depth_max, (n_o, n_t))
    journal_level = P.journal_level + P.journal_propensity_loading * a_office
    journal_level = journal_level + P.journal_office_sd * rng.standard_normal(n_o)
    journal = journal_level[:, None] + P.journal_month_sd * rng.standard_normal((n_o, n_t)) - icicles * depth
    values["journal_24h"] = np.clip(journal, P.journal_min, P.journal_max)
    return values


def _second_stream(seed: int) -> np.random.Generator:
    """The random stream of the draws added in version 1.2.0 (independent of the main stream, same seed)."""
    return np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])


def _draw_ba_regions(rng: np.random.Generator, municipality_ids: np.ndarray) -> np.ndarray:
    """A BA-region code per municipality ('BA001', ...): runs of 1–8 consecutive municipality numbers (neighbours,
    in county order), about ``P.n_ba_regions`` runs in all; a run may cross into the next county."""
    order = np.argsort(municipality_ids, kind="stable")
    mean_size = len(municipality_ids) / P.n_ba_regions
    sizes = []
    while sum(sizes) < len(order):
        sizes.append(int(min(P.ba_region_max_municipalities, 1 + rng.poisson(mean_size - 1))))
    region_of_position = np.repeat(np.arange(len(sizes)), sizes)[: len(order)]
    out = np.empty(len(order), dtype=object)
    out[order] = [f"BA{r + 1:03d}" for r in region_of_position]
    return out


def _draw_labour_force(rng: np.random.Generator, users: np.ndarray, muni_idx: np.ndarray, n_m: int) -> np.ndarray:
    """Labour force (persons) per municipality (n_m,) and year 2011–2015 (n_m, 5): about
    ``P.labour_force_per_user`` per user with reduced work capacity in 2012, growing ``P.labour_force_growth`` a
    year."""
    users_2012 = np.bincount(muni_idx, weights=users[:, :12].mean(axis=1), minlength=n_m)
    base = users_2012 * P.labour_force_per_user * np.exp(P.labour_force_sd * rng.standard_normal(n_m))
    years = np.arange(FIRST_DATA_YEAR, YEARS[-1] + 1)
    return np.rint(base[:, None] * P.labour_force_growth ** (years - YEARS[0])[None, :]).astype(int)


def _draw_areas(rng: np.random.Generator, n_c: int, n_t: int, m_county: np.ndarray) -> dict:
    """County-month controls (n_c, n_t), municipality unemployment (n_m, n_t) and municipality-year income and
    student shares (n_m, 5 years from 2011)."""
    t_frac = np.arange(n_t) / 12
    unemp_c = rng.normal(P.county_unemployment_mean, P.county_unemployment_sd, n_c)[:, None]
    unemp_c = unemp_c + P.county_unemployment_trend * t_frac
    unemp_c = unemp_c + P.county_unemployment_month_sd * rng.standard_normal((n_c, n_t))
    unemp_c = np.clip(unemp_c, P.county_unemployment_min, P.county_unemployment_max)
    demand = rng.normal(P.labour_demand_mean, P.labour_demand_sd, n_c)[:, None]
    demand = np.clip(demand + P.labour_demand_season * np.sin(2 * np.pi * np.arange(n_t) / 12), P.labour_demand_min, 1)
    demand = np.clip(demand + P.labour_demand_month_sd * rng.standard_normal((n_c, n_t)), P.labour_demand_min, 1)
    health = rng.normal(P.health_benefit_mean, P.health_benefit_sd, n_c)[:, None]
    health = health + P.health_benefit_month_sd * rng.standard_normal((n_c, n_t))
    health = np.clip(health, P.health_benefit_min, P.health_benefit_max)
    psych = rng.normal(P.aap_psych_mean, P.aap_psych_sd, n_c)[:, None]
    psych = np.clip(psych + P.aap_psych_month_sd * rng.standard_normal((n_c, n_t)), P.aap_psych_min, P.aap_psych_max)
    n_m = len(m_county)
    unemp_m = unemp_c[m_county] + rng.normal(0, P.municipality_unemployment_sd, n_m)[:, None]
    unemp_m = unemp_m + P.municipality_unemployment_month_sd * rng.standard_normal((n_m, n_t))
    muni_years = np.arange(FIRST_DATA_YEAR, YEARS[-1] + 1)
    income = np.exp(rng.normal(np.log(P.income_median), P.income_sd, n_m))[:, None]
    income = income * P.income_growth ** (muni_years - YEARS[0])[None, :]
    students = rng.normal(P.student_share_mean, P.student_share_sd, n_m)[:, None]
    students = np.clip(students + P.student_share_year_sd * rng.standard_normal((n_m, len(muni_years))), 0, 1)
    return {
        "county": {
            "gross_unemployment": unemp_c,
            "labour_demand": demand,
            "health_benefit_share": health,
            "aap_psych_share": psych,
        },
        "unemployment_municipality": np.clip(unemp_m, P.municipality_unemployment_min, P.municipality_unemployment_max),
        "income": income.round(0),
        "students": students,
        "muni_years": muni_years,
    }


def _draw_panel(rng: np.random.Generator, scale: int, second: np.random.Generator) -> _Draws:
    """Draw everything but the activity plans and the outcome, in the order that keeps scale-1 files unchanged;
    ``second`` is the stream of the draws added in version 1.2.0."""
    offices = _offices(rng, scale)
    months = panel_months()
    n_o, n_t = len(offices), len(months)
    years = year_of(pd.Series(months)).to_numpy()
    county_codes = sorted(COUNTIES)
    county_pos = {c: i for i, c in enumerate(county_codes)}
    county_idx = offices["county_id"].map(county_pos).to_numpy()
    munis = offices.drop_duplicates("municipality_id")[["municipality_id", "county_id"]].reset_index(drop=True)
    muni_idx = offices["municipality_id"].map({m: i for i, m in enumerate(munis["municipality_id"])}).to_numpy()

    staff_base, staff, users, exits = _draw_sizes(rng, n_o, n_t)
    a_office, a_county = _draw_propensity(rng, staff_base, len(county_codes))
    oslo = (offices["county_id"] == "03").to_numpy()
    user_draws = _draw_users(rng, users, oslo)
    staff_draws = _draw_staff(rng, n_t, years, county_idx, len(county_codes))
    common = _ar1(second, (n_o, n_t), P.ar_rho)
    values = _draw_indicators(rng, years, a_office, a_county[county_idx], staff_draws["sick_leave"], common)
    areas = _draw_areas(rng, len(county_codes), n_t, munis["county_id"].map(county_pos).to_numpy())
    areas["ba_region"] = _draw_ba_regions(second, munis["municipality_id"].to_numpy())
    areas["labour_force"] = _draw_labour_force(second, users, muni_idx, len(munis))
    return _Draws(
        offices=offices,
        months=months,
        county_codes=county_codes,
        county_idx=county_idx,
        munis=munis,
        muni_idx=muni_idx,
        staff_base=staff_base,
        staff=staff,
        users=users,
        exits=exits,
        a_office=a_office,
        a_county=a_county,
        values=values,
        **user_draws,
        **staff_draws,
        **areas,
    )


# --- the true model's covariates, from the generator's own arrays ---------------------------------------------------


def _met(code: str, value: np.ndarray) -> np.ndarray:
    """Strict attainment of one indicator (n_o, n_t): 1.0 met, 0.0 not met, NaN unknown.

    At or above the target for 'at least' indicators ("ligger på, eller har oversteget, målkravet"), at or below it
    for 'at most' (staff sick leave), and for a target relative to last year at least the office's own value
    twelve months earlier (unknown in the panel's first twelve months).
    """
    row = indicator_catalogue().loc[code]
    if row["direction"] == "at_least":
        return (value >= row["target"]).astype(float)
    if row["direction"] == "at_most":
        return (value <= row["target"]).astype(float)
    if row["direction"] == "relative_to_last_year":
        met = np.full(value.shape, np.nan)
        met[:, 12:] = value[:, 12:] >= value[:, :-12]
        return met
    raise ValueError(f"the generator does not draw {row['direction']!r} indicators ({code})")


def _goal_attainment_index(values: dict[str, np.ndarray], years: np.ndarray) -> np.ndarray:
    """Share (0–1) of the month's year's included (active) scorecard indicators that are met, (n_o, n_t).

    Indicators without a known attainment are left out of numerator and denominator; NaN when none is known.
    """
    cat = indicator_catalogue()
    points = np.zeros(next(iter(values.values())).shape)
    counted = np.zeros(points.shape, dtype=int)
    for code, value in values.items():
        active = (cat.loc[code, [f"status_{y}" for y in years]] == "included").to_numpy()  # (n_t,)
        met = _met(code, value)
        known = active[None, :] & ~np.isnan(met)
        points += np.where(known, met, 0.0)
        counted += known
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counted > 0, points / counted, np.nan)


def _programme_dummies(counts: np.ndarray, on_programme: np.ndarray) -> np.ndarray:
    """1.0 where a programme's share of the office's programme users (0 if nobody is on a programme) is at or above
    the 75th percentile (linear interpolation) of that share among all offices in the same month.

    ``counts`` is (n_o, n_t, n_programmes); returns the same shape."""
    on = on_programme[:, :, None]
    share = np.divide(counts, on, out=np.zeros(counts.shape), where=on > 0)
    cut = np.quantile(share, PROGRAMME_PERCENTILE, axis=0)  # (n_t, n_programmes)
    return (share >= cut[None, :, :]).astype(float)


def _size_groups(staff: np.ndarray) -> np.ndarray:
    """Size group 1..5 per office (n_o,) by its mean state employees over the panel.

    Offices are ranked by mean size (ties by office id: r = 1..n); an office at relative position
    p = (r - 1) / (n - 1) (0–1) is in group k when (k - 1) / 5 < p <= k / 5 (group 1 also p = 0).
    Computed in whole numbers: group = 1 + #{k = 1..4 : 5 (r - 1) > k (n - 1)}.
    """
    n = len(staff)
    order = np.argsort(staff.mean(axis=1), kind="stable")
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(1, n + 1)
    return 1 + sum((SIZE_GROUPS * (rank - 1) > k * (n - 1)).astype(int) for k in range(1, SIZE_GROUPS))


def _true_covariates(d: _Draws) -> dict[str, np.ndarray]:
    """Every covariate of the true model (and the Figure 2 attainment dummies and the size group) as (n_o, n_t)
    float arrays, built from the drawn arrays, following the article's definitions (see the module docstring)."""
    n_o, n_t = d.users.shape
    years = year_of(pd.Series(d.months)).to_numpy()

    def per_office(a: np.ndarray) -> np.ndarray:
        return np.broadcast_to(np.asarray(a, dtype=float)[:, None], (n_o, n_t))

    cov: dict[str, np.ndarray] = {"index": _goal_attainment_index(d.values, years)}
    for name, code in ATTAINMENT_DUMMIES.items():
        cov[name] = _met(code, d.values[code])
    for name, code in EFFORT_INDICATORS.items():
        cov[name] = d.values[code]
    # 'oppfølging 3 måneder': the job-seeker indicator until 2014, the combined indicator that replaced it in 2015
    follow_up = np.full((n_o, n_t), np.nan)
    for year, code in FOLLOW_UP_3M.items():
        follow_up[:, years == year] = d.values[code][:, years == year]
    cov["follow_up_3m_share"] = follow_up
    cov["staff_sick_leave"] = d.sick_leave
    # shares of the users: activity plan, on a programme, the demography (count / users)
    counts = {"with_activity_plan": d.with_plan, "on_programme": d.on_programme, **d.demography}
    for name, col in USER_SHARES.items():
        cov[name] = counts[col] / d.users
    dummies = _programme_dummies(d.programme_counts, d.on_programme)
    for j, name in enumerate(PROGRAMMES):
        cov[name] = dummies[:, :, j]
    cov["nae_users"] = d.users.astype(float)
    cov["staff_mean_age"] = d.age
    cov["staff_mean_seniority"] = d.seniority
    cov["staff_mean_salary"] = d.salary / 100_000.0  # NOK 100,000, written out so the truth test stays independent
    cov["users_per_employee"] = d.users / d.staff
    size = _size_groups(d.staff)
    cov["size_category"] = per_office(size)
    for k in range(2, SIZE_GROUPS + 1):
        cov[f"size_{k}"] = per_office(size == k)
    cov["pilot"] = per_office(d.offices["pilot"].to_numpy())
    # area controls: the office's municipality and county
    cov["unemployment_municipality"] = d.unemployment_municipality[d.muni_idx]
    cov["unemployment_county"] = d.county["gross_unemployment"][d.county_idx]
    for name in ("labour_demand", "health_benefit_share", "aap_psych_share"):
        cov[name] = d.county[name][d.county_idx]
    # income of the calendar year; the student share of the year it applies in (measured in October, see student_year)
    income_col = years - FIRST_DATA_YEAR
    student_col = student_year(pd.Series(d.months)).to_numpy() - FIRST_DATA_YEAR
    cov["log_median_income"] = np.log(d.income[d.muni_idx][:, income_col])
    cov["student_share"] = d.students[d.muni_idx][:, student_col]
    return cov


def _covariate_frame(d: _Draws, cov: dict[str, np.ndarray]) -> pd.DataFrame:
    """The covariates as a long frame keyed by office_id and month (office_month row order)."""
    n_o, n_t = d.users.shape
    out = pd.DataFrame(
        {"office_id": np.repeat(d.offices["office_id"].to_numpy(), n_t), "month": np.tile(d.months, n_o)}
    )
    for name, a in cov.items():
        out[name] = np.asarray(a).reshape(-1)
    return out


# --- tables and outcome --------------------------------------------------------------------------------------------


def _tables(d: _Draws) -> dict[str, pd.DataFrame]:
    """The six contract tables from the drawn arrays (office_month's outcome column still 0)."""
    n_o, n_t = d.users.shape
    months, county_codes = d.months, d.county_codes
    n_c = len(county_codes)
    county_month = pd.DataFrame({"county_id": np.repeat(county_codes, n_t), "month": np.tile(months, n_c)})
    for name, a in d.county.items():
        county_month[name] = a.reshape(-1)
    muni_ids = d.munis["municipality_id"].to_numpy()
    n_m = len(muni_ids)
    municipality_month = pd.DataFrame(
        {
            "municipality_id": np.repeat(muni_ids, n_t),
            "month": np.tile(months, n_m),
            "gross_unemployment": d.unemployment_municipality.reshape(-1),
        }
    )
    municipality_year = pd.DataFrame(
        {
            "municipality_id": np.repeat(muni_ids, len(d.muni_years)),
            "year": np.tile(d.muni_years, n_m),
            "median_household_income_nok": d.income.reshape(-1),
            "student_share": d.students.reshape(-1),
            "labour_force": d.labour_force.reshape(-1),
            "ba_region_id": np.repeat(d.ba_region, len(d.muni_years)),
        }
    )
    ids = d.offices["office_id"].to_numpy()
    om = pd.DataFrame({"office_id": np.repeat(ids, n_t), "month": np.tile(months, n_o)})
    om["nae_users"] = d.users.reshape(-1)
    om["nae_exits"] = d.exits.reshape(-1)
    om["nae_exits_to_work"] = 0
    om["on_programme"] = d.on_programme.reshape(-1)
    for j, name in enumerate(PROGRAMMES):
        om[name] = d.programme_counts[:, :, j].reshape(-1)
    om["with_activity_plan"] = d.with_plan.reshape(-1)
    for name, c in d.demography.items():
        om[name] = c.reshape(-1)
    om["state_employees"] = d.staff.astype(int).reshape(-1)
    om["staff_mean_age"] = d.age.reshape(-1)
    om["staff_mean_seniority_months"] = d.seniority.reshape(-1)
    om["staff_mean_salary_nok"] = d.salary.reshape(-1)
    om["staff_sick_leave"] = d.sick_leave.reshape(-1)
    codes = sorted(d.values)
    iv = pd.DataFrame(
        {
            "office_id": np.repeat(ids, n_t * len(codes)),
            "month": np.tile(np.repeat(months, len(codes)), n_o),
            "indicator": np.tile(codes, n_o * n_t),
            "value": np.stack([d.values[c] for c in codes], axis=2).reshape(-1),
        }
    )
    return {
        "offices": d.offices,
        "office_month": om,
        "indicator_values": iv,
        "municipality_month": municipality_month,
        "municipality_year": municipality_year,
        "county_month": county_month,
    }


def _draw_outcome(rng: np.random.Generator, d: _Draws, cov: dict[str, np.ndarray], index_effect: float) -> np.ndarray:
    """Exits to work (n_o, n_t): Binomial(exits, p) with p from the true model at the previous month's covariates
    (the first month uses its own)."""
    n_o, n_t = d.users.shape
    beta = true_coefficients(index_effect)
    # one column per coefficient, column-major like DataFrame.to_numpy(), so the product sums in the same order
    x = np.stack([np.asarray(cov[name], dtype=float).reshape(-1) for name in beta.index]).T
    eta = x @ beta.to_numpy()
    eta = eta - np.nanmean(eta) + P.target_mean_share
    u_county = P.sd_county * _quantile_draws(rng, len(d.county_codes))
    u_office = P.sd_office * rng.standard_normal(n_o)
    p_t = eta.reshape(n_o, n_t) + u_office[:, None] + u_county[d.county_idx][:, None]
    p_t = p_t + P.sd_month * rng.standard_normal((n_o, n_t))
    p_out = np.concatenate([p_t[:, :1], p_t[:, :-1]], axis=1)
    return rng.binomial(d.exits, np.clip(p_out, P.outcome_p_min, P.outcome_p_max))


def true_outcome_mean(frame: pd.DataFrame, index_effect: float = PUBLISHED_INDEX_EFFECT) -> np.ndarray:
    """The true model's fixed part for the rows of an analysis frame: x_t'b, centred so that its mean is
    TARGET_MEAN_SHARE (a 0–1 share), as in the generator's outcome."""
    beta = true_coefficients(index_effect)
    eta = frame[beta.index].to_numpy(float) @ beta.to_numpy()
    return eta - eta.mean() + P.target_mean_share


def draw_outcome_shares(
    rng: np.random.Generator, mean: np.ndarray, exits: np.ndarray, county: np.ndarray, office: np.ndarray
) -> np.ndarray:
    """Draw the share of exits to work (0–1) for each row of an analysis frame from the generator's outcome model:
    Binomial(exits, p) / exits with p = mean + u_county + u_office + month noise (clipped to 0.01–0.99).

    ``county`` and ``office`` are codes 0..G-1 and 0..m-1 of the rows. Used by the Monte Carlo, which keeps a
    panel and re-draws only its outcome.
    """
    u_county = P.sd_county * _quantile_draws(rng, int(county.max()) + 1)
    u_office = P.sd_office * rng.standard_normal(int(office.max()) + 1)
    p = mean + u_county[county] + u_office[office] + P.sd_month * rng.standard_normal(len(mean))
    exits = np.asarray(exits, dtype=np.int64)
    return rng.binomial(exits, np.clip(p, P.outcome_p_min, P.outcome_p_max)) / exits


def _round_as_written(d: _Draws) -> None:
    """Round every drawn float that is written to ``DECIMALS`` decimals (in place), so that the true model and the
    in-memory tables see exactly the values a reader of the CSV files sees (an indicator value within 5e-7 of its
    target would otherwise be met in memory and missed on disk, or the other way round)."""
    for name in ("age", "seniority", "salary", "sick_leave", "unemployment_municipality", "income", "students"):
        setattr(d, name, np.round(getattr(d, name), DECIMALS))
    d.values = {code: np.round(v, DECIMALS) for code, v in d.values.items()}
    d.values["sick_leave"] = d.sick_leave
    d.county = {name: np.round(a, DECIMALS) for name, a in d.county.items()}


def _check_scale(scale) -> int:
    if isinstance(scale, bool) or not isinstance(scale, int | np.integer) or scale < 1:
        raise ValueError(f"scale must be a whole number >= 1, got {scale!r}")
    return int(scale)


VARIABLE_PARAMETERS = ("other_indicator_common",)
"""The tuned parameters a caller may set to another value for one draw (``generate_tables(..., overrides=...)``),
to show what the tuning does: each is read only while the panel is drawn."""


@contextmanager
def _parameters_set(overrides: dict[str, float] | None):
    """The draw's parameters: the file's, with ``overrides`` (names in :data:`VARIABLE_PARAMETERS`) in force until
    the draw ends."""
    global P
    overrides = dict(overrides or {})
    unknown = sorted(set(overrides) - set(VARIABLE_PARAMETERS))
    if unknown:
        raise ValueError(f"generator parameters that cannot be overridden: {unknown}; allowed: {VARIABLE_PARAMETERS}")
    saved = P
    P = GeneratorParameters({**saved, **{k: float(v) for k, v in overrides.items()}})
    try:
        yield
    finally:
        P = saved


def generate_tables(
    seed: int = DEFAULT_SEED,
    index_effect: float = PUBLISHED_INDEX_EFFECT,
    scale: int = 1,
    return_truth: bool = False,
    overrides: dict[str, float] | None = None,
) -> dict[str, pd.DataFrame] | tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Draw the six contract tables for ``scale`` x 437 offices. Deterministic in ``seed``, ``scale`` and
    ``overrides`` (other values for the parameters in :data:`VARIABLE_PARAMETERS`; default: the file's).

    With ``return_truth`` also return the generator's own covariates of the true model (plus the Figure 2
    attainment dummies and ``size_category``), one row per office-month in office_month order: columns office_id,
    month (``YYYY-MM``, the scorecard month t) and one float column per covariate (shares 0–1, dummies 0/1).
    """
    with _parameters_set(overrides):
        return _generate_tables(seed, index_effect, scale, return_truth)


def _generate_tables(
    seed: int, index_effect: float, scale: int, return_truth: bool
) -> dict[str, pd.DataFrame] | tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    scale = _check_scale(scale)
    rng = np.random.default_rng(seed)
    d = _draw_panel(rng, scale, _second_stream(seed))
    d.with_plan = rng.binomial(d.users, d.plan_p)  # drawn here (after the area controls) as in version 1.0.0
    _round_as_written(d)
    cov = _true_covariates(d)
    tables = _tables(d)
    tables["office_month"]["nae_exits_to_work"] = _draw_outcome(rng, d, cov, index_effect).reshape(-1)
    if return_truth:
        return tables, _covariate_frame(d, cov)
    return tables


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
    out: str | Path,
    seed: int = DEFAULT_SEED,
    index_effect: float = PUBLISHED_INDEX_EFFECT,
    verbose: bool = True,
    scale: int = 1,
) -> dict:
    """Generate the synthetic panel (``scale`` x 437 offices) into ``out`` (created if needed); return its manifest."""
    if not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    scale = _check_scale(scale)
    start = time.perf_counter()
    tables = generate_tables(seed, index_effect, scale=scale)
    manifest = {
        "kind": "synthetic",
        "generator": "malstyring.synthetic",
        "generator_version": GENERATOR_VERSION,
        "seed": int(seed),
        "index_effect": float(index_effect),
        "scale": scale,
    }
    manifest = write_tables(tables, Path(out), manifest)
    if verbose:
        rows = sum(len(t) for t in tables.values())
        offices = len(tables["offices"])
        print(
            f"wrote {len(tables)} tables ({rows:,} rows, {offices:,} offices) to {out} in "
            f"{time.perf_counter() - start:.1f} s (seed {seed})"
        )
    return manifest
