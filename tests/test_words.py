"""The words follow the numbers: execute the results chapters on data with a positive, a zero and the default
(published, negative) index effect, and check that every glued claim states the sign and the significance of the
glued estimate it describes.

Slow (a minute on two cores): marked ``words`` and skipped unless selected with ``pytest -m words
tests/test_words.py``. ``MALSTYRING_WORDS_CHAPTERS`` (comma separated, default
``05_results_regressions,08_robustness``) selects the chapters. The data folders are generated, and the chapter
runs executed, in parallel: one process per core (``MALSTYRING_JOBS`` sets another number), each kernel with one
BLAS thread. For the default effect, the copies `make execute` left in ``book/chapters`` are read instead of
executing the chapters again, when they are that run: executed from the current source with the chapter's own
defaults on ``data/synthetic``, whose manifest is verified and says seed ``DEFAULT_SEED`` and the published
effect (`make test` executes them first); otherwise the chapters are executed here like the others.

A chapter declares its claims through :mod:`malstyring.book.words`:

* ``glue_claim(key, ...)`` glues a phrase under ``key`` with ``key_value`` and ``key_p``: the phrase must name
  the estimate's sign and say 'not significant' exactly when p >= the book's level (and the 1 % level when
  p < 0.01);
* ``glue_agreement(key, ...)`` adds ``key_ref`` ('M3:index'): the phrase must match the agreement between the
  glued estimate and the article's printed value (recomputed here from ``published_results.csv``);
* ``glue_count_claim(key, ...)`` adds ``key_ps``: the count in the phrase must be the number of p-values below
  the level;
* a claim made under a clustered inference rule adds ``key_rule`` (a name in
  ``malstyring.analysis.inference.RULES``): the phrase must carry that rule's tag, and a comparison with the
  article's stars must use the article's own rule.

Each chapter must also glue the claims listed in :data:`REQUIRED`, so the test cannot pass on a chapter that
stopped making them.
"""

import ast
import os
import re
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import jupytext
import papermill as pm
import pytest

from malstyring.analysis.inference import ARTICLE_RULE, RULES, SIGNIFICANCE_LEVEL
from malstyring.data.provenance import provenance
from malstyring.data.reference import published_results
from malstyring.synthetic.generator import DEFAULT_SEED, PUBLISHED_INDEX_EFFECT, generate

pytestmark = pytest.mark.words

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
BOOK_CHAPTERS = ROOT / "book" / "chapters"
BOOK_DATA = ROOT / "data" / "synthetic"
RECORD = "application/papermill.record/text/plain"
CHAPTERS = os.environ.get("MALSTYRING_WORDS_CHAPTERS", "05_results_regressions,08_robustness").split(",")
PARAMETERS = {
    "08_robustness": {"n_replications": 20, "n_boot": 199, "spec_boot": 99, "n_jobs": 1},
}
"""Small replication counts: the test is about the words, not about the precision of the bootstrap. One worker
process per chapter run (``n_jobs``): the runs themselves already take every core."""
JOBS = int(os.environ.get("MALSTYRING_JOBS", 0)) or len(os.sched_getaffinity(0))
BLAS_THREADS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
REQUIRED = {
    "05_results_regressions": [
        "m1_phrase",
        "m2_phrase",
        "m3_phrase",
        "m1_vs_article",
        "m2_vs_article",
        "m3_vs_article",
        "m3_journal_phrase",
        "m3_unemp_phrase",
        "m6_att_sig",
        "m13_kept",
        "m46_kept",
        "m3_jobmatch_phrase",
        "m3_jobmatch_vs_article",
        "m3_contact_phrase",
        "m3_contact_vs_article",
        "m6_contact_phrase",
        "m6_contact_vs_article",
    ],
    "08_robustness": [
        "main_claim",
        "main_vs_article",
        "dl_sig",
        "between",
        "within",
        "boot_claim",
        "binom_claim",
        "spec_sig_claim",
        "checks_sig",
        "lead_sig",
        "dl_sum_claim",
        "terms_sig_article",
        "terms_sig_book",
        "terms_sig_boot",
        "ba_claim",
        "wt_claim",
        "lag_index_claim",
        "lag_index_article",
        "lag_coef_claim",
    ],
}
INDEX_EFFECTS = {"positive": 0.05, "zero": 0.0, "default": PUBLISHED_INDEX_EFFECT}
MINUS = "\u2212"


