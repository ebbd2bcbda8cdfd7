"""Chapter 1, introduction: the article's headline numbers (as published) and the data notice."""

from ...base.number_format import integer
from ...data.reference import published_results
from ..notices import data_notice
from ..page import Page, glue_values
from ..parameters import check_parameters
from ..words import published_text


def build(data_dir: str) -> Page:
    """Check the parameter, glue the article's index estimates of Models 1–3 and its number of observations."""
    check_parameters(data_dir=data_dir)
    for model in ("M1", "M2", "M3"):
        glue_values({f"pub_{model.lower()}_index": published_text(model, "index")})
    published = published_results()
    glue_values({"pub_n": integer(int(published.loc[published["variable"] == "n_obs", "value"].iloc[0]))})
    return Page(notice=data_notice(data_dir))
