"""The book's one figure style: grey-scale friendly, seaborn/matplotlib."""

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

GREYS = ("#1a1a1a", "#6e6e6e", "#a8a8a8", "#d4d4d4")
ACCENT = "#1a1a1a"
LINESTYLES = ("-", "--", ":", "-.")
HATCHES = ("", "//", "..", "xx")


def use_book_style() -> None:
    """Apply the shared style (call once at the top of every chapter that draws)."""
    sns.set_theme(context="notebook", style="whitegrid", palette=list(GREYS), font_scale=0.95)
    mpl.rcParams.update(
        {
            "figure.figsize": (7.0, 4.0),
            "figure.dpi": 110,
            "savefig.dpi": 150,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.titleweight": "bold",
            "axes.titlesize": 11,
            "legend.frameon": False,
            "svg.hashsalt": "malstyring",
        }
    )


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


def new_figure(width: float = 7.0, height: float = 4.0, **kwargs):
    """A figure and axes in the book's style; the caller glues it and closes it."""
    fig, ax = plt.subplots(figsize=(width, height), **kwargs)
    return fig, ax


def percent_axis(ax, axis: str = "x") -> None:
    """Label a 0–1 share axis in per cent."""
    fmt = mpl.ticker.PercentFormatter(xmax=1.0, decimals=0)
    (ax.xaxis if axis == "x" else ax.yaxis).set_major_formatter(fmt)


def plot_index_histogram(index: pd.Series):
    """Figure 3: distribution of the goal-attainment index over all office-months, 10-point bins."""
    fig, ax = new_figure(7.0, 3.6)
    bins = np.linspace(0, 1, 11)
    counts, _ = np.histogram(index.dropna(), bins=bins)
    shares = counts / counts.sum()
    ax.bar(bins[:-1] + 0.05, shares, width=0.09, color=GREYS[1], edgecolor=GREYS[0])
    ax.axvline(index.mean(), color=ACCENT, linestyle="--", linewidth=1.2)
    ax.annotate(
        f"mean {index.mean():.0%}",
        xy=(index.mean(), shares.max()),
        xytext=(6, -4),
        textcoords="offset points",
        fontsize=9,
    )
    percent_axis(ax, "x")
    percent_axis(ax, "y")
    ax.set_xlabel("Goal-attainment index (share of the year's targets met)")
    ax.set_ylabel("Share of office-months")
    ax.set_xticks(bins)
    fig.tight_layout()
    return fig


def plot_index_by_year(index: pd.DataFrame):
    """Figure 4: box plot of the index by year (box: middle half; whiskers: 1.5 IQR; diamond: mean)."""
    fig, ax = new_figure(7.0, 3.6)
    years = sorted(index["year"].unique())
    data = [index.loc[index["year"] == y, "index"].dropna() for y in years]
    ax.boxplot(
        data,
        tick_labels=[str(y) for y in years],
        widths=0.5,
        patch_artist=True,
        boxprops={"facecolor": GREYS[3], "edgecolor": GREYS[0]},
        medianprops={"color": GREYS[0], "linewidth": 1.5},
        flierprops={"marker": ".", "markersize": 3, "markerfacecolor": GREYS[1], "markeredgecolor": GREYS[1]},
        showmeans=True,
        meanprops={"marker": "D", "markerfacecolor": "white", "markeredgecolor": GREYS[0]},
    )
    ax.axhline(0.75, color=GREYS[1], linestyle=":", linewidth=1)
    percent_axis(ax, "y")
    ax.set_ylabel("Goal-attainment index")
    ax.set_xlabel("Year")
    fig.tight_layout()
    return fig


