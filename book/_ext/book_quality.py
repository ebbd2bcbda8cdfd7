"""Sphinx extension for the book's presentation in HTML and PDF (loaded from ``_config.yml``, local_extensions).

Jupyter Book 1 writes Sphinx's ``conf.py`` itself, so what needs Python at build time lives here:

* the PDF title page: title, subtitle, the article re-told, version (package version and git commit), build
  date and the data notice of the data folder the chapters were executed with (read from the executed front
  page's parameters, so it is the notice the pages themselves show);
* appendices lettered A, B, ... in both builders: ``\\appendix`` before the first appendix in LaTeX, and the
  section numbers of the appendix pages rewritten to letters in HTML (the reference page stays unnumbered);
* one bibliography in the PDF: the reference page's own (empty in LaTeX, where Sphinx collects every citation
  at the end of the document) is dropped, and the collected one is titled "References";
* figures and tables numbered by chapter in both builders ("Table 5.1", "Figure A.1"), so that no number of the
  book's can be mistaken for one of the article's ("the article's Table 1"); in HTML the appendices' figure and
  table numbers take their letter;
* papermill's parameter cells are not shown to readers (they would appear as "Show code cell source");
* on the front page, a "Download PDF" link when the PDF has been built (copied next to the HTML);
* the book's percent style in typed prose as in glued numbers: a no-break space between a number and its
  percent sign ("95 %" never breaks across lines), outside code and maths;
* glued numbers and short phrases stay bold (myst-nb's style), but a glued sentence is set in the normal weight
  (class ``pasted-sentence``), so computed paragraphs remain readable.
"""

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from docutils import nodes

BOOK = Path(__file__).resolve().parents[1]
ROOT = BOOK.parent
APPENDIX = re.compile(r"chapters/\d\d_appendix_")
UNNUMBERED = {"references"}
HIDDEN_CELL_TAGS = {"tag_parameters", "tag_injected-parameters"}
PDF_NAME = "book.pdf"
NUMBER_SPACE_PERCENT = re.compile(r"(\d) %")
SENTENCE_WORDS = 12
"""A glued text of more words than this is a sentence, not a number or phrase."""
NOT_PROSE = (nodes.literal, nodes.literal_block, nodes.math, nodes.math_block, nodes.raw)
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


def executed_data_dir() -> Path:
    """The data folder the front page was executed with (papermill's injected parameters, else the default)."""
    default = ROOT / "data" / "synthetic"
    path = BOOK / "chapters" / "00_front_page.ipynb"
    if not path.exists():
        return default
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    found = {}
    for wanted in ("parameters", "injected-parameters"):  # injected values override the defaults
        for cell in cells:
            if wanted in cell.get("metadata", {}).get("tags", []):
                source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
                namespace: dict = {}
                try:
                    exec(source, {}, namespace)  # the parameter cells hold plain assignments of literals
                except Exception:  # noqa: BLE001 - a strange cell must not break the build; fall back
                    continue
                found.update(namespace)
    data = Path(str(found.get("data_dir", default)))
    return data if data.is_absolute() else (ROOT / "notebooks" / data).resolve()


def data_notice_text() -> tuple[str, str]:
    """(heading, sentence) of the data notice, from malstyring.provenance (the text the pages show)."""
    sys.path.insert(0, str(ROOT / "lib"))
    try:
        from malstyring.provenance import describe, is_synthetic
    finally:
        sys.path.pop(0)
    data = executed_data_dir()
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


def package_version() -> str:
    sys.path.insert(0, str(ROOT / "lib"))
    try:
        from malstyring import __version__
    finally:
        sys.path.pop(0)
    return __version__


def title_page(title: str) -> str:
    heading, notice = data_notice_text()
    version = f"malstyring {package_version()}, commit {git_commit()}"
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
    config.version = package_version()
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


def hide_parameter_cells(app, doctree) -> None:
    for node in list(doctree.findall(nodes.container)):
        if HIDDEN_CELL_TAGS & set(node.get("classes", [])):
            node.parent.remove(node)


def percent_no_break(app, doctree, docname) -> None:
    """'95 %' with a no-break space in every text node outside code and maths (glued numbers already have it)."""
    for node in list(doctree.findall(nodes.Text)):
        if NUMBER_SPACE_PERCENT.search(node) and not any(isinstance(a, NOT_PROSE) for a in _ancestors(node)):
            node.parent.replace(node, nodes.Text(NUMBER_SPACE_PERCENT.sub("\\1\u00a0%", str(node))))


def mark_glued_sentences(app, doctree, docname) -> None:
    """Add the class ``pasted-sentence`` to glued texts longer than SENTENCE_WORDS words."""
    for node in doctree.findall(nodes.inline):
        if "pasted-text" in node.get("classes", []) and len(node.astext().split()) > SENTENCE_WORDS:
            node["classes"].append("pasted-sentence")


def _ancestors(node):
    while node.parent is not None:
        node = node.parent
        yield node


