"""The book's one figure style: grey-scale friendly, seaborn/matplotlib."""

import os

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from ..analysis.calibration import INDEX_BINS, INDEX_HIGH
from ..base.number_format import fmt, integer, percent
from ..data.paths import FIGURE_FORMATS_ENV

GREYS = ("#1a1a1a", "#6e6e6e", "#a8a8a8", "#d4d4d4")
ACCENT = "#1a1a1a"

TEXT_WIDTH = 6.2
"""Width in inches of every figure: the PDF's text column (A4, 1 in margins: 6.27 in), so a figure prints at its
natural size and a 9 pt label is 9 pt on paper. The HTML shows the same vector drawing scaled to its column."""
FONT_SIZE = 9.5
"""Body text of figures in points at print size; tick labels and legends use SMALL_SIZE."""
SMALL_SIZE = 9.0


FIGURE_FORMATS = ("svg", "pdf")
"""The formats a figure may be rendered in (:data:`malstyring.data.paths.FIGURE_FORMATS_ENV` picks among them)."""


def figure_formats() -> tuple[str, ...]:
    """The formats of :data:`FIGURE_FORMATS_ENV`, checked against :data:`FIGURE_FORMATS`."""
    formats = tuple(f.strip() for f in os.environ.get(FIGURE_FORMATS_ENV, ",".join(FIGURE_FORMATS)).split(","))
    unknown = sorted(set(formats) - set(FIGURE_FORMATS))
    if unknown or not formats:
        raise ValueError(f"{FIGURE_FORMATS_ENV}: unknown figure format(s) {unknown}; allowed: {FIGURE_FORMATS}")
    return formats


def use_book_style() -> None:
    """Apply the shared style (call once at the top of every chapter that draws).

    Figures are sized for the text column (:data:`TEXT_WIDTH`), labelled at >= 9 pt and handed to the book as
    vectors: SVG for the HTML (sharp on any screen) and PDF for the LaTeX build (MyST-NB picks the format per
    builder). Figure files carry no build date (``SOURCE_DATE_EPOCH``, unless already set) and fixed SVG ids,
    so the same inputs give the same figure bytes."""
    sns.set_theme(context="paper", style="whitegrid", palette=list(GREYS))
    # reproducible figure bytes: no build date in the PDF/SVG metadata (the SVG ids are fixed below)
    os.environ.setdefault("SOURCE_DATE_EPOCH", "0")
    mpl.rcParams.update(
        {
            "figure.figsize": (TEXT_WIDTH, 3.6),
            "figure.dpi": 100,
            "savefig.dpi": 300,
            "font.size": FONT_SIZE,
            "axes.labelsize": FONT_SIZE,
            "axes.titlesize": FONT_SIZE + 0.5,
            "xtick.labelsize": SMALL_SIZE,
            "ytick.labelsize": SMALL_SIZE,
            "legend.fontsize": SMALL_SIZE,
            "legend.title_fontsize": SMALL_SIZE,
            "figure.titlesize": FONT_SIZE + 0.5,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.titleweight": "bold",
            "axes.edgecolor": GREYS[1],
            "grid.color": "#e4e4e4",
            "grid.linewidth": 0.6,
            "legend.frameon": False,
            "svg.hashsalt": "malstyring",
            "svg.fonttype": "path",
            "pdf.fonttype": 42,
        }
    )
    try:
        from IPython import get_ipython
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:  # plain Python: nothing to configure
        return
    if get_ipython() is not None:
        set_matplotlib_formats(*figure_formats())


FIGURE_DATA_DIGITS = 5
"""Significant digits of a figure's data as glued for the stored-output comparison: fewer than a float carries,
so differences between BLAS builds (~1e-9) do not show, many more than any figure can resolve."""


def figure_data_text(data: pd.DataFrame | pd.Series) -> str:
    """The data a figure is drawn from as CSV text at FIGURE_DATA_DIGITS significant digits."""
    frame = data.to_frame() if isinstance(data, pd.Series) else data
    return frame.to_csv(index=False, float_format=f"%.{FIGURE_DATA_DIGITS}g", lineterminator="\n")


