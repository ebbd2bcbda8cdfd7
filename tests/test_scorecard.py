"""An office's scorecard and its traffic lights (malstyring.analysis.scorecard), on a planted office whose values
sit exactly where each status begins and ends (targets from the indicator catalogue; yellow within 10 %)."""

import pandas as pd
import pytest

from malstyring.analysis.scorecard import STATUSES, office_scorecard, status_of
from malstyring.data.reference import included_indicators

# 2014's scorecard: value in the month shown, and the expected status (targets: employer_assistance >= 0.20,
# contact_48h >= 0.85, nae_follow_up_6m >= 0.80, market_share >= 0.40, jobseekers_follow_up_3m >= 0.80,
# sick_leave <= 0.068, graded_sick_leave_12w >= the same month a year earlier)
PLANTED = {
    "employer_assistance": (0.20, "green"),  # exactly at the target
    "contact_48h": (0.80, "yellow"),  # 0.80 >= 0.85 * 0.9 = 0.765
    "nae_follow_up_6m": (0.71, "red"),  # below 0.80 * 0.9 = 0.72
    "market_share": (0.361, "yellow"),  # just within 10 % below 0.40
    "jobseekers_follow_up_3m": (0.95, "green"),
    "sick_leave": (0.0749, "red"),  # an upper target: above 0.068 * 1.1 = 0.0748
    "graded_sick_leave_12w": (0.30, "green"),  # 0.30 >= 0.25 a year earlier
}


def planted_values() -> pd.DataFrame:
    rows = [(7, "2014-05", code, value) for code, (value, _) in PLANTED.items()]
    rows.append((7, "2013-05", "graded_sick_leave_12w", 0.25))  # the relative target's comparison month
    rows.append((8, "2014-05", "contact_48h", 0.99))  # another office: never on office 7's card
    rows.append((7, "2014-06", "contact_48h", 0.10))  # another month: never on the May card
    return pd.DataFrame(rows, columns=["office_id", "month", "indicator", "value"])


def test_the_planted_card_has_each_indicator_of_the_year_with_its_status():
    assert set(PLANTED) == set(included_indicators(2014))
    card = office_scorecard(planted_values(), 7, "2014-05").set_index("indicator")
    assert card["status"].to_dict() == {code: status for code, (_, status) in PLANTED.items()}
    assert card.loc["contact_48h", "value"] == 0.80
    assert card["strict"].sum() == 3  # the three greens


def test_a_relative_target_without_last_year_is_red_and_scores_no_point():
    values = planted_values()
    values = values[values["month"] != "2013-05"]
    card = office_scorecard(values, 7, "2014-05").set_index("indicator")
    assert card.loc["graded_sick_leave_12w", "status"] == "red"
    assert pd.isna(card.loc["graded_sick_leave_12w", "strict"])


@pytest.mark.parametrize(
    ("strict", "partial", "status"), [(1.0, 1.0, "green"), (0.0, 0.5, "yellow"), (0.0, 0.0, "red")]
)
def test_status_of_points(strict, partial, status):
    assert status_of(pd.Series([strict]), pd.Series([partial])).iloc[0] == status
    assert status in STATUSES
