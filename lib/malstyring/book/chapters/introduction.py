"""Chapter 1, introduction: the article's headline numbers (as published) and the data notice."""

from myst_nb import glue

from ...base.number_format import integer
from ...data.reference import published_results
from ..notices import data_notice
from ..page import Page
from ..parameters import check_parameters
from ..words import published_text


def build(data_dir: str) -> Page:
    """Check the parameter, glue the article's index estimates of Models 1–3 and its number of observations."""
    check_parameters(data_dir=data_dir)
    for model in ("M1", "M2", "M3"):
        glue(f"pub_{model.lower()}_index", published_text(model, "index"), display=False)
    published = published_results()
    glue("pub_n", integer(int(published.loc[published["variable"] == "n_obs", "value"].iloc[0])), display=False)
    return Page(notice=data_notice(data_dir))
