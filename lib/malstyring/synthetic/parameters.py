"""The synthetic generator's tuned numbers, read from ``data/reference/generator_parameters.csv``.

Every number the data-generating process was tuned with lives in that one file, each with its unit and its source
or reason: a number the article reports ("Article, ..."), a number chosen to meet one of the calibration targets
("Calibration: ..."), a plain assumption where the article says nothing ("Assumption"), or a technical bound that
keeps a draw inside its range ("Technical: ..."). The generator (:mod:`malstyring.synthetic.generator`) reads them
through :func:`generator_parameters` and keeps no tuned literal of its own (``tests/test_generator_parameters.py``
checks both directions); the book's appendix on the synthetic data prints the file as a table.

Columns of the file: ``name`` (the generator's name for the number), ``key`` (empty, or the member of a family of
numbers: an indicator code, a year, a user group, a coefficient), ``block`` (the part of the design it belongs to),
``label`` (the name in words), ``value`` (a plain decimal number; without a decimal point it is read as a whole
number), ``unit`` (one of :data:`UNITS`) and ``source_or_reason``. Values are parsed with Python's ``int``/``float``
(correctly rounded), so a value in the file is exactly the literal it replaced and the generated data stay
byte-identical.
"""

import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType

import pandas as pd

from ..data.paths import REFERENCE_DIR

PARAMETER_FILE = REFERENCE_DIR / "generator_parameters.csv"
COLUMNS = ("name", "key", "block", "label", "value", "unit", "source_or_reason")
BLOCKS = ("offices", "scorecard", "journal", "users", "staff", "areas", "outcome")
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
"""A value as the file writes it: a plain decimal number, no exponent, no thousands separator."""


@dataclass(frozen=True)
class Unit:
    """The range a value in this unit must lie in (closed), and whether it must be a whole number."""

    low: float = -math.inf
    high: float = math.inf
    whole: bool = False


_SHARE = Unit(0, 1)
_SPREAD = Unit(0)
UNITS = {
    "share 0–1": _SHARE,
    "probability 0–1": _SHARE,
    "loading 0–1": _SHARE,
    "correlation": Unit(-1, 1),
    "offices": Unit(1, whole=True),
    "employees": Unit(1, whole=True),
    "regions": Unit(1, whole=True),
    "municipalities": Unit(1, whole=True),
    "users": _SPREAD,
    "exits": _SPREAD,
    "persons": _SPREAD,
    "years": _SPREAD,
    "months": _SPREAD,
    "NOK a year": _SPREAD,
    "vacancies per firm": _SPREAD,
    "factor a year": _SPREAD,
    "beta shape": Unit(0),
    "Dirichlet concentration": Unit(0),
    "elasticity": Unit(),
    "relative": _SPREAD,
    "log employees": Unit(),
    "latent score": Unit(),
    "per user": Unit(),
    "per NOK 100,000": Unit(),
    "per share 0–1": Unit(),
    "sd (share 0–1)": _SPREAD,
    "sd (log scale)": _SPREAD,
    "sd (relative)": _SPREAD,
    "sd (latent score)": _SPREAD,
    "sd (years)": _SPREAD,
    "sd (months)": _SPREAD,
    "sd (NOK a year)": _SPREAD,
    "sd (vacancies per firm)": _SPREAD,
}
"""The units a parameter may have, with the range its value must lie in (a standard deviation is never negative,
a share lies in 0–1, a count of offices is a whole number of at least one)."""


def parse_value(text: str, unit: str) -> int | float:
    """The number ``text`` in ``unit`` (an int when written without a decimal point); ``ValueError`` when it is not
    a plain decimal number, the unit is unknown, or the value lies outside the unit's range."""
    if unit not in UNITS:
        raise ValueError(f"unknown unit {unit!r}; allowed: {sorted(UNITS)}")
    if not NUMBER.match(text):
        raise ValueError(f"{text!r} is not a plain decimal number")
    value = float(text) if "." in text else int(text)
    rule = UNITS[unit]
    if rule.whole and not isinstance(value, int):
        raise ValueError(f"{text!r}: a value in {unit} must be a whole number")
    if not rule.low <= value <= rule.high:
        raise ValueError(f"{text!r} lies outside the range of {unit} ({rule.low} to {rule.high})")
    return value


def _key(text: str) -> str | int:
    return int(text) if text.isdigit() else text


@cache
def parameter_table() -> pd.DataFrame:
    """The file as text columns (values as written), in file order; ``ValueError`` for a malformed file."""
    table = pd.read_csv(PARAMETER_FILE, dtype=str, keep_default_na=False)
    if tuple(table.columns) != COLUMNS:
        raise ValueError(f"{PARAMETER_FILE.name}: columns {list(table.columns)}, expected {list(COLUMNS)}")
    problems = []
    for row in table.itertuples():
        where = f"{row.name}[{row.key}]" if row.key else row.name
        try:
            parse_value(row.value, row.unit)
        except ValueError as e:
            problems.append(f"{where}: {e}")
        if row.block not in BLOCKS:
            problems.append(f"{where}: unknown block {row.block!r}; allowed: {BLOCKS}")
        if not row.label or not row.source_or_reason:
            problems.append(f"{where}: a parameter needs a label and a source or reason")
    if table.duplicated(["name", "key"]).any():
        problems.append(f"duplicated: {table.loc[table.duplicated(['name', 'key']), 'name'].tolist()}")
    keyed = table.groupby("name", sort=False)["key"].agg(lambda k: set(k == ""))
    problems += [f"{name}: either every row has a key or none" for name, flags in keyed.items() if len(flags) > 1]
    if problems:
        raise ValueError(f"{PARAMETER_FILE.name}: " + "; ".join(problems))
    return table


class GeneratorParameters(Mapping):
    """The parameters by name, read-only, also as attributes (``P.sd_county``). A keyed family is a read-only
    mapping from key to value in file order (``P.year_shift[2015]``; a key of digits is an int)."""

    __slots__ = ("_values",)

    def __init__(self, values: Mapping):
        object.__setattr__(self, "_values", MappingProxyType(dict(values)))

    def __getattr__(self, name: str):
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(f"no generator parameter {name!r} in {PARAMETER_FILE.name}") from None

    def __setattr__(self, name, value):
        raise AttributeError("the generator's parameters are read-only; change them in the CSV file")

    def __getitem__(self, name: str):
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


@cache
def generator_parameters() -> GeneratorParameters:
    """Every tuned number of the generator, parsed (see the module docstring)."""
    values: dict = {}
    for row in parameter_table().itertuples():
        value = parse_value(row.value, row.unit)
        if row.key:
            values.setdefault(row.name, {})[_key(row.key)] = value
        else:
            values[row.name] = value
    return GeneratorParameters({k: MappingProxyType(v) if isinstance(v, dict) else v for k, v in values.items()})