def plot_attainment_shares(shares: pd.DataFrame):
    """Figure 2: share of office-months meeting / not meeting each indicator's target (stacked bars).

    ``shares`` has one row per indicator with columns label and met (0–1)."""
    fig, ax = new_figure(7.0, 2.8)
    y = np.arange(len(shares))
    ax.barh(y, shares["met"], color=GREYS[0], label="Target met")
    ax.barh(y, 1 - shares["met"], left=shares["met"], color=GREYS[3], hatch="//", edgecolor="white", label="Not met")
    for yi, met in zip(y, shares["met"], strict=True):
        ax.text(met / 2, yi, f"{met:.0%}", ha="center", va="center", color="white", fontsize=9)
        ax.text(met + (1 - met) / 2, yi, f"{1 - met:.0%}", ha="center", va="center", color=GREYS[0], fontsize=9)
    ax.set_yticks(y, shares["label"])
    ax.invert_yaxis()
    percent_axis(ax, "x")
    ax.set_xlim(0, 1)
    ax.set_xlabel("Share of office-months")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2)
    ax.grid(axis="y", visible=False)
    fig.tight_layout()
    return fig


def plot_prediction(pred: pd.DataFrame, variable: str, mean_value: float, xlabel: str):
    """Figure 5: linear prediction with a 95 % band and the national mean marked."""
    fig, ax = new_figure(7.0, 3.8)
    x = pred[variable]
    ax.fill_between(x, pred["lower"], pred["upper"], color=GREYS[3], label="95 % confidence band")
    ax.plot(x, pred["predicted"], color=GREYS[0], linewidth=2, label="Predicted share to work")
    ax.axvline(mean_value, color=GREYS[1], linestyle="--", linewidth=1.2, label=f"National mean ({mean_value:.0%})")
    percent_axis(ax, "x")
    percent_axis(ax, "y")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("Share of exits that go to work")
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def plot_small_multiples(series: pd.DataFrame, labels: dict, value: str, ylabel: str, ncols: int = 5):
    """Figure 6: one small panel per office (columns office_id, month, ``value``); shared axes."""
    offices = list(labels)
    nrows = int(np.ceil(len(offices) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(7.2, 1.6 * nrows + 0.5), sharex=True, sharey=True)
    months = sorted(series["month"].unique())
    pos = {m: i for i, m in enumerate(months)}
    for ax, office in zip(axes.flat, offices, strict=False):
        s = series[series["office_id"] == office]
        ax.plot(s["month"].map(pos), s[value], color=GREYS[0], linewidth=0.9)
        ax.axhline(0.9, color=GREYS[2], linestyle=":", linewidth=0.8)
        ax.set_title(labels[office], fontsize=7, fontweight="normal")
        ax.tick_params(labelsize=6)
    for ax in axes.flat[len(offices) :]:
        ax.set_visible(False)
    years = [i for i, m in enumerate(months) if m.endswith("-01")]
    for ax in axes[-1]:
        ax.set_xticks(years, [months[i][:4] for i in years], fontsize=6)
    axes[0][0].set_ylim(0.5, 1.0)
    for ax in axes[:, 0]:
        ax.yaxis.set_major_formatter(mpl.ticker.PercentFormatter(xmax=1.0, decimals=0))
    fig.supylabel(ylabel, fontsize=8)
    fig.tight_layout(h_pad=0.4, w_pad=0.3)
    return fig


STATUS_STYLE = {
    "green": {"marker": "o", "face": GREYS[3]},
    "yellow": {"marker": "s", "face": GREYS[2]},
    "red": {"marker": "X", "face": GREYS[0]},
}


def plot_scorecard(card: pd.DataFrame, title: str):
    """Figure 1: one office's scorecard for one month, drawn as a table with a status symbol per indicator.

    ``card`` columns: indicator (English label), target (text), value (text), status ('green'/'yellow'/'red')."""
    n = len(card)
    fig, ax = plt.subplots(figsize=(7.2, 0.36 * n + 1.0))
    ax.set_xlim(0, 1)
    ax.set_ylim(n + 0.2, -1.0)
    ax.axis("off")
    cols = {"Indicator": 0.0, "Target": 0.66, "Value": 0.78, "Status": 0.88}
    for name, x in cols.items():
        ax.text(x, -0.6, name, fontsize=8.5, fontweight="bold", va="center")
    for i, row in enumerate(card.itertuples()):
        if i % 2 == 0:
            ax.axhspan(i - 0.45, i + 0.45, color="#f2f2f2", zorder=0)
        ax.text(cols["Indicator"], i, row.indicator, fontsize=7.5, va="center")
        ax.text(cols["Target"], i, row.target, fontsize=7.5, va="center")
        ax.text(cols["Value"], i, row.value, fontsize=7.5, va="center")
        style = STATUS_STYLE[row.status]
        ax.scatter([cols["Status"] + 0.015], [i], marker=style["marker"], s=60, color=style["face"], edgecolor=GREYS[0])
        ax.text(cols["Status"] + 0.04, i, row.status, fontsize=7.5, va="center")
    ax.set_title(title, fontsize=9, loc="left")
    fig.tight_layout()
    return fig


def plot_coefficients(table: pd.DataFrame, xlabel: str, ylabel: str = "Coefficient on the index"):
    """Point estimates with 95 % intervals against a numeric x (columns x, estimate, low, high)."""
    fig, ax = new_figure(7.0, 3.4)
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
    ax.set_ylabel(ylabel)
    fig.tight_layout()
    return fig


def plot_specification_curve(curve: pd.DataFrame, choices: dict[str, list], truth: float | None = None):
    """Specification curve: estimates with intervals sorted by size (top) and the choices behind each (bottom).

    ``curve`` has one row per specification with estimate, low, high, significant (bool) and a column per key
    of ``choices`` (the options to mark, in display order)."""
    n = len(curve)
    rows = [(key, value) for key, values in choices.items() for value in values]
    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(7.2, 3.0 + 0.18 * len(rows)), sharex=True, gridspec_kw={"height_ratios": [3, 0.35 * len(rows)]}
    )
    x = np.arange(n)
    top.axhline(0, color=GREYS[2], linewidth=1)
    if truth is not None:
        top.axhline(truth, color=GREYS[1], linestyle="--", linewidth=1, label=f"true effect ({truth:+.3f})")
    top.vlines(x, curve["low"], curve["high"], color=GREYS[2], linewidth=1.2)
    sig = curve["significant"].to_numpy()
    top.scatter(x[sig], curve["estimate"][sig], s=14, color=GREYS[0], label="significant at 5 %", zorder=3)
    top.scatter(
        x[~sig], curve["estimate"][~sig], s=14, facecolor="white", edgecolor=GREYS[0], label="not significant", zorder=3
    )
    top.set_ylabel("Index coefficient")
    top.legend(loc="upper left", fontsize=7, ncol=3)
    for i, (key, value) in enumerate(rows):
        on = curve[key].astype(str).to_numpy() == str(value)
        bottom.scatter(x[on], np.full(on.sum(), i), marker="|", s=40, color=GREYS[0])
    bottom.set_yticks(range(len(rows)), [f"{k}: {v}" for k, v in rows], fontsize=7)
    bottom.set_ylim(len(rows) - 0.5, -0.5)
    bottom.set_xlabel("Specifications, sorted by estimate")
    bottom.grid(axis="x", visible=False)
    fig.tight_layout(h_pad=0.3)
    return fig


def plot_power(effects: np.ndarray, power: np.ndarray, published: float, mde: float):
    """Power of the design against the true index effect, with the published size and the 80 % MDE marked."""
    fig, ax = new_figure(7.0, 3.4)
    ax.plot(effects, power, color=GREYS[0], linewidth=2)
    ax.axhline(0.8, color=GREYS[2], linestyle=":", linewidth=1)
    ax.axvline(published, color=GREYS[1], linestyle="--", linewidth=1, label=f"published size ({published:+.3f})")
    for sign in (-1, 1):
        ax.axvline(sign * mde, color=GREYS[1], linestyle=":", linewidth=1)
    ax.annotate(f"80 % power at ±{mde:.3f}", xy=(mde, 0.8), xytext=(6, -14), textcoords="offset points", fontsize=8)
    percent_axis(ax, "y")
    ax.set_xlabel("True coefficient on the index")
    ax.set_ylabel("Power (5 % test)")
    ax.legend(loc="lower left", fontsize=8)
    fig.tight_layout()
    return fig
