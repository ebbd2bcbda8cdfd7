"""Index, attainment and the other operationalisations, computed by hand on tiny frames."""

import numpy as np
import pandas as pd
import pytest

from malstyring.analysis.operationalise import (
    FrameOptions,
    attainment_points,
    attainment_shares,
    build_frame,
    goal_attainment_index,
    is_number,
    is_whole,
    number_from,
    panel_extent,
    programme_dummies,
    size_quintiles,
    whole_from,
)
from malstyring.data.codebook import PROGRAMMES
from malstyring.data.loading import RawData
from malstyring.data.panel import month_number, year_of
from malstyring.data.reference import included_indicators


def _values(rows):
    return pd.DataFrame(rows, columns=["office_id", "month", "indicator", "value"])


def test_attainment_directions_strict_and_partial():
    vals = _values(
        [
            (1, "2013-01", "contact_48h", 0.85),  # at least 0.85: met exactly at target
            (1, "2013-01", "employer_assistance", 0.19),  # at least 0.20: missed, but within 10 %
            (1, "2013-01", "sick_leave", 0.070),  # at most 0.068: missed, within 10 %
            (1, "2013-01", "market_share", 0.10),  # at least 0.40: far off
        ]
    )
    assert attainment_points(vals, "strict").tolist() == [1.0, 0.0, 0.0, 0.0]
    assert attainment_points(vals, "partial").tolist() == [1.0, 0.5, 0.5, 0.0]


def test_relative_target_compares_with_same_month_last_year():
    vals = _values(
        [
            (1, "2013-03", "graded_sick_leave_12w", 0.30),
            (1, "2014-03", "graded_sick_leave_12w", 0.31),  # up on last year: met
            (2, "2013-03", "graded_sick_leave_12w", 0.30),
            (2, "2014-03", "graded_sick_leave_12w", 0.29),  # down: missed
            (3, "2014-03", "graded_sick_leave_12w", 0.50),  # no value a year earlier: not evaluable
        ]
    )
    points = attainment_points(vals)
    assert points.iloc[[1, 3]].tolist() == [1.0, 0.0]
    assert np.isnan(points.iloc[4])


def test_index_counts_only_the_years_included_indicators():
    year = 2013
    codes = included_indicators(year)
    assert len(codes) == 6
    # office 1 meets every 2013 target; office 2 meets two of six; an indicator not on the 2013 card is ignored
    rows = []
    for code in codes:
        rows.append((1, "2013-05", code, 0.999 if code != "sick_leave" else 0.01))
    met_two = {"contact_48h": 0.90, "employer_assistance": 0.25}
    for code in codes:
        value = met_two.get(code, 0.0 if code != "sick_leave" else 0.5)
        rows.append((2, "2013-05", code, value))
    rows.append((2, "2013-05", "journal_24h", 0.99))  # only on the 2012 card
    idx = goal_attainment_index(_values(rows)).set_index("office_id")
    assert idx.loc[1, "index"] == 1.0
    assert idx.loc[2, "index"] == pytest.approx(2 / 6)
    assert idx.loc[2, "n_included"] == 6 and idx.loc[2, "n_missing"] == 0


def test_index_leaves_missing_indicator_out_of_the_denominator():
    codes = included_indicators(2015)
    rows = [(1, "2015-02", c, 0.999) for c in codes[:-1] if c != "graded_sick_leave_12w"]
    idx = goal_attainment_index(_values(rows)).iloc[0]
    assert idx["index"] == 1.0
    assert idx["n_included"] == len(rows) and idx["n_missing"] == len(codes) - len(rows)


def test_programme_dummies_by_hand():
    # four offices, one month; shares of wage subsidy among programme users: 0.1, 0.2, 0.3, 0.4
    om = pd.DataFrame({"office_id": [1, 2, 3, 4], "month": ["2012-01"] * 4, "on_programme": [10, 10, 10, 0]})
    for p in PROGRAMMES:
        om[p] = 0
    om["prog_wage_subsidy"] = [1, 2, 3, 0]
    om["prog_training"] = [9, 8, 7, 0]
    d = programme_dummies(om, percentile=75)
    # wage-subsidy shares 0.1, 0.2, 0.3, 0 (office 4 has nobody on programmes): 75th pct = 0.225 -> only office 3
    assert d["prog_wage_subsidy"].tolist() == [0, 0, 1, 0]
    # training shares 0.9, 0.8, 0.7, 0: 75th pct = 0.825 -> office 1
    assert d["prog_training"].tolist() == [1, 0, 0, 0]
    # percentile 50: wage 0.15 -> offices 2, 3
    assert programme_dummies(om, percentile=50)["prog_wage_subsidy"].tolist() == [0, 1, 1, 0]


