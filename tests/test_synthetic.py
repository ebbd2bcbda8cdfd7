"""The generator: deterministic, self-describing, and calibrated to what the article reports."""

import hashlib
import json
import warnings

import pytest

from malstyring.calibration import calibration_report
from malstyring.models import fit_mixed, fit_model
from malstyring.synthetic import DEFAULT_SEED, GENERATOR_VERSION, generate, true_coefficients


def _hashes(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_same_seed_gives_byte_identical_files(synthetic_dir, tmp_path):
    generate(tmp_path / "again", seed=DEFAULT_SEED, verbose=False)
    assert _hashes(tmp_path / "again") == _hashes(synthetic_dir)


def test_other_seed_gives_other_data(synthetic_dir, tmp_path):
    generate(tmp_path / "other", seed=DEFAULT_SEED + 1, verbose=False)
    assert _hashes(tmp_path / "other")["office_month.csv"] != _hashes(synthetic_dir)["office_month.csv"]


def test_manifest_records_seed_version_and_checksums(synthetic_dir):
    man = json.loads((synthetic_dir / "manifest.json").read_text())
    assert man["seed"] == DEFAULT_SEED and man["generator_version"] == GENERATOR_VERSION
    assert man["kind"] == "synthetic" and man["index_effect"] == -0.026
    for name, digest in man["files"].items():
        assert hashlib.sha256((synthetic_dir / name).read_bytes()).hexdigest() == digest
    assert len(man["files"]) == 6


def test_bad_seed_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="seed"):
        generate(tmp_path, seed=-1)


def test_true_model_is_published_model_3():
    beta = true_coefficients()
    assert len(beta) == 42  # Model 3 without the intercept
    assert beta["index"] == -0.026 and beta["journal_24h_share"] == 0.061 and beta["unemployment_county"] == -2.035
    assert true_coefficients(0.0)["index"] == 0.0


@pytest.fixture(scope="module")
def report(raw, frame_and_flow):
    frame, _ = frame_and_flow
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        null = fit_mixed(frame, [], model="M0")
        m1 = fit_model(frame, "M1")
    return calibration_report(raw, frame, null, m1)


def test_calibration_targets_are_met(report):
    missed = report.loc[~report["within"], ["target", "article", "data"]]
    assert missed.empty, missed.to_string()
    assert len(report) >= 25


def test_model_3_recovers_the_true_index_effect(frame_and_flow):
    frame, _ = frame_and_flow
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = fit_model(frame, "M3")
    assert abs(fit.coef["index"] - (-0.026)) < 3 * fit.se_cluster["index"]
    assert abs(fit.coef["journal_24h_share"] - 0.061) < 3 * fit.se_cluster["journal_24h_share"]
    assert abs(fit.coef["unemployment_county"] - (-2.035)) < 3 * fit.se_cluster["unemployment_county"]
