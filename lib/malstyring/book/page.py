"""What a chapter's one computing call returns: the data notice and the tables the page shows.

A chapter notebook is narrative. Its code is a parameters cell, one call to its module in
:mod:`malstyring.book.chapters` (which checks the parameters, computes everything the chapter says, and glues the
values and figures that its text cites), and one short cell per table or notice that the page shows where the text
needs it::

    page = chapter.build(data_dir=data_dir, lead=lead)   # glues every value and figure
    page.notice                                          # the data notice (a cell tagged remove-input)
    page.table("tbl-model-1-3")                          # a numbered table, where the text refers to it
    page.note("convergence-m1-3")                        # a short note under it

Tables are returned rather than glued because a numbered MyST ``{table}`` must be part of the page's own
document for Sphinx to number it by chapter and to typeset it as a ``longtable`` in the PDF.
"""

from dataclasses import dataclass, field

from .tables import Markdown


@dataclass
class Page:
    """The displayed outputs of one chapter: its data notice (None on pages that show no data), its tables by
    label (``tbl-...``) and short notes by label."""

    notice: object = None
    tables: dict[str, Markdown] = field(default_factory=dict)

    notes: dict[str, Markdown] = field(default_factory=dict)
    """Short notes shown under a table or figure (e.g. a convergence note), by label."""

    def table(self, label: str) -> Markdown:
        """The table ``label``; a label the chapter does not produce is an error, so a typo in a notebook does not
        silently hide a table."""
        if label not in self.tables:
            raise KeyError(f"this chapter has no table {label!r}; it has {sorted(self.tables)}")
        return self.tables[label]

    def note(self, label: str) -> Markdown:
        """The note ``label``."""
        if label not in self.notes:
            raise KeyError(f"this chapter has no note {label!r}; it has {sorted(self.notes)}")
        return self.notes[label]


def glue_values(values: dict[str, object]) -> None:
    """Glue each value under its name, in order, for the chapter's text to cite (``{glue:text}`name```); nothing is
    displayed where the glue happens. One call for a group of values that belong together."""
    from myst_nb import glue  # here, not at the top: only a running chapter glues

    for name, value in values.items():
        glue(name, value, display=False)
