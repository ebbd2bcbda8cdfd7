"""The vocabulary that turns estimates into words (malstyring.book.words) and the number formats it uses
(malstyring.base.number_format), on hand-made cases."""

import pytest

from malstyring.analysis.inference import SIGNIFICANCE_LEVEL
from malstyring.base import number_format as nf
from malstyring.book import words as r

MINUS = "\u2212"


@pytest.mark.parametrize(
    ("n", "expected"),
    [(0, "0 months"), (1, "1 month"), (3, "3 months"), (12, "12 months"), (1200, "1,200 months")],
)
def test_count(n, expected):
    assert r.count(n, "month") == expected


def test_count_irregular_plural():
    assert r.count(1, "dummy", "dummies") == "1 dummy"
    assert r.count(2, "dummy", "dummies") == "2 dummies"


@pytest.mark.parametrize(
    ("k", "n", "expected"),
    [
        (0, 3, "none of the 3 dummies is"),
        (1, 3, "1 of the 3 dummies is"),
        (2, 3, "2 of the 3 dummies are"),
        (3, 3, "all 3 dummies are"),
        (2, 2, "both dummies are"),
        (1, 1, "the only dummy is"),
        (0, 1, "the only dummy is not"),
        (1, 12, "1 of the 12 dummies is"),
        (1200, 1500, "1,200 of the 1,500 dummies are"),
        (0, 1500, "none of the 1,500 dummies is"),
    ],
)
def test_k_of_n(k, n, expected):
    assert r.k_of_n(k, n, "dummy", "dummies") == expected


def test_k_of_n_rejects_impossible_counts():
    with pytest.raises(ValueError):
        r.k_of_n(4, 3, "dummy", "dummies")


def test_sign_word():
    assert r.sign_word(-0.001) == "negative"
    assert r.sign_word(0.2) == "positive"
    assert r.sign_word(0.0) == "zero"


def test_significance_uses_the_books_level():
    assert SIGNIFICANCE_LEVEL == 0.05
    assert r.is_significant(0.049)
    assert not r.is_significant(0.05)
    assert not r.is_significant(0.3)


@pytest.mark.parametrize(
    ("estimate", "p", "expected"),
    [
        (-0.026, 0.004, "negative and significant at the 1\u00a0% level"),
        (-0.026, 0.03, "negative and significant at the 5\u00a0% level"),
        (0.009, 0.6, "positive but not significant at the 5\u00a0% level"),
        (0.009, 0.05, "positive but not significant at the 5\u00a0% level"),
    ],
)
def test_describe(estimate, p, expected):
    assert r.describe(estimate, p) == expected


def test_number_and_percent_use_true_minus():
    assert nf.fmt(-0.0261) == f"{MINUS}0.026"
    assert nf.fmt(0.5, 1) == "0.5"
    assert nf.percent(0.04) == "4\u00a0%"
    assert nf.percent(-0.125, 1) == f"{MINUS}12.5\u00a0%"
    assert r.level_text() == "5\u00a0%"


@pytest.mark.parametrize("n, expected", [(0, "0"), (437, "437"), (19665, "19,665"), (-1200, "\u22121,200"), (3.0, "3")])
def test_integer(n, expected):
    assert nf.integer(n) == expected


def test_integer_refuses_fractions():
    with pytest.raises(ValueError, match="not a whole number"):
        nf.integer(2.5)


@pytest.mark.parametrize(
    "p, expected",
    [
        (0.0256, "p = 0.026"),
        (0.0005, "p = 0.001"),
        (0.00049, "p < 0.001"),
        (0.0, "p < 0.001"),
        (1.0, "p = 1.000"),
        (0.0096, "p = 0.0096"),
        (0.0504, "p = 0.0504"),
        (0.05, "p = 0.050"),
    ],
)
def test_p_value(p, expected):
    assert r.p_value(p) == expected.replace(" ", "\u00a0")


def test_p_value_refuses_non_probabilities():
    with pytest.raises(ValueError, match="not a probability"):
        r.p_value(1.5)


