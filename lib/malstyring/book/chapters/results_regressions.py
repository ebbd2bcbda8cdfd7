"""Chapter 5, does scoring well predict more exits to work: Models 1–6 re-estimated beside the article's Tables 1
and 2, which stars survive the book's few-cluster rule, the article's readings of Model 3, and the journal-entry
prediction and "icicles" (the article's Figures 5 and 6)."""

import numpy as np
import pandas as pd

from ...analysis.calibration import ICICLE_BELOW, ICICLE_MANY, icicles
from ...analysis.inference import ARTICLE_RULE, BOOK_RULE, covers, star_band
from ...analysis.models import MixedFit, convergence_report, fit_models, one_sd_effect, predict_at_means
from ...analysis.operationalise import FrameOptions, build_frame
from ...base.number_format import fmt, integer, percent, percentage_points, printed_percent
from ...data.loading import load_raw
from ...data.provenance import disclosure_control, is_synthetic, read_manifest
from ...data.reference import published_results, variables
from ...synthetic.generator import true_coefficients
from ..disclosure import draw_shown_offices
from ..figures import glue_figure, plot_prediction, plot_small_multiples, use_book_style
from ..notices import data_notice
from ..page import Page, glue_values
from ..parameters import check_parameters
from ..tables import (
    STAR_GAINED,
    STAR_LOST,
    Markdown,
    agreement_counts,
    book_table,
    comparison_frame,
    regression_table,
    star_survival,
)
from ..words import (
    agrees,
    compare,
    count,
    estimate_text,
    glue_agreement,
    glue_count_claim,
    glue_fit_claim,
    k_of_n,
    published,
    published_text,
    rule_p_values,
)

INDEX_MODELS = ["M1", "M2", "M3"]
DUMMY_MODELS = ["M4", "M5", "M6"]
FOUR = {
    "m3_journal": "journal_24h_share",
    "m3_sick": "staff_sick_leave",
    "m3_unemp": "unemployment_county",
    "m3_income": "log_median_income",
}
"""The four Model 3 coefficients the text discusses after the index, by glue key."""
ATTAINMENT_TERMS = ["att_employer_assistance", "att_contact_48h", "att_nae_follow_up_6m"]
READINGS = {
    "jobmatch_share": "positive, less robust than journal entries or the index (its footnote 6)",
    "key_duration_share": "negative: many users at a key duration strain capacity",
    "over_50_share": "negative: offices with older users",
    "users_per_employee": "the caseload matters",
    "unemployment_county": "expected negative",
    "labour_demand": "expected positive",
    "log_median_income": "the general level of prosperity matters",
    "size_5": "office size matters",
    "staff_sick_leave": "internal sick leave matters",
}
"""The article's reading of each Model 3 coefficient it comments on."""
TABLE_WIDTHS = "26 10 9 10 9 10 9 7"
CAPTION_M13 = (
    "Models 1–3 (the article's Table 1). Reproduced coefficient with stars and county-clustered (CR1) standard "
    "error under the article's rule, next to the published value. ** p < 0.01, * p < 0.05. "
    f"{STAR_LOST} significant under the article's rule but not with CR2 standard errors and Satterthwaite "
    f"degrees of freedom (the book's rule); {STAR_GAINED} the reverse. On a published value, × its star would not "
    "survive the book's rule with this design's degrees of freedom, ? the printed numbers cannot decide. Agree, per "
    "model: = sign and significance at 5 % agree, s only the sign agrees, x the sign differs, · not compared."
)
CAPTION_M46 = (
    "Models 4–6 (the article's Table 2): the three attainment dummies instead of the index. Cells and marks "
    f"({STAR_LOST}, {STAR_GAINED}, ×, ?) as in the table of Models 1–3 above. The article prints no constant or fit "
    "statistics for Model 4."
)
CAPTION_READINGS = (
    "Model 3's coefficients that the article comments on: its estimate and reading, and this build's estimate "
    "with stars and standard error under the article's rule (CR1, normal), as Agree compares them (= sign and "
    "significance at 5 %, s sign only, x sign differs)."
)
SYNTHETIC_NOTES = {
    "what_comparison_tests": "The synthetic outcome was drawn with a true index effect of {truth}, so these "
    "comparisons test the re-analysis, not the article.",
    "what_reestimates_show": "The synthetic outcome was generated from those published coefficients, so the "
    "re-estimates only show whether the estimator recovers them:",
    "dummies_truth": "In the synthetic data the dummies have no effect of their own: the outcome is drawn from the "
    "article's Model 3, which contains the index but not the dummies. A dummy can still come out significant here, "
    "by chance or because meeting a target is correlated with the index, which Models 4–6 leave out.",
    "icicle_origin": "The generator was built to reproduce what the article's Figure 6 shows:",
}
SUPPLIED_NOTES = {
    "what_comparison_tests": "These are re-estimates on the supplied data.",
    "what_reestimates_show": "On the supplied data the re-estimates are:",
    "dummies_truth": "",
    "icicle_origin": "The article's Figure 6 shows",
    "four_verdict": "",
}
OFFICES_PER_DECILE = 2


