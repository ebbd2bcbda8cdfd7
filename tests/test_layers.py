"""The package's layers, read from its imports with ``ast``: each module imports only from its own layer or the
layers below it, and no module reaches itself through its imports (no cycle). The order is the one the package's
docstring gives (``lib/malstyring/__init__.py``)."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "lib" / "malstyring"
LAYERS = ("base", "data", "synthetic", "analysis", "book", "")
"""From the bottom up; "" is the package's top level (the command line), which may import every layer."""


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """The package modules a file imports, as dotted names (relative imports resolved)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] == "malstyring":
                # `from .x import y` may name a module y inside package x
                for alias in node.names:
                    candidate = f"{target}.{alias.name}"
                    found.add(candidate if candidate in MODULES else target)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "malstyring"}
    return {m for m in found if m in MODULES}


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}
GRAPH = {name: imports_of(path) for name, path in MODULES.items()}


def layer_of(module: str) -> int:
    """The layer's index; the package root (its docstring and ``__version__``, importing nothing) counts as below
    every layer, since Python imports it before any of its modules anyway."""
    parts = module.split(".")
    if module == "malstyring":
        return -1
    return LAYERS.index(parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in LAYERS) else "")


def test_the_package_root_imports_nothing():
    assert not GRAPH["malstyring"]


def test_the_graph_is_read():
    # a module the test knows imports another: a reader that found nothing would pass every check below
    assert "malstyring.data.codebook" in GRAPH["malstyring.analysis.operationalise"]
    assert len(MODULES) >= 25


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_imports_go_down_the_layers(module):
    higher = {m for m in GRAPH[module] if layer_of(m) > layer_of(module)}
    assert not higher, f"{module} (layer {LAYERS[layer_of(module)] or 'top'}) imports from a higher layer: {higher}"


def test_no_import_cycle():
    seen, on_path, cycles = set(), [], []

    def visit(node):
        if node in on_path:
            cycles.append(on_path[on_path.index(node) :] + [node])
            return
        if node in seen:
            return
        seen.add(node)
        on_path.append(node)
        for nxt in sorted(GRAPH[node]):
            visit(nxt)
        on_path.pop()

    for module in sorted(GRAPH):
        visit(module)
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_the_layers_init_modules_re_export_nothing():
    # chapters and scripts import each name from the module that defines it, so one name has one address
    for layer in LAYERS[:-1]:
        tree = ast.parse((PACKAGE / layer / "__init__.py").read_text(encoding="utf-8"))
        assert not [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)], layer
