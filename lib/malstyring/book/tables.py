"""Tables that render in the HTML book, the PDF and Jupyter alike.

MyST-NB's LaTeX output ignores ``text/html``, so tables are emitted as MyST Markdown (a ``{table}`` directive with
a caption and label around a pipe table); the book renders that Markdown in both HTML and PDF, so each table is
numbered and can be cross-referenced with ``{numref}``.
"""

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..analysis.inference import BOOK_RULE, STAR_FATE, star_fate
from ..base.number_format import fmt, fmt_coef, integer
from ..data.reference import variables


class Markdown:
    """An object whose only rich representation is (MyST) Markdown."""

    def __init__(self, text: str):
        self.text = text

    def _repr_markdown_(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return self.text


NUMBER = re.compile(
    r"^[(\[]?[−+-]?(\d[\d,]*(\.\d+)?|\.\d+)(\s?%)?\*{0,3}[)\]]?"  # a number, maybe %, stars, brackets
    r"(,?\s\(?[−+-]?\d[\d,]*(\.\d+)?\s?%?\*{0,3}[)\]]?)?$"  # perhaps a second one: ' (0.012)', ', 0.01)'
)
"""A formatted number as the book writes them: '−0.026**', '1,234', '12 %', '0.123 (0.045)', '(−0.05, 0.01)'."""
CODES = re.compile(r"^[=sx·\s\u00a0]+$")
"""A cell of agreement codes ('=', 's', 'x', '·' for none)."""
IDENTIFIER = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$")
"""A bare code identifier (office_month, journal_24h): set in monospace so it is never hyphenated."""


def _cell(value) -> str:
    text = "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
    if IDENTIFIER.match(text):
        text = f"`{text}`"
    return text.replace("|", "\\|").replace("\n", " ")


def column_alignment(df: pd.DataFrame) -> str:
    """One letter per column: 'l' for text, 'r' for numbers, 'c' for agreement codes; the first column is 'l'.

    A column is numeric when every non-empty cell reads as a number (see :data:`NUMBER`)."""
    align = []
    for i, col in enumerate(df.columns):
        cells = [str(v).strip() for v in df[col] if v is not None and str(v).strip() not in ("", "nan")]
        if i == 0 or not cells:
            align.append("l")
        elif all(NUMBER.match(c.replace("\u00a0", " ")) for c in cells):
            align.append("r")
        elif all(CODES.match(c) for c in cells):
            align.append("c")
        else:
            align.append("l")
    return "".join(align)


def pipe_table(df: pd.DataFrame, align: str | None = None) -> str:
    """A DataFrame as a Markdown pipe table (index dropped; values already formatted as text).

    Without ``align``, text columns are left-aligned, numbers right-aligned and code columns centred
    (:func:`column_alignment`)."""
    cols = list(df.columns)
    align = align or column_alignment(df)
    marks = {"l": ":--", "r": "--:", "c": ":-:"}
    lines = ["| " + " | ".join(_cell(c) for c in cols) + " |", "|" + "|".join(marks[a] for a in align) + "|"]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines)


CELL_PADDING = 2
"""Characters added to each automatic column width (see :func:`_widths`)."""


def _widths(df: pd.DataFrame, widths: str) -> list[int]:
    """Relative column widths: the given ones, or from the longest header word and the typical cell length, plus
    :data:`CELL_PADDING` characters for the space LaTeX keeps on each side of a cell (without it a short number
    column of a wide table comes out a point or two too narrow for its numbers)."""
    if widths != "auto":
        return [int(w) for w in widths.split()]
    out = []
    for col in df.columns:
        cells = [len(str(v)) for v in df[col]]
        longest_word = max((len(w) for w in str(col).split()), default=1)
        typical = float(np.percentile(cells, 90)) if cells else 1.0
        out.append(int(np.clip(max(longest_word, typical), 4, 45)) + CELL_PADDING)
    return out


def latex_columns(align: str, widths: list[int]) -> str:
    """A LaTeX column specification for Sphinx's ``tabularcolumns``: each column a share of the line width
    (Sphinx's ``\\X``), text ragged-right, numbers flush right, codes centred."""
    total = sum(widths)
    ragged = {"l": r"\raggedright", "r": r"\raggedleft", "c": r"\centering"}
    return "".join(rf">{{{ragged[a]}\arraybackslash}}\X{{{w}}}{{{total}}}" for a, w in zip(align, widths, strict=True))


def book_table(df: pd.DataFrame, caption: str, label: str, align: str | None = None, widths: str = "auto") -> Markdown:
    """A numbered, captioned table (MyST ``{table}`` directive) from a DataFrame of formatted values.

    For the PDF the table is a ``longtable`` (it breaks across pages with the header repeated) whose columns
    follow the alignment; the HTML takes the alignment from the pipe table."""
    align = align or column_alignment(df)
    body = pipe_table(df, align)
    cols = latex_columns(align, _widths(df, widths))
    return Markdown(
        f"```{{tabularcolumns}} {cols}\n```\n\n"
        f"```{{table}} {caption}\n:name: {label}\n:class: longtable\n:widths: {widths}\n\n{body}\n```\n"
    )


