"""Appendix, replication notes: how far the reproduced coefficients of Models 1–6 agree with the published ones, and
what the data behind them are."""

from ...analysis.models import fit_models
from ...analysis.operationalise import FrameOptions, build_frame
from ...base.number_format import fmt, integer
from ...data.loading import load_raw
from ...data.provenance import is_synthetic
from ...data.reference import published_results, variables
from ...synthetic.generator import TARGET_MEAN_SHARE
from ..notices import data_notice
from ..page import Page, glue_values
from ..parameters import check_parameters
from ..tables import agreement_counts, agreement_summary, book_table, comparison_frame, side_by_side_table
from ..words import count, level_text

AGREEMENT_MEANING = {
    True: "On synthetic data these counts say nothing about whether the article is right. For Model 3, whose "
    "published coefficients generated the outcome, they show how far one draw departs from its own truth. The other "
    "models leave out variables of the generating model (Models 1–2, 4–5) or add the attainment dummies, which have "
    "no effect in it (Models 4–6), so their agreement also depends on how the generator's covariates are correlated "
    "– an assumption of the generator, not a fact about NAV.",
    False: "On a supplied extract these counts show how far the article's results are reproduced from that extract "
    "with the readings and choices listed below; where they differ, the extract's period, coverage and definitions "
    "are the first places to look.",
}
"""What the agreement counts mean, for synthetic (True) and supplied data."""
DATA_SOURCE = {
    True: "this build uses the synthetic panel, so every estimate differs from the article's by sampling noise at "
    "least",
    False: "this build uses a supplied extract, so its estimates can match the article's only as far as the extract "
    "and its definitions match the article's data",
}
CAPTION_SIDE_BY_SIDE = (
    "Every coefficient of Models 1–6: reproduced (county-clustered SE) and published. ** p < 0.01, * p < 0.05. "
    "Agree: = sign and significance, s sign only, x sign differs, blank not printed in the article."
)


def build(data_dir: str, seed: int, lead: int, percentile: float, attainment: str) -> Page:
    """Check the parameters, fit Models 1–6, glue the agreement counts and notes and return the two tables."""
    check_parameters(data_dir=data_dir, seed=seed, lead=lead, percentile=percentile, attainment=attainment)
    raw = load_raw(data_dir)
    frame, _ = build_frame(raw, FrameOptions(lead=lead, percentile=percentile, attainment=attainment))
    fits = fit_models(frame)
    comparison = comparison_frame(fits, published_results(), variables(), list(fits))
    _glue_counts(comparison)
    synthetic = is_synthetic(data_dir)
    glue_values(
        {
            "level": level_text(),
            "target_mean": fmt(TARGET_MEAN_SHARE, 2),
            "agreement_meaning": AGREEMENT_MEANING[synthetic],
            "data_source": DATA_SOURCE[synthetic],
        }
    )
    return Page(
        notice=data_notice(data_dir),
        tables={
            "tbl-agreement": book_table(
                agreement_summary(comparison),
                "Agreement between reproduced and published coefficients, by model.",
                "tbl-agreement",
            ),
            "tbl-side-by-side": book_table(
                side_by_side_table(comparison), CAPTION_SIDE_BY_SIDE, "tbl-side-by-side", widths="8 50 18 12 12"
            ),
        },
    )


def _glue_counts(comparison) -> None:
    """How many coefficients of Models 1–6 agree with the published ones in sign, and in sign and significance."""
    counts = agreement_counts(comparison)
    glue_values(
        {
            "n_compared": count(counts["compared"], "coefficient"),
            "n_sign": integer(counts["sign"]),
            "n_both": integer(counts["both"]),
        }
    )
    differs = counts["differs"]
    glue_values({"n_sign_differs": f"{integer(differs)} {'has' if differs == 1 else 'have'}"})
