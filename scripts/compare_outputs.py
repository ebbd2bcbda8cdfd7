"""Compare what two sets of executed chapters glue and show, ignoring pictures and cell layout: a refactor of the
chapters keeps their outputs when every glued value (text, numbers, tables, figure data) and every displayed output
is equal. Images are left out (their bytes differ between machines; each figure glues its data beside it), and so
are stream outputs (progress bars print their rate).

    python scripts/compare_outputs.py OLD_DIR NEW_DIR     # e.g. a copy of notebooks/ from before, and notebooks/

Prints one line per chapter and exits 1 when any chapter differs.
"""

import json
import sys
from pathlib import Path

SKIPPED_TAGS = {"parameters", "injected-parameters"}


def outputs(path: Path) -> tuple[dict, list]:
    """(glued values by name, displayed outputs in order) of an executed notebook, images left out."""
    glued, shown = {}, []
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] != "code" or SKIPPED_TAGS & set(cell["metadata"].get("tags", [])):
            continue
        for out in cell.get("outputs", []):
            data = {k: v for k, v in out.get("data", {}).items() if not k.startswith("image/")}
            name = out.get("metadata", {}).get("scrapbook", {}).get("name")
            if name:
                glued[name] = data
            elif data:
                shown.append(data)
    return glued, shown


def main(old_dir: Path, new_dir: Path) -> int:
    differing = 0
    for old in sorted(old_dir.glob("[0-9][0-9]_*.ipynb")):
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
