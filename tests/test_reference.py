"""Reference data: Table 3 counts, the published tables and the model specifications agree with the article."""

import numpy as np
import pytest

from malstyring.analysis.models import MODELS, model_terms
from malstyring.data.reference import active_indicator_counts, indicator_catalogue, published_results, variables

N_PUBLISHED = 19665


def test_active_indicator_counts_match_table_3():
    assert active_indicator_counts() == {2012: 11, 2013: 6, 2014: 7, 2015: 7}


def test_catalogue_lists_excluded_with_reason():
    cat = indicator_catalogue()
    excluded = cat[(cat.filter(like="status_") == "excluded").any(axis=1)]
    assert len(excluded) == 6
    assert excluded["exclusion_reason"].notna().all()
    assert cat.loc["placements", "exclusion_reason"] == "no comparable target"


@pytest.mark.parametrize(("model", "k"), [("M1", 5), ("M2", 23), ("M3", 46), ("M4", 7), ("M5", 25), ("M6", 48)])
def test_parameter_counts(model, k):
    # fixed effects (terms + intercept) + three variance parameters
    assert len(model_terms(model)) + 1 + 3 == k


@pytest.mark.parametrize(("model", "k"), [("M1", 5), ("M2", 23), ("M3", 46), ("M5", 25), ("M6", 48)])
def test_published_fit_statistics_imply_the_parameter_counts(model, k):
    pub = published_results()
    stat = pub[pub["model"] == model].set_index("variable")["value"]
    implied_from_aic = (stat["aic"] + 2 * stat["loglik"]) / 2
    implied_from_bic = (stat["bic"] + 2 * stat["loglik"]) / np.log(N_PUBLISHED)
    assert abs(implied_from_aic - k) <= 1  # printed values are rounded to whole numbers
    assert abs(implied_from_bic - k) < 0.2


def test_published_variables_are_model_terms():
    pub = published_results()
    for model in MODELS:
        coefs = set(pub[(pub["model"] == model)]["variable"]) - {"n_obs", "n_groups", "aic", "bic", "loglik"}
        assert coefs <= set(model_terms(model)) | {"Intercept"}, model
    assert len(pub[pub["model"] == "M3"]) == 43 + 5


def test_variable_labels_complete():
    v = variables()
    assert v["variable"].is_unique
    assert (v["label_no"] != "").all() and (v["label_en"] != "").all()


def test_the_glossary_is_read_in_order_and_bad_rows_are_refused(tmp_path, monkeypatch):
    from malstyring.data import reference

    terms = reference.glossary()
    assert terms.iloc[0]["term"] == "Arbeids- og velferdsetaten (NAV)"
    assert set(terms["kind"]) == set(reference.GLOSSARY_KINDS) and len(terms) >= 50
    (tmp_path / "glossary.csv").write_text(
        "kind,term,meaning\nnorwegian,målekort,scorecard\nswedish,mål,goal\n", encoding="utf-8"
    )
    monkeypatch.setattr(reference, "REFERENCE_DIR", tmp_path)
    reference.glossary.cache_clear()
    try:
        with pytest.raises(ValueError, match="bad rows"):
            reference.glossary()
    finally:
        reference.glossary.cache_clear()
