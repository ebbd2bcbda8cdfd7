"""Verdicts on the article's year patterns (malstyring.book.verdicts), on hand-made shares."""

import pandas as pd
import pytest

from malstyring.book.verdicts import (
    band_verdict,
    change_text,
    last_year_rise,
    last_year_rise_text,
    shares_by_year_text,
    uncommon_years_text,
)

NBSP = "\u00a0"


def test_the_build_that_prompted_the_rule_does_not_reproduce_the_pattern():
    # the default seed's yearly shares below 40 %: 2015 above 2012, but below 2013
    verdict = last_year_rise({2012: 0.129, 2013: 0.215, 2014: 0.142, 2015: 0.203})
    assert verdict.uncommon_before and not verdict.rises and not verdict.holds
    assert verdict.as_high_before == (2013,)
    assert verdict.end_points_rise
    text = last_year_rise_text(verdict, "Scores below 40 %")
    assert "but not more common in 2015 than in 2013" in text
    assert "is not reproduced here" in text
    assert "a comparison of 2015 with 2012 alone would suggest it is" in text


def test_a_rise_in_the_last_year_over_every_earlier_year_holds():
    verdict = last_year_rise({2012: 0.10, 2013: 0.12, 2014: 0.11, 2015: 0.18})
    assert verdict.holds
    text = last_year_rise_text(verdict, "Scores below 40 %")
    assert text == (
        f"Scores below 40 % are uncommon (under 25{NBSP}% of office-months) in every year before 2015 and more "
        "common in 2015 than in any earlier year: the article's pattern (uncommon before 2015, more common in 2015) "
        "holds here."
    )


def test_equal_at_the_printed_precision_is_not_a_rise():
    verdict = last_year_rise({2012: 0.1004, 2013: 0.1001}, digits=1)
    assert not verdict.rises and verdict.as_high_before == (2012,)
    assert not verdict.end_points_rise
    assert "alone would suggest" not in last_year_rise_text(verdict, "Low scores")
    assert last_year_rise({2012: 0.1004, 2013: 0.1011}, digits=1).rises


def test_a_common_earlier_year_breaks_the_first_half():
    rises = last_year_rise({2012: 0.30, 2013: 0.10, 2014: 0.35})
    assert rises.rises and not rises.uncommon_before and rises.common_before == (2012,)
    assert "only partly reproduced" in last_year_rise_text(rises, "Low scores")
    neither = last_year_rise({2012: 0.30, 2013: 0.10, 2014: 0.20})
    text = last_year_rise_text(neither, "Low scores")
    assert "not uncommon in 2012" in text and "not more common in 2014 than in 2012" in text
    assert text.endswith("is not reproduced here.")


def test_years_are_sorted_and_listed():
    shares = {2015: 0.203, 2012: 0.129, 2014: 0.142, 2013: 0.215}
    assert last_year_rise(shares).last == 2015
    series = pd.Series(shares).sort_values()  # a Series iterates over its values: the years must come from the index
    assert last_year_rise(series) == last_year_rise(shares)
    assert shares_by_year_text(series) == shares_by_year_text(shares)
    assert shares_by_year_text(shares) == (
        f"12.9{NBSP}% in 2012, 21.5{NBSP}% in 2013, 14.2{NBSP}% in 2014 and 20.3{NBSP}% in 2015"
    )


def test_one_year_is_refused():
    with pytest.raises(ValueError, match="at least two years"):
        last_year_rise({2015: 0.2})


def test_change_text_reads_the_printed_numbers():
    assert change_text({2015: 0.55, 2012: 0.58}) == f"falls from 58{NBSP}% in 2012 to 55{NBSP}% in 2015"
    assert change_text(pd.Series({2012: 0.50, 2013: 0.9, 2015: 0.52})) == (
        f"rises from 50{NBSP}% in 2012 to 52{NBSP}% in 2015"
    )
    # 0.5751 and 0.5800 both print as 58 %: no change is claimed
    assert change_text({2012: 0.5751, 2015: 0.58}) == f"is 58{NBSP}% in both 2012 and 2015"
    # 58.5 % prints as 59 % (halves up), so this is a rise although Python's round(58.5) is 58
    assert change_text({2012: 0.58, 2015: 0.585}) == f"rises from 58{NBSP}% in 2012 to 59{NBSP}% in 2015"
    assert change_text({2012: 0.581, 2015: 0.582}, digits=1) == (
        f"rises from 58.1{NBSP}% in 2012 to 58.2{NBSP}% in 2015"
    )


def test_uncommon_years_text_names_the_years():
    assert uncommon_years_text([], 4) == "so a high score is uncommon in every year by the article's measure"
    assert uncommon_years_text([2012, 2013, 2014, 2015], 4) == (
        "so by the article's measure a high score is not uncommon in any year"
    )
    assert uncommon_years_text([2013], 4) == "so by the article's measure a high score is not uncommon in 2013"
    assert uncommon_years_text([2012, 2013, 2015], 4, "a low score") == (
        "so by the article's measure a low score is not uncommon in 2012, 2013 and 2015"
    )


def test_band_verdict_counts_and_names_the_misses():
    assert band_verdict(4, [], "value") == "all 4 values are in the range the article allows"
    assert band_verdict(4, ["the mean", "the share above 90 %"], "value") == (
        "2 of the 4 values are in the range the article allows (outside it: the mean, the share above 90 %)"
    )
    assert band_verdict(3, ["a"], "share", "the article's description allows", "; ") == (
        "2 of the 3 shares are in the range the article's description allows (outside it: a)"
    )


def test_printed_ties_are_compared_as_printed_not_as_round_does():
    # 0.1225 prints as 12.3 % (halves up), but Python's round(12.25, 1) gives 12.2: by round(), 2015's 12.3 %
    # would look higher than 2012's printed 12.3 %
    verdict = last_year_rise({2012: 0.1225, 2013: 0.05, 2014: 0.05, 2015: 0.1230})
    assert shares_by_year_text(verdict.shares, 1).startswith(f"12.3{NBSP}% in 2012")
    assert not verdict.rises and verdict.as_high_before == (2012,) and not verdict.end_points_rise
    text = last_year_rise_text(verdict, "Scores below 40 %")
    assert "not more common in 2015 than in 2012" in text and "more common in 2015 than in any" not in text
