"""Benchmark: the book's engine side by side with statsmodels MixedLM and R's lme4 on the same frame, plus the
data pipeline, a 10x panel, the specification curve, the Monte Carlo and the chapters.

    python scripts/bench.py [--skip-chapters] [--mc-reps 1000]      (or: make bench)

Fits Models 1–6 on the default synthetic frame with each engine (the book's engine: median of 5 runs, with the
CR1 clustered SEs; MixedLM: L-BFGS, one run; lme4: `lmer(REML = FALSE)` with its default optimizer, timed inside
R, when `Rscript` with lme4 is installed) and writes build/bench.json with ``fit_seconds: {engine: {M1: ...},
statsmodels: {...}, lme4: {...}}`` and the ratios to the engine. CR2 with Satterthwaite degrees of freedom is
timed on a fresh fit of each model (``cr2_seconds: {M1: ...}``, median of 5, the county bases included), beside
clubSandwich's ``coef_test(vcov = "CR2", test = "Satterthwaite")`` on the same frame and model
(``clubsandwich_cr2_seconds``, as measured inside R when the stored reference in tests/reference/r_results was
computed). Then times a 10x panel (4,370 offices) in a child process (generation, validation + frame, Model 3,
peak memory) and the Monte Carlo (``--mc-reps`` re-draws, CR1 and CR2 on each, with the coverage of every rule).
Targets on the 2-core machine: Model 3 <= 50 ms, all six <= 0.3 s; CR2 with df for Model 3 <= 0.5 s; 10x panel:
validate + frame <= 15 s, Model 3 <= 1 s, peak memory <= 2 GB.
"""

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
R_SCRIPT = ROOT / "tests" / "reference" / "lme4_fit.R"
SCALED_CHILD = """
import json, resource, sys, time
from malstyring.analysis.models import fit_model
from malstyring.analysis.operationalise import build_frame
from malstyring.synthetic.generator import generate
from malstyring.data.loading import load_raw
out = {}
t = time.perf_counter(); generate(sys.argv[1], seed=1, scale=10, verbose=False)
out["generate_s"] = time.perf_counter() - t
t = time.perf_counter(); raw = load_raw(sys.argv[1]); frame, _ = build_frame(raw)
out["validate_and_frame_s"] = time.perf_counter() - t
t = time.perf_counter(); fit = fit_model(frame, "M3"); fit.se_cluster; out["fit_M3_s"] = time.perf_counter() - t
out["rows"] = len(frame); out["offices"] = fit.n_offices
out["peak_memory_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


def timed(func, repeat: int = 1) -> float:
    """Median wall-clock seconds of ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def lme4_seconds(frame: pd.DataFrame, models: list[str]) -> dict[str, float] | None:
    """lmer's own fit time per model with its default optimizer, or None without R and lme4."""
    from malstyring.analysis.models import model_terms

    if shutil.which("Rscript") is None:
        return None
    probe = subprocess.run(["Rscript", "-e", "library(lme4); library(clubSandwich)"], capture_output=True)
    if probe.returncode != 0:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        frame.to_csv(f"{tmp}/frame.csv", index=False, float_format="%.17g")
        spec = [(m, t) for m in models for t in model_terms(m)]
        pd.DataFrame(spec, columns=["model", "term"]).to_csv(f"{tmp}/spec.csv", index=False)
        subprocess.run(
            ["Rscript", str(R_SCRIPT), f"{tmp}/frame.csv", f"{tmp}/spec.csv", f"{tmp}/out.csv", "--no-cr"],
            check=True,
            capture_output=True,
        )
        out = pd.read_csv(f"{tmp}/out.csv", keep_default_na=False)
    rows = out[(out["quantity"] == "optimizer_seconds") & (out["term"] == "nloptwrap")]
    return {m: float(v) for m, v in zip(rows["model"], rows["value"], strict=True)}


def cr2_seconds(frame: pd.DataFrame, models, repeat: int = 5) -> dict[str, float]:
    """Median seconds of CR2 standard errors with Satterthwaite df on a fresh fit of each model (fit not timed)."""
    from malstyring.analysis.models import fit_model

    out = {}
    for model in models:
        times = []
        for _ in range(repeat):
            fit = fit_model(frame, model)
            start = time.perf_counter()
            fit.coef_test("CR2", "satterthwaite")
            times.append(time.perf_counter() - start)
        out[model] = statistics.median(times)
    return out


