"""Chapter 8, beyond the article: the article's own checks, BA-region unemployment, time dependence, longer delays,
the Mundlak split, few-cluster inference and its coverage in a Monte Carlo, a binomial model, the specification
curve and what the design can detect. Every model is Model 3 and every interval and test comes from the fit's
inference methods (``tidy``, ``coef_test``, ``lincom``) under a named rule."""

import numpy as np
import pandas as pd

from ...analysis.inference import ARTICLE_RULE, BOOK_RULE, RULES, SIGNIFICANCE_LEVEL, star_band
from ...analysis.models import MixedFit, fit_mixed, model_terms
from ...analysis.operationalise import ATTAINMENT_CODINGS, PARTIAL_TOLERANCE, FrameOptions, build_frame, covariates
from ...analysis.robustness import (
    CONTROLS,
    LEADS,
    M3_TERMS,
    MC_SE_MULTIPLE,
    NOMINAL_LEVEL,
    SAMPLE_RESTRICTIONS,
    SAMPLES,
    SE_TYPES,
    MonteCarloDraws,
    MonteCarloValue,
    PowerCheck,
    add_index_lags,
    all_specs,
    ba_region_comparison,
    ba_regions_crossing_counties,
    binomial_model,
    chapter_seeds,
    coverage_by_rule,
    coverage_summary,
    coverage_verdict,
    minimum_detectable_effect,
    monte_carlo_draws,
    monte_carlo_summary,
    most_influential_choice,
    mundlak,
    power,
    power_check,
    specification_curve,
    undercover_margin,
    variance_inflation,
)
from ...analysis.timedep import lagged_outcome_comparison, nickell_bias, wooldridge_tests
from ...base.number_format import (
    degrees_of_freedom,
    fmt,
    fmt_coef,
    fmt_p,
    integer,
    percent,
    percentage_points,
    printed_percent,
    signed,
)
from ...data.loading import RawData, load_raw
from ...data.provenance import is_synthetic, read_manifest
from ...data.reference import variables
from ...synthetic.generator import true_coefficients
from ..figures import glue_figure, plot_coefficients, plot_power, plot_specification_curve, use_book_style
from ..notices import data_notice
from ..page import Page, glue_values
from ..parameters import check_parameters
from ..tables import Markdown, book_table
from ..words import (
    MC_SES,
    change_phrase,
    compare,
    count,
    describe,
    glue_agreement,
    glue_claim,
    glue_count_claim,
    glue_fit_claim,
    is_significant,
    join_words,
    k_of_n,
    level_text,
    p_value,
    published,
    published_text,
    rule_p_values,
    rule_tag,
    same_reading,
    sign_word,
)

BOOT_MODELS = {"M3": None, "M6": "att_"}
"""The coefficients judged by every rule and the wild bootstrap: all of Model 3's (but the intercept) and Model 6's
attainment dummies (the terms starting with the given prefix), i.e. every coefficient the results chapter
discusses."""


def build(
    data_dir: str,
    seed: int,
    n_boot: int,
    spec_boot: int,
    n_replications: int,
    mc_index_effect: float,
    n_jobs: int,
    scheduler: str,
) -> Page:
    """Check the parameters, glue the chapter's values and figures, and return its page with its seven tables."""
    check_parameters(
        data_dir=data_dir,
        seed=seed,
        n_boot=n_boot,
        spec_boot=spec_boot,
        n_replications=n_replications,
        mc_index_effect=mc_index_effect,
        n_jobs=n_jobs,
        scheduler=scheduler,
    )
    use_book_style()
    raw = load_raw(data_dir)
    frames = _Frames(raw)
    main_frame = frames()
    main = fit_mixed(main_frame, M3_TERMS, model="M3")
    streams = chapter_seeds(seed)  # every draw comes from `seed`; the limitations chapter shares the Monte Carlo's
    true_effect = read_manifest(data_dir)["index_effect"] if is_synthetic(data_dir) else None
    main_test = _headline(main, true_effect)
    mc = monte_carlo_draws(
        main_frame, n_replications, mc_index_effect, seed=streams["monte carlo"], n_jobs=n_jobs, scheduler=scheduler
    )
    tables = {
        "tbl-article-checks": _article_checks(frames, main, main_test),
        "tbl-ba-regions": _ba_regions(raw, main_frame, true_effect),
        "tbl-lagged-outcome": _lagged_outcome(main_frame, true_effect is not None),
        "tbl-lags": _longer_delays(frames, main_frame, true_effect is not None),
        "tbl-rules": _rules(coverage_by_rule(mc), n_replications),
    }
    _multicollinearity(main_frame)
    _serial_correlation(main_frame, main, true_effect is not None)
    _mundlak(main_frame, true_effect)
    m6 = fit_mixed(main_frame, model_terms("M6"), model="M6")
    tables["tbl-inference"], tables["tbl-few-cluster-terms"] = _few_clusters(main, m6, main_test, n_boot, streams)
    _binomial(main_frame, main, main_test)
    _specification_curve(raw, streams["specification curve"], spec_boot, n_jobs, scheduler, true_effect)
    _design(mc, main, main_test, mc_index_effect, n_replications)
    return Page(notice=data_notice(data_dir), tables=tables)