def glue_figure(name: str, fig, data: pd.DataFrame | pd.Series) -> None:
    """Glue a figure for the book and, as ``<name>-data``, the data it is drawn from (compared by the tests in
    place of the picture, whose bytes differ between machines); then close the figure."""
    from myst_nb import glue

    glue(name, fig, display=False)
    glue(f"{name}-data", figure_data_text(data), display=False)
    plt.close(fig)


def new_figure(width: float = TEXT_WIDTH, height: float = 3.6, **kwargs):
    """A figure and axes in the book's style; the caller glues it and closes it."""
    fig, ax = plt.subplots(figsize=(width, height), **kwargs)
    return fig, ax


def percent_axis(ax, axis: str = "x") -> None:
    """Label a 0–1 share axis in per cent."""
    fmt = mpl.ticker.PercentFormatter(xmax=1.0, decimals=0)
    (ax.xaxis if axis == "x" else ax.yaxis).set_major_formatter(fmt)


def plot_index_histogram(index: pd.Series):
    """Figure 3: distribution of the goal-attainment index (``index``: one share 0–1 per office-month) in the bins
    of :data:`~malstyring.analysis.calibration.INDEX_BINS`, as shares of the office-months with a value."""
    fig, ax = new_figure(TEXT_WIDTH, 3.4)
    bins = INDEX_BINS
    counts, _ = np.histogram(index.dropna(), bins=bins)
    shares = counts / counts.sum()
    width = np.diff(bins)
    ax.bar(bins[:-1] + width / 2, shares, width=0.9 * width, color=GREYS[2], edgecolor=GREYS[0], linewidth=0.6)
    mean = index.mean()
    # the mean is named in the legend, so its label never collides with a bar
    ax.axvline(mean, color=ACCENT, linestyle="--", linewidth=1.4, label=f"Mean index ({percent(mean)})")
    percent_axis(ax, "x")
    percent_axis(ax, "y")
    ax.set_xlabel("Goal-attainment index (% of the year's targets met)")
    ax.set_ylabel("Office-months (% of all)")
    ax.set_xticks(bins)
    ax.set_ylim(0, shares.max() * 1.18)
    ax.legend(loc="upper left")
    ax.grid(axis="x", visible=False)
    fig.tight_layout()
    return fig


def plot_index_by_year(index: pd.DataFrame):
    """Figure 4: box plot of the index (column index, share 0–1) by year (column year): box the middle half,
    whiskers 1.5 IQR, bar the median, diamond the mean, and a line at
    :data:`~malstyring.analysis.calibration.INDEX_HIGH`."""
    fig, ax = new_figure(TEXT_WIDTH, 3.4)
    years = sorted(index["year"].unique())
    data = [index.loc[index["year"] == y, "index"].dropna() for y in years]
    ax.boxplot(
        data,
        tick_labels=[str(y) for y in years],
        widths=0.5,
        patch_artist=True,
        boxprops={"facecolor": GREYS[3], "edgecolor": GREYS[1], "linewidth": 0.8},
        whiskerprops={"color": GREYS[1]},
        capprops={"color": GREYS[1]},
        # the median is wider and darker than the box edges, so it stays visible when it lies on a quartile
        medianprops={"color": ACCENT, "linewidth": 3.0, "solid_capstyle": "butt"},
        flierprops={"marker": ".", "markersize": 3, "markerfacecolor": GREYS[1], "markeredgecolor": GREYS[1]},
        showmeans=True,
        meanprops={"marker": "D", "markersize": 6, "markerfacecolor": "white", "markeredgecolor": ACCENT},
    )
    ax.axhline(INDEX_HIGH, color=GREYS[1], linestyle=":", linewidth=1.2)
    percent_axis(ax, "y")
    ax.set_ylabel("Goal-attainment index (%)")
    ax.set_xlabel("Year")
    handles = [
        mpl.lines.Line2D([], [], color=ACCENT, linewidth=3.0, label="Median"),
        mpl.lines.Line2D(
            [], [], marker="D", linestyle="", markerfacecolor="white", markeredgecolor=ACCENT, label="Mean"
        ),
        mpl.lines.Line2D([], [], color=GREYS[1], linestyle=":", linewidth=1.2, label=percent(INDEX_HIGH)),
    ]
    ax.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3)
    ax.grid(axis="x", visible=False)
    fig.tight_layout()
    return fig