def letter_appendices(app, env) -> list[str]:
    """HTML: appendix pages numbered A, B, ... (the numbers continue from the chapters otherwise)."""
    if app.builder.format != "html":
        return []
    firsts = sorted({nums[""][0] for doc, nums in env.toc_secnumbers.items() if APPENDIX.match(doc) and nums.get("")})
    letter = {n: chr(ord("A") + i) for i, n in enumerate(firsts)}
    changed = []
    for doc, nums in env.toc_secnumbers.items():
        if not (APPENDIX.match(doc) or doc in UNNUMBERED):
            continue
        new = {}
        for anchor, number in nums.items():
            if number and doc not in UNNUMBERED and number[0] in letter:
                number = (letter[number[0]], *number[1:])
            elif doc in UNNUMBERED:
                number = None
            new[anchor] = number
        env.toc_secnumbers[doc] = new
        for ref in env.tocs[doc].findall(nodes.reference):
            if ref.get("secnumber"):
                found = new.get(ref.get("anchorname", ""))
                ref["secnumber"] = list(found) if found else None
        if doc in env.titles and env.titles[doc].get("secnumber"):
            found = new.get("")
            env.titles[doc]["secnumber"] = list(found) if found else None
        for figtype, numbers in env.toc_fignumbers.get(doc, {}).items():  # 'Table 9.1' -> 'Table A.1'
            env.toc_fignumbers[doc][figtype] = {
                key: (letter.get(n[0], n[0]), *n[1:]) if n else n for key, n in numbers.items()
            }
        changed.append(doc)
    return changed


def latex_structure(app, doctree, docname) -> None:
    """LaTeX: a heading for the front page, \\appendix before the first appendix, no empty reference chapter."""
    if app.builder.format != "latex":
        return
    files = list(doctree.findall(lambda n: n.tagname == "start_of_file"))
    first_appendix = next((f for f in files if APPENDIX.match(f.get("docname", ""))), None)
    if first_appendix is not None:
        first_appendix.parent.insert(
            first_appendix.parent.index(first_appendix), nodes.raw("", "\\appendix\n", format="latex")
        )
    for f in files:
        if f.get("docname") in UNNUMBERED:
            f.parent.remove(f)
    root = app.config.root_doc
    for section in doctree.findall(nodes.section):
        if section.get("docname") == root:
            heading = "About this book"
            section.insert(
                0,
                nodes.raw(
                    "",
                    f"\\chapter*{{{heading}}}\\addcontentsline{{toc}}{{chapter}}{{{heading}}}"
                    f"\\markboth{{{heading}}}{{{heading}}}\n",
                    format="latex",
                ),
            )
            break


def pdf_link(app, doctree, docname) -> None:
    """HTML: a download link on the front page when book/_build/latex/book.pdf exists (copied at build end)."""
    if app.builder.format != "html" or docname != app.config.root_doc or not _built_pdf(app).exists():
        return
    depth = docname.count("/")
    para = nodes.paragraph()
    para += nodes.reference("", "Download this book as PDF", refuri="../" * depth + PDF_NAME)
    para["classes"].append("pdf-download")
    sections = list(doctree.findall(nodes.section))
    if sections:
        title_index = next((i for i, c in enumerate(sections[0].children) if isinstance(c, nodes.title)), -1)
        sections[0].insert(title_index + 1, para)


def _built_pdf(app) -> Path:
    return Path(app.outdir).parent / "latex" / PDF_NAME


def copy_pdf(app, exception) -> None:
    if exception is None and app.builder.format == "html" and _built_pdf(app).exists():
        shutil.copy2(_built_pdf(app), Path(app.outdir) / PDF_NAME)


def drop_thebe(app, pagename, templatename, context, doctree) -> None:
    """HTML: no Thebe on the pages. The book has no launch buttons, yet Jupyter Book 1 adds Thebe's loader twice
    (a console error: 'THEBE_JS_URL has already been declared') and it names a CDN."""
    for key in ("script_files", "css_files"):
        files = context.get(key)
        if files is None:
            continue
        kept = [f for f in files if "thebe" not in str(getattr(f, "filename", f) or "") + str(_body(f))]
        files[:] = kept


def _body(asset) -> str:
    return str(getattr(asset, "attributes", {}).get("body", "")) if hasattr(asset, "attributes") else ""


def setup(app):
    app.connect("config-inited", config_inited)
    app.connect("builder-inited", latex_setup, priority=900)
    app.connect("doctree-read", hide_parameter_cells)
    app.connect("env-get-updated", letter_appendices, priority=900)
    app.connect("doctree-resolved", latex_structure)
    app.connect("doctree-resolved", pdf_link)
    app.connect("doctree-resolved", percent_no_break)
    app.connect("doctree-resolved", mark_glued_sentences)
    app.connect("build-finished", copy_pdf)
    app.connect("html-page-context", drop_thebe)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
