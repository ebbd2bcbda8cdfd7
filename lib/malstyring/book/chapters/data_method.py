"""Chapter 3, data and method: the panel, the scorecard indicators year by year, the three attainment dummies
(Figure 2), the model's variance shares, the sample flow, and the calibration report with the standard errors the
article's stars allow."""

import pandas as pd

from ...analysis.calibration import (
    SPREAD_SDS,
    calibration_report,
    format_band,
    misses_above,
    outside_article_band,
    read_spread,
    seeds_in_band,
    star_band_rows,
    tuning_shifts,
)
from ...analysis.models import fit_mixed, fit_models
from ...analysis.operationalise import (
    PARTIAL_TOLERANCE,
    FrameOptions,
    attainment_shares,
    build_frame,
    panel_extent,
)
from ...base.number_format import fmt, integer, percent
from ...data.loading import RawData, load_raw
from ...data.panel import PANEL_END, PANEL_START, YEARS
from ...data.provenance import disclosure_control, is_synthetic
from ...data.reference import ATTAINMENT_DUMMIES, active_indicator_counts, indicator_catalogue, target_text
from ..figures import glue_figure, plot_attainment_shares, use_book_style
from ..notices import data_notice
from ..page import Page, glue_values
from ..parameters import check_parameters
from ..tables import Markdown, book_table
from ..verdicts import band_verdict
from ..words import count, join_words, k_of_n

EXCLUSION_TEXT = {"missing data": "for lack of data", "no comparable target": "for lack of a comparable target"}
"""The article's reasons for leaving an indicator out of the index (Table 3 and its appendix), as prose."""
STATUS_MARK = {"included": "in", "excluded": "excl.", "absent": ""}
"""An indicator's status in a year, as Table 3 marks it."""
HEADLINE_SE = "se_M3_index"
"""The star band that matters most: the index in Model 3 (the article's −0.026*)."""


def build(data_dir: str, seed: int, lead: int, percentile: float, attainment: str) -> Page:
    """Check the parameters, glue the chapter's values and figure and return its page (notice and four tables)."""
    check_parameters(data_dir=data_dir, seed=seed, lead=lead, percentile=percentile, attainment=attainment)
    use_book_style()
    raw = load_raw(data_dir)
    frame, flow = build_frame(raw, FrameOptions(lead=lead, percentile=percentile, attainment=attainment))
    null = fit_mixed(frame, [], model="null")
    _glue_panel(raw, frame, null.icc)
    _glue_options(lead, percentile, attainment)
    _glue_attainment_dummies(raw)
    synthetic, disclosure = is_synthetic(data_dir), disclosure_control(data_dir)
    full = calibration_report(raw, frame, null, fit_models(frame), synthetic=synthetic, disclosure=disclosure)
    report = full[full["unit"] != "se"].reset_index(drop=True)  # the star-implied SE bands get their own table
    _glue_calibration(report, synthetic, disclosure)
    bands = star_band_rows(full)
    _glue_star_bands(bands, synthetic)
    return Page(
        notice=data_notice(data_dir),
        tables={
            "tbl-indicators": _indicator_table(),
            "tbl-sample-flow": _sample_flow_table(flow, raw),
            "tbl-calibration": _calibration_table(report, synthetic),
            "tbl-star-bands": _star_band_table(bands, synthetic),
        },
    )


# --- the panel, the indicators and the model ------------------------------------------------------------------------


def _glue_panel(raw: RawData, frame: pd.DataFrame, icc: dict) -> None:
    """The panel's extent, the indicators counted each year and the shares of variance at each level."""
    extent = panel_extent(raw)
    glue_values(
        {
            "n_offices": extent["offices"],
            "n_counties": extent["counties"],
            "n_months": extent["months"],
            "n_office_months": integer(extent["office_months"]),
            "n_frame": integer(len(frame)),
            "panel_start": PANEL_START,
            "panel_end": PANEL_END,
        }
    )
    counts = active_indicator_counts()
    for year in YEARS:
        glue_values({f"count_{year}": counts[year]})
    glue_values(
        {
            "excluded_text": _excluded_text(indicator_catalogue()),
            "icc_office": fmt(icc["office"]),
            "icc_county": fmt(icc["county"]),
            "icc_within": percent(1 - icc["office"] - icc["county"]),
        }
    )


def _glue_options(lead: int, percentile: float, attainment: str) -> None:
    """The operationalisation in force in this build, as the text describes it."""
    glue_values(
        {
            "lead": lead,
            "lead_months": count(lead, "month"),
            "percentile": f"{percentile:g}",
            "attainment": attainment,
            "partial_tolerance": percent(PARTIAL_TOLERANCE),
        }
    )


def _excluded_text(cat: pd.DataFrame) -> str:
    """The indicators the article leaves out of the index, by reason: '5 indicators for lack of data and 1
    indicator for lack of a comparable target (number of placements into work)'."""
    parts = []
    for reason, rows in cat.dropna(subset=["exclusion_reason"]).groupby("exclusion_reason", sort=False):
        text = f"{count(len(rows), 'indicator')} {EXCLUSION_TEXT.get(reason, f'({reason})')}"
        if len(rows) == 1:
            name = rows["name_en"].iloc[0]
            text += f" ({name[0].lower()}{name[1:]})"
        parts.append(text)
    return " and ".join(parts)