def _value(text: str):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def glued(path: Path) -> dict:
    """Every value the executed notebook glued (its text/plain record), by name."""
    nb = jupytext.read(path)
    out = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if RECORD in data:
                out[output["metadata"]["scrapbook"]["name"]] = _value(data[RECORD])
    return out


def _code(nb) -> list[str]:
    cells = [c for c in nb.cells if c.cell_type == "code"]
    return [c.source for c in cells if "injected-parameters" not in c.metadata.get("tags", [])]


def book_copy(chapter: str) -> Path | None:
    """The copy of ``chapter`` in book/chapters when it is exactly the run this test makes for the default effect
    (see the module docstring), else None."""
    path = BOOK_CHAPTERS / f"{chapter}.ipynb"
    if not path.exists():
        return None
    executed = jupytext.read(path)
    if any("injected-parameters" in c.metadata.get("tags", []) for c in executed.cells):
        return None  # run with other parameters (another data folder, `make chapter`)
    if _code(executed) != _code(jupytext.read(NOTEBOOKS / f"{chapter}.md")):
        return None  # executed from an older source
    data = provenance(BOOK_DATA)
    default = data.manifest.get("seed") == DEFAULT_SEED and data.manifest.get("index_effect") == PUBLISHED_INDEX_EFFECT
    return path if data.synthetic and default else None


def _generate(data: Path, effect: float) -> None:
    generate(data, seed=DEFAULT_SEED, index_effect=effect, verbose=False)


def _execute(chapter: str, base: Path, data: Path) -> dict:
    """Execute one chapter (from its .md source) on ``data`` into ``base``; return what it glued. Runs in a worker
    process of :func:`executions`."""
    for name in BLAS_THREADS:
        os.environ.setdefault(name, "1")  # the kernels share the cores
    source = jupytext.read(NOTEBOOKS / f"{chapter}.md")
    source_path = base / f"{chapter}.in.ipynb"
    jupytext.write(source, source_path)
    target = base / f"{chapter}.ipynb"
    params = {"data_dir": str(data), **PARAMETERS.get(chapter, {})}
    pm.execute_notebook(
        source_path, target, parameters=params, cwd=NOTEBOOKS, kernel_name="python3", progress_bar=False
    )
    return glued(target)


@pytest.fixture(scope="module")
def executions(request, tmp_path_factory):
    """{effect name: {chapter: glued records}}: every data folder generated and every chapter run executed, all in
    parallel (the slowest runs first)."""
    if "words" not in (request.config.getoption("markexpr") or ""):
        pytest.skip("slow: run with pytest -m words tests/test_words.py")
    records = {name: {} for name in INDEX_EFFECTS}
    assert INDEX_EFFECTS["default"] == PUBLISHED_INDEX_EFFECT
    for chapter in CHAPTERS:
        if copy := book_copy(chapter):
            records["default"][chapter] = glued(copy)
    # chapter 8 first: it takes longest, so the short runs fill the gaps at the end
    runs = [(n, c) for c in sorted(CHAPTERS, reverse=True) for n in INDEX_EFFECTS if c not in records[n]]
    bases = {name: tmp_path_factory.mktemp(f"words-{name}") for name in {n for n, _ in runs}}
    with ProcessPoolExecutor(max_workers=JOBS) as pool:
        list(pool.map(_generate, [bases[n] / "data" for n in bases], [INDEX_EFFECTS[n] for n in bases]))
        futures = {run: pool.submit(_execute, run[1], bases[run[0]], bases[run[0]] / "data") for run in runs}
        for (name, chapter), future in futures.items():
            records[name][chapter] = future.result()
    return records


@pytest.fixture(scope="module", params=list(INDEX_EFFECTS), ids=list(INDEX_EFFECTS))
def executed(request, executions):
    return INDEX_EFFECTS[request.param], {c: executions[request.param][c] for c in CHAPTERS}


def parse_sign(text: str) -> int:
    words = {w: s for w, s in (("positive", 1), ("negative", -1), ("zero", 0)) if re.search(rf"\b{w}\b", text)}
    assert len(words) == 1, f"claim must name exactly one sign: {text!r}"
    return next(iter(words.values()))