def build(
    data_dir: str,
    seed: int,
    lead: int,
    percentile: float,
    attainment: str,
    exclude_years: list,
    drop_smallest: float,
    min_persons: int,
) -> Page:
    """Check the parameters, fit Models 1–6, glue the chapter's values and figures and return its page."""
    check_parameters(
        data_dir=data_dir,
        seed=seed,
        lead=lead,
        percentile=percentile,
        attainment=attainment,
        exclude_years=exclude_years,
        drop_smallest=drop_smallest,
        min_persons=min_persons,
    )
    use_book_style()
    raw = load_raw(data_dir)
    options = FrameOptions(
        lead=lead,
        percentile=percentile,
        attainment=attainment,
        exclude_years=tuple(exclude_years),
        drop_smallest=drop_smallest,
    )
    frame, _ = build_frame(raw, options)
    fits = fit_models(frame)
    published = published_results()
    comparison = comparison_frame(fits, published, variables(), list(fits))
    _glue_index_models(fits, frame, lead)
    _glue_model_3(fits["M2"], fits["M3"])
    synthetic = is_synthetic(data_dir)
    truth = true_coefficients(read_manifest(data_dir)["index_effect"]) if synthetic else None
    _glue_contact(fits["M3"], fits["M6"], frame, synthetic, truth)
    _glue_dummies(fits["M6"])
    _glue_agreement(comparison)
    _glue_data_notes(data_dir, fits["M3"])
    readings = _readings(fits["M3"])
    _glue_prediction(fits["M3"], frame)
    _glue_icicles(raw, data_dir, seed, min_persons)
    tables = _regression_tables(comparison, fits, published)
    tables["tbl-readings"] = book_table(readings, CAPTION_READINGS, "tbl-readings", widths="26 10 30 24 10")
    notes = {
        f"convergence-m{models[0][1]}-{models[-1][1]}": Markdown(convergence_report({m: fits[m] for m in models}))
        for models in (INDEX_MODELS, DUMMY_MODELS)
    }
    return Page(notice=data_notice(data_dir), tables=tables, notes=notes)


def _regression_tables(comparison: pd.DataFrame, fits: dict, published: pd.DataFrame) -> dict:
    """The article's Tables 1 and 2 re-estimated, with the marks of stars lost (†) or gained (‡) under the book's
    rule and of published stars that would not survive it (×) or cannot be judged (?)."""
    return {
        label: book_table(
            regression_table(comparison[comparison["model"].isin(models)], fits, published, models),
            caption,
            label,
            widths=TABLE_WIDTHS,
        )
        for label, models, caption in (
            ("tbl-model-1-3", INDEX_MODELS, CAPTION_M13),
            ("tbl-model-4-6", DUMMY_MODELS, CAPTION_M46),
        )
    }


