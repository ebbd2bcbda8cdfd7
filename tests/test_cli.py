"""The command line: frame, fit and template write what they promise; errors are one clear line."""

import subprocess
import sys

import pandas as pd
import pytest

from malstyring.data.codebook import TABLES, columns


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
    head = ["model", "kind", "parameter", "estimate", "se_model", "se_cluster", "df_cluster", "p_cluster"]
    assert list(table.columns[:8]) == head
    params = table[table["kind"] == "parameter"]
    # the default is the book's rule, CR2 with Satterthwaite degrees of freedom (a few below G - 1 = 18)
    assert params["df_cluster"].between(5, 18).all()
    assert "CR2 with satterthwaite degrees of freedom" in run.stderr
    assert params["parameter"].tolist() == ["Intercept", "index"]
    stats = table[table["kind"] == "fit_statistic"].set_index("parameter")["estimate"]
    assert stats["k"] == 5 and stats["n_obs"] == 19665
    assert stats["aic"] == -2 * stats["loglik"] + 10  # written at full precision
    assert table.index[table["kind"] == "fit_statistic"].min() > params.index.max()


def test_fit_takes_the_articles_rule_when_asked(synthetic_dir, tmp_path, default_fits):
    out = tmp_path / "m1.csv"
    run = _run("fit", synthetic_dir, "--model", "M1", "-o", out, "--vcov", "CR1")
    assert run.returncode == 0, run.stderr
    params = pd.read_csv(out).query("kind == 'parameter'").set_index("parameter")
    assert (params["df_cluster"] == float("inf")).all()  # CR1's default: the article's normal reading
    # the CLI's process may sum in another BLAS thread order than this one (about 1e-11 apart); another rule (a t
    # reference, CR2) would move p by more than 1e-3
    assert params.loc["index", "p_cluster"] == pytest.approx(default_fits["M1"].p_values("CR1")["index"], rel=1e-9)
    run = _run("fit", synthetic_dir, "--model", "M1", "-o", out, "--vcov", "CR1", "--df", "G-1")
    assert (pd.read_csv(out).query("kind == 'parameter'")["df_cluster"] == 18).all()
    run = _run("fit", synthetic_dir, "--model", "M1", "-o", out, "--df", "kenward-roger")
    assert run.returncode == 2 and "invalid choice: 'kenward-roger'" in run.stderr


def test_frame_is_lossless_and_both_engines_fit_it(synthetic_dir, tmp_path, frame_and_flow, default_fits):
    """The written frame re-fits to the same estimates; the statsmodels engine agrees with the book's engine."""
    from malstyring.analysis.models import fit_model

    for name in ("frame.csv", "frame.parquet"):
        assert _run("frame", synthetic_dir, "-o", tmp_path / name).returncode == 0
    from_csv = pd.read_csv(tmp_path / "frame.csv", dtype={"month": str, "outcome_month": str})
    original = frame_and_flow[0]
    numeric = original.select_dtypes("number").columns
    pd.testing.assert_frame_equal(from_csv[numeric], original[numeric], check_exact=True, check_dtype=False)
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "frame.parquet"), original, check_exact=True, check_dtype=False
    )
    assert fit_model(from_csv, "M1").coef.equals(default_fits["M1"].coef)
    run = _run("fit", synthetic_dir, "--model", "M1", "--engine", "statsmodels", "-o", tmp_path / "sm.csv")
    assert run.returncode == 0, run.stderr
    sm = pd.read_csv(tmp_path / "sm.csv").set_index("parameter")
    assert abs(sm.loc["index", "estimate"] - default_fits["M1"].coef["index"]) < 1e-4


def test_template_writes_headed_empty_files(tmp_path):
    run = _run("template", "--out", tmp_path)
    assert run.returncode == 0
    for table in TABLES:
        df = pd.read_csv(tmp_path / f"{table}.csv")
        assert list(df.columns) == columns(table)["column"].tolist() and df.empty
    assert (tmp_path / "codebook.csv").exists() and (tmp_path / "column_map.csv").exists()


def test_fit_stops_on_a_constant_column_instead_of_writing_nan(synthetic_dir, tmp_path):
    """A design the model cannot be estimated on: exit 1, the model and the cause named, no output file."""
    import shutil

    bad = tmp_path / "bad"
    shutil.copytree(synthetic_dir, bad)
    om = pd.read_csv(bad / "office_month.csv")
    om["staff_sick_leave"] = 0.05
    om.to_csv(bad / "office_month.csv", index=False)
    run = _run("fit", bad, "--model", "M3", "-o", tmp_path / "x.csv")
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert "model M3: no variance in ['staff_sick_leave']" in run.stderr
    assert not (tmp_path / "x.csv").exists()


def test_bad_input_is_one_line_not_a_traceback(tmp_path):
    run = _run("fit", tmp_path / "missing", "--model", "M1", "-o", tmp_path / "x.csv")
    assert run.returncode == 1
    assert "Traceback" not in run.stderr and "data folder does not exist" in run.stderr
