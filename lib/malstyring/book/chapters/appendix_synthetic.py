"""Appendix B, how the synthetic data are made: the generator's settings, its true model, how the scorecard
indicators are drawn, and every tuned number of the generator with its source (read from
``data/reference/generator_parameters.csv``, the file the generator itself reads)."""

import pandas as pd

from ...analysis.calibration import SHIFT_T, UNTUNED, format_band, format_value, tuning_shifts
from ...base.number_format import fmt, fmt_coef, integer, percent, signed
from ...data.provenance import GENERATOR_VERSION, is_synthetic, read_manifest
from ...data.reference import indicator_catalogue, published_results, variables
from ...synthetic.generator import DEFAULT_SEED, PUBLISHED_INDEX_EFFECT, true_coefficients
from ...synthetic.parameters import generator_parameters, parameter_table
from ..notices import data_notice
from ..page import Page, glue_values
from ..parameters import check_parameters
from ..tables import book_table
from ..words import count, join_words


def build(data_dir: str) -> Page:
    """Check the parameter, glue the values the appendix cites and return its tables."""
    check_parameters(data_dir=data_dir)
    index_effect = _glue_settings(data_dir)
    _glue_design()
    return Page(
        notice=data_notice(data_dir),
        tables={
            "tbl-true-model": _true_model_table(index_effect),
            "tbl-indicator-design": _indicator_design_table(),
            "tbl-generator-parameters": _parameter_table(),
            "tbl-tuning-cost": _tuning_cost_table(),
        },
    )


def _glue_settings(data_dir: str) -> float:
    """Glue the generator's version, defaults and this build's settings; return the true index effect shown."""
    generated = is_synthetic(data_dir)
    manifest = read_manifest(data_dir) if generated else {}
    index_effect = manifest["index_effect"] if generated else PUBLISHED_INDEX_EFFECT
    glue_values(
        {
            "version": GENERATOR_VERSION,
            "default_seed": DEFAULT_SEED,
            "published_effect": fmt(PUBLISHED_INDEX_EFFECT),
        }
    )
    if generated:
        text = (
            f"The data used in this build were generated with seed {manifest['seed']} and a true index effect of "
            f"{fmt(index_effect)}."
        )
    else:
        text = (
            "This build runs on supplied data, for which no true effect is known; the tables below describe the "
            "generator with its default index effect."
        )
    glue_values({"this_build_data": text})
    return index_effect


def _glue_design() -> None:
    """Glue the tuned numbers the design section cites, and the year effects and their direction."""
    p = generator_parameters()
    glue_values(
        {
            "sd_county": fmt(p.sd_county),
            "sd_office": fmt(p.sd_office),
            "sd_month": fmt(p.sd_month, 2),
            "target_mean": percent(p.target_mean_share),
            "n_pilot": integer(p.n_pilot_offices),
            "ar_rho": fmt(p.ar_rho, 1),
            "common_loading": fmt(p.other_indicator_common, 2),
            "n_ba": integer(p.n_ba_regions),
            "lf_per_user": fmt(p.labour_force_per_user, 1),
            "journal_level": percent(p.journal_level, 1),
            "icicle_depth": f"{percent(p.icicle_depth_min)} to {percent(p.icicle_depth_max)}",
            "nae_salary_zero": fmt_coef(p.true_coefficient["staff_mean_salary"], 0),
        }
    )
    shifts = p.year_shift
    glue_values({"year_shift": ", ".join(f"{y}: {signed(s, 2)}" for y, s in shifts.items())})
    first, last = min(shifts), max(shifts)
    trend = (
        "the same as"
        if shifts[last] == shifts[first]
        else "lower than"
        if shifts[last] < shifts[first]
        else "higher than"
    )
    glue_values({"shift_trend": f"the {last} shift is {trend} the {first} one"})