AGREE = "="
SIGN_ONLY = "s"
DISAGREE = "x"


def agreement(repro: float, repro_stars: str, published: float, published_stars: str) -> str:
    """'=' sign and significance (at 5 %) agree, 's' only the sign agrees, 'x' the sign differs.

    A published 0.000 (or -0.000) has no usable sign; then only significance is compared ('=' or 's').
    """
    same_sig = bool(repro_stars) == bool(published_stars)
    if published == 0 or np.sign(repro) == np.sign(published):
        return AGREE if same_sig else SIGN_ONLY
    return DISAGREE


def comparison_frame(fits: dict, published: pd.DataFrame, labels: pd.DataFrame, models: list[str]) -> pd.DataFrame:
    """Long comparison of reproduced and published coefficients, one row per (model, variable) in article order.

    Columns: model, variable, label_en, label_no, estimate, se_cluster, stars (both under the article's rule),
    book_stars, book_p and book_df (the stars, p-value and Satterthwaite df under the book's few-cluster rule),
    published, published_stars, article_fate (whether the article's star would survive that rule with this
    design's df, :func:`malstyring.analysis.inference.star_fate`; '' where there is no star or no estimate), agree.
    """
    rows = []
    for model in models:
        fit = fits[model]
        tab = fit.table()
        book = fit.tidy(vcov=BOOK_RULE.vcov, df=BOOK_RULE.df)
        pub = published[published["model"] == model].set_index("variable")
        for var in labels["variable"]:
            if var not in tab.index and var not in pub.index:
                continue
            est = tab.loc[var] if var in tab.index else None
            row = {
                "model": model,
                "variable": var,
                "label_en": labels.set_index("variable").loc[var, "label_en"],
                "label_no": labels.set_index("variable").loc[var, "label_no"],
                "estimate": est["estimate"] if est is not None else np.nan,
                "se_cluster": est["se_cluster"] if est is not None else np.nan,
                "stars": est["stars"] if est is not None else "",
                "book_stars": book.loc[var, "stars"] if est is not None else "",
                "book_p": book.loc[var, "p"] if est is not None else np.nan,
                "book_df": book.loc[var, "df"] if est is not None else np.nan,
                "published": float(pub.loc[var, "value"]) if var in pub.index else np.nan,
                "published_stars": pub.loc[var, "stars"] if var in pub.index else "",
            }
            both = est is not None and var in pub.index
            starred = both and row["published_stars"] != "" and var != "Intercept"
            row["article_fate"] = star_fate(row["published"], row["published_stars"], row["book_df"]) if starred else ""
            row["agree"] = (
                agreement(row["estimate"], row["stars"], row["published"], row["published_stars"]) if both else ""
            )
            rows.append(row)
    return pd.DataFrame(rows)


STAR_LOST = "\u2020"
"""Marks a coefficient significant at 5 % under the article's rule but not under the book's (dagger)."""
STAR_GAINED = "\u2021"
"""Marks a coefficient significant at 5 % under the book's rule but not under the article's (double dagger)."""
FATE_MARKS = {"survives": "", "fails": "\u00d7", "undetermined": "?"}
"""Marks on a published star: × it would not survive the book's rule with this design's degrees of freedom, ? its
printed value and star cannot tell."""


def star_change(row) -> str:
    """:data:`STAR_LOST`, :data:`STAR_GAINED` or '' for a comparison-frame row (stars vs book_stars)."""
    if row["stars"] and not row["book_stars"]:
        return STAR_LOST
    if row["book_stars"] and not row["stars"]:
        return STAR_GAINED
    return ""


def regression_table(comparison: pd.DataFrame, fits: dict, published: pd.DataFrame, models: list[str]) -> pd.DataFrame:
    """Wide, formatted reproduced-vs-published table in the article's row order, with fit statistics at the foot.

    Reproduced cells read 'coef stars (clustered SE)' under the article's rule, followed by
    :data:`STAR_LOST` when the coefficient is significant under that rule but not under the book's few-cluster rule,
    or :data:`STAR_GAINED` for the reverse; published cells 'coef stars'; the last column lists the agreement code
    per model ('=' sign and significance agree, 's' sign only, 'x' sign differs).
    """
    present = set(comparison["variable"])
    order = [v for v in variables()["variable"] if v in present]  # the article's row order, constant last
    first = comparison.drop_duplicates("variable").set_index("variable")
    out = pd.DataFrame({"Variable": [f"{first.loc[v, 'label_en']} (*{first.loc[v, 'label_no']}*)" for v in order]})
    agree_cells = [[] for _ in order]
    for model in models:
        sub = comparison[comparison["model"] == model].set_index("variable")
        rep, pub = [], []
        for i, v in enumerate(order):
            if v in sub.index and np.isfinite(sub.loc[v, "estimate"]):
                r = sub.loc[v]
                rep.append(f"{fmt_coef(r['estimate'])}{r['stars']}{star_change(r)} ({fmt_coef(r['se_cluster'])})")
            else:
                rep.append("")
            if v in sub.index and np.isfinite(sub.loc[v, "published"]):
                mark = FATE_MARKS.get(sub.loc[v, "article_fate"], "")
                pub.append(f"{fmt(sub.loc[v, 'published'])}{sub.loc[v, 'published_stars']}{mark}")
            else:
                pub.append("")
            if v in sub.index and sub.loc[v, "agree"]:
                agree_cells[i].append(sub.loc[v, "agree"])
            else:
                agree_cells[i].append("·")
        out[f"{model}"] = rep
        out[f"{model} publ."] = pub
    out["Agree"] = ["\u00a0".join(a) for a in agree_cells]  # no-break space: the codes never wrap
    foot = []
    statistics = {"n_obs": "N", "n_groups": "Counties", "aic": "AIC", "bic": "BIC", "loglik": "Log likelihood"}
    for stat, label in statistics.items():
        row = {"Variable": label}
        for model in models:
            row[model] = integer(round(float(fits[model].fit_statistics()[stat])))
            p = published[(published["model"] == model) & (published["variable"] == stat)]
            row[f"{model} publ."] = integer(round(float(p["value"].iloc[0]))) if len(p) else ""
        row["Agree"] = ""
        foot.append(row)
    return pd.concat([out, pd.DataFrame(foot)], ignore_index=True)