class _Frames:
    """Model 3's frame under any options, sharing the covariates of each attainment coding."""

    def __init__(self, raw: RawData):
        self.raw = raw
        self.cov = {c: covariates(raw, FrameOptions(attainment=c)) for c in ATTAINMENT_CODINGS}

    def __call__(self, **options) -> pd.DataFrame:
        opts = FrameOptions(**options)
        return build_frame(self.raw, opts, cov=self.cov[opts.attainment])[0]


def _row(label: str, fit: MixedFit, term: str = "index") -> dict:
    """One table row for ``term`` under the book's rule (CR2 standard error, Satterthwaite df)."""
    test = fit.coef_test(BOOK_RULE.vcov, BOOK_RULE.df).loc[term]
    return {
        "Specification": label,
        "Estimate": fmt(test["estimate"]),
        "CR2 SE": fmt(test["se"]),
        "df": fmt(test["df"], 1),
        "p": fmt_p(test["p"]),
        "N": integer(fit.n_obs),
    }


def _headline(main: MixedFit, true_effect: float | None) -> pd.Series:
    """The index coefficient of Model 3 under the book's rule, against the article's and the truth."""
    main_test = main.tidy(vcov=BOOK_RULE.vcov, df=BOOK_RULE.df).loc["index"]
    glue_values(
        {
            "main_est": fmt(main.coef["index"]),
            "main_p": p_value(main_test["p"]),
            "main_df": fmt(main_test["df"], 1),
        }
    )
    glue_fit_claim("main_claim", main, "index")
    glue_agreement("main_vs_article", main, "index")
    glue_values({"pub_m3_index": published_text("M3", "index")})
    known = true_effect is not None
    glue_values(
        {
            "true_effect": fmt(true_effect) if known else "unknown",
            "true_effect_sentence": f"The true effect in these synthetic data is {fmt(true_effect)}."
            if known
            else "With supplied data the true effect is unknown.",
        }
    )
    return main_test


# --- the article's own checks --------------------------------------------------------------------------------

CHECKS = [
    (
        "Without the smallest 20 % of offices",
        SAMPLE_RESTRICTIONS["drop smallest 20%"],
        "without the smallest fifth of offices",
    ),
    ("Without 2012", SAMPLE_RESTRICTIONS["drop 2012"], "without 2012"),
    ("Partial attainment in the index (the book's variant)", {"attainment": "partial"}, "with partial attainment"),
]
"""The article's restrictions and the book's partial coding: (table label, frame options, phrase)."""


def _article_checks(frames: _Frames, main: MixedFit, main_test: pd.Series) -> Markdown:
    """Model 3's index coefficient under each restriction or coding, and how it moves from the full sample."""
    checks, check_p, changes = [_row("Model 3 as in the article", main)], [main_test["p"]], []
    for label, options, phrase in CHECKS:
        check_fit = fit_mixed(frames(**options), M3_TERMS, model=f"M3 ({label.lower()})")
        checks.append(_row(label, check_fit))
        check_p.append(rule_p_values(check_fit, ["index"]).iloc[0])
        change = change_phrase(main_test["estimate"], main_test["p"], check_fit.coef["index"], check_p[-1])
        changes.append(f"{phrase} the index coefficient is {fmt(check_fit.coef['index'])}: {change}")
    glue_count_claim("checks_sig", check_p, "specification", rule=BOOK_RULE)
    glue_values(
        {
            "checks_changes": "; ".join(changes) + rule_tag(BOOK_RULE),
            "partial_tol": percent(PARTIAL_TOLERANCE),
        }
    )
    return book_table(
        pd.DataFrame(checks),
        "The article's robustness checks and the book's partial coding: Model 3's index coefficient under each "
        "restriction or coding, with its CR2 standard error, Satterthwaite degrees of freedom and p-value.",
        "tbl-article-checks",
        widths="40 12 12 8 12 16",
    )


def _multicollinearity(main_frame: pd.DataFrame) -> None:
    """Variance inflation factors of Model 3's covariates."""
    vif = variance_inflation(main_frame)
    glue_values(
        {
            "vif_index": fmt(vif["index"], 2),
            "vif_max": fmt(vif.max(), 1),
            "vif_max_name": variables().set_index("variable").loc[vif.index[0], "label_en"].lower(),
            "vif_over_5": k_of_n(int((vif > 5).sum()), len(vif), "covariate"),
            "n_terms": integer(len(vif)),
        }
    )


# --- unemployment in labour-market regions -------------------------------------------------------------------


def _ba_rows(ba_fits: dict) -> pd.DataFrame:
    rows = []
    for label, fit in ba_fits.items():
        tidy = fit.tidy(vcov=BOOK_RULE.vcov, df=BOOK_RULE.df)
        term = "unemployment_ba_region" if label == "BA region" else "unemployment_municipality"
        rows.append(
            {
                "Local unemployment measured in the": label,
                "Index": fmt(tidy.loc["index", "estimate"]),
                "p (index)": fmt_p(tidy.loc["index", "p"]),
                "Local unemployment": fmt(tidy.loc[term, "estimate"]),
                "p (unemployment)": fmt_p(tidy.loc[term, "p"]),
                "AIC": integer(round(fit.aic)),
            }
        )
    return pd.DataFrame(rows)