def parse_significance(text: str) -> bool:
    assert "significant" in text, f"claim must state significance: {text!r}"
    return "not significant" not in text


def check_claim(key: str, text: str, value: float, p: float) -> None:
    sign = (value > 0) - (value < 0)
    assert parse_sign(text) == sign, f"{key}: {text!r} but the estimate is {value}"
    assert parse_significance(text) == (p < SIGNIFICANCE_LEVEL), f"{key}: {text!r} but p = {p}"
    if p < 0.01:
        assert "1\u00a0% level" in text, f"{key}: {text!r} but p = {p} < 0.01"


def check_agreement(key: str, text: str, value: float, p: float, ref: str) -> None:
    model, variable = ref.split(":")
    pub = published_results().set_index(["model", "variable"]).loc[(model, variable)]
    pub_value, pub_sig = float(pub["value"]), bool(pub["stars"])
    assert f"{pub_value:.3f}".replace("-", MINUS) in text, f"{key}: {text!r} does not quote the article's value"
    same_sign = pub_value == 0 or (value > 0) == (pub_value > 0)
    same_sig = (p < SIGNIFICANCE_LEVEL) == pub_sig
    if same_sign and same_sig:
        assert text.startswith("agrees with"), f"{key}: {text!r}, but sign and significance agree"
    elif same_sign:
        here = "is significant" if p < SIGNIFICANCE_LEVEL else "is not significant"
        assert text.startswith("has the same sign") and here in text, f"{key}: {text!r} (p = {p})"
    else:
        assert text.startswith("has the opposite sign"), f"{key}: {text!r} but {value} vs {pub_value}"
        neither = p >= SIGNIFICANCE_LEVEL and not pub_sig
        assert ("neither is significant" in text) == neither, f"{key}: {text!r} (p = {p}, article {pub_sig})"


def parse_count(text: str) -> int:
    if text.startswith(("none of", "the only")):
        return 1 if text.startswith("the only") and " is not " not in text else 0
    if m := re.match(r"all ([\d,]+) ", text):
        return int(m.group(1).replace(",", ""))
    if text.startswith("both "):
        return 2
    m = re.match(r"([\d,]+) of the ", text)
    assert m, f"cannot read a count from {text!r}"
    return int(m.group(1).replace(",", ""))


def check_count(key: str, text: str, ps: list[float]) -> None:
    k = sum(p < SIGNIFICANCE_LEVEL for p in ps)
    assert parse_count(text) == k, f"{key}: {text!r} but {k} of {len(ps)} p-values are below the level"
    verb = " are " if k >= 2 else " is "
    assert verb in text, f"{key}: grammar of {text!r} (k = {k})"


def check_rule(key: str, text: str, rule_name: str, agreement: bool) -> None:
    assert rule_name in RULES, f"{key}: unknown inference rule {rule_name!r}"
    if agreement:
        assert rule_name == ARTICLE_RULE.name, f"{key}: a comparison with the article's stars must use its rule"
    else:
        assert RULES[rule_name].short in text, f"{key}: {text!r} does not name its rule ({RULES[rule_name].short})"


def claims(records: dict):
    for key, text in records.items():
        if f"{key}_ref" in records:
            yield "agreement", key, text
        elif f"{key}_value" in records and f"{key}_p" in records:
            yield "claim", key, text
        elif f"{key}_ps" in records:
            yield "count", key, text


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_required_claims_are_glued(executed, chapter):
    _, records = executed
    found = {key for _, key, _ in claims(records[chapter])}
    missing = [k for k in REQUIRED.get(chapter, []) if k not in found]
    assert not missing, f"{chapter} no longer glues the claims {missing}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_claims_state_the_sign_and_significance_of_their_numbers(executed, chapter):
    _, records = executed
    rec = records[chapter]
    n = 0
    for kind, key, text in claims(rec):
        n += 1
        if kind == "claim":
            check_claim(key, text, rec[f"{key}_value"], rec[f"{key}_p"])
        elif kind == "agreement":
            check_agreement(key, text, rec[f"{key}_value"], rec[f"{key}_p"], rec[f"{key}_ref"])
        else:
            check_count(key, text, rec[f"{key}_ps"])
        if f"{key}_rule" in rec:
            check_rule(key, text, rec[f"{key}_rule"], agreement=kind == "agreement")
    assert n > 0


