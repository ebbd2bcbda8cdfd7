"""Appendices lettered A, B, ... in both builders (``\\appendix`` before the first appendix in LaTeX; the section,
figure and table numbers of the appendix pages rewritten to letters in HTML), and one bibliography in the PDF: the
reference page's own (empty in LaTeX, where Sphinx collects every citation at the end) is dropped."""

import re

from docutils import nodes

APPENDIX = re.compile(r"chapters/\d\d_appendix_")
UNNUMBERED = {"references"}


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