def _indicator_table() -> Markdown:
    """The article's Table 3: every indicator, its target and whether the index counts it, year by year."""
    cat, counts = indicator_catalogue(), active_indicator_counts()
    table = pd.DataFrame(
        {
            "Indicator": [
                f"{r.name_en}{' [effect indicator]' if r.kind == 'effect' else ''} (*{r.name_no}*)"
                for r in cat.itertuples()
            ],
            "Target": [target_text(code) for code in cat.index],
            **{str(y): cat[f"status_{y}"].map(STATUS_MARK).tolist() for y in YEARS},
        }
    )
    total = {"Indicator": "**Active indicators in the index**", "Target": ""} | {
        str(y): f"**{counts[y]}**" for y in YEARS
    }
    caption = (
        "Scorecard indicators 2012–2015 (the article's Table 3): in = counted in that year's index, excl. = on the "
        "scorecard but left out (missing data; for placements, no comparable target), blank = not on the scorecard."
    )
    table = pd.concat([table, pd.DataFrame([total])], ignore_index=True)
    return book_table(table, caption, "tbl-indicators", align="llcccc", widths="60 12 7 7 7 7")


def _glue_attainment_dummies(raw: RawData) -> None:
    """Figure 2: how often each of the three indicators of Models 4–6 met its target, against the article's words."""
    codes = list(ATTAINMENT_DUMMIES.values())
    met = attainment_shares(raw["indicator_values"], codes)
    for code in codes:
        glue_values({f"met_{code}": percent(met[code])})
    outside = outside_article_band({f"att_{code}": met[code] for code in codes})
    names = [indicator_catalogue().loc[target.removeprefix("att_"), "name_en"].lower() for target in outside]
    glue_values({"fig2_verdict": band_verdict(len(codes), names, "share", "the article's description allows", "; ")})
    label = {
        "contact_48h": "Contact with user within 48 hours",
        "employer_assistance": f"Employer contact (target {target_text('employer_assistance')})",
        "nae_follow_up_6m": "NAE users followed up, last 6 months",
    }
    shares = pd.DataFrame({"label": [label[code] for code in codes], "met": met.to_numpy()})
    glue_figure("fig-attainment-three", plot_attainment_shares(shares), shares)


def _sample_flow_table(flow: pd.DataFrame, raw: RawData) -> Markdown:
    """Every step from the delivered office-months to the estimation sample, and the data warnings kept."""
    view = flow.rename(columns={"step": "Step", "removed": "Removed", "remaining": "Remaining"})
    view["Removed"] = [integer(v) if v != "" else "" for v in view["Removed"]]
    view["Remaining"] = [integer(v) for v in view["Remaining"]]
    for w in raw.warnings:
        view.loc[len(view)] = [f"Warning (kept): {w.rule} ({w.file})", "", ""]
    return book_table(view, "Sample flow from the delivered office-months to the estimation sample.", "tbl-sample-flow")


# --- the calibration report ------------------------------------------------------------------------------------------


def _within_word(synthetic: bool) -> dict:
    """How the tables write 'within tolerance': design rows of synthetic data are no test."""
    return {True: "yes", False: "**no**", None: "by design" if synthetic else ""}


def _glue_calibration(report: pd.DataFrame, synthetic: bool, disclosure: bool) -> None:
    """How many compared values are within tolerance, which are not, and where the tolerances come from."""
    checks = report[report["within"].notna()]
    glue_values(
        {
            "within_phrase": k_of_n(int(checks["within"].sum()), len(checks), "compared value"),
            "source": "synthetic" if synthetic else "supplied",
        }
    )
    outside = list(checks.loc[~checks["within"].astype(bool), "target"])
    glue_values(
        {
            "outside_text": f"Outside its tolerance in this build: {'; '.join(outside)}."
            if outside
            else "None is outside its tolerance.",
            "tolerance_text": _tolerance_text(report, synthetic, disclosure),
        }
    )


def _tuning_costs() -> str:
    """The check targets that the tuning for the headline band moves beyond seed-to-seed noise and leaves inside
    their article bands on fewer of the calibration seeds (:func:`tuning_shifts`), as a sentence."""
    shifts = tuning_shifts()
    costs = shifts[shifts["shifted"] & (shifts["change"] < 0)]
    if costs.empty:
        return "Switching the shock off moves no other target into its band more often beyond seed-to-seed noise."
    rows = costs[["target", "in_band_untuned", "in_band_tuned"]].itertuples(False)
    names = join_words(
        [f"‘{target}’ ({untuned} seeds without the shock, {tuned} with it)" for target, untuned, tuned in rows]
    )
    verb = "falls inside its band" if len(costs) == 1 else "fall inside their bands"
    return f"With the shock switched off, {count(len(costs), 'other target')} {verb} more often: {names}."


