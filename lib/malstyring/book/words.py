"""The claims vocabulary: small helpers that turn estimates into the words the chapters glue into their prose.

The vocabulary (sign, significance at the book's level, larger/smaller, agreement with the article, counts) is the
only place where a chapter's sentence about *this build's* estimates is decided: a chapter glues the phrase these
functions return, never a hand-written verdict, so the words stay true on any seed, parameter or data set.
:func:`glue_claim` also glues the estimate and p-value a phrase describes, so a test can check the words against
the numbers in the executed notebook (``tests/test_words.py``). Numbers themselves are written by
:mod:`malstyring.base.number_format`; which offices a page may show is :mod:`malstyring.book.disclosure`'s business.
"""

import numpy as np
import pandas as pd

from ..analysis.inference import ARTICLE_RULE, BOOK_RULE, SIGNIFICANCE_LEVEL, InferenceRule, stars
from ..analysis.models import MixedFit
from ..analysis.robustness import MC_SE_MULTIPLE
from ..base.number_format import fmt, fmt_coef, integer, percent
from ..data.reference import published_results
from .page import glue_values
from .tables import AGREE, DISAGREE, agreement

STRONG_LEVEL = 0.01
"""The article's second level (** p < 0.01)."""


# --- p-values and levels -------------------------------------------------------------------------------------------


def p_value(p: float) -> str:
    """A p-value in prose, with no-break spaces: 'p = 0.012'; 'p < 0.001' when it would print as 0.000; four
    decimals when three would print a significance level ('p = 0.0096', not 'p = 0.010' beside 'significant at
    the 1 % level')."""
    if not 0 <= p <= 1:
        raise ValueError(f"p_value: {p!r} is not a probability")
    if p < 0.0005:
        return "p\u00a0<\u00a00.001"
    if round(p, 3) in (SIGNIFICANCE_LEVEL, STRONG_LEVEL) and p != round(p, 3):
        return f"p\u00a0=\u00a0{p:.4f}"
    return f"p\u00a0=\u00a0{p:.3f}"


def level_text(level: float = SIGNIFICANCE_LEVEL) -> str:
    """'5 %' for the book's level."""
    return percent(level, 0 if round(level * 100, 6).is_integer() else 1)


# --- counts ------------------------------------------------------------------------------------------------------


def count(n: int, singular: str, plural: str | None = None) -> str:
    """'1 month', '3 months', '0 months' (integers with thousands separators)."""
    word = singular if n == 1 else (plural or singular + "s")
    return f"{integer(n)} {word}"