ABBREVIATIONS = {"NAE": "NAE: users with reduced work capacity (nedsatt arbeidsevne)"}
"""Abbreviations explained under a figure whose labels use them."""


def _explain_abbreviations(fig, labels) -> None:
    notes = [text for abbr, text in ABBREVIATIONS.items() if any(abbr in str(label).split() for label in labels)]
    if notes:
        fig.text(0.01, 0.01, "; ".join(notes), fontsize=SMALL_SIZE, color=GREYS[1], ha="left", va="bottom")


def plot_attainment_shares(shares: pd.DataFrame):
    """Figure 2: share of office-months meeting / not meeting each indicator's target (stacked bars).

    ``shares`` has one row per indicator with columns label and met (0–1)."""
    fig, ax = new_figure(TEXT_WIDTH, 0.55 * len(shares) + 1.5)
    y = np.arange(len(shares))
    ax.barh(y, shares["met"], color=GREYS[0], label="Target met")
    ax.barh(y, 1 - shares["met"], left=shares["met"], color=GREYS[3], hatch="//", edgecolor="white", label="Not met")
    for yi, met in zip(y, shares["met"], strict=True):
        ax.text(met / 2, yi, percent(met), ha="center", va="center", color="white", fontsize=SMALL_SIZE)
        ax.text(met + (1 - met) / 2, yi, percent(1 - met), ha="center", va="center", color=GREYS[0], fontsize=9)
    ax.set_yticks(y, shares["label"])
    ax.invert_yaxis()
    percent_axis(ax, "x")
    ax.set_xlim(0, 1)
    ax.set_xlabel("Office-months (% of all)")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2)
    ax.grid(axis="y", visible=False)
    fig.tight_layout()
    if any("NAE" in str(label).split() for label in shares["label"]):
        fig.subplots_adjust(bottom=fig.subplotpars.bottom + 0.08)
    _explain_abbreviations(fig, shares["label"])
    return fig


def plot_prediction(pred: pd.DataFrame, variable: str, mean_value: float, xlabel: str):
    """Figure 5: linear prediction with a 95 % band and the national mean marked."""
    fig, ax = new_figure(TEXT_WIDTH, 3.6)
    x = pred[variable]
    ax.fill_between(x, pred["lower"], pred["upper"], color=GREYS[3], label="95 % confidence band")
    ax.plot(x, pred["predicted"], color=GREYS[0], linewidth=2, label="Predicted share to work")
    ax.axvline(
        mean_value, color=GREYS[1], linestyle="--", linewidth=1.2, label=f"National mean ({percent(mean_value)})"
    )
    percent_axis(ax, "x")
    percent_axis(ax, "y")
    ax.set_xlabel(xlabel + " (%)")
    ax.set_ylabel("Exits that go to work (%)")
    # the legend sits above the plot, full width: readable on a phone and never over the band
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, fontsize=FONT_SIZE)
    fig.tight_layout()
    return fig


SMALL_MULTIPLES_MARGINS = {"left": 0.90, "right": 0.14, "bottom": 0.67, "top": 0.57, "wspace": 0.09, "hspace": 0.20}
"""Margins of the small multiples in inches (left, right, bottom, top) and the gaps between panels (as a share of
a panel's width and height): room for the y tick labels and the axis labels, the x ticks, and the legend above."""


