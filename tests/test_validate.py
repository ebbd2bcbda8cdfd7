"""Each class of bad input, fed as a corrupted copy of the synthetic data, gives a message naming it."""

import hashlib
import shutil
import subprocess
import sys

import pandas as pd
import pytest

from malstyring.data.loading import DataContractError, load_raw
from malstyring.data.validate import validate_dir


@pytest.fixture
def copy(synthetic_dir, tmp_path):
    """A copy without the manifest: once edited it is a supplied extract (a stale manifest is tested on its own)."""
    dest = tmp_path / "data"
    shutil.copytree(synthetic_dir, dest, ignore=shutil.ignore_patterns("manifest.json"))
    return dest


def _edit(folder, table, fn):
    path = folder / f"{table}.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df = fn(df)
    df.to_csv(path, index=False)


def _messages(folder):
    problems, _ = validate_dir(folder)
    return [str(p) for p in problems]


def _one(folder, *fragments):
    msgs = _messages(folder)
    hits = [m for m in msgs if all(f in m for f in fragments)]
    assert hits, f"no message with {fragments}; got {msgs}"
    return hits[0]


def test_clean_synthetic_data_passes(synthetic_dir):
    assert _messages(synthetic_dir) == []


def test_missing_file(copy):
    (copy / "county_month.csv").unlink()
    _one(copy, "county_month.csv", "required file is missing")


def test_missing_column(copy):
    _edit(copy, "office_month", lambda d: d.drop(columns=["nae_exits"]))
    _one(copy, "office_month.csv", "'nae_exits'", "required column is missing")


def test_wrong_type(copy):
    def corrupt(d):
        d.loc[3, "nae_users"] = "many"
        return d

    _edit(copy, "office_month", corrupt)
    msg = _one(copy, "office_month.csv", "'nae_users'", "not a valid int")
    assert "office_id=1, month=2012-04" in msg


def test_share_outside_0_1(copy):
    _edit(
        copy,
        "county_month",
        lambda d: d.assign(health_benefit_share=d["health_benefit_share"].where(d.index != 0, "1.5")),
    )
    msg = _one(copy, "county_month.csv", "'health_benefit_share'", "share outside 0–1")
    assert "county_id=01, month=2012-01" in msg


def test_negative_count(copy):
    _edit(copy, "office_month", lambda d: d.assign(women=d["women"].where(d.index != 5, "-2")))
    _one(copy, "office_month.csv", "'women'", "negative count", "office_id=1, month=2012-06")


def test_exits_to_work_greater_than_exits(copy):
    def corrupt(d):
        d.loc[7, "nae_exits_to_work"] = str(int(d.loc[7, "nae_exits"]) + 1)
        return d

    _edit(copy, "office_month", corrupt)
    _one(copy, "'nae_exits_to_work'", "exits to work greater than exits", "office_id=1, month=2012-08")


def test_duplicate_key(copy):
    _edit(copy, "office_month", lambda d: pd.concat([d, d.iloc[[10]]]))
    _one(copy, "office_month.csv", "duplicate key", "office_id=1, month=2012-11")


def test_office_in_two_counties(copy):
    def corrupt(d):
        extra = d.iloc[[0]].copy()
        extra["county_id"] = "20"
        return pd.concat([d, extra])

    _edit(copy, "offices", corrupt)
    _one(copy, "offices.csv", "office in two counties", "office_id=1")


def test_unknown_indicator_code(copy):
    _edit(copy, "indicator_values", lambda d: d.assign(indicator=d["indicator"].where(d.index != 0, "happiness")))
    _one(copy, "indicator_values.csv", "unknown indicator code", "indicator=happiness")


def test_month_outside_panel(copy):
    _edit(copy, "county_month", lambda d: d.assign(month=d["month"].where(d.index != 0, "2016-01")))
    _one(copy, "county_month.csv", "month outside the panel 2012-01..2015-10")


def test_malformed_month(copy):
    _edit(copy, "municipality_month", lambda d: d.assign(month=d["month"].where(d.index != 0, "jan 2012")))
    _one(copy, "municipality_month.csv", "not a month of the form YYYY-MM")


def test_gap_in_office_months_is_a_warning_and_load_continues(copy):
    _edit(copy, "office_month", lambda d: d[~((d["office_id"] == "7") & (d["month"] == "2013-06"))])
    _one(copy, "WARNING", "gap in an office's months", "office_id=7")
    raw = load_raw(copy)
    assert [w.rule for w in raw.warnings] == ["gap in an office's months"]


def test_load_raw_raises_with_every_error_listed(copy):
    _edit(copy, "office_month", lambda d: d.assign(women=d["women"].where(d.index != 5, "-2")))
    _edit(copy, "indicator_values", lambda d: d.assign(indicator=d["indicator"].where(d.index != 0, "happiness")))
    with pytest.raises(DataContractError) as err:
        load_raw(copy)
    assert "negative count" in str(err.value) and "unknown indicator code" in str(err.value)


def test_input_folder_is_never_written(copy):
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in copy.iterdir()}
    load_raw(copy)
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in copy.iterdir()}
    assert before == after


def test_column_map_renames_analyst_columns(copy):
    _edit(copy, "office_month", lambda d: d.rename(columns={"nae_users": "antall_nae"}))
    (copy / "column_map.csv").write_text("table,source_column,column\noffice_month,antall_nae,nae_users\n")
    assert _messages(copy) == []


def test_excel_table_is_read(copy):
    df = pd.read_csv(copy / "offices.csv", dtype={"municipality_id": str, "county_id": str})
    (copy / "offices.csv").unlink()
    df.to_excel(copy / "offices.xlsx", index=False)
    assert _messages(copy) == []


def test_cli_exit_codes(synthetic_dir, copy):
    ok = subprocess.run(
        [sys.executable, "-m", "malstyring", "validate", str(synthetic_dir)], capture_output=True, text=True
    )
    assert ok.returncode == 0 and "0 error(s), 0 warning(s)" in ok.stdout
    (copy / "offices.csv").unlink()
    bad = subprocess.run([sys.executable, "-m", "malstyring", "validate", str(copy)], capture_output=True, text=True)
    assert bad.returncode == 1 and "offices.csv: required file is missing" in bad.stdout