def _ba_regions(raw: RawData, main_frame: pd.DataFrame, true_effect: float | None) -> Markdown:
    """Model 3 with the municipality's unemployment replaced by its BA region's, on the same rows."""
    ba_fits, ba_missing = ba_region_comparison(main_frame)
    ba_base, ba_alt = ba_fits["municipality"], ba_fits["BA region"]
    ba_p = [rule_p_values(f, ["index"]).iloc[0] for f in (ba_base, ba_alt)]
    glue_values(
        {
            "ba_change": change_phrase(ba_base.coef["index"], ba_p[0], ba_alt.coef["index"], ba_p[1]),
            "ba_index": fmt(ba_alt.coef["index"]),
        }
    )
    glue_claim("ba_claim", ba_alt.coef["index"], ba_p[1], rule=BOOK_RULE)
    glue_values(
        {
            "ba_aic": compare(ba_alt.aic, ba_base.aic, 0),
            "ba_aic_diff": fmt(abs(ba_alt.aic - ba_base.aic), 1),
            "ba_n_regions": integer(raw["municipality_year"]["ba_region_id"].nunique()),
        }
    )
    missing = f"{count(ba_missing, 'office-month')} without a BA-region rate {'is' if ba_missing == 1 else 'are'}"
    glue_values(
        {
            "ba_missing": f"{missing} left out of both models."
            if ba_missing
            else "Every office-month has a BA-region rate."
        }
    )
    crossing = ba_regions_crossing_counties(raw["municipality_year"], raw["offices"])
    glue_values({"ba_crossing": integer(crossing)})
    note = ""
    if true_effect is not None:
        note = (
            "In these synthetic data the outcome depends on the municipality's rate and not on the region's, so the "
            "check can only show that the swap does no harm; the municipality's own coefficient, whose true value "
            f"here is {fmt(true_coefficients(true_effect)['unemployment_municipality'])}, is "
            f"{fmt(ba_base.coef['unemployment_municipality'])} in this build – "
            "a reminder that one coefficient among many can be far off by chance."
        )
    glue_values({"ba_synthetic_note": note})
    return book_table(
        _ba_rows(ba_fits),
        "Model 3 with local unemployment measured in the municipality (as in the article) and in the labour-market "
        "(BA) region: coefficients with p-values under the book's rule (CR2, Satterthwaite df), and AIC.",
        "tbl-ba-regions",
        widths="26 12 12 18 14 18",
    )


# --- time dependence -----------------------------------------------------------------------------------------

SERIAL_NOTE = (
    "draws the outcome's office-month noise independently from month to month (only the scorecard "
    "indicators carry autocorrelated shocks, and they enter the model as covariates), so the errors of Model 3 are "
    "serially uncorrelated here, and the test should reject in about one build in twenty (its nominal 5 %)"
)
"""Why the test should not reject on synthetic data; completes the verdict's sentence after its subject."""


def _serial_correlation(main_frame: pd.DataFrame, main: MixedFit, synthetic: bool) -> None:
    """Wooldridge's test for first-order serial correlation, clustered by county and by office."""
    wt, wt_office = wooldridge_tests(main_frame, M3_TERMS, ("county_id", "office_id"), fit=main).values()
    glue_values(
        {
            "wt_slope": fmt(wt.coefficient),
            "wt_stat": fmt(wt.statistic, 2),
            "wt_df": integer(wt.df),
            "wt_p": p_value(wt.p_value),
            "wt_office_df": integer(wt_office.df),
            "wt_office_p": p_value(wt_office.p_value),
            "wt_pairs": integer(wt.n_pairs),
            "wt_unpaired": integer(wt.n_without_pair),
        }
    )
    gaps = f"The offices' series have {count(wt.n_gaps, 'gap')}, and each gap starts a new run of months."
    glue_values(
        {
            "wt_gaps": gaps if wt.n_gaps else "No office's series has a gap.",
            "wt_rho": fmt(wt.rho),
            "wt_rho_ci": "[{}, {}]".format(*(fmt(x) for x in wt.rho_interval())),
            "wt_detectable": fmt(wt.detectable_rho(), 2),
        }
    )
    glue_claim("wt_claim", wt.rho, wt.p_value, rule=RULES["cr1-t"])
    glue_values({"wt_verdict": "rejects" if wt.rejects else "does not reject"})
    same_verdict = wt_office.rejects == wt.rejects
    glue_values({"wt_office_verdict": "the same verdict" if same_verdict else "the opposite verdict"})
    if synthetic:
        verdict = (
            "This rejection is a false positive: the generator"
            if wt.rejects
            else "That is what the generator implies: it"
        )
        vs_article = f"{verdict} {SERIAL_NOTE}."
    else:
        vs_article = f"On this point the data {'contradict' if wt.rejects else 'agree with'} the article's statement."
    glue_values({"wt_vs_article": vs_article})


LAG_TRUTH_NOTE = (
    "In these synthetic data its true value is 0: given the covariates and the two intercepts, the generator draws "
    "each month's outcome without regard to the month before, so the estimate shows the bias discussed below, "
    "together with sampling error."
)