def test_size_quintiles_equal_groups_by_mean_staff():
    om = pd.DataFrame(
        {"office_id": np.repeat(np.arange(1, 11), 2), "state_employees": np.repeat(np.arange(10, 0, -1), 2)}
    )
    size = size_quintiles(om)
    assert size.loc[10] == 1 and size.loc[9] == 1 and size.loc[1] == 5 and size.loc[2] == 5
    assert size.value_counts().tolist() == [2] * 5


def test_frame_on_synthetic_panel_has_the_articles_counts(frame_and_flow, raw):
    frame, flow = frame_and_flow
    assert len(raw["office_month"]) == 20102
    assert len(frame) == 19665
    assert flow["remaining"].iloc[-1] == 19665
    assert flow.loc[flow["step"].str.startswith("Outcome month (t+1) after"), "removed"].item() == 437
    assert frame["index"].between(0, 1).all()


def test_no_leakage_across_offices_with_longer_lead(raw):
    frame, flow = build_frame(raw, FrameOptions(lead=3))
    assert len(frame) == 437 * (46 - 3)
    om = raw["office_month"].set_index(["office_id", "month"])
    sample = frame.sample(50, random_state=1)
    for row in sample.itertuples():
        src = om.loc[(row.office_id, row.outcome_month)]
        assert row.exits == src["nae_exits"] and row.exits_to_work == src["nae_exits_to_work"]
        months_apart = (pd.Period(row.outcome_month, "M") - pd.Period(row.month, "M")).n
        assert months_apart == 3


def test_restrictions_are_counted(raw):
    frame, flow = build_frame(raw, FrameOptions(exclude_years=(2012,), drop_smallest=0.2))
    removed = dict(zip(flow["step"], flow["removed"], strict=True))
    assert removed["Years left out: (2012,)"] == 437 * 12
    assert removed["Smallest 20\u00a0% of offices left out"] == round(0.2 * 437) * (46 - 12)
    assert frame["month"].str.startswith("2012").sum() == 0


def test_bad_options_are_rejected():
    with pytest.raises(ValueError, match="lead"):
        FrameOptions(lead=0)
    with pytest.raises(ValueError, match="attainment"):
        FrameOptions(attainment="yellow")
    with pytest.raises(ValueError, match="percentile"):
        FrameOptions(percentile=100)


def test_attainment_shares_by_hand():
    vals = _values(
        [
            (1, "2013-01", "contact_48h", 0.90),  # at least 0.85: met
            (2, "2013-01", "contact_48h", 0.80),  # missed (within 10 %: half a point when partial)
            (3, "2013-01", "contact_48h", 0.85),  # met at the target
            (1, "2013-01", "employer_assistance", 0.10),  # at least 0.20: missed
            (1, "2014-03", "graded_sick_leave_12w", 0.31),  # no value a year earlier: no points, left out
            (1, "2015-03", "graded_sick_leave_12w", 0.35),  # up on 2014: met
        ]
    )
    codes = ["employer_assistance", "contact_48h", "graded_sick_leave_12w"]
    strict = attainment_shares(vals, codes)
    assert strict.index.tolist() == codes
    assert strict.tolist() == pytest.approx([0.0, 2 / 3, 1.0])
    assert attainment_shares(vals, ["contact_48h"], "partial").tolist() == pytest.approx([2.5 / 3])


def test_panel_extent_counts_only_offices_with_office_months():
    offices = pd.DataFrame({"office_id": [1, 2, 3, 4], "county_id": [10, 10, 20, 30]})
    office_month = pd.DataFrame({"office_id": [1, 1, 2, 3, 3, 3], "month": ["2012-01", "2012-02"] * 3})
    extent = panel_extent(RawData(tables={"offices": offices, "office_month": office_month}))
    # office 4 (the only one in county 30) has no office-months
    assert extent == {"offices": 3, "counties": 2, "months": 2, "office_months": 6}


@pytest.mark.parametrize(
    ("value", "whole", "number"),
    [
        (3, True, True),
        (np.int64(3), True, True),
        (3.0, False, True),
        (np.float64(0.5), False, True),
        (True, False, False),
        ("3", False, False),
        (None, False, False),
    ],
)
def test_value_tests_refuse_bools_and_strings(value, whole, number):
    assert is_whole(value) is whole and is_number(value) is number


def test_bounded_value_tests_include_both_ends():
    assert [whole_from(1, 24)(v) for v in (0, 1, 24, 25, 1.0)] == [False, True, True, False, False]
    assert [whole_from(0)(v) for v in (-1, 0, 10**9)] == [False, True, True]
    assert [number_from(-1, 1)(v) for v in (-1.5, -1, 0.25, 1, 2)] == [False, True, True, True, False]


def test_year_of_a_month_or_of_a_series_of_months_and_month_numbers():
    months = pd.Series(["2012-01", "2012-12", "2015-10"])
    assert year_of("2014-05") == 2014 and isinstance(year_of("2014-05"), int)
    assert year_of(months).tolist() == [2012, 2012, 2015]
    assert month_number(months).tolist() == [12 * 2012, 12 * 2012 + 11, 12 * 2015 + 9]
