"""Checks on the built book that Sphinx's -W does not cover.

    python scripts/check_build.py book/_build/html [--data DIR] [--chapters book/chapters] [--pdf FILE]

* every chapter page exists and the front page is there;
* no page shows a raw object repr instead of a table or figure (a pandas Styler, '<Figure size ...>');
* pages whose notebook shows data (displays ``page.notice``) carry the notice;
* disclosure (:func:`malstyring.book.disclosure.disclosure_problems`): the executed chapters (``--chapters``) were
  all built from one data folder, and when that folder (and ``--data``, when it exists) is not verified synthetic
  data, no office name from it appears in the HTML, its ``_sources``, the executed notebooks or the PDF's text.

Exits non-zero with one line per problem.
"""

import argparse
import re
import sys
from pathlib import Path

from malstyring.book.disclosure import disclosure_problems
from malstyring.data.paths import NOTEBOOK_DIR, REPO_ROOT

BAD_PATTERNS = {
    "pandas Styler repr": re.compile(r"pandas\.io\.formats\.style\.Styler"),
    "figure repr instead of a figure": re.compile(r"&lt;Figure size \d+x\d+ with \d+ Axes&gt;"),
    "Python traceback": re.compile(r"Traceback \(most recent call last\)"),
}
NOTICE = re.compile(r"Synthetic data|Supplied data")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("html_dir")
    parser.add_argument(
        "--data", default=str(REPO_ROOT / "data" / "synthetic"), help="used when no chapter records one"
    )
    parser.add_argument("--chapters", default=str(REPO_ROOT / "book" / "chapters"), help="the executed notebooks")
    parser.add_argument("--pdf", default=str(REPO_ROOT / "book" / "_build" / "latex" / "book.pdf"))
    args = parser.parse_args()
    html_dir = Path(args.html_dir)
    problems = []
    chapters = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.md"))
    for chapter in chapters:
        page = html_dir / "chapters" / f"{chapter.stem}.html"
        if not page.exists():
            problems.append(f"{page}: chapter page missing")
            continue
        text = page.read_text(encoding="utf-8")
        for label, pattern in BAD_PATTERNS.items():
            if pattern.search(text):
                problems.append(f"{page.name}: {label}")
        shows_estimates = "page.notice" in chapter.read_text(encoding="utf-8")
        if shows_estimates and not NOTICE.search(text):
            problems.append(f"{page.name}: no data notice")
    if not (html_dir / "index.html").exists():
        problems.append(f"{html_dir / 'index.html'}: missing")
    problems += disclosure_problems(html_dir, Path(args.chapters), Path(args.pdf), Path(args.data))
    for p in problems:
        print(f"check_build: {p}")
    print(f"check_build: {len(chapters)} chapter page(s) checked, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
