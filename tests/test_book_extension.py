"""The book's Sphinx extension (book/_ext/book_quality, its typography) on hand-built document trees."""

from book_quality import typography
from docutils import nodes


def test_percent_gets_a_no_break_space_in_prose_but_not_in_code_or_maths():
    section = nodes.section()
    para = nodes.paragraph()
    para += nodes.Text("intervals covered 95 % and 4 % of draws; 5 per cent stays")
    code = nodes.literal()
    code += nodes.Text("x = 5 %")
    para += code
    section += para
    block = nodes.literal_block()
    block += nodes.Text("print('50 %')")
    section += block
    section += nodes.math_block("", "10 %")

    typography.percent_no_break(None, section, "chapter")

    assert para.children[0].astext() == "intervals covered 95\u00a0% and 4\u00a0% of draws; 5 per cent stays"
    assert code.astext() == "x = 5 %"
    assert block.astext() == "print('50 %')"
    assert section.children[-1].astext() == "10 %"


def test_long_glued_texts_are_marked_as_sentences_short_ones_stay_numbers():
    para = nodes.paragraph()
    number = nodes.inline("", "−0.026*", classes=["pasted-text"])
    verdict = nodes.inline("", "negative and significant at the 5 % level", classes=["pasted-text"])
    sentence = nodes.inline(
        "",
        "In this build, 4 of the 42 Model 3 coefficients are more than 1.96 standard errors away.",
        classes=["pasted-text"],
    )
    para += [number, verdict, sentence]

    typography.mark_glued_sentences(None, para, "chapter")

    assert "pasted-sentence" not in number["classes"]
    assert "pasted-sentence" not in verdict["classes"]
    assert "pasted-sentence" in sentence["classes"]