def _lagged_outcome_table(lag: pd.DataFrame) -> Markdown:
    """One row per specification and term: the estimate, its CR2 standard error, Satterthwaite df and p under the
    book's rule, and p under the article's rule (the estimate is the same under both)."""
    book = lag[lag["rule"] == BOOK_RULE.name].set_index(["specification", "term"])
    article = lag[lag["rule"] == ARTICLE_RULE.name].set_index(["specification", "term"])["p"]
    shown = pd.DataFrame(
        {
            "Specification": [spec.capitalize() for spec, _ in book.index],
            "Term": [{"index": "Index", "to_work_share_lag1": "Lagged outcome"}[term] for _, term in book.index],
            "Estimate": book["estimate"].map(fmt_coef).to_numpy(),
            "CR2 SE": book["se"].map(fmt_coef).to_numpy(),
            "df": book["df"].map(degrees_of_freedom).to_numpy(),
            "p, book's rule": book["p"].map(fmt_p).to_numpy(),
            "p, article's rule": article.reindex(book.index).map(fmt_p).to_numpy(),
            "N": book["n_obs"].map(integer).to_numpy(),
        }
    )
    return book_table(
        shown,
        "Model 3 with and without the office's outcome in the previous month: the index coefficient (and the lag's) "
        "with its CR2 standard error and Satterthwaite degrees of freedom; p under the book's rule (CR2, "
        "Satterthwaite df) and under the article's (CR1, normal).",
        "tbl-lagged-outcome",
        widths="27 15 11 10 8 10 11 8",
    )


def _lagged_outcome(main_frame: pd.DataFrame, synthetic: bool) -> Markdown:
    """Model 3 with last month's outcome added, on the same rows, and Nickell's bias of the lag."""
    lag = lagged_outcome_comparison(main_frame, M3_TERMS)
    at = lag.set_index(["specification", "rule", "term"])
    before = at.loc[("as estimated", BOOK_RULE.name, "index")]
    same_rows = at.loc[("rows with a lagged outcome", BOOK_RULE.name, "index")]
    after = at.loc[("with the lagged outcome", BOOK_RULE.name, "index")]
    glue_values(
        {
            "lag_dropped": integer(lag["n_dropped"].max()),
            "lag_index_before": fmt(before["estimate"]),
            "lag_index_same_rows": fmt(same_rows["estimate"]),
        }
    )
    claims = {
        "lag_index_claim": ("index", BOOK_RULE),
        "lag_coef_claim": ("to_work_share_lag1", BOOK_RULE),
        "lag_index_article": ("index", ARTICLE_RULE),
    }
    for key, (term, rule) in claims.items():
        est, p = at.loc[("with the lagged outcome", rule.name, term), ["estimate", "p"]]
        glue_claim(key, est, p, f"{fmt(est)} ({p_value(p)}), {describe(est, p, rule=rule)}", rule=rule)
    same = same_reading(before["estimate"], before["p"], after["estimate"], after["p"])
    reading = "leaves the reading of the index unchanged" if same else "changes the reading of the index"
    glue_values({"lag_reading": reading})
    change = abs(after["estimate"] / same_rows["estimate"] - 1)
    # a change that prints as 0 % is said to be below 1 %
    glue_values({"lag_change": percent(change) if printed_percent(change) > 0 else f"less than {percent(0.01)}"})
    months = lag.attrs["months_per_office"]
    bias = nickell_bias(months, 0.0)
    lag_se = at.loc[("with the lagged outcome", BOOK_RULE.name, "to_work_share_lag1"), "se"]
    glue_values(
        {
            "lag_months": integer(round(months)),
            "nickell": fmt(bias),
            "nickell_vs_se": f"{'larger' if abs(bias) > lag_se else 'smaller'} than",
            "lag_se": fmt(lag_se),
            "lag_truth_note": LAG_TRUTH_NOTE if synthetic else "",
        }
    )
    return _lagged_outcome_table(lag)


# --- longer delays -------------------------------------------------------------------------------------------


def _longer_delays(frames: _Frames, main_frame: pd.DataFrame, synthetic: bool) -> Markdown:
    """Model 3 with the outcome 1, 3, 6 and 12 months after the scorecard, and the distributed-lag model."""
    lag_rows, lag_p = [], []
    for lead in LEADS:
        fit = fit_mixed(frames(lead=lead), M3_TERMS, model=f"M3 at t+{lead}")
        lag_rows.append(_row(f"Outcome {count(lead, 'month')} after the scorecard", fit))
        lag_p.append(rule_p_values(fit, ["index"]).iloc[0])
    glue_count_claim("lead_sig", lag_p, "delay", rule=BOOK_RULE)
    _distributed_lag(main_frame, synthetic)
    return book_table(
        pd.DataFrame(lag_rows),
        "Model 3 with the outcome taken 1, 3, 6 and 12 months after the scorecard month (CR2 standard errors, "
        "Satterthwaite degrees of freedom).",
        "tbl-lags",
        widths="40 12 12 8 12 16",
    )


