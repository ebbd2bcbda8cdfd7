"""The command line: frame, fit and template write what they promise; errors are one clear line."""

import subprocess
import sys

import pandas as pd

from malstyring.codebook import TABLES, columns


def _run(*args):
    return subprocess.run([sys.executable, "-m", "malstyring", *map(str, args)], capture_output=True, text=True)


def test_frame_writes_the_estimation_sample(synthetic_dir, tmp_path):
    run = _run("frame", synthetic_dir, "-o", tmp_path / "frame.csv", "--lead", "3")
    assert run.returncode == 0, run.stderr
    frame = pd.read_csv(tmp_path / "frame.csv")
    assert len(frame) == 437 * 43
    assert "Outcome month (t+3) after the panel ends" in run.stdout


def test_fit_writes_parameters_then_fit_statistics(synthetic_dir, tmp_path):
    out = tmp_path / "m1.csv"
    run = _run("fit", synthetic_dir, "--model", "M1", "-o", out)
    assert run.returncode == 0, run.stderr
    table = pd.read_csv(out)
    assert list(table.columns[:7]) == ["model", "kind", "parameter", "estimate", "se_model", "se_cluster", "p_cluster"]
    params = table[table["kind"] == "parameter"]
    assert params["parameter"].tolist() == ["Intercept", "index"]
    stats = table[table["kind"] == "fit_statistic"].set_index("parameter")["estimate"]
    assert stats["k"] == 5 and stats["n_obs"] == 19665
    assert abs(stats["aic"] - (-2 * stats["loglik"] + 10)) < 0.01  # written with 8 significant digits
    assert table.index[table["kind"] == "fit_statistic"].min() > params.index.max()


def test_template_writes_headed_empty_files(tmp_path):
    run = _run("template", "--out", tmp_path)
    assert run.returncode == 0
    for table in TABLES:
        df = pd.read_csv(tmp_path / f"{table}.csv")
        assert list(df.columns) == columns(table)["column"].tolist() and df.empty
    assert (tmp_path / "codebook.csv").exists() and (tmp_path / "column_map.csv").exists()


def test_bad_input_is_one_line_not_a_traceback(tmp_path):
    run = _run("fit", tmp_path / "missing", "--model", "M1", "-o", tmp_path / "x.csv")
    assert run.returncode == 1
    assert "Traceback" not in run.stderr and "data folder does not exist" in run.stderr