def plot_small_multiples(series: pd.DataFrame, labels: dict, value: str, ylabel: str, ncols: int = 4):
    """Figure 6: one small panel per office (columns office_id, month, ``value``); shared axes.

    Four panels to a row, so each panel is wide enough for 9 pt labels; the HTML shows it at least 640 px wide
    (scrolling sideways on a phone, see custom.css). The 90 % target is a dark dotted line (as the caption says),
    with the gridlines at 60, 80 and 100 % so that it never hides under one."""
    offices = list(labels)
    nrows = int(np.ceil(len(offices) / ncols))
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(TEXT_WIDTH, 1.25 * nrows + 0.9), sharex=True, sharey=True, squeeze=False
    )
    months = sorted(series["month"].unique())
    pos = {m: i for i, m in enumerate(months)}
    for ax, office in zip(axes.flat, offices, strict=False):
        s = series[series["office_id"] == office]
        ax.axhline(0.9, color=GREYS[0], linestyle=":", linewidth=1.3)
        ax.plot(s["month"].map(pos), s[value], color=GREYS[0], linewidth=1.0)
        ax.set_title(labels[office], fontsize=SMALL_SIZE, fontweight="normal", pad=2)
    for ax in axes.flat[len(offices) :]:
        ax.set_visible(False)
    years = [i for i, m in enumerate(months) if m.endswith("-01")]
    for ax in axes[-1]:
        ax.set_xticks(years, [f"’{months[i][2:4]}" for i in years])
    axes[0][0].set_ylim(0.5, 1.02)
    axes[0][0].set_yticks([0.6, 0.8, 1.0])
    for ax in axes[:, 0]:
        ax.yaxis.set_major_formatter(mpl.ticker.PercentFormatter(xmax=1.0, decimals=0))
    fig.supylabel(ylabel + " (%)", fontsize=FONT_SIZE)
    fig.supxlabel("Year (tick at January)", fontsize=FONT_SIZE)
    target = mpl.lines.Line2D([], [], color=GREYS[0], linestyle=":", linewidth=1.3, label="Target (90 %)")
    fig.legend(handles=[target], loc="upper right", bbox_to_anchor=(1.0, 1.0))
    # fixed margins in inches, as tight_layout found them for this figure (it took 0.7 s of the chapter's time)
    width, height = fig.get_size_inches()
    margin = SMALL_MULTIPLES_MARGINS
    fig.subplots_adjust(
        left=margin["left"] / width,
        right=1 - margin["right"] / width,
        bottom=margin["bottom"] / height,
        top=1 - margin["top"] / height,
        wspace=margin["wspace"],
        hspace=margin["hspace"],
    )
    return fig


STATUS_STYLE = {
    "green": {"colour": "#1b7837", "marker": "o", "word": "met", "text": "white"},
    "yellow": {"colour": "#f6c141", "marker": "^", "word": "close", "text": GREYS[0]},
    "red": {"colour": "#c0392b", "marker": "X", "word": "missed", "text": "white"},
}
"""Traffic-light status: colour, a distinct symbol and a word, so the card reads in grey-scale too (the three
colours also differ in lightness: dark green, light yellow, mid red)."""