def _tolerance_text(report: pd.DataFrame, synthetic: bool, disclosure: bool) -> str:
    """Where the tolerances come from: the generator's spread (synthetic data) or the article's own rounding."""
    if not synthetic:
        text = "For supplied data each tolerance is the range the article's own rounding or wording allows."
        return text + (
            " Values of single offices (the smallest and largest office) are not shown." if disclosure else ""
        )
    misses = list(report.loc[report["generator"] == "misses", "target"])
    n_seeds = read_spread()["seed"].nunique()
    text = (
        f"For synthetic data each tolerance is the generator's spread over {count(n_seeds, 'seed')} (mean ± "
        f"{SPREAD_SDS} standard deviations), cut to what the article's rounding or wording allows."
    )
    if misses:
        text += (
            f" For {count(len(misses), 'target')} the generator misses the article's value on most of those seeds "
            f"({'; '.join(misses)}); their tolerance stays the article's, so the table shows a miss whenever this "
            "build's value falls outside it."
        )
    n_design = int((report["kind"] == "design").sum())
    return text + (
        f" The {count(n_design, 'quantity', 'quantities')} at the foot of the table are fixed by how the "
        "generator is built, so they read “by design” and are no test."
    )


def _calibration_table(report: pd.DataFrame, synthetic: bool) -> Markdown:
    """Each of the article's statements about its data beside this build's value, design rows at the foot."""
    columns = {
        "target": "Target",
        "article": "Article",
        "source": "Where in the article (its sections, tables and figures)",
        "data": "This build",
        "tolerance": "Tolerance",
        "within": "Within tolerance",
    }
    word = _within_word(synthetic)
    shown = report.assign(within=[word[w if isinstance(w, bool) else None] for w in report["within"]])
    order = report["kind"].map({"check": 0, "design": 1}).sort_values(kind="stable").index
    caption = "Calibration report: what the article reports and what the data used here show."
    return book_table(
        shown[list(columns)].rename(columns=columns).loc[order],
        caption,
        "tbl-calibration",
        align="lllrrl",
        widths="28 13 28 11 11 9",
    )


# --- the standard errors the stars allow -----------------------------------------------------------------------------


def _glue_star_bands(bands: pd.DataFrame, synthetic: bool) -> None:
    """How many of this build's standard errors lie in the band the article's stars allow, the headline's above
    all, and (for synthetic data) how the generator fares on them over the calibration seeds."""
    glue_values(
        {
            "n_bands": count(len(bands), "starred coefficient"),
            "bands_within": k_of_n(int(bands["in_band"].sum()), len(bands), "standard error"),
        }
    )
    headline = bands.set_index("id").loc[HEADLINE_SE]
    glue_values(
        {
            "headline_band": format_band(headline["band_low"], headline["band_high"], "se"),
            "headline_se": headline["data"],
            "headline_where": "inside" if headline["in_band"] else "outside",
        }
    )
    if not synthetic:
        glue_values(
            {
                "bands_generator": "",
                "headline_seeds": "",
            }
        )
        return
    spread = read_spread()
    inside, n = seeds_in_band(spread, HEADLINE_SE, headline["band_low"], headline["band_high"])
    seeds_text = f" It is inside the band on {integer(inside)} of the {count(n, 'calibration seed')}."
    glue_values({"headline_seeds": seeds_text})
    status = bands["generator"].value_counts()
    missed, above = int(status.get("misses", 0)), misses_above(bands, spread)
    bands_generator = (
        f"Over the {count(spread['seed'].nunique(), 'calibration seed')}, the generator's standard error falls "
        f"inside the band on every seed for {integer(int(status.get('meets', 0)))} of them, on at least half of the "
        f"seeds but not all for {integer(int(status.get('partly', 0)))} and on fewer than half for {integer(missed)}; "
        f"of those {integer(missed)}, {integer(above)} lie above their band on average, where the synthetic panel "
        f"estimates the coefficient less precisely than the article's data did, and {integer(missed - above)} below "
        "it. The generator was tuned for one band only, the headline's: the scorecard indicators that are not "
        "covariates of the models share a monthly office shock, which gives the index variation of its own and also "
        f"widens its distribution. That has a cost. {_tuning_costs()} The appendix on the synthetic data shows "
        "what the tuning does to every target."
    )
    glue_values({"bands_generator": bands_generator})


def _star_band_table(bands: pd.DataFrame, synthetic: bool) -> Markdown:
    """Each starred coefficient's band for its standard error beside this build's CR1 standard error."""
    word = _within_word(synthetic)
    view = pd.DataFrame(
        {
            "Coefficient": bands["label"],
            "Model": bands["model"],
            "Article": bands["article"],
            "Standard errors the stars allow": [
                format_band(lo, hi, "se") for lo, hi in zip(bands["band_low"], bands["band_high"], strict=True)
            ],
            "This build (CR1)": bands["data"],
            "Within": [word[bool(w)] for w in bands["in_band"]],
        }
    )
    caption = (
        "Standard errors implied by the article's stars (CR1, normal reading) and this build's CR1 standard errors."
    )
    return book_table(view, caption, "tbl-star-bands", align="llcrrl", widths="38 7 9 19 11 9")
