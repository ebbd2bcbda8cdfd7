"""Chapter 6, the limitations of the analysis: how often the outcome share is 0 or 1, whether Model 3's intervals
hold the generator's true coefficients in this build, and their coverage over re-draws of the outcome under each
inference rule (the same re-draws as the robustness chapter's, summarised by the same rule)."""

import pandas as pd

from ...analysis.inference import ARTICLE_RULE, BOOK_RULE, RULES, SIGNIFICANCE_LEVEL, covers
from ...analysis.models import MixedFit, fit_model
from ...analysis.operationalise import build_frame
from ...analysis.robustness import (
    NOMINAL_LEVEL,
    CoverageSummary,
    chapter_seeds,
    coverage_by_rule,
    coverage_summary,
    extreme_shares,
    monte_carlo_draws,
    undercover_margin,
)
from ...base.number_format import fmt, fmt_coef, integer, percent, percentage_points
from ...data.loading import load_raw
from ...data.provenance import is_synthetic, read_manifest
from ...data.reference import variables
from ...synthetic.generator import PUBLISHED_INDEX_EFFECT, true_coefficients
from ..figures import glue_figure, plot_coverage_by_rule, use_book_style
from ..notices import data_notice
from ..page import Page, glue_values
from ..parameters import check_parameters
from ..words import MC_SES, count, join_words, k_of_n, p_value


def build(data_dir: str, seed: int, n_replications: int, n_jobs: int) -> Page:
    """Check the parameters, glue the chapter's values and the coverage figure, and return its page."""
    check_parameters(data_dir=data_dir, seed=seed, n_replications=n_replications, n_jobs=n_jobs)
    use_book_style()
    frame, _ = build_frame(load_raw(data_dir))
    _small_counts(frame)
    synthetic = is_synthetic(data_dir)
    effect = read_manifest(data_dir)["index_effect"] if synthetic else PUBLISHED_INDEX_EFFECT
    m3 = fit_model(frame, "M3")
    book_tests = m3.tidy(vcov=BOOK_RULE.vcov, df=BOOK_RULE.df)
    _truth_check(m3, book_tests, effect if synthetic else None)
    draws = monte_carlo_draws(frame, n_replications, effect, seed=chapter_seeds(seed)["monte carlo"], n_jobs=n_jobs)
    rules_cover = coverage_by_rule(draws)
    fig = plot_coverage_by_rule(rules_cover, {r.name: r.short for r in RULES.values()}, n_replications)
    glue_figure("fig-coverage", fig, rules_cover[["rule", "term", "coverage"]])
    glue_values(
        {
            "mc_effect": fmt(effect),
            "mc_n": count(n_replications, "time"),
            "mc_threshold": percentage_points(undercover_margin(n_replications)),
        }
    )
    _coverage_words(rules_cover)
    book = coverage_summary(rules_cover, BOOK_RULE.name)
    glue_values({"null_check": _null_words(book, m3, book_tests) if synthetic else ""})
    return Page(notice=data_notice(data_dir))


def _small_counts(frame: pd.DataFrame) -> None:
    """How often the share of exits to work is exactly 0 or 1, overall and among office-months with few exits."""
    extremes = extreme_shares(frame)
    glue_values(
        {
            "extreme_share": percent(extremes.overall),
            "small_share": percent(extremes.few_exits),
            "small_extreme": percent(extremes.among_few_exits),
        }
    )


def _truth_check(m3: MixedFit, book_tests: pd.DataFrame, effect: float | None) -> None:
    """With synthetic data (``effect`` known): how many of Model 3's 95 % intervals (the book's rule) miss the
    generator's true coefficients. With supplied data there is no truth to check."""
    if effect is None:
        glue_values(
            {
                "design_intro": (
                    "This build runs on supplied data, so there is no known truth to check its estimates against; "
                    "the points below describe what the book's synthetic design can and cannot show."
                ),
                "truth_check": "",
            }
        )
        return
    design_intro = (
        "This build runs on synthetic data whose outcome was generated from the article's own final model, with "
        f"a true index coefficient of {fmt(effect)}."
    )
    glue_values({"design_intro": design_intro})
    beta = true_coefficients(effect).reindex(m3.terms).dropna()
    miss = int((~covers(book_tests.loc[beta.index], beta)).sum())
    glue_values(
        {
            "truth_check": "In this build, the book's 95 % intervals (CR2, Satterthwaite df) miss the generator's true "
            "value for "
            f"{integer(miss)} of the {integer(len(beta))} Model 3 coefficients, where about "
            f"{fmt(len(beta) * SIGNIFICANCE_LEVEL, 1)} misses would be expected by chance alone if the intervals "
            "were right.",
        }
    )


def _under_words(summary: CoverageSummary) -> str:
    below = f"more than {MC_SES} below {percent(NOMINAL_LEVEL)}"
    return f"{k_of_n(summary.n_under, summary.n_terms, 'coefficient')} {below}"


def _coverage_words(rules_cover: pd.DataFrame) -> None:
    """The coverage of the article's, the book's and the CR1-t rule, in words."""
    article = coverage_summary(rules_cover, ARTICLE_RULE.name)
    book = coverage_summary(rules_cover, BOOK_RULE.name)
    label = variables().set_index("variable").loc[article.worst, "label_en"]
    glue_values(
        {
            "cover_article_median": percent(article.median, 1),
            "cover_article_under": _under_words(article),
            "cover_worst": f"the coefficient of ‘{label}’ ({percent(article.lowest, 1)})",
            "cover_book_median": percent(book.median, 1),
            "cover_t_median": percent(coverage_summary(rules_cover, "cr1-t").median, 1),
            "cover_book_under": _under_words(book),
            "cover_chance": fmt(book.expected_under, 0),
            "n_true": count(book.n_terms, "coefficient"),
        }
    )


def _null_words(book: CoverageSummary, m3: MixedFit, book_tests: pd.DataFrame) -> str:
    """The coefficients whose true value is 0: this build's estimate and p-value, and how often the book's rule
    found them significant over the re-draws."""
    labels = variables().set_index("variable")["label_en"]
    words = join_words(
        [
            f"{labels[t].lower()} ({fmt_coef(m3.coef[t])}, {p_value(book_tests.loc[t, 'p'])} under the book's rule "
            f"in this build; significant in {percent(rate, 1)} of the re-draws)"
            for t, rate in book.null_rejection.items()
        ]
    )
    verb = "is" if len(book.null_rejection) == 1 else "are"
    return f"The coefficients whose true value in the generator is 0 {verb} {words}."
