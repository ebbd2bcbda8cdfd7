"""The book's one figure style: grey-scale friendly, seaborn/matplotlib."""

import matplotlib as mpl
import matplotlib.pyplot as plt
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


def new_figure(width: float = 7.0, height: float = 4.0, **kwargs):
    """A figure and axes in the book's style; the caller glues it and closes it."""
    fig, ax = plt.subplots(figsize=(width, height), **kwargs)
    return fig, ax


def percent_axis(ax, axis: str = "x") -> None:
    """Label a 0–1 share axis in per cent."""
    fmt = mpl.ticker.PercentFormatter(xmax=1.0, decimals=0)
    (ax.xaxis if axis == "x" else ax.yaxis).set_major_formatter(fmt)