def join_words(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c' ('' for none)."""
    items = list(items)
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def k_of_n(k: int, n: int, singular: str, plural: str | None = None) -> str:
    """Subject and verb for 'k of n things': 'none of the 3 dummies is', '1 of the 3 dummies is',
    '2 of the 3 dummies are', 'all 3 dummies are', 'the only dummy is', 'the only dummy is not'."""
    plural = plural or singular + "s"
    if not 0 <= k <= n:
        raise ValueError(f"k_of_n: k = {k} outside 0..{n}")
    if n == 1:
        return f"the only {singular} is" if k == 1 else f"the only {singular} is not"
    if k == 0:
        return f"none of the {integer(n)} {plural} is"
    if k == n:
        return f"all {integer(n)} {plural} are" if n > 2 else f"both {plural} are"
    return f"{integer(k)} of the {integer(n)} {plural} {'is' if k == 1 else 'are'}"


NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
"""Small whole numbers as the prose spells them."""


def number_word(n: int) -> str:
    """'two' for 2 (up to ten), '12' beyond."""
    return NUMBER_WORDS[n] if 0 <= n < len(NUMBER_WORDS) else integer(n)


MC_SES = f"{number_word(MC_SE_MULTIPLE)} Monte Carlo standard errors"
"""The distance by which the book judges a Monte Carlo share against its reference, in words
(:data:`malstyring.analysis.robustness.MC_SE_MULTIPLE`)."""


# --- sign, significance, comparison -------------------------------------------------------------------------------


def sign_word(estimate: float) -> str:
    """'positive', 'negative' or 'zero'."""
    return "positive" if estimate > 0 else "negative" if estimate < 0 else "zero"


def is_significant(p: float, level: float = SIGNIFICANCE_LEVEL) -> bool:
    """Significant at the book's level (two-sided p below it)."""
    return bool(p < level)


def rule_tag(rule: InferenceRule | None) -> str:
    """' (CR2, Satterthwaite df)': the inference rule a significance claim was made under ('' for none)."""
    return f" ({rule.short})" if rule is not None else ""


def describe(estimate: float, p: float, level: float = SIGNIFICANCE_LEVEL, rule: InferenceRule | None = None) -> str:
    """'negative and significant at the 1 % level', 'positive and significant at the 5 % level',
    'negative but not significant at the 5 % level'; with ``rule``, its tag follows: '... level (CR2,
    Satterthwaite df)'."""
    sign = sign_word(estimate)
    if p < min(STRONG_LEVEL, level):
        text = f"{sign} and significant at the {level_text(STRONG_LEVEL)} level"
    elif is_significant(p, level):
        text = f"{sign} and significant at the {level_text(level)} level"
    else:
        text = f"{sign} but not significant at the {level_text(level)} level"
    return text + rule_tag(rule)


def compare(a: float, b: float, digits: int = 3) -> str:
    """'larger than', 'smaller than' or 'the same as' (compared at the printed precision)."""
    a, b = round(a, digits), round(b, digits)
    return "larger than" if a > b else "smaller than" if a < b else "the same as"


def same_reading(
    estimate_a: float, p_a: float, estimate_b: float, p_b: float, level: float = SIGNIFICANCE_LEVEL
) -> bool:
    """Whether two estimates read alike: the same sign (zero is a sign of its own) and both significant or both not
    at ``level``."""
    same_sign = np.sign(estimate_a) == np.sign(estimate_b)
    return bool(same_sign and is_significant(p_a, level) == is_significant(p_b, level))


def change_phrase(base_estimate: float, base_p: float, estimate: float, p: float) -> str:
    """How an estimate stands to a baseline estimate of the same coefficient: 'negative, 45 % smaller in size and
    no longer significant', 'positive (the sign changes), ...', 'negative, about the same size and still
    significant' (within 10 % counts as about the same size)."""
    sign = sign_word(estimate)
    if np.sign(estimate) != np.sign(base_estimate):
        sign += " (the sign changes)"
    ratio = abs(estimate) / abs(base_estimate) if base_estimate != 0 else np.inf
    if abs(ratio - 1) <= 0.1:
        size = "about the same size"
    elif ratio < 1:
        size = f"{percent(1 - ratio, 0)} smaller in size"
    else:
        size = f"{percent(ratio - 1, 0)} larger in size" if np.isfinite(ratio) else "larger in size"
    before, now = is_significant(base_p), is_significant(p)
    sig = {
        (True, True): "still significant",
        (True, False): "no longer significant",
        (False, True): "now significant",
        (False, False): "still not significant",
    }[(before, now)]
    return f"{sign}, {size} and {sig}"


# --- the article's published values --------------------------------------------------------------------------------


def published(model: str, variable: str) -> tuple[float, str]:
    """The article's printed coefficient and stars for (model, variable); KeyError if it prints none."""
    pub = published_results().set_index(["model", "variable"])
    row = pub.loc[(model, variable)]
    return float(row["value"]), str(row["stars"])


def published_text(model: str, variable: str) -> str:
    """The article's value as printed, with a true minus: '−0.038**'."""
    value, st = published(model, variable)
    return f"{fmt(value)}{st}"


def agrees(estimate: float, p: float, model: str, variable: str) -> str:
    """Agreement code with the article's value: '=' same sign and significance, 's' sign only, 'x' sign differs
    (the book's one definition, :func:`malstyring.book.tables.agreement`)."""
    value, st = published(model, variable)
    return agreement(estimate, stars(p), value, st)


def agreement_phrase(estimate: float, p: float, model: str, variable: str) -> str:
    """How this build's estimate stands to the article's: 'agrees with the article's −0.026* in sign and
    significance', 'has the same sign as the article's −0.038** but is not significant, unlike the article's',
    'has the same sign as the article's −0.011 but is significant, unlike the article's', 'has the opposite sign
    to the article's −0.023', with '(neither is significant)' when neither is."""
    value, st = published(model, variable)
    text = f"the article's {fmt(value)}{st}"
    code = agrees(estimate, p, model, variable)
    if code == AGREE:
        here, there = stars(p), st
        if here and there and here != there:  # both significant at 5 %, only one of them at 1 %
            which = "this build's" if len(here) > len(there) else "the article's"
            return (
                f"agrees with {text} in sign and in significance at the 5\u00a0% level ({which} estimate is also "
                "significant at the 1\u00a0% level)"
            )
        return f"agrees with {text} in sign and significance"
    if code == DISAGREE:
        both_insignificant = not is_significant(p) and not st
        return f"has the opposite sign to {text}" + (" (neither is significant)" if both_insignificant else "")
    here = "is significant" if is_significant(p) else "is not significant"
    return f"has the same sign as {text} but {here}, unlike the article's"


# --- fits ----------------------------------------------------------------------------------------------------------


def estimate_text(fit: MixedFit, term: str, digits: int = 3, rule: InferenceRule = BOOK_RULE) -> str:
    """'−0.028* (CR2 SE 0.011)': coefficient with the article's stars and the standard error, both under ``rule``
    (the standard error is named by its type)."""
    row = fit.tidy(vcov=rule.vcov, df=rule.df).loc[term]
    return f"{fmt_coef(row['estimate'], digits)}{row['stars']} ({rule.vcov} SE {fmt_coef(row['se'], digits)})"


RECORD_DIGITS = 6
"""Significant digits of the numbers glued beside a claim: enough to check the words, few enough that the last
digits, which differ between BLAS builds and thread counts, never reach the stored outputs."""


def _record(x: float) -> float:
    return float(f"{float(x):.{RECORD_DIGITS}g}")


P_DECIMALS = 4
"""Decimals of a p-value glued beside a claim: the words are checked against the 5 % and 1 % levels, and a tiny
p-value's significant digits (2.56885e-10 or 2.56886e-10) differ between BLAS builds and thread counts."""


def _record_p(p: float) -> float:
    """``p`` to P_DECIMALS decimals, never rounded across the 1 % or 5 % level the words are judged by."""
    p = float(p)
    recorded = round(p, P_DECIMALS)
    for level in (STRONG_LEVEL, SIGNIFICANCE_LEVEL):
        if p < level <= recorded:
            recorded = level - 10.0**-P_DECIMALS
        elif recorded < level <= p:
            recorded = level
    return recorded


def glue_claim(key: str, estimate: float, p: float, text: str | None = None, rule: InferenceRule | None = None) -> str:
    """Glue a phrase about one estimate under ``key``, and the estimate and p-value it describes under
    ``key + '_value'`` and ``key + '_p'`` (so the words can be checked against the numbers). ``text`` defaults to
    :func:`describe`; it must state the sign and the significance. ``rule``, when the p-value comes from a
    clustered test, is glued under ``key + '_rule'`` and its tag must appear in the phrase. Returns the phrase."""
    text = describe(estimate, p, rule=rule) if text is None else text
    if rule is not None and rule.short not in text:
        raise ValueError(f"claim {key!r} does not name its inference rule ({rule.short}): {text!r}")
    glue_values({key: text, f"{key}_value": _record(estimate), f"{key}_p": _record_p(p)} | _rule_record(key, rule))
    return text


def _rule_record(key: str, rule: InferenceRule | None) -> dict[str, str]:
    """The glued record of a claim's inference rule (``key + '_rule'``), none for a claim without one."""
    return {} if rule is None else {f"{key}_rule": rule.name}


def glue_fit_claim(key: str, fit: MixedFit, term: str, rule: InferenceRule = BOOK_RULE) -> str:
    """:func:`glue_claim` for one coefficient of a fit, tested under ``rule``."""
    p = float(fit.coef_test(rule.vcov, rule.df).loc[term, "p"])
    return glue_claim(key, float(fit.coef[term]), p, rule=rule)


def glue_agreement(key: str, fit: MixedFit, term: str, model: str | None = None, variable: str | None = None) -> str:
    """Glue :func:`agreement_phrase` for ``term`` of ``fit`` against the article's cell (``model``, ``variable``;
    default: the fit's model and the term) under ``key``, with the estimate, the p-value under the article's own
    rule (:data:`ARTICLE_RULE`: like is compared with like), the rule and the published cell it is compared with
    (``key + '_ref'``: 'M3:index'). Returns the phrase."""
    model, variable = model or fit.model, variable or term
    estimate = float(fit.coef[term])
    p = float(fit.coef_test(ARTICLE_RULE.vcov, ARTICLE_RULE.df).loc[term, "p"])
    text = agreement_phrase(estimate, p, model, variable)
    glue_values(
        {
            key: text,
            f"{key}_value": _record(estimate),
            f"{key}_p": _record_p(p),
            f"{key}_rule": ARTICLE_RULE.name,
            f"{key}_ref": f"{model}:{variable}",
        }
    )
    return text


def significant_count_phrase(
    p_values, singular: str, plural: str | None = None, rule: InferenceRule | None = None
) -> str:
    """'1 of the 3 dummies is significant at the 5 % level', 'none of the 3 dummies is significant ...', with the
    rule's tag when given."""
    ps = [float(p) for p in p_values]
    k = sum(is_significant(p) for p in ps)
    return f"{k_of_n(k, len(ps), singular, plural)} significant at the {level_text()} level{rule_tag(rule)}"


def glue_count_claim(
    key: str,
    p_values,
    singular: str,
    plural: str | None = None,
    rule: InferenceRule | None = None,
    method: str = "",
) -> str:
    """Glue :func:`significant_count_phrase` under ``key``, the p-values it counts under ``key + '_ps'`` and the
    rule under ``key + '_rule'``. ``method`` names a test that is not one of the rules (' by the wild bootstrap');
    it follows the phrase."""
    ps = [float(p) for p in p_values]
    text = significant_count_phrase(ps, singular, plural, rule) + method
    glue_values({key: text, f"{key}_ps": [_record_p(p) for p in ps]} | _rule_record(key, rule))
    return text


def rule_p_values(fit: MixedFit, terms: list[str], rule: InferenceRule = BOOK_RULE) -> pd.Series:
    """The p-values of ``terms`` under ``rule``."""
    return fit.coef_test(rule.vcov, rule.df).loc[terms, "p"]