def _glue_index_models(fits: dict[str, MixedFit], frame: pd.DataFrame, lead: int) -> None:
    """Models 1–3's index coefficient, its claim and its agreement with the article, and its size in SDs."""
    glue_values(
        {
            "n_obs": integer(fits["M3"].n_obs),
            "lead_months": count(lead, "month"),
        }
    )
    for model in INDEX_MODELS:
        name, fit = model.lower(), fits[model]
        glue_values({f"{name}_index": estimate_text(fit, "index")})
        glue_fit_claim(f"{name}_phrase", fit, "index")
        glue_agreement(f"{name}_vs_article", fit, "index")
        glue_values({f"pub_{name}_index": published_text(model, "index")})
    sd_effect = one_sd_effect(fits["M3"], frame, "index")
    glue_values(
        {
            "sd_index": fmt(sd_effect["sd"], 2),
            "m3_index_sd_effect": percentage_points(abs(sd_effect["estimate"]), 1),
            "m3_index_sd_direction": "higher" if sd_effect["estimate"] > 0 else "lower",
        }
    )


def _glue_model_3(m2: MixedFit, m3: MixedFit) -> None:
    """The four coefficients of Model 3 the text discusses, the job-match share and the AIC against Model 2."""
    for key, term in FOUR.items():
        glue_values({key: estimate_text(m3, term)})
        glue_fit_claim(f"{key}_phrase", m3, term)
        glue_values({f"pub_{key}": published_text("M3", term)})
    glue_fit_claim("m3_jobmatch_phrase", m3, "jobmatch_share")
    glue_values(
        {
            "m3_jobmatch": estimate_text(m3, "jobmatch_share"),
            "pub_m2_jobmatch": published_text("M2", "jobmatch_share"),
            "pub_m3_jobmatch": published_text("M3", "jobmatch_share"),
        }
    )
    glue_agreement("m3_jobmatch_vs_article", m3, "jobmatch_share")
    glue_values(
        {
            "aic_m3": integer(round(m3.aic)),
            "aic_m2": integer(round(m2.aic)),
            "aic_compare": compare(m3.aic, m2.aic, 0),
            "aic_verdict": "better" if m3.aic < m2.aic else "no better",
        }
    )


def _glue_dummies(m6: MixedFit) -> None:
    """Model 6's attainment dummies (how many are significant under the book's rule) and the published ones."""
    glue_count_claim("m6_att_sig", rule_p_values(m6, ATTAINMENT_TERMS), "dummy", "dummies", rule=BOOK_RULE)
    for term in ATTAINMENT_TERMS:
        glue_values({f"m6_{term}": estimate_text(m6, term)})
        for model in DUMMY_MODELS:
            glue_values({f"pub_{model.lower()}_{term}": published_text(model, term)})


def _fate_phrase(fates: dict[str, int], n_fates: int) -> str:
    """'3 of the 5 stars are certain to survive, 1 would not, and 1 cannot be decided'."""
    fails = fates["fails"]
    return (
        f"{k_of_n(fates['survives'], n_fates, 'star')} certain to survive, "
        + (f"{integer(fails)} would not" if fails else "none is certain to fail")
        + f", and {integer(fates['undetermined'])} cannot be decided"
    )


def _glue_agreement(comparison: pd.DataFrame) -> None:
    """Agreement counts over Models 1–3 and, per table, which stars survive the book's few-cluster rule."""
    counts = agreement_counts(comparison, INDEX_MODELS)
    glue_values(
        {
            "n_compared": count(counts["compared"], "coefficient"),
            "n_sign_agree": integer(counts["sign"]),
            "n_full_agree": integer(counts["both"]),
        }
    )
    for key, models in (("m13", INDEX_MODELS), ("m46", DUMMY_MODELS)):
        survival = star_survival(comparison, models)
        glue_count_claim(f"{key}_kept", survival.kept_p, "starred coefficient", rule=BOOK_RULE)
        glue_values(
            {
                f"fate_{key}": _fate_phrase(survival.fates, survival.n_fates),
                f"{key}_gained": k_of_n(survival.gained, survival.unstarred, "unstarred coefficient"),
            }
        )
    glue_values(
        {
            "book_rule": BOOK_RULE.label,
            "article_rule": ARTICLE_RULE.label,
        }
    )