# --- summaries of the comparison frame -------------------------------------------------------------------------------


def agreement_counts(comparison: pd.DataFrame, models: list[str] | None = None) -> dict[str, int]:
    """How the reproduced coefficients of ``models`` (default: all) stand to the published ones, counted over the
    rows of :func:`comparison_frame` that have both: ``compared``, ``sign`` (same sign, codes '=' and 's'), ``both``
    (same sign and significance, '=') and ``differs`` (opposite sign, 'x')."""
    rows = comparison[comparison["agree"] != ""]
    if models is not None:
        rows = rows[rows["model"].isin(models)]
    codes = rows["agree"]
    return {
        "compared": len(codes),
        "sign": int(codes.isin([AGREE, SIGN_ONLY]).sum()),
        "both": int((codes == AGREE).sum()),
        "differs": int((codes == DISAGREE).sum()),
    }


def agreement_summary(comparison: pd.DataFrame) -> pd.DataFrame:
    """:func:`agreement_counts` per model (the models that have a compared coefficient, in sorted order), with the
    book's column headings."""
    models = sorted(set(comparison.loc[comparison["agree"] != "", "model"]))
    counts = [agreement_counts(comparison, [m]) for m in models]
    return pd.DataFrame(
        {
            "Model": models,
            "Coefficients compared": [c["compared"] for c in counts],
            "Same sign": [c["sign"] for c in counts],
            "Same sign and significance": [c["both"] for c in counts],
        }
    )


def side_by_side_table(comparison: pd.DataFrame) -> pd.DataFrame:
    """Every row of :func:`comparison_frame`: model, variable, the reproduced 'coef stars (clustered SE)' under the
    article's rule, the published value as the article prints it (it prints −0.000 and 0.000 for small
    coefficients) and the agreement code."""
    reproduced = [
        f"{fmt_coef(e)}{s} ({fmt_coef(se)})"
        for e, s, se in zip(comparison["estimate"], comparison["stars"], comparison["se_cluster"], strict=True)
    ]
    printed = [
        f"{fmt(p)}{s}" if pd.notna(p) else ""
        for p, s in zip(comparison["published"], comparison["published_stars"], strict=True)
    ]
    return pd.DataFrame(
        {
            "Model": comparison["model"].to_numpy(),
            "Variable": comparison["label_en"].to_numpy(),
            "Reproduced (SE)": reproduced,
            "Published": printed,
            "Agree": comparison["agree"].to_numpy(),
        }
    )


@dataclass(frozen=True)
class StarSurvival:
    """What becomes of the stars of some models' coefficients (constants left out) under the book's few-cluster
    rule: the book-rule p-values of the coefficients this build stars under the article's rule (``kept_p``: how
    many of them stay significant is a claim about these), how many unstarred ones gain significance, and the
    fates of the article's own stars (:func:`malstyring.analysis.inference.star_fate`)."""

    kept_p: pd.Series
    gained: int
    unstarred: int
    fates: dict[str, int]

    @property
    def n_fates(self) -> int:
        """Number of the article's stars whose fate was judged."""
        return sum(self.fates.values())


def star_survival(comparison: pd.DataFrame, models: list[str]) -> StarSurvival:
    """:class:`StarSurvival` over the rows of :func:`comparison_frame` for ``models`` that have an estimate,
    intercepts left out."""
    part = comparison[
        comparison["model"].isin(models) & (comparison["variable"] != "Intercept") & comparison["estimate"].notna()
    ]
    starred = part["stars"] != ""
    fates = part["article_fate"][part["article_fate"] != ""].value_counts()
    return StarSurvival(
        kept_p=part.loc[starred, "book_p"],
        gained=int((~starred & (part["book_stars"] != "")).sum()),
        unstarred=int((~starred).sum()),
        fates={fate: int(fates.get(fate, 0)) for fate in STAR_FATE},
    )
