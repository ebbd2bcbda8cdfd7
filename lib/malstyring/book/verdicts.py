"""Verdicts on the article's statements about a pattern across years, decided from the numbers of a data folder.

The article describes its Figure 4 in words: a goal attainment below about 40 % is uncommon, "but becomes more
common in 2015". Whether this build's data show the same pattern depends on the seed (and, on NAV's extract, on
the data), so a chapter glues the sentence these functions return, never a hand-written verdict. Two rules make
the verdict no stronger than its evidence:

* *every year counts*: "more common in the last year" means more common than in **each** earlier year, not only
  than in the first (a comparison of the two end points can show a rise that a year in between contradicts);
* *printed precision*: shares are compared as the reader sees them (``digits`` decimals of a percent), so a
  verdict never rests on a difference the printed numbers do not show.

"Uncommon" is the article's own measure from the sentence before (fewer than a quarter of cases,
:data:`UNCOMMON_BELOW`).
"""

from collections.abc import Mapping
from dataclasses import dataclass

from ..base.number_format import percent, printed_percent
from .words import join_words, k_of_n

UNCOMMON_BELOW = 0.25
"""The article's measure of 'uncommon' in its text to Figure 4: 'færre enn 25 prosent av tilfellene'."""


@dataclass(frozen=True)
class LastYearRise:
    """How a yearly share behaves against the pattern 'uncommon in the earlier years, more common in the last'.

    ``common_before``: earlier years whose share is not uncommon (at least ``uncommon_below``);
    ``as_high_before``: earlier years whose share, at the printed precision, is at least the last year's.
    """

    shares: dict[int, float]
    digits: int
    uncommon_below: float
    common_before: tuple[int, ...]
    as_high_before: tuple[int, ...]

    @property
    def years(self) -> list[int]:
        return sorted(self.shares)

    @property
    def first(self) -> int:
        return self.years[0]

    @property
    def last(self) -> int:
        return self.years[-1]

    @property
    def uncommon_before(self) -> bool:
        """The share is below ``uncommon_below`` in every year before the last."""
        return not self.common_before

    @property
    def rises(self) -> bool:
        """The last year's share is above every earlier year's (at the printed precision)."""
        return not self.as_high_before

    @property
    def holds(self) -> bool:
        return self.uncommon_before and self.rises

    @property
    def end_points_rise(self) -> bool:
        """The last year's share is above the first year's (at the printed precision): the comparison that a
        reader of two years alone would make."""
        return printed_percent(self.shares[self.last], self.digits) > printed_percent(
            self.shares[self.first], self.digits
        )


def last_year_rise(
    shares: Mapping[int, float], digits: int = 1, uncommon_below: float = UNCOMMON_BELOW
) -> LastYearRise:
    """Check the pattern 'uncommon in every earlier year, more common in the last year than in any earlier year'
    on ``shares`` (year -> share 0–1, a dict or a pandas Series by year, at least two years)."""
    shares = {int(year): float(share) for year, share in shares.items()}
    if len(shares) < 2:
        raise ValueError(f"last_year_rise: needs at least two years, got {sorted(shares)}")
    years = sorted(shares)
    last = years[-1]
    earlier = years[:-1]
    last_printed = printed_percent(shares[last], digits)
    return LastYearRise(
        shares=shares,
        digits=digits,
        uncommon_below=uncommon_below,
        common_before=tuple(y for y in earlier if shares[y] >= uncommon_below),
        as_high_before=tuple(y for y in earlier if printed_percent(shares[y], digits) >= last_printed),
    )


def shares_by_year_text(shares: Mapping[int, float], digits: int = 1) -> str:
    """'12.9 % in 2012, 21.5 % in 2013, 14.2 % in 2014 and 20.3 % in 2015' from ``shares`` (year -> share 0–1, a
    dict or a pandas Series by year)."""
    shares = {int(year): float(share) for year, share in shares.items()}
    return join_words([f"{percent(shares[year], digits)} in {year}" for year in sorted(shares)])


def last_year_rise_text(verdict: LastYearRise, subject: str, unit: str = "office-months") -> str:
    """One sentence saying whether ``subject`` (e.g. 'Scores below 40 %') follows the article's pattern –
    uncommon in the earlier years, more common in the last – with the years that break it."""
    last = verdict.last
    uncommon = f"uncommon (under {percent(verdict.uncommon_below)} of {unit}) in every year before {last}"
    common = (
        f"not uncommon in {join_words([str(y) for y in verdict.common_before])} "
        f"({percent(verdict.uncommon_below)} of {unit} or more)"
    )
    rises = f"more common in {last} than in any earlier year"
    flat = f"not more common in {last} than in {join_words([str(y) for y in verdict.as_high_before])}"
    pattern = f"the article's pattern (uncommon before {last}, more common in {last})"
    if verdict.holds:
        return f"{subject} are {uncommon} and {rises}: {pattern} holds here."
    if verdict.uncommon_before:
        text = f"{subject} are {uncommon}, but {flat}: {pattern} is not reproduced here"
        if verdict.end_points_rise:
            text += f", although a comparison of {last} with {verdict.first} alone would suggest it is"
        return text + "."
    if verdict.rises:
        return f"{subject} are {rises}, but {common}: {pattern} is only partly reproduced here."
    return f"{subject} are {common} and {flat}: {pattern} is not reproduced here."


def change_text(shares: Mapping[int, float], digits: int = 0) -> str:
    """How a yearly share (year -> share 0–1) moves from the first year to the last, at the printed precision
    (``digits`` decimals of a percent): 'rises from 55 % in 2012 to 58 % in 2015', 'falls from ...', or 'is 58 % in
    both 2012 and 2015'."""
    shares = {int(year): float(share) for year, share in shares.items()}
    first, last = min(shares), max(shares)
    start, end = percent(shares[first], digits), percent(shares[last], digits)
    if start == end:  # the printed numbers decide: rounding is monotone, so a printed difference has the sign
        return f"is {start} in both {first} and {last}"
    return f"{'rises' if shares[last] > shares[first] else 'falls'} from {start} in {first} to {end} in {last}"


def uncommon_years_text(not_uncommon: list[int], n_years: int, subject: str = "a high score") -> str:
    """'so ``subject`` is uncommon in every year by the article's measure', or the years in which it is not
    (``not_uncommon``, out of ``n_years`` years)."""
    if not not_uncommon:
        return f"so {subject} is uncommon in every year by the article's measure"
    if len(not_uncommon) == n_years:
        return f"so by the article's measure {subject} is not uncommon in any year"
    return f"so by the article's measure {subject} is not uncommon in {join_words([str(y) for y in not_uncommon])}"


def band_verdict(n: int, outside: list[str], noun: str, allows: str = "the article allows", sep: str = ", ") -> str:
    """'all 4 values are in the range the article allows', or '3 of the 4 values are ... (outside it: the mean)':
    ``n`` values set against the ranges the article's statements allow, ``outside`` naming those outside theirs."""
    text = f"{k_of_n(n - len(outside), n, noun)} in the range {allows}"
    return text + (f" (outside it: {sep.join(outside)})" if outside else "")