def _distributed_lag(main_frame: pd.DataFrame, synthetic: bool, max_lag: int = 12) -> None:
    """The index of the twelve preceding months in one model: each lag, their sum (``lincom``) and the figure."""
    dl_frame, dl_dropped = add_index_lags(main_frame, max_lag)
    lag_terms = [f"index_lag{k}" for k in range(1, max_lag + 1)]
    dl = fit_mixed(dl_frame, lag_terms + CONTROLS, model="distributed lag")
    dl_tidy = dl.tidy(vcov=BOOK_RULE.vcov, df=BOOK_RULE.df).loc[lag_terms]
    glue_values(
        {
            "dl_n": integer(dl.n_obs),
            "dl_dropped": integer(dl_dropped),
        }
    )
    dl_sum = dl.lincom(dict.fromkeys(lag_terms, 1.0), vcov=BOOK_RULE.vcov, df=BOOK_RULE.df)
    glue_values({"dl_sum": fmt(dl_sum["estimate"])})
    glue_claim("dl_sum_claim", dl_sum["estimate"], dl_sum["p"], rule=BOOK_RULE)
    glue_count_claim("dl_sig", dl_tidy["p"], "lag coefficient", rule=BOOK_RULE)
    sig_lags = dl_tidy[dl_tidy["p"] < SIGNIFICANCE_LEVEL]
    which = join_words([f"lag {t.removeprefix('index_lag')} ({sign_word(e)})" for t, e in sig_lags["estimate"].items()])
    lag1_note = ""
    if synthetic:  # the generator draws the outcome from the index one month before
        if list(sig_lags.index) == ["index_lag1"]:
            lag1_note = ", the lag that carries the true effect in the synthetic data"
        else:
            among = "is" if "index_lag1" in sig_lags.index else "is not"
            lag1_note = f"; lag 1, which carries the true effect in the synthetic data, {among} among them"
    if len(sig_lags) == 1:
        dl_which = f"The only significant one is {which}{lag1_note}."
    else:
        dl_which = f"The significant ones are {which}{lag1_note}." if len(sig_lags) else ""
    glue_values({"dl_sig_which": dl_which})
    dl_table = pd.DataFrame(
        {"x": range(1, max_lag + 1)} | {c: dl_tidy[c].to_numpy() for c in ("estimate", "low", "high")}
    )
    fig = plot_coefficients(dl_table, "Months between the scorecard and the outcome (k in t+k)")
    glue_figure("fig-distributed-lag", fig, dl_table)


# --- Mundlak ---------------------------------------------------------------------------------------------------


def _mundlak(main_frame: pd.DataFrame, true_effect: float | None) -> None:
    """The index split into the office's mean and the month's deviation; their difference by ``lincom``."""
    mf = mundlak(main_frame)
    mund = fit_mixed(mf, ["index_between", "index_within"] + CONTROLS, model="Mundlak")
    for part in ("between", "within"):
        term = f"index_{part}"
        coef, p_part = mund.coef[term], rule_p_values(mund, [term]).iloc[0]
        text = f"{fmt(coef)} ({p_value(p_part)}), {describe(coef, p_part, rule=BOOK_RULE)}"
        glue_claim(part, coef, p_part, text, rule=BOOK_RULE)
    glue_values({"share_within": percent(mf["index_within"].var() / mf["index"].var())})
    gap = mund.lincom({"index_between": 1.0, "index_within": -1.0}, vcov=BOOK_RULE.vcov, df=BOOK_RULE.df)
    glue_values(
        {
            "mund_gap": fmt(gap["estimate"]),
            "mund_gap_p": p_value(gap["p"]),
            "mund_gap_verdict": "so the data cannot tell the two apart"
            if not is_significant(gap["p"])
            else "so the two differ",
            "mund_truth": f" In these synthetic data both have the same true value, {fmt(true_effect)}."
            if true_effect is not None
            else "",
        }
    )


# --- few clusters ----------------------------------------------------------------------------------------------

INFERENCE_METHODS = [
    ("Model-based SE, normal", "model", "normal"),
    (f"{RULES['cr1-normal'].label} (the article's rule)", "CR1", "normal"),
    (RULES["cr1-t"].label, "CR1", "G-1"),
    (f"{BOOK_RULE.label} (the book's rule)", BOOK_RULE.vcov, BOOK_RULE.df),
]
"""The analytic ways to judge a coefficient in the table of inference rules: (label, vcov, df)."""


def _inference_table(main: MixedFit, boot: pd.DataFrame, n_boot: int) -> Markdown:
    """The index coefficient judged five ways: intervals from ``tidy`` under each rule, and the bootstrap's."""
    rows = []
    for label, vcov, df in INFERENCE_METHODS:
        t = main.tidy(vcov=vcov, df=df).loc["index"]
        interval = f"[{fmt(t['low'])}, {fmt(t['high'])}]"
        row = {"Method": label, "SE": fmt(t["se"]), "df": degrees_of_freedom(t["df"]), "p": fmt_p(t["p"])}
        rows.append(row | {"95 % interval": interval})
    b = boot.loc["index"]
    rows.append(
        {"Method": f"Wild cluster restricted bootstrap (Webb weights, B = {integer(n_boot)})", "SE": "", "df": ""}
        | {"p": fmt_p(b["p_boot"]), "95 % interval": f"[{fmt(b['ci_low'])}, {fmt(b['ci_high'])}]"}
    )
    return book_table(
        pd.DataFrame(rows),
        "Five ways to judge the index coefficient of Model 3: standard error, degrees of freedom (∞: normal reference "
        "distribution), p-value and 95 % interval.",
        "tbl-inference",
        widths="44 10 8 10 28",
    )


def _few_clusters(
    main: MixedFit, m6: MixedFit, main_test: pd.Series, n_boot: int, streams: dict
) -> tuple[Markdown, Markdown]:
    """The wild cluster restricted bootstrap beside the analytic rules, for the index and for every coefficient the
    results chapter discusses (:data:`BOOT_MODELS`); Models 3 and 6 use the same weight draws."""
    est = main.coef["index"]
    fits = {"M3": main, "M6": m6}
    terms = {
        model: [t for t in fits[model].coef.index if t != "Intercept" and (prefix is None or t.startswith(prefix))]
        for model, prefix in BOOT_MODELS.items()
    }
    boots = {
        model: fits[model].wild_bootstrap(terms[model], n_boot=n_boot, weights="webb", seed=streams["bootstrap"])
        for model in BOOT_MODELS
    }
    boot = boots["M3"]
    p_boot = boot.loc["index", "p_boot"]
    glue_values({"boot_p": p_value(p_boot)})
    glue_claim("boot_claim", est, p_boot, describe(est, p_boot) + " (wild cluster bootstrap)")
    agree = "agree" if same_reading(est, p_boot, est, main_test["p"]) else "disagree"  # one estimate, two tests
    verdict = f"the bootstrap and the book's rule {agree} on significance at the {level_text()} level"
    glue_values(
        {
            "boot_verdict": verdict,
            "n_boot": integer(n_boot),
            "n_counties": integer(main.n_groups),
        }
    )
    return _inference_table(main, boot, n_boot), _terms_table(fits, terms, boots)


