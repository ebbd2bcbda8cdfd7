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

from .numbering import latex_structure, letter_appendices
from .pages import copy_pdf, drop_thebe, hide_parameter_cells, pdf_link
from .title_page import config_inited, latex_setup
from .typography import mark_glued_sentences, percent_no_break


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
