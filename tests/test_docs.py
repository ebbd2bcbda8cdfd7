"""Generated documentation stays in step with its single source."""

import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _load(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_data_readme_is_generated_from_the_codebook():
    expected = _load("write_data_readme").render()
    assert (ROOT / "data" / "README.md").read_text(encoding="utf-8") == expected, "run `make data-readme`"


def test_environment_yml_is_generated_from_the_lock():
    expected = _load("write_environment_yml").render()
    assert (ROOT / "environment.yml").read_text(encoding="utf-8") == expected, "run `make env-yml`"


def test_readme_lists_every_table_and_figure_of_the_book():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    labels = set()
    sources = [*(ROOT / "notebooks").glob("[0-9][0-9]_*.md"), *(ROOT / "lib/malstyring/book/chapters").glob("*.py")]
    for source in sources:
        text = source.read_text(encoding="utf-8")
        labels |= set(re.findall(r'"(tbl-[\w-]+)"', text)) | set(re.findall(r":name: (fig-[\w-]+)", text))
    assert len(labels) >= 15
    missing = sorted(label for label in labels if f"`{label}`" not in readme)
    assert not missing, f"README's list of tables and figures lacks {missing}"


def test_readme_lists_every_chapter_parameter_with_its_chapters():
    # the README's table of parameters names each parameter of a parameters cell and exactly the chapters that have it
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Re-executing a chapter") : readme.index("## Running the book")]
    listed = {}
    for names, chapters in re.findall(r"^\| (`[^|]+`) \| ([^|]+) \|", section, re.M):
        for name in re.findall(r"`(\w+)`", names):
            listed[name] = chapters.strip()
    declared: dict[str, list[str]] = {}
    for md in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.md")):
        cell = re.search(
            r"```\{code-cell\}[^\n]*\n:tags: \[parameters[^\n]*\n(.*?)```", md.read_text(encoding="utf-8"), re.S
        )
        for name in re.findall(r"^(\w+) =", cell.group(1), re.M):
            declared.setdefault(name, []).append(md.name[:2])
    assert len(declared) >= 10
    expected = {
        name: "all" if len(ch) == len(list((ROOT / "notebooks").glob("[0-9][0-9]_*.md"))) else ", ".join(ch)
        for name, ch in declared.items()
    }
    assert listed == expected
