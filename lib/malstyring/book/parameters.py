"""The chapters' parameters: checked where a chapter starts, with one clear message naming the bad parameter and
what is allowed (:func:`check_parameters`), and read back from an executed chapter (:func:`executed_parameters`,
the one reader of them: the post-build checks and the book's Sphinx extension use it).

The check is a table (:data:`PARAMETER_RULES`): the operationalisation's choices are checked by the same rules as
:class:`malstyring.analysis.operationalise.FrameOptions` (:data:`~malstyring.analysis.operationalise.FRAME_RULES`);
the other parameters have their rule here, built from the same value tests (``whole_from``, ``number_from``).
"""

import ast
import json
from pathlib import Path

from ..analysis.operationalise import FRAME_RULES, number_from, whole_from
from ..data.paths import NOTEBOOK_DIR


class ParameterError(ValueError):
    """A chapter parameter has a value that is not allowed."""


PARAMETER_RULES = {
    "data_dir": (lambda v: isinstance(v, str | Path) and Path(v).is_dir(), "the path of an existing data folder"),
    "seed": (whole_from(0), "a whole number >= 0"),
    **FRAME_RULES,
    "n_boot": (whole_from(99, 99999), "a whole number of bootstrap replications from 99 to 99999"),
    "spec_boot": (whole_from(99, 99999), "a whole number of bootstrap replications from 99 to 99999"),
    "n_replications": (whole_from(1, 5000), "a whole number of Monte Carlo panels from 1 to 5000"),
    "mc_index_effect": (number_from(-1, 1), "a true index coefficient between -1 and 1"),
    "n_jobs": (lambda v: whole_from(-1)(v) and v != 0, "a positive number of workers, or -1 for all cores"),
    "min_persons": (whole_from(1, 100), "a whole number of persons from 1 to 100"),
    "scheduler": (
        lambda v: isinstance(v, str) and (not v or "://" in v),
        "'' (local processes) or a Dask scheduler address such as 'tcp://10.0.0.5:8786'",
    ),
}
"""Every chapter parameter -> (test of an allowed value, what is allowed)."""


def check_parameters(**params) -> dict:
    """Check the chapter parameters that are given (see :data:`PARAMETER_RULES`); return them unchanged.

    Raises :class:`ParameterError` naming the first bad parameter and what is allowed, or an unknown parameter."""
    for name, value in params.items():
        if name not in PARAMETER_RULES:
            raise ParameterError(f"unknown parameter '{name}'")
        allowed, allowed_text = PARAMETER_RULES[name]
        if not allowed(value):
            raise ParameterError(f"parameter '{name}' = {value!r} is not allowed; allowed: {allowed_text}")
    return params


def executed_parameters(notebook: str | Path) -> dict:
    """The parameters an executed chapter ran with: the literal assignments of its ``parameters`` cell, overridden
    by those of papermill's ``injected-parameters`` cell. Cells that do not parse and values that are not literals
    are left out."""
    cells = json.loads(Path(notebook).read_text(encoding="utf-8")).get("cells", [])
    found = {}
    for wanted in ("parameters", "injected-parameters"):  # injected values override the defaults
        for cell in cells:
            if cell.get("cell_type") != "code" or wanted not in cell.get("metadata", {}).get("tags", []):
                continue
            source = cell.get("source", "")
            try:
                body = ast.parse(source if isinstance(source, str) else "".join(source)).body
            except SyntaxError:
                continue
            for node in body:
                if not isinstance(node, ast.Assign):
                    continue
                try:
                    value = ast.literal_eval(node.value)
                except ValueError:
                    continue
                found |= {target.id: value for target in node.targets if isinstance(target, ast.Name)}
    return found


def executed_data_dir(notebook: str | Path) -> Path | None:
    """The ``data_dir`` an executed chapter ran with (its injected parameter, else its default), resolved against
    ``notebooks/`` where the chapters run; None when the chapter has no such parameter."""
    value = executed_parameters(notebook).get("data_dir")
    return None if value is None else (NOTEBOOK_DIR / value).resolve()
