"""What the HTML pages carry and leave out: no papermill parameter cells, a "Download PDF" link on the front page
when the PDF has been built (copied next to the HTML), and no Thebe loader (it names a CDN)."""

import shutil
from pathlib import Path

from docutils import nodes

HIDDEN_CELL_TAGS = {"tag_parameters", "tag_injected-parameters"}
PDF_NAME = "book.pdf"


def hide_parameter_cells(app, doctree) -> None:
    for node in list(doctree.findall(nodes.container)):
        if HIDDEN_CELL_TAGS & set(node.get("classes", [])):
            node.parent.remove(node)


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