@pytest.mark.parametrize(
    ("x", "expected"),
    [(-0.026, f"{MINUS}0.026"), (-0.00002, f"{MINUS}0.000020"), (0.000147, "0.00015"), (0.0, "0.000")],
)
def test_coefficients_never_print_as_zero(x, expected):
    from malstyring.base.number_format import fmt_coef

    assert fmt_coef(x) == expected


@pytest.mark.parametrize(
    ("items", "expected"), [([], ""), (["a"], "a"), (["a", "b"], "a and b"), (["a", "b", "c"], "a, b and c")]
)
def test_join_words(items, expected):
    assert r.join_words(items) == expected


def test_compare():
    assert r.compare(0.03, 0.02) == "larger than"
    assert r.compare(-0.03, -0.02) == "smaller than"
    assert r.compare(0.0201, 0.0204) == "the same as"  # equal at the printed precision


@pytest.mark.parametrize(
    ("a", "p_a", "b", "p_b", "same"),
    [
        (-0.03, 0.01, -0.01, 0.04, True),  # both negative, both significant
        (-0.03, 0.01, -0.01, 0.20, False),  # significance differs
        (0.02, 0.30, 0.01, 0.06, True),  # both positive, neither significant
        (0.02, 0.01, -0.02, 0.01, False),  # signs differ
        (0.0, 0.50, 0.01, 0.50, False),  # zero is a sign of its own
        (-0.03, 0.05, -0.03, 0.049, False),  # p = 0.05 is not below the level
    ],
)
def test_same_reading(a, p_a, b, p_b, same):
    assert r.same_reading(a, p_a, b, p_b) is same
    assert r.same_reading(b, p_b, a, p_a) is same


def test_same_reading_at_another_level():
    assert r.same_reading(-0.03, 0.005, -0.02, 0.03, level=0.01) is False
    assert r.same_reading(-0.03, 0.005, -0.02, 0.03) is True


def test_number_words_and_the_monte_carlo_distance():
    assert (r.number_word(0), r.number_word(2), r.number_word(10), r.number_word(12)) == ("zero", "two", "ten", "12")
    assert r.MC_SES == "two Monte Carlo standard errors"  # MC_SE_MULTIPLE = 2


def test_published_values_come_from_the_reference_table():
    assert r.published("M3", "index") == (-0.026, "*")
    assert r.published("M2", "index") == (-0.038, "**")
    assert r.published_text("M1", "index") == f"{MINUS}0.011"
    with pytest.raises(KeyError):
        r.published("M4", "Intercept")  # the article prints no constant for Model 4


@pytest.mark.parametrize(
    ("estimate", "p", "model", "code", "phrase"),
    [
        (-0.03, 0.02, "M3", "=", f"agrees with the article's {MINUS}0.026* in sign and significance"),
        (-0.02, 0.2, "M2", "s", f"has the same sign as the article's {MINUS}0.038** but is not significant, unlike"),
        (-0.02, 0.01, "M1", "s", f"has the same sign as the article's {MINUS}0.011 but is significant, unlike"),
        (0.009, 0.5, "M1", "x", f"has the opposite sign to the article's {MINUS}0.011 (neither is significant)"),
        (0.009, 0.001, "M3", "x", f"has the opposite sign to the article's {MINUS}0.026*"),
    ],
)
def test_agreement_with_the_article(estimate, p, model, code, phrase):
    assert r.agrees(estimate, p, model, "index") == code
    assert r.agreement_phrase(estimate, p, model, "index").startswith(phrase)


def test_agreement_with_a_published_zero_compares_significance_only():
    # the article prints -0.000** for users with reduced work capacity in Model 3: no usable sign
    assert r.agrees(0.00002, 0.001, "M3", "nae_users") == "="
    assert r.agrees(-0.00002, 0.5, "M3", "nae_users") == "s"


def test_significant_count_phrase():
    assert r.significant_count_phrase([0.2, 0.01, 0.7], "dummy", "dummies") == (
        "1 of the 3 dummies is significant at the 5\u00a0% level"
    )
    assert r.significant_count_phrase([0.2, 0.06], "lag").startswith("none of the 2 lags is")
    assert r.significant_count_phrase([0.01, 0.03, 0.049], "dummy", "dummies").startswith("all 3 dummies are")
