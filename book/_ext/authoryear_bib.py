"""Author–year bibliography for sphinxcontrib-bibtex (loaded from ``_config.yml``, local_extensions).

sphinxcontrib-bibtex's ``author_year`` referencing style only changes the citations in the text; the reference
list keeps the labels of the pybtex formatting style, which for ``plain`` are numbers ([1], [2], ...), in HTML and
in the PDF alike. This extension registers

* ``authoryear`` (pybtex formatting style, ``bibtex_default_style``): the ``plain`` entry layout (an article's
  volume shown even without pages) with labels
  "Roaldsnes 2018a", "Kaplan and Norton 2000", "Markussen et al. 2015", sorted by author (braces of corporate
  authors ignored), year and title, and "et al." in the list for an author list that ends in ``and others``;
* ``author_year_etal`` (sphinxcontrib-bibtex referencing style, ``bibtex_reference_style``): sphinxcontrib-bibtex's
  ``author_year`` with "et al." also for an author list that ends in ``and others`` (one known author and
  unknown co-authors), which ``author_year`` would print as "Raaum and others", and with round brackets and
  semicolons between works, "(Raaum et al., 2002; Røed et al., 2012)", where ``author_year`` prints
  "[Raaum et al., 2002, Røed et al., 2012]".
"""

import dataclasses

from pybtex.plugin import register_plugin as register_pybtex_plugin
from pybtex.richtext import Text
from pybtex.style.formatting import toplevel
from pybtex.style.formatting.unsrt import Style as UnsrtStyle
from pybtex.style.formatting.unsrt import date, pages
from pybtex.style.labels import BaseLabelStyle
from pybtex.style.sorting.author_year_title import SortingStyle as AuthorYearTitleSorting
from pybtex.style.template import (
    FieldIsMissing,
    field,
    first_of,
    join,
    node,
    optional,
    optional_field,
    sentence,
    tag,
    words,
)
from sphinxcontrib.bibtex.plugin import register_plugin as register_bibtex_plugin
from sphinxcontrib.bibtex.style.referencing import BracketStyle, PersonStyle
from sphinxcontrib.bibtex.style.referencing.author_year import AuthorYearReferenceStyle
from sphinxcontrib.bibtex.style.template import join as bibtex_join

ET_AL = "et al."


def _is_others(person) -> bool:
    return str(person) == "others"


def _surname(person) -> str:
    """Prefix and last name as plain text ("Østergaard Møller", "NOU 1984: 23"): no braces, no TeX."""
    return " ".join(str(part) for part in person.rich_prelast_names + person.rich_last_names)


def _author_label(persons) -> str:
    known = [person for person in persons if not _is_others(person)]
    if not known:
        return ""
    if len(known) >= 3 or len(known) < len(persons):
        return f"{_surname(known[0])} {ET_AL}"
    return " and ".join(_surname(person) for person in known)


class LabelStyle(BaseLabelStyle):
    """Labels "Author Year": one or two surnames, or the first surname and "et al." (three or more authors, or a
    list that ends in ``and others``); the year field as it stands, so 2018a and 2018b stay apart."""

    def format_labels(self, sorted_entries):
        for entry in sorted_entries:
            persons = entry.persons.get("author") or entry.persons.get("editor") or []
            who = _author_label(persons) or str(entry.fields.get("title", entry.key))
            yield f"{who} {entry.fields.get('year', 'n.d.')}".strip()


class SortingStyle(AuthorYearTitleSorting):
    """Author, year, title, with the braces that protect corporate authors ({{NOU 1984: 23}}) ignored."""

    def person_key(self, person):
        return super().person_key(person).replace("{", "").replace("}", "")


@node
def _list_names(children, data, role, **kwargs):
    """The persons of ``role`` joined as pybtex's ``names`` does, with "et al." for a trailing ``others``."""
    assert not children
    try:
        persons = data["entry"].persons[role]
    except KeyError:
        raise FieldIsMissing(role, data["entry"]) from None
    style = data["style"]
    known = [person for person in persons if not _is_others(person)]
    formatted = [style.format_name(person, style.abbreviate_names) for person in known]
    text = join(**kwargs)[formatted].format_data(data)
    return Text(text, " ", ET_AL) if len(known) < len(persons) else text


class Style(UnsrtStyle):
    default_label_style = "authoryear"
    default_sorting_style = "authoryear"

    def format_names(self, role, as_sentence=True):
        formatted_names = _list_names(role, sep=", ", sep2=" and ", last_sep=", and ")
        return sentence[formatted_names] if as_sentence else formatted_names

    def get_article_template(self, e):
        """plain's article, which drops the volume (issue) when the pages are not known; here it stays."""
        volume = join[field("volume"), optional["(", field("number"), ")"]]
        volume_and_pages = first_of[
            optional[join[volume, ":", pages]],
            optional[volume],
            words["pages", pages],
        ]
        return toplevel[
            self.format_names("author"),
            self.format_title(e, "title"),
            sentence[tag("em")[field("journal")], optional[volume_and_pages], date],
            sentence[optional_field("note")],
            self.format_web_refs(e),
        ]


@node
def _text_names(children, data, role, sep="", sep2=None, last_sep=None, other=None):
    """sphinxcontrib-bibtex's ``names`` (surnames in the text), with "et al." for a trailing ``others``."""
    assert not children
    try:
        persons = data["entry"].persons[role]
    except KeyError:
        raise FieldIsMissing(role, data["entry"]) from None
    person_style = data["style"].person
    known = [person for person in persons if not _is_others(person)]
    formatted = [person_style.style_plugin.format(person, person_style.abbreviate) for person in known]
    if len(known) < len(persons):
        shown = formatted[:1] if other is not None else formatted
        text = bibtex_join(sep=sep, sep2=sep2, last_sep=last_sep)[shown].format_data(data)
        return Text(text, other if other is not None else Text(" ", ET_AL))
    return bibtex_join(sep=sep, sep2=sep2, last_sep=last_sep, other=other)[formatted].format_data(data)


@dataclasses.dataclass
class EtAlPersonStyle(PersonStyle):
    def names(self, role, full):
        return _text_names(
            role=role, sep=self.sep, sep2=self.sep2, last_sep=self.last_sep, other=None if full else self.other
        )

    def author_or_editor_or_title(self, full):
        kwargs = {"sep": self.sep, "sep2": self.sep2, "last_sep": self.last_sep, "other": None if full else self.other}
        return first_of[
            optional[_text_names("author", **kwargs)],
            optional[_text_names("editor", **kwargs)],
            tag("em")[field("title")],
        ]


def _round_brackets():
    return BracketStyle(left="(", right=")", sep="; ")


@dataclasses.dataclass
class AuthorYearEtAlReferenceStyle(AuthorYearReferenceStyle):
    bracket_textual: BracketStyle = dataclasses.field(default_factory=_round_brackets)
    bracket_parenthetical: BracketStyle = dataclasses.field(default_factory=_round_brackets)
    person: PersonStyle = dataclasses.field(default_factory=EtAlPersonStyle)


register_pybtex_plugin("pybtex.style.labels", "authoryear", LabelStyle)
register_pybtex_plugin("pybtex.style.sorting", "authoryear", SortingStyle)
register_pybtex_plugin("pybtex.style.formatting", "authoryear", Style)
register_bibtex_plugin("sphinxcontrib.bibtex.style.referencing", "author_year_etal", AuthorYearEtAlReferenceStyle)


def setup(app):
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