def _tuning_cost_table():
    """What the one tuning for the headline standard error does to the check targets: those it moves beyond
    seed-to-seed noise (:func:`tuning_shifts`), with their means and seeds inside the article band with and
    without it (``data/reference/calibration_untuned.csv``)."""
    shifts = tuning_shifts()
    moved = shifts[shifts["shifted"]].sort_values("change", kind="stable")
    ((name, off_value),) = UNTUNED.items()
    n_seeds = int(shifts["n_seeds"].max())

    def names(rows: pd.DataFrame) -> str:
        return join_words([f"‘{target}’" for target in rows["target"]]) or "none"

    more, fewer = moved[moved["change"] > 0], moved[moved["change"] < 0]
    same = moved[moved["change"] == 0]
    noise = shifts[~shifts["shifted"] & (shifts["change"] != 0)]
    unchanged = (
        "moves without changing how often it is" if len(same) == 1 else "move without changing how often they are"
    )
    text = (
        f"With the shock switched off (loading {fmt(off_value, 0)} instead of {fmt(generator_parameters()[name], 2)}) "
        f"and the same {integer(n_seeds)} seeds, {integer(len(moved))} of the {integer(len(shifts))} check targets "
        "move beyond seed-to-seed noise (the mean of their seed-by-seed differences more than "
        f"{fmt(SHIFT_T, 0)} standard errors from zero). With the shock, {len(more) and names(more) or 'no target'} "
        f"{'falls' if len(more) == 1 else 'fall'} inside the article's band on more seeds and "
        f"{len(fewer) and names(fewer) or 'no target'} on fewer"
        + (f"; {names(same)} {unchanged} in band." if len(same) else ".")
    )
    if len(fewer):
        worst = fewer.iloc[0]
        text += (
            f" The largest cost is to ‘{worst['target']}’, inside its band on {integer(worst['in_band_untuned'])} "
            f"seeds without the shock and on {integer(worst['in_band_tuned'])} with it."
        )
    text += (
        f" For {count(len(noise), 'further target')} the number of seeds in band changes too, but the change cannot "
        "be told apart from seed-to-seed noise."
    )
    glue_values({"tuning_cost": text})
    rows = pd.DataFrame(
        {
            "Target": moved["target"],
            "Article's band": [
                format_band(lo, hi, u) for lo, hi, u in moved[["article_low", "article_high", "unit"]].itertuples(False)
            ],
            "Mean, off": [format_value(v, u) for v, u in zip(moved["mean_untuned"], moved["unit"], strict=True)],
            "Mean, on": [format_value(v, u) for v, u in zip(moved["mean_tuned"], moved["unit"], strict=True)],
            "Paired t": moved["paired_t"].map(lambda t: fmt(t, 1)),
            "In band, off": moved["in_band_untuned"].map(integer),
            "In band, on": moved["in_band_tuned"].map(integer),
        }
    )
    caption = (
        f"What the tuning of the shared scorecard shock does: the check targets it moves beyond seed-to-seed noise "
        f"over the {integer(n_seeds)} calibration seeds, those it costs first. Off: the shock switched off; on: the "
        "generator as shipped. Mean: over the seeds. Paired t: the mean of the seed-by-seed differences (on minus "
        f"off) over its standard error. In band: seeds (of {integer(n_seeds)}) inside the article's band."
    )
    return book_table(rows, caption, "tbl-tuning-cost", widths="32 18 10 10 8 11 11")


def _true_model_table(index_effect: float):
    """The true model's coefficients beside Model 3 as printed, with a note where they differ."""
    m3 = published_results().query("model == 'M3'").set_index("variable")
    labels = variables().set_index("variable")
    rows = []
    for var, value in true_coefficients(index_effect).items():
        printed = m3.loc[var, "value"] if var in m3.index else float("nan")
        if abs(value - printed) < 1e-12:
            note = ""
        elif var == "index":
            note = "the true effect of this build's data"
        else:
            note = f"printed as {fmt(printed)}, which the generator cannot use"
        rows.append(
            {
                "Variable": labels.loc[var, "label_en"],
                "True coefficient": fmt_coef(value, 3),
                "Published (Model 3)": fmt(printed),
                "Note": note,
            }
        )
    caption = "Coefficients of the data-generating model: the article's Model 3 with the documented exceptions."
    return book_table(pd.DataFrame(rows), caption, "tbl-true-model", widths="50 15 15 20")


def _indicator_design_table():
    """How each scorecard indicator's monthly value is drawn: target, base probability of meeting it, spread."""
    p, cat = generator_parameters(), indicator_catalogue()

    def row(code: str, target: str, probability: str, spread: str) -> dict:
        return {
            "Indicator": cat.loc[code, "name_en"],
            "Target": target,
            "Base probability of meeting it": probability,
            "Spread of the value (sd)": spread,
        }

    rows = [
        row(code, f"{cat.loc[code, 'target']:g}", fmt(prob, 2), fmt(p.indicator_value_sd[code], 2))
        for code, prob in p.indicator_base_probability.items()
    ]
    rows += [
        row(
            "journal_24h",
            f"{cat.loc['journal_24h', 'target']:g}",
            "icicle process",
            f"{fmt(p.journal_month_sd, 3)} a month; icicles",
        ),
        row("sick_leave", f"{cat.loc['sick_leave', 'target']:g}", "the staff's sick leave", "as drawn for the staff"),
        row("graded_sick_leave_12w", "relative", "about 0.5", f"{fmt(p.graded_sick_leave_month_sd, 2)} a month"),
    ]
    caption = "How the scorecard indicators are generated."
    return book_table(pd.DataFrame(rows), caption, "tbl-indicator-design", widths="52 12 20 16")


def _value_text(text: str) -> str:
    """A value with the decimals the parameter file writes it with (so no digit is lost or added); a whole number
    with thousands separators."""
    decimals = text.partition(".")[2]
    return fmt(float(text), len(decimals)) if decimals else integer(int(text))


def _parameter_table():
    """Every tuned number of the generator in the file's order: name in words, value, unit, source or reason."""
    table = parameter_table()
    shown = pd.DataFrame(
        {
            "Parameter": table["label"],
            "Value": table["value"].map(_value_text),
            "Unit": table["unit"],
            "Source or reason": table["source_or_reason"],
        }
    )
    caption = (
        "Every tuned number of the generator, with its unit and its source or the reason for its value (read "
        "from the file the generator reads)."
    )
    return book_table(shown, caption, "tbl-generator-parameters", widths="34 10 14 42")