def plot_scorecard(card: pd.DataFrame, title: str):
    """Figure 1: one office's scorecard for one month, drawn as a scorecard with a coloured status per indicator.

    ``card`` columns: indicator (English label), target (text), value (text), status ('green'/'yellow'/'red')."""
    import textwrap

    wrapped = [textwrap.wrap(str(text), 46) or [""] for text in card["indicator"]]
    heights = [0.5 + 0.32 * (len(lines) - 1) for lines in wrapped]
    total = sum(heights)
    fig, ax = plt.subplots(figsize=(TEXT_WIDTH, 0.42 * total + 0.9))
    ax.set_xlim(0, 1)
    ax.set_ylim(total, -0.75)
    ax.axis("off")
    cols = {"Indicator": 0.01, "Target": 0.56, "Value": 0.71, "Status": 0.83}
    for name, x in cols.items():
        ax.text(x, -0.4, name, fontsize=FONT_SIZE, fontweight="bold", va="center", ha="left")
    ax.plot([0, 1], [-0.1, -0.1], color=GREYS[0], linewidth=0.8)
    top = 0.0
    for i, (row, lines, h) in enumerate(zip(card.itertuples(), wrapped, heights, strict=True)):
        mid = top + h / 2
        if i % 2 == 0:
            ax.add_patch(mpl.patches.Rectangle((0, top), 1, h, color="#f2f2f2", zorder=0, linewidth=0))
        ax.text(cols["Indicator"], mid, "\n".join(lines), fontsize=SMALL_SIZE, va="center", linespacing=1.15)
        ax.text(cols["Target"], mid, row.target, fontsize=SMALL_SIZE, va="center")
        ax.text(cols["Value"], mid, row.value, fontsize=SMALL_SIZE, va="center")
        style = STATUS_STYLE[row.status]
        ax.add_patch(
            mpl.patches.Rectangle(
                (cols["Status"], mid - 0.17), 0.16, 0.34, facecolor=style["colour"], edgecolor=GREYS[0], linewidth=0.6
            )
        )
        ax.scatter(
            [cols["Status"] + 0.022],
            [mid],
            marker=style["marker"],
            s=70,
            color=style["text"],
            edgecolor=GREYS[0],
            linewidth=0.5,
            zorder=3,
        )
        ax.text(
            cols["Status"] + 0.045,
            mid,
            style["word"],
            fontsize=SMALL_SIZE,
            va="center",
            color=style["text"],
            fontweight="bold",
        )
        top += h
    ax.plot([0, 1], [total, total], color=GREYS[0], linewidth=0.8)
    ax.set_title(title, fontsize=FONT_SIZE + 0.5, loc="left")
    fig.tight_layout()
    return fig


def plot_coefficients(table: pd.DataFrame, xlabel: str, ylabel: str = "Coefficient on the index"):
    """Point estimates with 95 % intervals against a numeric x (columns x, estimate, low, high).

    The coefficient is the change in the share of exits to work (0–1) for a change in the index from 0 to 1."""
    fig, ax = new_figure(TEXT_WIDTH, 3.3)
    ax.axhline(0, color=GREYS[2], linewidth=1)
    ax.errorbar(
        table["x"],
        table["estimate"],
        yerr=[table["estimate"] - table["low"], table["high"] - table["estimate"]],
        fmt="o",
        color=GREYS[0],
        ecolor=GREYS[1],
        capsize=3,
    )
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel + "\n(share to work per unit of index)")
    if np.allclose(table["x"], np.round(table["x"])):
        ax.set_xticks(table["x"])
    fig.tight_layout()
    return fig


def plot_specification_curve(curve: pd.DataFrame, choices: dict[str, list], truth: float | None = None):
    """Specification curve: estimates with intervals sorted by size (top) and the choices behind each (bottom).

    ``curve`` has one row per specification with estimate, low, high, significant (bool) and a column per key
    of ``choices`` (the options to mark, in display order). Specifications are numbered from 1 (smallest)."""
    n = len(curve)
    rows = [(key, value) for key, values in choices.items() for value in values]
    fig, (top, bottom) = plt.subplots(
        2,
        1,
        figsize=(TEXT_WIDTH, 3.0 + 0.2 * len(rows)),
        sharex=True,
        gridspec_kw={"height_ratios": [3, 0.38 * len(rows)]},
    )
    x = np.arange(1, n + 1)
    top.axhline(0, color=GREYS[2], linewidth=1)
    if truth is not None:
        top.axhline(truth, color=GREYS[1], linestyle="--", linewidth=1, label=f"True effect ({fmt(truth)})")
    top.vlines(x, curve["low"], curve["high"], color=GREYS[2], linewidth=1.2)
    sig = curve["significant"].to_numpy()
    top.scatter(x[sig], curve["estimate"][sig], s=14, color=GREYS[0], label="Significant at 5 %", zorder=3)
    top.scatter(
        x[~sig], curve["estimate"][~sig], s=14, facecolor="white", edgecolor=GREYS[0], label="Not significant", zorder=3
    )
    top.set_ylabel("Index coefficient\n(share per unit)")
    top.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3)
    for i, (key, value) in enumerate(rows):
        on = curve[key].astype(str).to_numpy() == str(value)
        bottom.scatter(x[on], np.full(on.sum(), i), marker="|", s=40, color=GREYS[0])
    bottom.set_yticks(range(len(rows)), [f"{k}: {v}" for k, v in rows])
    bottom.set_ylim(len(rows) - 0.5, -0.5)
    step = 1 if n <= 12 else 6 if n <= 80 else 10 * int(np.ceil(n / 120))
    ticks = [1, *range(step, n + 1, step)] if step > 1 else list(x)
    bottom.set_xticks(ticks)
    bottom.set_xlim(0.3, n + 0.7)
    bottom.set_xlabel(f"Specification, sorted by estimate (1 = smallest of {n})")
    bottom.grid(axis="x", visible=False)
    fig.tight_layout(h_pad=0.3)
    return fig