def _terms_table(fits: dict[str, MixedFit], terms: dict[str, list[str]], boots: dict[str, pd.DataFrame]) -> Markdown:
    """Every discussed coefficient (``terms`` by model) under the article's rule, the book's rule and the wild
    bootstrap (``boots`` by model), with the counts of significant ones glued per rule."""
    labels = variables().set_index("variable")["label_en"]
    rows = []
    for model, names in terms.items():
        article_tests = fits[model].coef_test(ARTICLE_RULE.vcov, ARTICLE_RULE.df)
        book_tests = fits[model].coef_test(BOOK_RULE.vcov, BOOK_RULE.df)
        for t in names:
            rows.append(
                {
                    "model": model,
                    "term": t,
                    "estimate": fits[model].coef[t],
                    "p_article": article_tests.loc[t, "p"],
                    "df": book_tests.loc[t, "df"],
                    "p_book": book_tests.loc[t, "p"],
                    "p_boot": boots[model].loc[t, "p_boot"],
                }
            )
    judged = pd.DataFrame(rows)
    glue_count_claim("terms_sig_article", judged["p_article"], "coefficient", rule=ARTICLE_RULE)
    glue_count_claim("terms_sig_book", judged["p_book"], "coefficient", rule=BOOK_RULE)
    glue_count_claim("terms_sig_boot", judged["p_boot"], "coefficient", method=" by the wild bootstrap")
    differ = judged[judged["p_book"].map(is_significant) != judged["p_boot"].map(is_significant)]
    level = f"significance at the {level_text()} level"
    if differ.empty:
        verdict = f"The bootstrap and the book's rule agree on {level} for all {integer(len(judged))} coefficients"
    else:
        pairs = zip(differ["model"], differ["term"], strict=True)
        names = join_words([f"‘{labels[t]}’ (Model {m[1:]})" for m, t in pairs])
        verdict = (
            f"The bootstrap and the book's rule disagree on {level} for {integer(len(differ))} of the "
            f"{integer(len(judged))} coefficients: {names}"
        )
    glue_values({"terms_boot_differs": verdict, "terms_rule_change": _rule_change(judged, labels)})
    by_term = pd.DataFrame(
        {
            "Coefficient": [
                labels[t] + ("" if m == "M3" else f" (Model {m[1:]})")
                for m, t in zip(judged["model"], judged["term"], strict=True)
            ],
            "Estimate": judged["estimate"].map(fmt_coef),
            "p, article's rule": judged["p_article"].map(fmt_p),
            "df": judged["df"].map(lambda x: fmt(x, 1)),
            "p, book's rule": judged["p_book"].map(fmt_p),
            "p, bootstrap": judged["p_boot"].map(fmt_p),
        }
    )
    df_all = fits["M3"].coef_test(BOOK_RULE.vcov, BOOK_RULE.df)["df"].drop("Intercept")
    glue_values(
        {
            "df_min": fmt(df_all.min(), 1),
            "df_min_name": f"the coefficient of ‘{labels[df_all.idxmin()]}’",
            "df_median": fmt(df_all.median(), 1),
        }
    )
    return book_table(
        by_term,
        "Every coefficient of Model 3, and Model 6's attainment dummies, as the results chapter discusses them: "
        "p-values under the article's rule (CR1, normal), the book's rule (CR2 with Satterthwaite degrees of "
        "freedom, df) and the wild cluster restricted bootstrap (Webb weights, the same draws for both models).",
        "tbl-few-cluster-terms",
        widths="40 12 12 12 12 12",
    )


def _rule_change(judged: pd.DataFrame, labels: pd.Series) -> str:
    """Which of the judged coefficients change significance between the article's rule and the book's, named with
    their Satterthwaite df and both p-values, as a sentence."""
    article, book = judged["p_article"].map(is_significant), judged["p_book"].map(is_significant)

    def named(rows: pd.DataFrame) -> str:
        return join_words(
            [
                f"‘{labels[r.term]}’{'' if r.model == 'M3' else f' (Model {r.model[1:]})'} "
                f"(df {fmt(r.df, 1)}, p {fmt_p(r.p_article)} → {fmt_p(r.p_book)})"
                for r in rows.itertuples()
            ]
        )

    lost, gained = judged[article & ~book], judged[~article & book]
    if lost.empty and gained.empty:
        return "No coefficient changes significance between the two rules."
    parts = []
    if len(lost):
        parts.append(
            f"{count(len(lost), 'coefficient')} significant under the article's rule but not the book's: {named(lost)}"
        )
    if len(gained):
        parts.append(f"{count(len(gained), 'coefficient')} significant only under the book's: {named(gained)}")
    return "The change of rule leaves " + "; and ".join(parts) + "."