def clubsandwich_cr2_seconds(seed: int) -> dict | None:
    """clubSandwich's CR2 + Satterthwaite seconds per model on the default synthetic frame of ``seed``, from the
    stored R reference (tests/reference/r_results/seed<N>-<key>.csv), with the R versions that produced it; None
    unless exactly one stored file for the seed holds them."""
    files = [
        f
        for f in sorted((ROOT / "tests" / "reference" / "r_results").glob(f"seed{seed}-*.csv"))
        if "seconds_cr2" in f.read_text()
    ]
    if len(files) != 1:
        return None
    r = pd.read_csv(files[0], comment="#", keep_default_na=False)
    rows = r[r["quantity"] == "seconds_cr2"]
    return {
        "seconds": {m: float(v) for m, v in zip(rows["model"], rows["value"], strict=True)},
        "source": str(files[0].relative_to(ROOT)),
        "r_versions": files[0].read_text().splitlines()[0].lstrip("# "),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skip-chapters", action="store_true", help="do not time the execution of every chapter")
    parser.add_argument("--mc-reps", type=int, default=1000, help="Monte Carlo replications to time (default 1000)")
    args = parser.parse_args()

    from malstyring.analysis.inference import RULES
    from malstyring.analysis.mixedlm import fit_statsmodels
    from malstyring.analysis.models import MODELS, fit_model, model_terms
    from malstyring.analysis.operationalise import build_frame
    from malstyring.analysis.robustness import all_specs, coverage_by_rule, monte_carlo_draws, specification_curve
    from malstyring.data.loading import load_raw
    from malstyring.synthetic.generator import DEFAULT_SEED, PUBLISHED_INDEX_EFFECT, generate

    report: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        report["generate_s"] = timed(lambda: generate(tmp, seed=DEFAULT_SEED, verbose=False))
        start = time.perf_counter()
        raw = load_raw(tmp)
        frame, _ = build_frame(raw)
        report["validate_and_frame_s"] = time.perf_counter() - start

    print("fitting Models 1-6 with each engine ...", flush=True)
    fit_seconds: dict[str, dict[str, float]] = {"engine": {}, "statsmodels": {}}
    for model in MODELS:
        fit_seconds["engine"][model] = timed(lambda m=model: fit_model(frame, m).se_cluster, repeat=5)
        terms = model_terms(model)
        fit_seconds["statsmodels"][model] = timed(lambda t=terms: fit_statsmodels(frame, t, methods=("lbfgs",)))
        print(
            f"  {model}: engine {fit_seconds['engine'][model]:.3f} s, MixedLM {fit_seconds['statsmodels'][model]:.2f} s"
        )
    lme4 = lme4_seconds(frame, list(MODELS))
    if lme4 is not None:
        fit_seconds["lme4"] = lme4
        print("  lme4: " + ", ".join(f"{m} {s:.2f} s" for m, s in lme4.items()))
    else:
        print("  lme4: skipped (Rscript with lme4 and clubSandwich not found)")
    for times in fit_seconds.values():
        times["all"] = sum(times[m] for m in MODELS)
    report["fit_seconds"] = fit_seconds
    report["ratio_to_engine"] = {
        engine: {m: times[m] / fit_seconds["engine"][m] for m in (*MODELS, "all")}
        for engine, times in fit_seconds.items()
        if engine != "engine"
    }

    print("CR2 with Satterthwaite degrees of freedom ...", flush=True)
    report["cr2_seconds"] = cr2_seconds(frame, MODELS)
    club = clubsandwich_cr2_seconds(DEFAULT_SEED)
    if club is not None:
        report["clubsandwich_cr2_seconds"] = club["seconds"]
        report["clubsandwich_cr2_source"] = {"file": club["source"], "r_versions": club["r_versions"]}
    print(
        "  "
        + ", ".join(
            f"{m}: engine {report['cr2_seconds'][m]:.3f} s"
            + (f", clubSandwich {club['seconds'][m]:.0f} s" if club and m in club["seconds"] else "")
            for m in MODELS
        )
    )

    print("specification curve and Monte Carlo ...", flush=True)
    curve = specification_curve(raw, all_specs(), seed=DEFAULT_SEED, n_jobs=2, progress=False)
    report["specification_curve_24_specs_s"] = curve.attrs["seconds"]
    report["monte_carlo_reps"] = args.mc_reps
    draws = monte_carlo_draws(frame, args.mc_reps, PUBLISHED_INDEX_EFFECT, seed=DEFAULT_SEED, n_jobs=2)
    report["monte_carlo_s"] = draws.seconds
    cover = coverage_by_rule(draws)
    report["monte_carlo_coverage"] = {
        name: {
            "median_coverage": float(part["coverage"].median()),
            "undercovered": int(part["undercovered"].sum()),
            "terms": len(part),
            "index_coverage": float(part.set_index("term").loc["index", "coverage"]),
            "index_rejection_rate": float(part.set_index("term").loc["index", "rejection_rate"]),
        }
        for name, part in cover.groupby("rule")
        if name in RULES
    }

    print("10x panel in a child process ...", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        child = subprocess.run([sys.executable, "-c", SCALED_CHILD, tmp], check=True, capture_output=True, text=True)
    report["scale_10"] = json.loads(child.stdout.strip().splitlines()[-1])

    if not args.skip_chapters:
        print("executing every chapter ...", flush=True)
        start = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "scripts" / "execute_chapters.py"),
                "--out",
                str(ROOT / "build" / "bench-chapters"),
            ],
            check=True,
            capture_output=True,
        )
        report["execute_all_chapters_s"] = time.perf_counter() - start
        report["peak_memory_mb_largest_child_process"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    report["peak_memory_mb_self"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    out = ROOT / "build" / "bench.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