def plot_coverage_by_rule(cover: pd.DataFrame, labels: dict[str, str], n_rep: int, level: float = 0.95):
    """Coverage of every coefficient's ``level`` intervals in a Monte Carlo, one row of dots per inference rule.

    ``cover`` has columns rule, term and coverage (share 0–1), as
    :func:`malstyring.analysis.robustness.coverage_by_rule` returns; ``labels`` maps the rule names, in display order,
    to their labels. The band is two Monte Carlo standard errors of an exactly nominal interval around ``level``; dots
    below it are filled black."""
    band = 2 * np.sqrt(level * (1 - level) / n_rep)
    fig, ax = new_figure(TEXT_WIDTH, 1.1 + 0.55 * len(labels))
    ax.axvspan(level - band, level + band, color=GREYS[3], alpha=0.6, linewidth=0, label="±2 Monte Carlo SEs")
    ax.axvline(level, color=GREYS[1], linewidth=1)
    jitter = np.random.default_rng(0).uniform(-0.18, 0.18, size=len(cover))  # fixed: the same picture every build
    for i, (name, _) in enumerate(labels.items()):
        rows = (cover["rule"] == name).to_numpy()
        values = cover.loc[rows, "coverage"].to_numpy()
        low = values < level - band
        ax.scatter(values[~low], i + jitter[rows][~low], s=12, facecolor="white", edgecolor=GREYS[0], zorder=3)
        ax.scatter(values[low], i + jitter[rows][low], s=12, color=GREYS[0], zorder=3)
    ax.set_yticks(range(len(labels)), list(labels.values()))
    ax.set_ylim(len(labels) - 0.5, -0.5)
    ax.set_xlabel(f"Share of {integer(n_rep)} re-draws whose {percent(level, 0)} interval holds the true coefficient")
    percent_axis(ax, "x")
    ax.grid(axis="y", visible=False)
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0))
    fig.tight_layout()
    return fig


def plot_power(effects: np.ndarray, power: np.ndarray, published: float, mde: float):
    """Power of the design against the true index effect, with the published size and the 80 % MDE marked."""
    fig, ax = new_figure(TEXT_WIDTH, 3.3)
    ax.plot(effects, power, color=GREYS[0], linewidth=2)
    ax.axhline(0.8, color=GREYS[2], linestyle=":", linewidth=1)
    ax.axvline(published, color=GREYS[1], linestyle="--", linewidth=1, label=f"Published size ({fmt(published)})")
    for sign in (-1, 1):
        ax.axvline(sign * mde, color=GREYS[1], linestyle=":", linewidth=1)
    ax.annotate(
        f"{percent(0.8)} power at ±{fmt(mde)}",
        xy=(mde, 0.8),
        xytext=(6, -16),
        textcoords="offset points",
        fontsize=SMALL_SIZE,
        bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none"},
    )
    percent_axis(ax, "y")
    ax.set_xlabel("True coefficient on the index (share to work per unit of index)")
    ax.set_ylabel("Power of a 5 % test (%)")
    ax.legend(loc="lower left")
    fig.tight_layout()
    return fig