def _glue_data_notes(data_dir: str, m3: MixedFit) -> None:
    """Sentences that depend on whether the data are synthetic (and then on the generator's true model)."""
    if not is_synthetic(data_dir):
        for key, text in SUPPLIED_NOTES.items():
            glue_values({key: text})
        return
    truth = read_manifest(data_dir)["index_effect"]
    terms = list(FOUR.values())
    interval = m3.confint(vcov=BOOK_RULE.vcov, df=BOOK_RULE.df).loc[terms]
    inside = int(covers(interval, true_coefficients(truth)).sum())
    four_verdict = (
        f"The true values of {k_of_n(inside, len(terms), 'coefficient')} inside their 95 % intervals (CR2, "
        f"Satterthwaite df). {_missing_stars(m3, terms, true_coefficients(truth))}"
    )
    glue_values({"four_verdict": four_verdict})
    for key, text in SYNTHETIC_NOTES.items():
        glue_values({key: text.format(truth=fmt(truth))})


def _glue_contact(m3: MixedFit, m6: MixedFit, frame: pd.DataFrame, synthetic: bool, truth: pd.Series | None) -> None:
    """The article's footnote 7: the 48-hour answer share, significant in Model 3 but less robust, and related to
    the journal share; here its estimates in Models 3 and 6, each against the article's, and its correlation with
    the journal share across office-months (on synthetic data a property of the generator, said as such)."""
    term = "contact_48h_share"
    r = fmt(float(frame[term].corr(frame["journal_24h_share"])), 2)
    if synthetic:
        where = (
            f"In these synthetic data the two shares correlate at {r} across office-months, a value the generator sets "
            "and which says nothing about NAV"
        )
        true_value = f"; its true value in the generator is {fmt(float(truth[term]))}"
    else:
        where = f"In the supplied data the two shares correlate at {r} across office-months"
        true_value = ""
    glue_fit_claim("m3_contact_phrase", m3, term)
    glue_agreement("m3_contact_vs_article", m3, term)
    glue_fit_claim("m6_contact_phrase", m6, term)
    glue_agreement("m6_contact_vs_article", m6, term)
    glue_values(
        {
            "m3_contact": estimate_text(m3, term),
            "m6_contact": estimate_text(m6, term),
            "pub_m3_contact": published_text("M3", term),
            "pub_m6_contact": published_text("M6", term),
            "contact_truth": true_value,
            "contact_journal_r": where,
        }
    )


def _missing_stars(m3: MixedFit, terms: list[str], truth: pd.Series) -> str:
    """Why a published star of ``terms`` does not reappear under the article's rule, coefficient by coefficient:
    a standard error above what the star allows (:func:`star_band`: the synthetic panel is less precise there),
    an estimate that fell short of its true value (``truth``), or both."""
    tidy = m3.tidy(vcov=ARTICLE_RULE.vcov, df=ARTICLE_RULE.df)
    labels = variables().set_index("variable")["label_en"]
    reasons = []
    for term in terms:
        value, stars = published("M3", term)
        if not stars or tidy.loc[term, "stars"]:
            continue
        se, estimate, true = tidy.loc[term, "se"], tidy.loc[term, "estimate"], float(truth[term])
        why = []
        if se > star_band(value, stars)[1]:
            why.append(
                f"its standard error ({fmt(se, 4)}) is larger than the article's star allows (at most "
                f"{fmt(star_band(value, stars)[1], 4)}), so the synthetic panel measures it less precisely"
            )
        if np.sign(estimate) != np.sign(true) or abs(estimate) < abs(true):
            side = "has the opposite sign to" if np.sign(estimate) != np.sign(true) else "is closer to zero than"
            why.append(f"its estimate ({fmt(estimate)}) {side} its true value ({fmt(true)})")
        if not why:  # possible only through the rounding of the printed value
            why.append(
                "its estimate and standard error are within what the article's star allows, and it misses the star "
                "narrowly"
            )
        reasons.append(f"‘{labels[term]}’: " + " and ".join(why))
    if not reasons:
        return "Every one of them that carries a star in the article carries one here too (article's rule)."
    verb = "loses" if len(reasons) == 1 else "lose"
    lost = (
        f"{integer(len(reasons))} of the {integer(len(terms))} {verb} the article's star under the article's own rule"
    )
    return f"{lost}: " + "; ".join(reasons) + "."


