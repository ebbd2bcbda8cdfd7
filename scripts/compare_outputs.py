"""Compare what two sets of executed chapters glue and show, ignoring pictures and cell layout: a refactor of the
chapters keeps their outputs when every glued value (text, numbers, tables, figure data) and every displayed output
is equal. Pictures are left out – any representation whose MIME type names an image or a PDF, including glued
ones (``application/papermill.record/image/svg+xml``): their bytes differ between machines, and each figure glues its
data beside it – and so are stream outputs (progress bars print their rate). This is a tool for refactors on one
machine; the test of the stored notebooks (``tests/test_notebook_outputs.py``) applies nbval's sanitisers.

    python scripts/compare_outputs.py OLD_DIR NEW_DIR     # e.g. a copy of notebooks/ from before, and notebooks/

Prints one line per chapter and exits 1 when any chapter differs.
"""

import json
import sys
from pathlib import Path

SKIPPED_TAGS = {"parameters", "injected-parameters"}
PICTURE_TYPES = ("image/", "application/pdf")


def _is_picture(mime: str) -> bool:
    return any(kind in mime for kind in PICTURE_TYPES)


def outputs(path: Path) -> tuple[dict, list]:
    """(glued values by name, displayed outputs in order) of an executed notebook, images left out."""
    glued, shown = {}, []
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] != "code" or SKIPPED_TAGS & set(cell["metadata"].get("tags", [])):
            continue
        for out in cell.get("outputs", []):
            data = {k: v for k, v in out.get("data", {}).items() if not _is_picture(k)}
            name = out.get("metadata", {}).get("scrapbook", {}).get("name")
            if name:
                glued[name] = data
            elif data:
                shown.append(data)
    return glued, shown


def main(old_dir: Path, new_dir: Path) -> int:
    differing = 0
    olds = sorted(old_dir.glob("[0-9][0-9]_*.ipynb"))
    if not olds:
        print(f"error: no executed chapters (NN_*.ipynb) in {old_dir}", file=sys.stderr)
        return 2
    for old in olds:
        if not (new_dir / old.name).is_file():
            differing += 1
            print(f"{old.stem}: missing in {new_dir}")
            continue
        (old_glued, old_shown), (new_glued, new_shown) = outputs(old), outputs(new_dir / old.name)
        keys = sorted(k for k in old_glued.keys() | new_glued.keys() if old_glued.get(k) != new_glued.get(k))
        if keys or old_shown != new_shown:
            differing += 1
            shown = "differ" if old_shown != new_shown else "are equal"
            print(f"{old.stem}: {len(keys)} glued value(s) differ {keys[:8]}; displayed outputs {shown}")
        else:
            print(f"{old.stem}: {len(old_glued)} glued values and {len(old_shown)} displayed outputs equal")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
