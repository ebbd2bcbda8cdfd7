"""The book's number formats (malstyring.base.number_format) that words are compared against, on cases whose
printed form is known by hand."""

from decimal import Decimal

import pytest

from malstyring.base.number_format import degrees_of_freedom, fmt, percent, percentage_points, printed_percent, signed

MINUS = "\u2212"


@pytest.mark.parametrize(
    ("share", "digits", "printed"),
    [(0.1225, 1, "12.3"), (3 / 24, 0, "13"), (0.1224999, 1, "12.2"), (-0.125, 1, "-12.5"), (0.0, 0, "0")],
)
def test_printed_percent_rounds_halves_up_as_a_reader_does(share, digits, printed):
    # Python's round(12.25, 1) gives 12.2 (half to even, and 0.1225 * 100 is 12.250000000000002 anyway)
    assert printed_percent(share, digits) == Decimal(printed)
    assert percent(share, digits) == f"{printed}\u00a0%".replace("-", MINUS)


def test_two_shares_that_print_alike_compare_equal_as_printed():
    # 12.25 % and 12.3 % both print as 12.3 %: words about "higher" must follow the printed numbers
    assert printed_percent(0.1225, 1) == printed_percent(0.123, 1)
    assert 0.1225 < 0.123


def test_percentage_points_signed_and_degrees_of_freedom():
    assert percentage_points(0.0234) == "2.3"
    assert percentage_points(-0.0234, 2) == f"{MINUS}2.34"
    assert signed(0.36, 2) == "+0.36" and signed(-0.05, 3) == f"{MINUS}0.050" and signed(0.0, 2) == "0.00"
    assert degrees_of_freedom(float("inf")) == "∞" and degrees_of_freedom(16.64) == "16.6"
    assert fmt(-2364.26, 1, grouped=True) == f"{MINUS}2,364.3" and fmt(-2364.26, 1) == f"{MINUS}2364.3"
