"""Chapter 2, background: NAV's scorecard, shown for one office-month of the data (an office drawn with the seed;
with supplied data only among offices large enough for disclosure control)."""

import pandas as pd

from ...analysis.operationalise import PARTIAL_TOLERANCE
from ...analysis.scorecard import office_scorecard
from ...base.number_format import percent
from ...data.loading import load_raw
from ...data.provenance import disclosure_control
from ...data.reference import indicator_catalogue, target_text
from ..disclosure import draw_shown_office_month, size_deciles
from ..figures import glue_figure, plot_scorecard, use_book_style
from ..notices import data_notice
from ..page import Page, glue_values
from ..parameters import check_parameters
from ..words import count

CARD_YEAR = 2014
"""The scorecard shown is drawn from the months of this year."""


def build(data_dir: str, seed: int, min_persons: int) -> Page:
    """Check the parameters, draw an office-month, glue its scorecard figure and the values the text cites."""
    check_parameters(data_dir=data_dir, seed=seed, min_persons=min_persons)
    use_book_style()
    raw = load_raw(data_dir)
    shown_min = min_persons if disclosure_control(data_dir) else None
    office, month = draw_shown_office_month(raw["offices"], raw["office_month"], CARD_YEAR, seed, shown_min)
    card = office_scorecard(raw["indicator_values"], office, month)
    view = pd.DataFrame(
        {
            "indicator": card["indicator"].map(indicator_catalogue()["name_en"]).str.slice(0, 70),
            "target": card["indicator"].map(target_text),
            "value": [percent(v, 1) for v in card["value"]],
            "status": card["status"].to_numpy(),
        }
    )
    decile = size_deciles(raw["office_month"]).loc[office]
    glue_figure(
        "fig-scorecard",
        plot_scorecard(view, f"Scorecard, {month}: an office in size decile {decile} (anonymised)"),
        view,
    )
    glue_values(
        {
            "card_month": month,
            "card_n": count(len(view), "indicator"),
            "card_green": f"{int((card['status'] == 'green').sum())} of its {count(len(view), 'target')}",
            "card_index": percent(card["strict"].to_numpy().mean()),
            "yellow_pct": percent(PARTIAL_TOLERANCE),
        }
    )
    return Page(notice=data_notice(data_dir))
