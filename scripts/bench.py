"""Benchmark: data generation, frame building, model fits and chapter execution on the default synthetic data.

    python scripts/bench.py            (or: make bench)

Reports wall-clock seconds for each step (including the robustness chapter's 24-specification curve) and
the peak resident memory of this process and of the chapter kernels, and writes the figures to
build/bench.json. Targets on a 2-core machine: generation < 10 s, Model 3 fit < 10 s, all six models < 45 s,
peak memory < 2 GB.
"""

import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    from malstyring.models import MODELS, fit_model
    from malstyring.operationalise import build_frame
    from malstyring.synthetic import DEFAULT_SEED, generate
    from malstyring.validate import load_raw

    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        generate(tmp, seed=DEFAULT_SEED, verbose=False)
        results["generate_s"] = time.perf_counter() - start
        start = time.perf_counter()
        raw = load_raw(tmp)
        results["load_validate_s"] = time.perf_counter() - start
        start = time.perf_counter()
        frame, _ = build_frame(raw)
        results["build_frame_s"] = time.perf_counter() - start
    total = 0.0
    for model in MODELS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = fit_model(frame, model)
        results[f"fit_{model}_s"] = fit.seconds
        total += fit.seconds
        print(f"  {model}: {fit.seconds:5.1f} s ({fit.optimiser})", flush=True)
    results["fit_all_models_s"] = total
    from malstyring.robustness import all_specs, specification_curve

    curve = specification_curve(ROOT / "data" / "synthetic", all_specs(), n_jobs=2, progress=False)
    results["specification_curve_24_specs_s"] = curve.attrs["seconds"]
    # chapters reuse fitted models from build/cache; clear it so the timing includes every fit
    from malstyring.paths import CACHE_DIR

    shutil.rmtree(CACHE_DIR, ignore_errors=True)
    start = time.perf_counter()
    subprocess.run([sys.executable, str(ROOT / "scripts" / "execute_chapters.py")], check=True, capture_output=True)
    results["execute_all_chapters_s"] = time.perf_counter() - start
    kib_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kib_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    results["peak_memory_mb_self"] = kib_self / 1024
    results["peak_memory_mb_largest_child"] = kib_children / 1024
    width = max(len(k) for k in results)
    for key, value in results.items():
        print(f"{key:<{width}}  {value:8.1f}")
    out = ROOT / "build" / "bench.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({k: round(v, 2) for k, v in results.items()}, indent=2) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
