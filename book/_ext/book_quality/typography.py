"""The book's percent style in typed prose as in glued numbers (a no-break space before the percent sign, outside
code and maths), and glued sentences set in the normal weight (class ``pasted-sentence``) while glued numbers
and short phrases stay bold."""

import re

from docutils import nodes

NUMBER_SPACE_PERCENT = re.compile(r"(\d) %")
SENTENCE_WORDS = 12
"""A glued text of more words than this is a sentence, not a number or phrase."""
NOT_PROSE = (nodes.literal, nodes.literal_block, nodes.math, nodes.math_block, nodes.raw)


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
