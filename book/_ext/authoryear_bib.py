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

Both print a work whose author name already holds its year – a numbered public report such as "NOU 1984: 23" –
without the year a second time: "(NOU 1984: 23)", "NOU 2003: 6 (p. 43)" and the label "NOU 1984: 23", where
``author_year`` would print "(NOU 1984: 23, 1984)". Pages go in the citation's post-text, as sphinxcontrib-bibtex
reads it: ``{cite:t}`busch2009{p. 226}``` prints "Busch et al. (2009, p. 226)".
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
from sphinxcontrib.bibtex.style.referencing.basic_author_year import (
    BasicAuthorYearParentheticalReferenceStyle,
    BasicAuthorYearTextualReferenceStyle,
)
from sphinxcontrib.bibtex.style.template import join as bibtex_join
from sphinxcontrib.bibtex.style.template import join2, post_text, pre_text, reference
from sphinxcontrib.bibtex.style.template import year as bibtex_year

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


def _name_holds_year(entry) -> bool:
    """The first author's name already holds the entry's year: a numbered report cited by its number
    ("NOU 1984: 23"), which an author-year citation must not follow with the year again."""
    persons = entry.persons.get("author") or entry.persons.get("editor") or []
    year = str(entry.fields.get("year", "")).strip()
    return bool(persons and year) and year in _surname(persons[0])


class LabelStyle(BaseLabelStyle):
    """Labels "Author Year": one or two surnames, or the first surname and "et al." (three or more authors, or a
    list that ends in ``and others``); the year field as it stands, so 2018a and 2018b stay apart; the name alone
    when it holds the year ("NOU 1984: 23")."""

    def format_labels(self, sorted_entries):
        for entry in sorted_entries:
            persons = entry.persons.get("author") or entry.persons.get("editor") or []
            who = _author_label(persons) or str(entry.fields.get("title", entry.key))
            if _name_holds_year(entry):
                yield who
            else:
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


@node
def _year_unless_in_name(children, data):
    """The year, or nothing when the author's name already holds it ("NOU 1984: 23")."""
    assert not children
    return Text() if _name_holds_year(data["entry"]) else bibtex_year.format_data(data)


@node
def _when_name_holds_year(children, data):
    """The first child for a work whose author name holds the year, the second for any other work."""
    numbered, other = children
    return (numbered if _name_holds_year(data["entry"]) else other).format_data(data)


@node
def _notes_in_brackets(children, data, left="(", right=")", sep=" "):
    """The citation's pre- and post-text in brackets ("(p. 43)"), or nothing when it has neither."""
    assert not children
    info = data["reference_info"]
    notes = [text for text in (info.pre_text, info.post_text) if text]
    return Text(left, sep.join(notes), right) if notes else Text()


@dataclasses.dataclass
class ParentheticalStyle(BasicAuthorYearParentheticalReferenceStyle):
    """ "(Busch et al., 2009, p. 226)"; "(NOU 1984: 23)" without the year again."""

    def inner(self, role_name):
        """sphinxcontrib-bibtex's template with :func:`_year_unless_in_name` for its ``year``."""
        return join2(sep1=self.pre_text_sep, sep2=self.post_text_sep)[
            pre_text,
            reference[
                bibtex_join(sep=self.author_year_sep)[
                    self.person.author_or_editor_or_title(full="s" in role_name),
                    _year_unless_in_name,
                ]
            ],
            post_text,
        ]


@dataclasses.dataclass
class TextualStyle(BasicAuthorYearTextualReferenceStyle):
    """ "Busch et al. (2009, p. 226)"; for a numbered report the linked name and any page: "NOU 2003: 6 (p. 43)"."""

    def inner(self, role_name):
        numbered = bibtex_join(sep=self.text_reference_sep)[
            reference[self.person.author_or_editor_or_title(full="s" in role_name)],
            _notes_in_brackets(left=self.bracket.left, right=self.bracket.right, sep=self.pre_text_sep),
        ]
        return _when_name_holds_year[numbered, super().inner(role_name)]


@dataclasses.dataclass
class AuthorYearEtAlReferenceStyle(AuthorYearReferenceStyle):
    bracket_textual: BracketStyle = dataclasses.field(default_factory=_round_brackets)
    bracket_parenthetical: BracketStyle = dataclasses.field(default_factory=_round_brackets)
    person: PersonStyle = dataclasses.field(default_factory=EtAlPersonStyle)

    def __post_init__(self):
        """sphinxcontrib-bibtex's author-year styles, the parenthetical and textual ones replaced by the two above
        (same settings), so a numbered report is cited without its year twice."""
        super().__post_init__()
        replace = {
            BasicAuthorYearParentheticalReferenceStyle: ParentheticalStyle,
            BasicAuthorYearTextualReferenceStyle: TextualStyle,
        }
        self.styles = [
            replace[type(style)](**{f.name: getattr(style, f.name) for f in dataclasses.fields(style)})
            if type(style) in replace
            else style
            for style in self.styles
        ]
        self.role_style.update((name, style) for style in self.styles for name in style.role_names())


register_pybtex_plugin("pybtex.style.labels", "authoryear", LabelStyle)
register_pybtex_plugin("pybtex.style.sorting", "authoryear", SortingStyle)
register_pybtex_plugin("pybtex.style.formatting", "authoryear", Style)
register_bibtex_plugin("sphinxcontrib.bibtex.style.referencing", "author_year_etal", AuthorYearEtAlReferenceStyle)


def setup(app):
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
