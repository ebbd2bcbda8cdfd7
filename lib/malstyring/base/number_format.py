"""The book's one way of writing numbers: fixed decimals, percentages, counts, coefficients and p-values in table
cells, each with a typographic minus (U+2212), which never breaks across lines.

Used by every layer that turns a number into text: the sample-flow labels of the operationalisation, the
calibration report, tables, figures, the words of the claims and the provenance notices.
"""

from decimal import ROUND_HALF_UP, Decimal

import numpy as np

MINUS = "\u2212"
"""The typographic minus sign."""


def fmt(x: float, digits: int = 3, grouped: bool = False) -> str:
    """A number with fixed decimals ('' for missing) and a typographic minus, which never breaks across lines;
    ``grouped``: with thousands separators ('−2,364.3', for log likelihoods)."""
    if x is None or not np.isfinite(x):
        return ""
    return f"{x:{',' if grouped else ''}.{digits}f}".replace("-", MINUS)


def printed_percent(share: float, digits: int = 0) -> Decimal:
    """The number of per cent a share 0–1 prints as with ``digits`` decimals: halves are rounded up in size (3/24
    prints as 13, not 12), as a reader rounds. Compare these, not the shares, when words must agree with the
    printed numbers ("higher in 2015 than in 2012")."""
    return Decimal(repr(float(share) * 100)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


def percent(share: float, digits: int = 0) -> str:
    """A share 0–1 as '4 %' (the book's percent style: a no-break space before the sign, true minus), rounded as
    :func:`printed_percent`."""
    return f"{printed_percent(share, digits):.{digits}f}\u00a0%".replace("-", MINUS)


def percentage_points(difference: float, digits: int = 1) -> str:
    """A difference of two shares 0–1 as a number of percentage points, e.g. '2.3' (the caller writes the unit)."""
    return fmt(float(difference) * 100, digits)


def signed(x: float, digits: int = 3) -> str:
    """A number with its sign always written: '+0.36', '−0.050' (true minus)."""
    return ("+" if x > 0 else "") + fmt(x, digits)


def degrees_of_freedom(df: float, digits: int = 1) -> str:
    """Degrees of freedom of a t reference: '16.6', or '∞' for a normal reference."""
    return "∞" if np.isinf(df) else fmt(df, digits)


def integer(n: int) -> str:
    """A count or other whole number: '12,345' (thousands separators, true minus)."""
    if float(n) != int(n):
        raise ValueError(f"integer: {n!r} is not a whole number")
    return f"{int(n):,}".replace("-", MINUS)


def fmt_coef(x: float, digits: int = 3) -> str:
    """An estimate or standard error: ``digits`` decimals, or two significant digits when it would print as
    0.000 (a coefficient on a count is small per unit), so no non-zero value shows as 0.000 or −0.000."""
    if x is None or not np.isfinite(x):
        return ""
    if x != 0 and abs(x) < 0.5 * 10.0**-digits:
        digits = 1 - int(np.floor(np.log10(abs(x))))
    return fmt(x, digits)


def fmt_p(p: float) -> str:
    """A p-value in a table cell: three decimals, or '< 0.001' where it would print as 0.000."""
    if p is None or not np.isfinite(p):
        return ""
    return "<\u00a00.001" if p < 0.0005 else f"{p:.3f}"