def _readings(m3: MixedFit) -> pd.DataFrame:
    """The article's readings of Model 3 beside this build's estimates under the article's rule; glues how many
    agree in sign and significance and in sign."""
    tidy = m3.tidy(vcov=ARTICLE_RULE.vcov, df=ARTICLE_RULE.df)
    labels = variables().set_index("variable")["label_en"]
    codes = [agrees(tidy.loc[term, "estimate"], tidy.loc[term, "p"], "M3", term) for term in READINGS]
    glue_values(
        {
            "readings_agree": k_of_n(codes.count("="), len(codes), "variable"),
            "readings_sign": k_of_n(sum(c in ("=", "s") for c in codes), len(codes), "variable"),
        }
    )
    return pd.DataFrame(
        {
            "Variable": [labels[term] for term in READINGS],
            "Article": [published_text("M3", term) for term in READINGS],
            "The article's reading": list(READINGS.values()),
            "This build": [estimate_text(m3, term, rule=ARTICLE_RULE) for term in READINGS],
            "Agree": codes,
        }
    )


def _glue_prediction(m3: MixedFit, frame: pd.DataFrame) -> None:
    """The article's Figure 5: Model 3's prediction across the journal share, and the values the text cites."""
    term = "journal_24h_share"
    mean_journal = frame[term].mean()
    grid = np.linspace(0.5, 1.0, 51)
    pred = predict_at_means(m3, frame, term, grid, vcov=BOOK_RULE.vcov, df=BOOK_RULE.df)
    at_mean, at_70 = predict_at_means(m3, frame, term, np.array([mean_journal, 0.7]))["predicted"]
    glue_values(
        {
            "mean_journal": percent(mean_journal),
            "pred_at_mean": percent(at_mean, 1),
            "pred_at_70": percent(at_70, 1),
        }
    )
    gap = float(printed_percent(at_mean, 1) - printed_percent(at_70, 1))  # as the reader sees them, in points
    glue_values(
        {
            "pred_gap": fmt(abs(gap), 1),
            "pred_gap_direction": "higher" if gap > 0 else "lower",
        }
    )
    fig = plot_prediction(pred, term, mean_journal, "Share of journal entries within 24 hours")
    glue_figure("fig-predicted-journal", fig, pred)


def _glue_icicles(raw, data_dir: str, seed: int, min_persons: int) -> None:
    """The article's Figure 6: journal series of offices drawn by size decile (under disclosure control), and how
    often offices' months fall below the icicle level (:data:`~malstyring.analysis.calibration.ICICLE_BELOW`)."""
    journal = raw["indicator_values"].query("indicator == 'journal_24h'")[["office_id", "month", "value"]]
    found = icicles(raw["indicator_values"])
    glue_values(
        {
            "icicle_share": percent(found.share, 1),
            "icicle_none": percent(found.offices_none),
            "icicle_many": percent(found.offices_many),
            "icicle_level": percent(ICICLE_BELOW),
            "icicle_times": count(ICICLE_MANY, "time"),
        }
    )
    control = disclosure_control(data_dir)
    labels, n_hidden = draw_shown_offices(
        raw["offices"], raw["office_month"], OFFICES_PER_DECILE, seed, min_persons if control else None
    )
    disclosure_note = (
        f"Disclosure control is on: {count(n_hidden, 'office')} with fewer than {min_persons} users in some month "
        f"{'is' if n_hidden == 1 else 'are'} not drawn."
        if control
        else "Disclosure control is off for synthetic data."
    )
    glue_values({"disclosure_note": disclosure_note})
    fig = plot_small_multiples(journal, labels, "value", "Journal entries within 24 h")
    glue_figure("fig-icicles", fig, journal[journal["office_id"].isin(list(labels))])
    glue_values(
        {
            "seed": seed,
            "n_drawn": count(len(labels), "office"),
        }
    )
