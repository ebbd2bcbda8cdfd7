"""Reference data shipped with the project (``data/reference``).

* ``indicator_catalogue.csv`` – Table 3 of the article: each scorecard indicator, its target and direction,
  and for each year whether it is ``included``, ``excluded`` (with the article's reason) or ``absent``.
* ``variables.csv`` – every regression variable with its Norwegian and English label, in the article's row order,
  and, for a variable read straight from the contract, where from: ``indicator`` (a scorecard indicator's value, or
  for a 'target met' dummy whether its target was met) or ``user_count`` (an office-month count of users divided by
  the users with reduced work capacity). The operationalisation, the validator and the synthetic generator take
  these mappings from here (:data:`ATTAINMENT_DUMMIES`, :data:`EFFORT_INDICATORS`, :data:`USER_SHARES`).
* ``published_results.csv`` – Tables 1 and 2 as printed.
* ``codebook.csv`` – the data contract (see :mod:`malstyring.data.codebook`).
"""

from functools import cache

import pandas as pd

from .panel import YEARS
from .paths import REFERENCE_DIR

STATUSES = ("included", "excluded", "absent")
DIRECTIONS = ("at_least", "at_most", "within_band", "relative_to_last_year", "count")


@cache
def indicator_catalogue() -> pd.DataFrame:
    """Table 3 as a data frame, one row per indicator (index: ``code``)."""
    cat = pd.read_csv(REFERENCE_DIR / "indicator_catalogue.csv", dtype={"exclusion_reason": str, "note": str})
    bad = set(cat["direction"]) - set(DIRECTIONS)
    if bad:
        raise ValueError(f"indicator_catalogue.csv: unknown direction(s) {sorted(bad)}; allowed: {DIRECTIONS}")
    for year in YEARS:
        bad = set(cat[f"status_{year}"]) - set(STATUSES)
        if bad:
            raise ValueError(f"indicator_catalogue.csv: status_{year} has {sorted(bad)}; allowed: {STATUSES}")
    return cat.set_index("code")


def included_indicators(year: int) -> list[str]:
    """Codes of the indicators that count in the goal-attainment index in ``year``."""
    cat = indicator_catalogue()
    return cat.index[cat[f"status_{year}"] == "included"].tolist()


def active_indicator_counts() -> dict[int, int]:
    """Number of included indicators per year (the article prints 11, 6, 7, 7 for 2012–2015)."""
    return {year: len(included_indicators(year)) for year in YEARS}


@cache
def variables() -> pd.DataFrame:
    """Regression variables in the article's row order, with labels, block, unit and source ('' where none)."""
    return pd.read_csv(REFERENCE_DIR / "variables.csv", keep_default_na=False)


def _sources(column: str, blocks: tuple[str, ...] | None = None) -> dict[str, str]:
    """Variable -> its source in ``column`` of variables.csv, for the variables (of ``blocks``) that have one."""
    v = variables()
    rows = v[(v[column] != "") & (v["block"].isin(blocks) if blocks else True)]
    return dict(zip(rows["variable"], rows[column], strict=True))


ATTAINMENT_DUMMIES = _sources("indicator", ("attainment",))
"""The individual attainment dummies of Figure 2 and Table 2 -> the indicator whose target they mark as met."""
EFFORT_INDICATORS = _sources("indicator", ("effort",))
"""Continuous NAV-effort covariates that are scorecard indicator values -> indicator code."""
USER_SHARES = _sources("user_count")
"""Covariates that are a count of users divided by the users with reduced work capacity -> the ``office_month``
count column (the article's Appendix 2)."""
FOLLOW_UP_3M = {
    2012: "jobseekers_follow_up_3m",
    2013: "jobseekers_follow_up_3m",
    2014: "jobseekers_follow_up_3m",
    2015: "follow_up_combined_3m",
}
"""'Oppfølging 3 måneder' (``follow_up_3m_share``) by year: the job-seeker indicator in 2012–2014, the combined
indicator that replaced it in 2015 (the book's reading)."""


@cache
def published_results() -> pd.DataFrame:
    """Tables 1–2 as printed: columns table, model, variable, value, stars ('' when none)."""
    pub = pd.read_csv(REFERENCE_DIR / "published_results.csv", comment="#", dtype={"stars": str})
    pub["stars"] = pub["stars"].fillna("")
    return pub


def target_text(code: str) -> str:
    """An indicator's target as printed in the book: '≥ 85 %', '≤ 6.8 %', '± 4 %', '≥ last year' or 'none'."""
    row = indicator_catalogue().loc[code]
    if row["direction"] == "relative_to_last_year":
        return "≥ last year"
    if row["direction"] == "count" or pd.isna(row["target"]):
        return "none"
    sign = {"at_least": "≥", "at_most": "≤", "within_band": "±"}[row["direction"]]
    return f"{sign} {row['target'] * 100:g} %"


GLOSSARY_KINDS = ("norwegian", "statistical")


@cache
def glossary() -> pd.DataFrame:
    """``glossary.csv``: NAV's Norwegian terms and the book's statistical terms (columns kind – one of
    :data:`GLOSSARY_KINDS` –, term, meaning), in the file's order. An unknown kind or an empty cell is an error."""
    path = REFERENCE_DIR / "glossary.csv"
    terms = pd.read_csv(path, dtype=str, keep_default_na=False)
    bad = terms[~terms["kind"].isin(GLOSSARY_KINDS) | (terms["term"] == "") | (terms["meaning"] == "")]
    if len(bad):
        raise ValueError(f"{path.name}: bad rows (kind one of {GLOSSARY_KINDS}, no empty cells):\n{bad}")
    return terms