def test_printed_estimates_match_their_claims(executed):
    """Chapter 5 prints 'coef stars (SE se)' next to each phrase: the printed stars and sign must agree with it."""
    _, records = executed
    if "05_results_regressions" not in records:
        pytest.skip("chapter 5 not selected")
    rec = records["05_results_regressions"]
    for name in ("m1_index", "m2_index", "m3_index", "m3_journal", "m3_sick", "m3_unemp", "m3_income"):
        phrase_key = name.replace("_index", "_phrase") if name.endswith("_index") else f"{name}_phrase"
        printed, phrase = rec[name], rec[phrase_key]
        m = re.match(rf"({MINUS}?)[\d.]+(\**) \(CR2 SE", printed)
        assert m, printed
        assert (m.group(1) == MINUS) == (parse_sign(phrase) < 0), f"{name}: {printed} vs {phrase!r}"
        assert bool(m.group(2)) == parse_significance(phrase), f"{name}: {printed} vs {phrase!r}"
    starred = sum("*" in rec[f"m6_{t}"] for t in ("att_employer_assistance", "att_contact_48h", "att_nae_follow_up_6m"))
    assert parse_count(rec["m6_att_sig"]) == starred


def test_the_index_effect_reaches_the_data(executed):
    """Guard against a test that runs three times on the same data: chapter 8 prints the true effect it used."""
    effect, records = executed
    rec = records.get("08_robustness")
    if rec is None:
        pytest.skip("chapter 8 not selected")
    assert "true_effect" in rec, "chapter 8 no longer glues the true effect it was run with"
    assert float(str(rec["true_effect"]).replace(MINUS, "-")) == pytest.approx(effect, abs=5e-4)


# --- the checker itself, on hand-made records (fast; runs in the ordinary test suite) -------------------------------


def test_checker_accepts_true_words():
    check_claim("k", "negative and significant at the 1\u00a0% level", -0.03, 0.004)
    check_claim("k", "positive but not significant at the 5\u00a0% level", 0.01, 0.3)
    check_agreement("k", f"agrees with the article's {MINUS}0.026* in sign and significance", -0.03, 0.02, "M3:index")
    check_agreement(
        "k", f"has the opposite sign to the article's {MINUS}0.011 (neither is significant)", 0.009, 0.5, "M1:index"
    )
    check_count("k", "1 of the 3 dummies is significant at the 5\u00a0% level", [0.2, 0.01, 0.7])
    check_count("k", "none of the 3 dummies is significant at the 5\u00a0% level", [0.2, 0.06, 0.7])
    check_rule(
        "k", "negative but not significant at the 5\u00a0% level (CR2, Satterthwaite df)", "cr2-satterthwaite", False
    )
    check_rule("k", f"agrees with the article's {MINUS}0.026* in sign and significance", "cr1-normal", True)


@pytest.mark.parametrize(
    "bad",
    [
        lambda: check_claim("k", "positive and significant at the 5\u00a0% level", -0.03, 0.02),  # wrong sign
        lambda: check_claim("k", "negative and significant at the 5\u00a0% level", -0.03, 0.2),  # wrong significance
        lambda: check_claim("k", "negative and significant at the 5\u00a0% level", -0.03, 0.001),  # wrong level
        lambda: check_claim("k", "a small effect", -0.03, 0.2),  # says neither
        lambda: check_agreement(
            "k", f"agrees with the article's {MINUS}0.038** in sign and significance", -0.02, 0.2, "M2:index"
        ),
        lambda: check_agreement("k", "agrees with the article in sign and significance", -0.03, 0.02, "M3:index"),
        lambda: check_count("k", "2 of the 3 dummies are significant", [0.2, 0.01, 0.7]),
        lambda: check_count("k", "2 of the 3 dummies is significant", [0.02, 0.01, 0.7]),
        lambda: check_rule("k", "negative but not significant at the 5\u00a0% level", "cr2-satterthwaite", False),
        lambda: check_rule("k", "agrees with the article's −0.026*", "cr2-satterthwaite", True),
    ],
)
def test_checker_rejects_false_words(bad):
    with pytest.raises(AssertionError):
        bad()
