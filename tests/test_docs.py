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
