"""The PDF title page: title, subtitle, the article re-told, version (package version and git commit), build
date and the data notice of the data folder the chapters were executed with (the executed front page's
parameters, read by :func:`malstyring.book.parameters.executed_data_dir`, so it is the notice the pages show)."""

import datetime as dt
import os
import subprocess
from pathlib import Path

from malstyring import __version__
from malstyring.book.notices import describe
from malstyring.book.parameters import executed_data_dir
from malstyring.data.provenance import is_synthetic

BOOK = Path(__file__).resolve().parents[2]
ROOT = BOOK.parent
FRONT_PAGE = BOOK / "chapters" / "00_front_page.ipynb"
SUBTITLE = "Re-telling and re-running Roaldsnes (2018)"
ARTICLE = (
    "Roaldsnes, A. (2018). Mål og resultatstyring i NAV – kan det bidra til å få flere med nedsatt arbeidsevne "
    "i arbeid? \\emph{Arbeid og velferd} 1/2018, 57–75."
)


def _latex_escape(text: str) -> str:
    text = text.replace("\\", "\\textbackslash{}")
    for char in "&%$#_{}":
        text = text.replace(char, "\\" + char)
    return text.replace("~", "\\textasciitilde{}").replace("^", "\\textasciicircum{}")


def git_commit() -> str:
    """Short commit of the checkout, with '+changes' when tracked files differ from it; 'unknown' without git."""
    try:
        commit = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short=10", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "diff", "--quiet", "HEAD"], capture_output=True).returncode
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + ("+changes" if dirty else "")


def build_date() -> str:
    """Today (UTC), or SOURCE_DATE_EPOCH's date when set (reproducible builds)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = dt.datetime.fromtimestamp(int(epoch), dt.UTC) if epoch else dt.datetime.now(dt.UTC)
    return when.strftime("%Y-%m-%d")


def data_notice_text() -> tuple[str, str]:
    """(heading, sentence) of the data notice, as the pages show it."""
    data = executed_data_dir(FRONT_PAGE) if FRONT_PAGE.exists() else None
    data = data or ROOT / "data" / "synthetic"
    if not data.is_dir():
        return "Data", f"The data folder {data} was not found when the book was built."
    what = describe(data).replace("`", "")
    if is_synthetic(data):
        return (
            "Synthetic data",
            "The numbers, tables and figures in this book come from synthetic data calibrated to what the article "
            "publishes, not from NAV's registers; they are not findings about NAV. Built from " + what + ".",
        )
    return "Supplied data", "The numbers in this book were computed from " + what + "."


def title_page(title: str) -> str:
    heading, notice = data_notice_text()
    version = f"malstyring {__version__}, commit {git_commit()}"
    return rf"""
\begin{{titlepage}}
\pagestyle{{empty}}
\raggedright
\vspace*{{3cm}}
{{\sffamily\bfseries\Huge {_latex_escape(title)}\par}}
\vspace{{0.8cm}}
{{\sffamily\Large {_latex_escape(SUBTITLE)}\par}}
\vspace{{1.5cm}}
{{\large The article re-told and re-run here:\par}}
\vspace{{0.3cm}}
{{\large {ARTICLE}\par}}
\vfill
\fcolorbox{{black!60}}{{black!5}}{{\parbox{{\dimexpr\linewidth-2\fboxsep-2\fboxrule}}{{%
\textbf{{{_latex_escape(heading)}.}} {_latex_escape(notice)}}}}}
\vspace{{1cm}}

{{\small Version: {_latex_escape(version)}\\
Built: {build_date()}\par}}
\end{{titlepage}}
"""


def config_inited(app, config) -> None:
    config.version = __version__
    config.release = f"{config.version} ({git_commit()})"


def latex_setup(app) -> None:
    """The title page (the book's title is only known once Jupyter Book has filled in the configuration)."""
    if app.builder.format != "latex":
        return
    elements = dict(app.config.latex_elements or {})
    title = app.config.html_title or app.config.project
    elements["maketitle"] = title_page(title)
    app.config.latex_elements = elements
    app.builder.context["maketitle"] = elements["maketitle"]
