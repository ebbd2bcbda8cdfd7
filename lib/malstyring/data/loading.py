"""Loading a data folder for the analysis: read and validate it (:func:`malstyring.data.validate.validate_dir`),
stop on any contract error, and hand the six tables on as :class:`RawData`, the one input of everything above the
data layer.
"""

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import codebook as cb
from .reading import Problem
from .validate import validate_dir


class DataContractError(ValueError):
    """Raised when a data folder breaks the contract; the message lists every error."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"the data folder breaks the data contract ({len(problems)} problem(s)):\n{lines}")


@dataclass
class RawData:
    """The six contract tables of one data folder, plus the warnings found while validating them."""

    tables: dict[str, pd.DataFrame]
    warnings: list[Problem] = field(default_factory=list)
    source: Path | None = None

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]


def load_raw(data_dir: str | Path) -> RawData:
    """Read and validate a data folder; raise :class:`DataContractError` listing every error.

    Warnings do not stop the load; they are returned in ``RawData.warnings`` for the sample-flow table.
    """
    problems, tables = validate_dir(data_dir)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise DataContractError(errors)
    for name in ("office_month", "indicator_values"):
        tables[name] = tables[name].sort_values(cb.key_columns(name), kind="stable").reset_index(drop=True)
    warnings = [p for p in problems if p.severity == "warning"]
    return RawData(tables=tables, warnings=warnings, source=Path(data_dir))
