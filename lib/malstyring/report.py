"""Small helpers that turn estimates into the words and labels the chapters glue into their prose."""

import numpy as np
import pandas as pd

from .models import MixedFit


def estimate_text(fit: MixedFit, term: str, digits: int = 3) -> str:
    """'-0.028* (SE 0.011)': coefficient with the article's stars and the clustered standard error."""
    row = fit.table().loc[term]
    return f"{row['estimate']:.{digits}f}{row['stars']} (SE {row['se_cluster']:.{digits}f})"


def significance_phrase(fit: MixedFit, term: str) -> str:
    """'negative and significant at the 5 % level', 'positive but not significant', ..."""
    row = fit.table().loc[term]
    sign = "negative" if row["estimate"] < 0 else "positive"
    p = row["p_cluster"]
    if p < 0.01:
        return f"{sign} and significant at the 1 % level"
    if p < 0.05:
        return f"{sign} and significant at the 5 % level"
    return f"{sign} but not significant at the 5 % level"


def size_deciles(office_month: pd.DataFrame) -> pd.Series:
    """Office size decile 1..10 by mean state employees over the panel (10 = the largest tenth)."""
    staff = office_month.groupby("office_id")["state_employees"].mean().sort_index()
    return pd.qcut(staff.rank(method="first"), 10, labels=False).astype(int) + 1


def eligible_offices(office_month: pd.DataFrame, min_persons: int) -> pd.Index:
    """Offices whose number of users with reduced work capacity is at least ``min_persons`` in every month:
    only these may be shown individually when disclosure control is on."""
    smallest = office_month.groupby("office_id")["nae_users"].min()
    return smallest.index[smallest >= min_persons]


def offices_by_decile(
    office_month: pd.DataFrame, per_decile: int, seed: int, eligible: pd.Index | None = None
) -> pd.DataFrame:
    """Draw ``per_decile`` offices at random from each size decile (fixed seed), only among ``eligible``
    offices if given. Columns: office_id, decile."""
    rng = np.random.default_rng(seed)
    deciles = size_deciles(office_month)
    rows = []
    for d in range(1, 11):
        ids = deciles.index[deciles == d]
        ids = (ids if eligible is None else ids.intersection(eligible)).to_numpy()
        if len(ids) == 0:
            continue
        for office in sorted(rng.choice(ids, size=min(per_decile, len(ids)), replace=False)):
            rows.append((int(office), d))
    return pd.DataFrame(rows, columns=["office_id", "decile"])


def office_label(decile: int, number: int) -> str:
    """A panel label that names no office: 'Decile 3 · B' (the second office drawn from size decile 3)."""
    return f"Decile {decile} · {chr(ord('A') + number)}"
