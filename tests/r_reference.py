"""R reference results (lme4 + clubSandwich) stored in the repository, keyed by their exact inputs.

A job is one synthetic seed: its analysis frame, written as CSV with 12 significant digits (so that a last-bit
difference between machines does not change the key), the models and the R script. The key is a SHA-256 of the
frame CSV, the model specification, the script and its arguments. Results live in ``tests/reference/r_results/``
as ``seed<N>-<key>.csv`` (the R script's long output, with a comment line naming the R and package versions that
produced it), and the engine is compared on that same CSV frame, so both sides read identical numbers.

When a key is missing (the frame, the models or the script changed), R recomputes it if ``Rscript`` with lme4 and
clubSandwich is present, jobs in parallel, and writes the file for the developer to commit; without R the test
fails, naming what to install. It never skips. clubSandwich's CR2 with Satterthwaite degrees of freedom forms
dense n_g x n_g matrices per county: about two minutes per model, so a recomputation takes a quarter of an hour.
"""

import hashlib
import io
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from malstyring.analysis.models import MODELS, model_terms
from malstyring.analysis.models import OUTCOME as OUTCOME_COLUMN
from malstyring.analysis.operationalise import FrameOptions, build_frame
from malstyring.data.loading import RawData
from malstyring.synthetic.generator import generate_tables

ROOT = Path(__file__).resolve().parents[1]
R_SCRIPT = ROOT / "tests" / "reference" / "lme4_fit.R"
RESULTS_DIR = ROOT / "tests" / "reference" / "r_results"
R_PACKAGES = ("lme4", "clubSandwich")
R_TIMEOUT = 3 * 3600  # seconds for one job
FRAME_DIGITS = 12
INSTALL_HINT = "apt-get install r-base-core r-cran-lme4 r-cran-clubsandwich"


@dataclass(frozen=True)
class Job:
    """One R run: a synthetic seed, the models fitted and the models that also get CR2 + Satterthwaite df."""

    seed: int
    models: tuple[str, ...] = MODELS
    cr2_models: tuple[str, ...] = ()

    def arguments(self) -> list[str]:
        return ["--cr2", ",".join(self.cr2_models)] if self.cr2_models else []


def frame_csv(seed: int, models: tuple[str, ...]) -> bytes:
    """The columns the models use, from the default analysis frame of synthetic ``seed``, as CSV bytes."""
    frame, _ = build_frame(RawData(tables=generate_tables(seed)), FrameOptions())
    terms = list(dict.fromkeys(t for m in models for t in model_terms(m)))
    columns = [OUTCOME_COLUMN, "county_id", "office_id", *terms]
    return frame[columns].to_csv(index=False, float_format=f"%.{FRAME_DIGITS}g", lineterminator="\n").encode()


def spec_csv(models: tuple[str, ...]) -> bytes:
    rows = [(m, t) for m in models for t in model_terms(m) or [""]]
    return pd.DataFrame(rows, columns=["model", "term"]).to_csv(index=False, lineterminator="\n").encode()


def read_frame(csv: bytes) -> pd.DataFrame:
    """The CSV frame as the engine reads it (identifiers as strings, as R reads them as factors)."""
    return pd.read_csv(io.BytesIO(csv), dtype={"county_id": str, "office_id": str})


def r_versions() -> str | None:
    """R's and the packages' versions, or None when Rscript or a package is missing."""
    if shutil.which("Rscript") is None:
        return None
    code = (
        f"pkgs <- c({', '.join(repr(p) for p in R_PACKAGES)}); "
        "ok <- vapply(pkgs, requireNamespace, TRUE, quietly = TRUE); "
        "if (!all(ok)) quit(status = 3); "
        "cat(R.version.string, paste(pkgs, vapply(pkgs, function(p) format(packageVersion(p)), '')))"
    )
    run = subprocess.run(["Rscript", "-e", code], capture_output=True, text=True, timeout=120)
    return run.stdout.strip() if run.returncode == 0 else None


def _run(jobs: dict[Job, tuple[bytes, bytes, Path]], workdir: Path, versions: str) -> None:
    """Run the R script for every job at the same time (one BLAS thread each) and store the results."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    procs = {}
    for job, (csv, spec, out) in jobs.items():
        frame_path, spec_path = workdir / f"frame-{job.seed}.csv", workdir / f"spec-{job.seed}.csv"
        frame_path.write_bytes(csv)
        spec_path.write_bytes(spec)
        partial = workdir / f"out-{job.seed}.csv"
        log_path = workdir / f"r-{job.seed}.log"
        cmd = ["Rscript", str(R_SCRIPT), str(frame_path), str(spec_path), str(partial), *job.arguments()]
        print(f"R reference: seed {job.seed} not stored; running {R_SCRIPT.name} (log: {log_path})", flush=True)
        with open(log_path, "w") as log:
            procs[job] = (subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env), partial, out, log_path)
    failures = []
    try:
        for job, (proc, partial, out, log_path) in procs.items():
            try:
                code = proc.wait(timeout=R_TIMEOUT)
            except subprocess.TimeoutExpired:
                code = f"timeout after {R_TIMEOUT} s"
            if code == 0:
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_text(f"# {versions}\n" + partial.read_text())
            else:
                tail = log_path.read_text().strip().splitlines()[-15:]
                failures.append(f"seed {job.seed}: Rscript {R_SCRIPT.name} failed ({code}):\n" + "\n".join(tail))
    finally:
        for proc, *_ in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    if failures:
        pytest.fail("\n".join(failures))


def stored_path(job: Job, csv: bytes, spec: bytes) -> Path:
    key = hashlib.sha256(
        b"\0".join([csv, spec, R_SCRIPT.read_bytes(), " ".join(job.arguments()).encode()])
    ).hexdigest()[:16]
    return RESULTS_DIR / f"seed{job.seed}-{key}.csv"


def reference_results(jobs: list[Job], workdir: Path) -> dict[Job, tuple[pd.DataFrame, pd.DataFrame]]:
    """{job: (the CSV frame, R's long output with columns model, quantity, term, value)}; missing results are
    computed with R (or the test fails when R is absent)."""
    inputs, missing = {}, {}
    for job in jobs:
        csv, spec = frame_csv(job.seed, job.models), spec_csv(job.models)
        path = stored_path(job, csv, spec)
        inputs[job] = (csv, path)
        if not path.exists():
            missing[job] = (csv, spec, path)
    if missing:
        versions = r_versions()
        if versions is None:
            names = ", ".join(p.name for *_, p in missing.values())
            pytest.fail(
                f"R reference results not stored for these inputs ({names}) and Rscript with lme4 and clubSandwich "
                f"is not available to compute them. Install R ({INSTALL_HINT}) and re-run; then commit the new "
                f"files in {RESULTS_DIR.relative_to(ROOT)}."
            )
        _run(missing, workdir, versions)
    out = {}
    for job, (csv, path) in inputs.items():
        r = pd.read_csv(path, comment="#", dtype={"term": str}, keep_default_na=False, na_values=["NA"])
        out[job] = (read_frame(csv), r)
    return out