def _rules(rules_cover: pd.DataFrame, n_replications: int) -> Markdown:
    """How each rule's 95 % intervals cover the generator's truth in the Monte Carlo (all Model 3 coefficients)."""
    summaries = {rule.name: coverage_summary(rules_cover, rule.name) for rule in RULES.values()}
    rows = [
        {
            "Rule": rule.label,
            "Median coverage": percent(s.median, 1),
            "Lowest": percent(s.lowest, 1),
            "Undercovered": f"{integer(s.n_under)} of {integer(s.n_terms)}",
            "Index: coverage": percent(s.coverage["index"], 1),
            "Index: rejected": percent(s.rejection["index"], 1),
        }
        for rule, s in zip(RULES.values(), summaries.values(), strict=True)
    ]
    article, book = summaries[ARTICLE_RULE.name], summaries[BOOK_RULE.name]
    glue_values(
        {
            "mc_n_rules": count(n_replications, "re-draw"),
            "rules_article_under": k_of_n(article.n_under, article.n_terms, "coefficient"),
            "rules_book_under": k_of_n(book.n_under, book.n_terms, "coefficient"),
            "rules_article_median": percent(article.median, 1),
            "rules_book_median": percent(book.median, 1),
            "mc_threshold": percentage_points(undercover_margin(n_replications)),
        }
    )
    return book_table(
        pd.DataFrame(rows),
        "Coverage of the 95 % intervals of Model 3's coefficients with a true value in the Monte Carlo, by rule: "
        f"median and lowest over the coefficients, the number more than {MC_SES} below 95 %, "
        "and for the index its coverage and how often it is significant at 5 %.",
        "tbl-rules",
        widths="40 12 10 12 13 13",
    )


# --- a binomial model ------------------------------------------------------------------------------------------


def _binomial(main_frame: pd.DataFrame, main: MixedFit, main_test: pd.Series) -> None:
    """The fractional-logit (GEE) model's index coefficient and average marginal effect against Model 3's."""
    est = main.coef["index"]
    binom = binomial_model(main_frame)
    glue_values({"binom_coef": f"{fmt(binom['coef'])} ({p_value(binom['p'])})"})
    ame = f"{fmt(binom['ame'])} (SE {fmt(binom['ame_se'])}, {p_value(binom['ame_p'])})"
    glue_values({"binom_ame": ame})
    text = describe(binom["ame"], binom["ame_p"]) + " (county-clustered GEE errors, t on G − 1 df)"
    glue_claim("binom_claim", binom["ame"], binom["ame_p"], text)
    glue_values({"binom_size": percent(abs(binom["ame"] / est))})
    if same_reading(binom["ame"], binom["ame_p"], est, main_test["p"]):
        agree = "agrees in sign and significance"
    elif np.sign(binom["ame"]) == np.sign(est):
        agree = "agrees in sign but not in significance"
    else:
        agree = "disagrees in sign"
    glue_values({"binom_agree": agree})


# --- the specification curve -----------------------------------------------------------------------------------

CHOICES = {
    "the sample": "sample",
    "the lag": "lag (months)",
    "the attainment coding": "coding",
    "the type of standard error": "SE",
}
"""The four analyst choices of the specification curve: (words, column)."""


def _specification_curve(raw: RawData, seed, n_boot: int, n_jobs: int, scheduler: str, truth: float | None) -> None:
    """The specification curve: the range of estimates, the share significant by each choice, and the figure."""
    curve = specification_curve(
        raw, all_specs(), seed=seed, n_boot=n_boot, n_jobs=n_jobs, scheduler=scheduler, progress=False
    )
    curve["significant"] = curve["p"] < SIGNIFICANCE_LEVEL
    curve = curve.rename(columns={"lead": "lag (months)", "attainment": "coding", "se_type": "SE"})
    glue_values({"n_specs": integer(len(curve))})
    # the three SE types share one point estimate: count each (sample, lag, coding) estimate once
    estimates = curve.drop_duplicates(["sample", "lag (months)", "coding"])["estimate"]
    glue_values({"spec_negative": k_of_n(int((estimates < 0).sum()), len(estimates), "distinct estimate")})
    glue_count_claim("spec_sig_claim", curve["p"], "specification")  # each under its own type of inference
    sig_by_se = curve.groupby("SE")["significant"].mean()
    glue_values(
        {
            "spec_sig_model": percent(sig_by_se["model-based"]),
            "spec_sig_cluster": percent(sig_by_se[SE_TYPES[1]]),
            "spec_sig_boot": percent(sig_by_se["wild bootstrap"]),
            "spec_range": f"{fmt(curve['estimate'].min())} to {fmt(curve['estimate'].max())}",
        }
    )
    driver, shares = most_influential_choice(curve, list(CHOICES.values()))
    words = {column: name for name, column in CHOICES.items()}[driver]
    spec_sig_driver = (
        f"Of the four choices, {words} moves the share significant most: from {percent(shares.min())} "
        f"to {percent(shares.max())} of the specifications, depending on the option."
        if shares.max() - shares.min() > 0
        else "None of the four choices changes the share significant."
    )
    glue_values({"spec_sig_driver": spec_sig_driver})
    choices = {"sample": SAMPLES, "lag (months)": LEADS, "coding": ATTAINMENT_CODINGS, "SE": SE_TYPES}
    choices = {column: list(options) for column, options in choices.items()}
    line = "The dashed line is the true effect in the synthetic data." if truth is not None else ""
    glue_values({"spec_truth_line": line})
    glue_figure("fig-specification-curve", plot_specification_curve(curve, choices, truth), curve)


