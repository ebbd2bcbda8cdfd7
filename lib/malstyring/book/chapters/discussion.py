"""Chapter 7, the article's discussion: the article's own numbers, and a note on what this build's data are."""

from ...data.provenance import is_synthetic
from ..page import Page, glue_values
from ..parameters import check_parameters
from ..words import published_text


def build(data_dir: str, seed: int) -> Page:
    """Check the parameters, glue the chapter's values and return its (empty) page."""
    check_parameters(data_dir=data_dir, seed=seed)
    glue_values(
        {
            "pub_m3_index": published_text("M3", "index"),
            "estimates_note": (
                "the estimates elsewhere in this book come from synthetic data and neither support nor weaken them."
                if is_synthetic(data_dir)
                else "the results chapters re-estimate its models on the supplied extract, to be read beside the "
                "article's."
            ),
        }
    )
    return Page()
