"""Chapter 4, goal attainment across offices: the index's distribution (Figure 3) and its years (Figure 4), each
statement of the article set against the range the calibration report reads into it."""

from ...analysis.calibration import IndexSummary, in_article_band, index_quantities, index_summary, outside_article_band
from ...analysis.operationalise import goal_attainment_index
from ...base.number_format import integer, percent, printed_percent
from ...data.loading import load_raw
from ...data.panel import year_of
from ...data.reference import active_indicator_counts
from ..figures import glue_figure, plot_index_by_year, plot_index_histogram, use_book_style
from ..notices import data_notice
from ..page import Page, glue_values
from ..parameters import check_parameters
from ..verdicts import (
    band_verdict,
    change_text,
    last_year_rise,
    last_year_rise_text,
    shares_by_year_text,
    uncommon_years_text,
)

FIGURE_3_STATEMENTS = {
    "index_modal_50_60": "the most common range",
    "index_below_20": "the share below 20 %",
    "index_above_90": "the share above 90 %",
    "index_mean": "the mean",
}
"""The article's statements beside its Figure 3, by calibration target id, as the verdict names them."""


def build(data_dir: str, seed: int, attainment: str) -> Page:
    """Check the parameters, glue the chapter's values and figures and return its page (the data notice)."""
    check_parameters(data_dir=data_dir, seed=seed, attainment=attainment)
    use_book_style()
    index = goal_attainment_index(load_raw(data_dir)["indicator_values"], attainment)
    index["year"] = year_of(index["month"])
    summary = index_summary(index)
    _glue_distribution(summary)
    _glue_years(summary)
    glue_values({"attainment": attainment})
    values = index["index"].dropna()
    glue_figure("fig-index-distribution", plot_index_histogram(values), values.describe())
    glue_figure("fig-index-by-year", plot_index_by_year(index), index.groupby("year")["index"].describe().reset_index())
    return Page(notice=data_notice(data_dir))


def _glue_distribution(summary: IndexSummary) -> None:
    """Figure 3 in numbers, and how many of the article's statements about it the data bear out."""
    glue_values(
        {
            "n_index": integer(summary.n),
            "mean_index": percent(summary.mean),
            "modal_range": f"{printed_percent(summary.modal_low)}–{percent(summary.modal_high)}",
            "modal_share": percent(summary.modal_share),
            "below_20": percent(summary.below_20, 1),
            "above_90": percent(summary.above_90, 1),
        }
    )
    quantities = index_quantities(summary)
    outside = outside_article_band({target: quantities[target] for target in FIGURE_3_STATEMENTS})
    verdict = band_verdict(len(FIGURE_3_STATEMENTS), [FIGURE_3_STATEMENTS[t] for t in outside], "value")
    glue_values({"fig3_verdict": verdict})


def _glue_years(summary: IndexSummary) -> None:
    """Figure 4's three statements about the years: high scores uncommon, low ones more common in the last year,
    the mean falling; and the number of indicators the first and last year's index counts."""
    first, last = int(summary.yearly_mean.index.min()), int(summary.yearly_mean.index.max())
    glue_values(
        {
            "first_year": first,
            "last_year": last,
            "mean_change": change_text(summary.yearly_mean),
            "above75_max": percent(summary.yearly_above_75.max(), 1),
        }
    )
    above75 = summary.yearly_above_75
    high_years = [y for y, share in above75.items() if not in_article_band("index_above_75_max_year", share)]
    glue_values(
        {
            "above75_verdict": uncommon_years_text(high_years, len(above75)),
            "mean_years": shares_by_year_text(summary.yearly_mean, 0),
        }
    )
    # the article's 'uncommon below about 40 %, but more common in 2015', checked against every year, not 2012 alone
    glue_values({"below40_years": shares_by_year_text(summary.yearly_below_40, 1)})
    rise = last_year_rise(summary.yearly_below_40, 1)
    glue_values({"below40_verdict": last_year_rise_text(rise, "Scores below 40 %")})
    counts = active_indicator_counts()
    glue_values(
        {
            "count_first": counts[first],
            "count_last": counts[last],
        }
    )
