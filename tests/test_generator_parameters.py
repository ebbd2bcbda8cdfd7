"""The generator's tuned numbers live in one file (data/reference/generator_parameters.csv), each with a unit and a
source or reason; the generator uses every one of them and holds no tuned literal of its own."""

import ast
import hashlib
import math

import pytest
from scipy.stats import norm

from malstyring.data.codebook import columns
from malstyring.data.panel import YEARS
from malstyring.data.provenance import GENERATOR_VERSION
from malstyring.data.reference import USER_SHARES, indicator_catalogue
from malstyring.synthetic import generator, parameters
from malstyring.synthetic.generator import OTHER_INDICATORS, P, true_coefficients
from malstyring.synthetic.parameters import UNITS, generator_parameters, parameter_table, parse_value

TREE = ast.parse(open(generator.__file__, encoding="utf-8").read())

UNTUNED = {0, 1, 2, 12, 0.5}
"""Numbers that are not tuned: zero and one, squares and 2π, the months of a year, the midpoint of a quantile."""
ALLOWED_IN = {"_offices": {3}, "_true_covariates": {100_000}}
"""Numbers that are not tuned either, by function: the digits of a synthetic office number, NOK in NOK 100,000."""
MODULE_CONSTANTS = {
    "DEFAULT_SEED": "a default of the command line, not part of the model",
    "PUBLISHED_INDEX_EFFECT": "the article's printed Model 3 coefficient (the default of a command-line option)",
    "COUNTIES": "offices per county: the 2012 municipality counts (a fact of the design, not a tuned number)",
    "PROGRAMME_PERCENTILE": "the article's definition of a programme dummy (Appendix 2)",
    "SIZE_GROUPS": "the article's definition of the size groups (quintiles)",
    "DECIMALS": "the number format of the written files",
    "FIRST_DATA_YEAR": "the first year of the municipality-year table (the data contract)",
}
"""Module-level names that may hold a number literal, and why none of them is a tuned number of the model."""
NUMBERS_OF_VERSION = {"1.2.0": "dc12739fcbffe0f269039df493412c1272588fdb058c6c96fc16ab8f7825dc77"}
"""SHA-256 of the parameter file's names, keys and values (labels and sources may change freely) per generator
version."""


def _numbers(node: ast.AST) -> list[ast.Constant]:
    return [
        n
        for n in ast.walk(node)
        if isinstance(n, ast.Constant) and isinstance(n.value, int | float) and not isinstance(n.value, bool)
    ]


def _body(fn: ast.FunctionDef) -> list[ast.stmt]:
    return fn.body[1:] if ast.get_docstring(fn) else fn.body


def test_the_generator_holds_no_tuned_literal():
    found = []
    for node in TREE.body:
        if isinstance(node, ast.FunctionDef):
            allowed = UNTUNED | ALLOWED_IN.get(node.name, set())
            numbers = [n for statement in _body(node) for n in _numbers(statement)]
            found += [(node.name, n.lineno, n.value) for n in numbers if n.value not in allowed]
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = {t.id for t in targets if isinstance(t, ast.Name)}
            if _numbers(node.value) and not names <= set(MODULE_CONSTANTS):
                found.append((sorted(names), node.lineno, [n.value for n in _numbers(node.value)]))
    assert not found, f"tuned numbers outside generator_parameters.csv: {found}"


def test_every_parameter_in_the_file_is_used_by_the_generator_and_no_other():
    used = {
        n.attr
        for n in ast.walk(TREE)
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "P"
    }
    in_file = set(parameter_table()["name"])
    assert in_file - used == set(), "in the file but not used by the generator"
    assert used - in_file == set(), "used by the generator but not in the file"


def test_values_parse_with_their_units():
    table = parameter_table()
    assert set(table["unit"]) <= set(UNITS)
    for row in table.itertuples():
        value = parse_value(row.value, row.unit)
        rule = UNITS[row.unit]
        assert rule.low <= value <= rule.high, row.name
        assert isinstance(value, int) == ("." not in row.value), row.name
        assert float(row.value) == value  # exactly the literal the file writes


@pytest.mark.parametrize(
    ("text", "unit", "message"),
    [
        ("1.5", "offices", "whole number"),
        ("-0.01", "sd (share 0–1)", "outside the range"),
        ("1.2", "share 0–1", "outside the range"),
        ("1e-3", "share 0–1", "plain decimal"),
        ("200,000", "users", "plain decimal"),
        ("0.1", "percent", "unknown unit"),
    ],
)
def test_a_value_that_does_not_fit_its_unit_is_rejected(text, unit, message):
    with pytest.raises(ValueError, match=message):
        parse_value(text, unit)


def test_a_malformed_file_is_rejected(tmp_path, monkeypatch):
    bad = parameter_table().copy()
    bad.loc[0, "source_or_reason"] = ""
    bad.loc[1, "block"] = "elsewhere"
    bad.loc[2, "value"] = "-1"  # a log-normal sd below zero
    path = tmp_path / "generator_parameters.csv"
    bad.to_csv(path, index=False)
    monkeypatch.setattr(parameters, "PARAMETER_FILE", path)
    with pytest.raises(ValueError) as err:
        parameter_table.__wrapped__()
    for name in bad["name"][:3]:
        assert name in str(err.value)


def test_parameters_are_read_only():
    with pytest.raises(AttributeError, match="read-only"):
        P.sd_county = 1.0
    with pytest.raises(TypeError):
        P.year_shift[2012] = 0.0
    with pytest.raises(AttributeError, match="no generator parameter"):
        _ = P.no_such_parameter
    assert generator_parameters() is P


def test_keyed_families_cover_what_the_generator_draws():
    cat = indicator_catalogue()
    assert list(P.year_shift) == list(YEARS)
    assert list(P.indicator_base_probability) == list(P.indicator_value_sd)
    assert set(P.indicator_base_probability) <= set(cat.index[cat["direction"] == "at_least"])
    assert set(OTHER_INDICATORS) <= set(P.indicator_base_probability)
    demography = set(USER_SHARES.values()) - {"with_activity_plan", "on_programme"}
    assert set(P.demography_mean) == set(P.demography_office_sd) == set(P.demography_month_sd) == demography
    office_month = columns("office_month")["column"].tolist()
    assert list(P.demography_mean) == [c for c in office_month if c in demography]  # drawn in the contract's order
    assert set(P.true_coefficient) <= set(true_coefficients().index)


def test_the_sources_hold():
    """The quantiles the log-normal sizes were chosen for, and the stated national totals, worked out by hand."""
    above = [norm.sf((math.log(k) - P.staff_log_mean) / P.staff_log_sd) for k in (9, 20)]
    assert above == pytest.approx([0.40, 0.20], abs=0.002)
    assert P.year_shift[2015] < P.year_shift[2012]  # the index declines (Figures 3–4)
    assert P.labour_force_per_user * 200_000 == pytest.approx(2.7e6)
    assert P.exit_rate * 12 * 200_000 == pytest.approx(66_000)


def test_a_changed_number_comes_with_a_new_generator_version():
    """Another number gives other data, which the provenance check must not take for this version's: bump
    GENERATOR_VERSION (data/provenance.py) and record the new digest here."""
    numbers = parameter_table()[["name", "key", "value"]].to_csv(index=False, lineterminator="\n")
    assert hashlib.sha256(numbers.encode()).hexdigest() == NUMBERS_OF_VERSION.get(GENERATOR_VERSION)
