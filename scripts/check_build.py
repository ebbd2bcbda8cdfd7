"""Checks on the built HTML book that Sphinx's -W does not cover.

    python scripts/check_build.py book/_build/html [--data DIR]

* every chapter page exists and the front page is there;
* no page shows a raw object repr instead of a table or figure (a pandas Styler, '<Figure size ...>');
* pages whose notebook shows data (calls ``data_notice``) carry the notice;
* disclosure: when the data folder is a supplied extract, no office name from its offices table appears anywhere.
Exits non-zero with one line per problem.
"""

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "lib"))

from malstyring.provenance import is_synthetic  # noqa: E402
from malstyring.validate import read_table  # noqa: E402

BAD_PATTERNS = {
    "pandas Styler repr": re.compile(r"pandas\.io\.formats\.style\.Styler"),
    "figure repr instead of a figure": re.compile(r"&lt;Figure size \d+x\d+ with \d+ Axes&gt;"),
    "Python traceback": re.compile(r"Traceback \(most recent call last\)"),
}
NOTICE = re.compile(r"Synthetic data|Supplied data")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("html_dir")
    parser.add_argument("--data", default=str(ROOT / "data" / "synthetic"))
    args = parser.parse_args()
    html = Path(args.html_dir)
    problems = []
    chapters = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.md"))
    for chapter in chapters:
        page = html / "chapters" / f"{chapter.stem}.html"
        if not page.exists():
            problems.append(f"{page}: chapter page missing")
            continue
        text = page.read_text(encoding="utf-8")
        for label, pattern in BAD_PATTERNS.items():
            if pattern.search(text):
                problems.append(f"{page.name}: {label}")
        shows_estimates = "data_notice(" in chapter.read_text(encoding="utf-8")
        if shows_estimates and not NOTICE.search(text):
            problems.append(f"{page.name}: no data notice")
    if not (html / "index.html").exists():
        problems.append(f"{html / 'index.html'}: missing")
    data = Path(args.data)
    if data.is_dir() and not is_synthetic(data):
        names = [n for n in read_table(next(data.glob("offices.*")), "offices")["office_name"].dropna() if len(n) > 3]
        for page in html.rglob("*.html"):
            text = page.read_text(encoding="utf-8")
            leaked = [n for n in names if n in text]
            if leaked:
                problems.append(f"{page.relative_to(html)}: office name(s) disclosed: {leaked[:5]}")
    for p in problems:
        print(f"check_build: {p}")
    print(f"check_build: {len(chapters)} chapter page(s) checked, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