# --- what can this design detect? ------------------------------------------------------------------------------


def _with_mcse(quantity: MonteCarloValue, kind: str) -> str:
    """'+0.0013 (Monte Carlo SE 0.0010)' or '93.5 % (Monte Carlo SE 1.7 percentage points)'."""
    show = {
        "signed": lambda v: signed(v, 4),
        "plain": lambda v: fmt(v, 4),
        "percent": lambda v: percent(v, 1),
    }[kind]
    if not np.isfinite(quantity.mc_se):
        return show(quantity.value)
    se = f"{percentage_points(quantity.mc_se)} percentage points" if kind == "percent" else fmt(quantity.mc_se, 4)
    return f"{show(quantity.value)} (Monte Carlo SE {se})"


COVERAGE_VERDICTS = {
    "within": f"within {MC_SES} of the nominal {{nominal}}",
    "below": f"below the nominal {{nominal}} by more than {MC_SES}",
    "above": f"above the nominal {{nominal}} by more than {MC_SES}",
}


def _design(mc: MonteCarloDraws, main: MixedFit, main_test: pd.Series, mc_index_effect: float, n_rep: int) -> None:
    """The Monte Carlo of the design for the index (bias, spread, coverage, power) and the power figure."""
    mc_rows = mc.replications(BOOK_RULE)
    summary = monte_carlo_summary(mc_rows)
    se_ref, df_ref = main_test["se"], main_test["df"]
    mde = minimum_detectable_effect(se_ref, df=df_ref)
    effects = np.linspace(-0.08, 0.08, 161)
    power_curve = power(effects, se_ref, df=df_ref)
    fig = plot_power(effects, power_curve, published("M3", "index")[0], mde)
    glue_figure("fig-power", fig, pd.DataFrame({"effect": effects, "power": power_curve}))
    verdict = coverage_verdict(summary.coverage.value, summary.coverage.mc_se)
    verdict = COVERAGE_VERDICTS[verdict].format(nominal=percent(NOMINAL_LEVEL))
    glue_values(
        {
            "mc_n": count(n_rep, "time"),
            "mc_truth": fmt(mc_index_effect),
            "mc_bias": _with_mcse(summary.bias, "signed"),
            "mc_sd": _with_mcse(summary.sd, "plain"),
            "mc_mean_se": _with_mcse(summary.mean_se, "plain"),
            "mc_coverage": _with_mcse(summary.coverage, "percent"),
            "mc_coverage_verdict": verdict,
            "mc_reject": _with_mcse(summary.rejection, "percent"),
        }
    )
    published_effect = published("M3", "index")[0]
    glue_values(
        {
            "power_published": percent(float(power(published_effect, se_ref, df=df_ref))),
            "published_size": fmt(published_effect),
            "mde": fmt(mde),
            "mde_pp": percentage_points(mde),
            "se_ref": fmt(se_ref, 4),
            "df_ref": fmt(df_ref, 1),
        }
    )
    _power_reconciled(power_check(mc_rows, mc_index_effect, se_ref, df_ref), se_ref)
    _article_design(main, published_effect)


def _power_reconciled(check: PowerCheck, se_ref: float) -> None:
    """Simulated and calculated power, reconciled: the same test (t on the Satterthwaite df), three SEs."""
    glue_values(
        {
            "calc_build": percent(check.calculated_build),
            "calc_design": percent(check.calculated_design),
            "sim_reject": percent(check.simulated),
            "mc_gap": fmt(check.gap_design, 1),
            "power_reconciled": (
                f"within {MC_SES} of the simulated rate, so the calculation and the simulation agree once they use "
                "the same ingredients"
                if check.gap_design <= MC_SE_MULTIPLE
                else f"more than {MC_SES} from the simulated rate, so even with the same ingredients the normal-theory "
                "calculation misses the simulation"
            ),
            "build_power_note": (
                "The calculation from this build's standard error is "
                f"{compare(check.calculated_build, check.simulated, 2)} the simulated rate by "
                f"{fmt(check.gap_build, 1)} Monte Carlo standard errors: one panel's standard error is itself an "
                f"estimate, here {compare(se_ref, check.sd_estimates, 4)} the spread of the re-drawn estimates."
                if check.gap_build > MC_SE_MULTIPLE
                else f"The calculation from this build's standard error is within {MC_SES} of it as well."
            ),
        }
    )


def _article_design(main: MixedFit, published_effect: float) -> None:
    """The article's −0.026* bounds its standard error; this build's CR1 standard error against that band."""
    band_low, band_high = star_band(published_effect, published("M3", "index")[1])
    glue_values({"article_band": f"{fmt(band_low, 4)} and {fmt(band_high, 4)}"})
    mdes = f"{fmt(minimum_detectable_effect(band_low))} to {fmt(minimum_detectable_effect(band_high))}"
    glue_values({"article_mde": mdes})
    se_cr1 = float(main.se("CR1")["index"])
    glue_values(
        {
            "se_cr1": fmt(se_cr1, 4),
            "mde_cr1": fmt(minimum_detectable_effect(se_cr1)),
            "design_verdict": "inside that range, so for the index this build's design is like the article's"
            if band_low <= se_cr1 <= band_high
            else "outside that range, so for the index this build's design differs from the article's",
        }
    )
