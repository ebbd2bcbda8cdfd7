"""The comparison frame's summaries (malstyring.book.tables) on a small hand-made frame whose counts are known: the
agreement counts and their table by model, the side-by-side table, and which stars survive the few-cluster rule."""

import numpy as np
import pandas as pd
import pytest

from malstyring.book.tables import agreement_counts, agreement_summary, side_by_side_table, star_survival

NAN = np.nan
COLUMNS = ["model", "variable", "label_en", "estimate", "se_cluster", "stars", "book_stars", "book_p", "published",
           "published_stars", "article_fate", "agree"]  # fmt: skip
ROWS = [
    # model, variable, label, estimate, se, stars, book_stars, book_p, published, pub_stars, fate, agree
    ("M1", "Intercept", "Constant", 0.5, 0.1, "**", "**", 0.001, 0.4, "**", "", "="),
    ("M1", "index", "Index", -0.03, 0.01, "**", "*", 0.02, -0.026, "*", "survives", "="),
    ("M1", "x", "X", 0.02, 0.01, "*", "", 0.08, 0.01, "", "", "s"),
    ("M2", "index", "Index", 0.01, 0.02, "", "", 0.6, -0.038, "**", "undetermined", "x"),
    ("M2", "x", "X", 0.05, 0.01, "", "*", 0.03, 0.04, "*", "fails", "s"),
    ("M2", "z", "Z", NAN, NAN, "", "", NAN, 0.002, "", "", ""),
    ("M4", "index", "Index", -0.02, 0.005, "**", "**", 0.004, NAN, "", "", ""),
]
COMPARISON = pd.DataFrame(ROWS, columns=COLUMNS)


def test_agreement_counts_count_the_codes_of_the_compared_rows():
    assert agreement_counts(COMPARISON) == {"compared": 5, "sign": 4, "both": 2, "differs": 1}
    assert agreement_counts(COMPARISON, ["M2"]) == {"compared": 2, "sign": 1, "both": 0, "differs": 1}
    assert agreement_counts(COMPARISON, ["M4"]) == {"compared": 0, "sign": 0, "both": 0, "differs": 0}


def test_agreement_summary_has_one_row_per_model_with_a_compared_coefficient():
    summary = agreement_summary(COMPARISON)
    assert list(summary.columns) == ["Model", "Coefficients compared", "Same sign", "Same sign and significance"]
    assert summary.values.tolist() == [["M1", 3, 3, 2], ["M2", 2, 1, 0]]


def test_side_by_side_table_writes_reproduced_and_published_cells():
    table = side_by_side_table(COMPARISON)
    assert len(table) == len(COMPARISON)
    assert table.loc[1, "Reproduced (SE)"] == "\u22120.030** (0.010)"
    assert table.loc[1, "Published"] == "\u22120.026*"
    assert table.loc[6, "Published"] == ""  # not printed in the article
    assert table["Agree"].tolist() == COMPARISON["agree"].tolist()


@pytest.mark.parametrize(
    "models, kept, gained, unstarred, fates",
    [
        # M1 without its constant: index (starred, book p 0.02) and x (starred, book p 0.08); no unstarred term
        (["M1"], [0.02, 0.08], 0, 0, {"survives": 1, "fails": 0, "undetermined": 0}),
        # M2: z has no estimate and is left out; x gains a star under the book's rule, index does not
        (["M2"], [], 1, 2, {"survives": 0, "fails": 1, "undetermined": 1}),
        (["M1", "M2", "M4"], [0.02, 0.08, 0.004], 1, 2, {"survives": 1, "fails": 1, "undetermined": 1}),
    ],
)
def test_star_survival_counts_by_hand(models, kept, gained, unstarred, fates):
    survival = star_survival(COMPARISON, models)
    assert survival.kept_p.tolist() == kept
    assert (survival.gained, survival.unstarred) == (gained, unstarred)
    assert survival.fates == fates
    assert survival.n_fates == sum(fates.values())
