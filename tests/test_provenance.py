"""Data count as synthetic only when manifest.json's checksums match every file the loader reads and the generator
version is this code's; everything else is supplied data (disclosure control on), with a warning when a manifest
claiming synthetic data does not match. Pages name the folder and a short checksum, never the absolute path."""

import json
import shutil

import pytest

from malstyring.book import notices
from malstyring.data import provenance as prov
from malstyring.data.provenance import GENERATOR_VERSION
from malstyring.synthetic.generator import generate


@pytest.fixture
def folder(synthetic_dir, tmp_path):
    dest = tmp_path / "my extract"
    shutil.copytree(synthetic_dir, dest)
    return dest


def _manifest(folder, **changes):
    path = folder / "manifest.json"
    path.write_text(json.dumps(json.loads(path.read_text(encoding="utf-8")) | changes), encoding="utf-8")


def test_an_unchanged_generated_folder_is_synthetic(folder):
    p = prov.provenance(folder)
    assert p.synthetic and p.warning == "" and not prov.disclosure_control(folder)
    assert prov.read_manifest(folder)["generator_version"] == GENERATOR_VERSION


@pytest.mark.parametrize(
    "corrupt, reason",
    [
        (lambda f: (f / "offices.csv").write_bytes(b"office_id\n1\n"), "checksum differs for offices.csv"),
        (lambda f: shutil.copy(f / "offices.csv", f / "offices.xlsx"), "not in the manifest: offices.xlsx"),
        (lambda f: (f / "column_map.csv").write_text("table,source_column,column\n"), "column_map.csv"),
        (lambda f: (f / "county_month.csv").unlink(), "not in the folder: county_month.csv"),
        (lambda f: _manifest(f, generator_version="0.9"), "generator version '0.9'"),
        (lambda f: _manifest(f, files="none"), "lists no file checksums"),
        (lambda f: (f / "manifest.json").write_text("{not json"), "cannot be read"),
    ],
    ids=["edited file", "extra format", "column map", "missing file", "unknown version", "no checksums", "bad json"],
)
def test_a_manifest_that_does_not_match_means_supplied_data_with_a_warning(folder, corrupt, reason):
    corrupt(folder)
    p = prov.provenance(folder)
    assert p.kind == "supplied" and prov.disclosure_control(folder)
    assert reason in p.warning
    assert "Supplied data" in notices.data_notice(folder).text and reason in notices.data_notice(folder).text


def test_no_manifest_or_a_manifest_of_supplied_data_is_supplied_without_a_warning(folder):
    _manifest(folder, kind="supplied")
    assert prov.provenance(folder).kind == "supplied" and prov.provenance(folder).warning == ""
    (folder / "manifest.json").unlink()
    assert prov.provenance(folder).kind == "supplied" and prov.provenance(folder).warning == ""
    assert set(prov.read_manifest(folder)["files"]) == {f"{t}.csv" for t in prov.TABLES}


@pytest.mark.parametrize("kind", ["synthetic", "supplied"])
def test_pages_name_the_folder_and_a_short_checksum_not_the_path(folder, kind):
    if kind == "supplied":
        (folder / "manifest.json").unlink()
    text = notices.data_notice(folder).text
    assert "folder `my extract`, checksum " in text and prov.provenance(folder).checksum[: prov.SHORT] in text
    assert str(folder.parent) not in text


@pytest.mark.parametrize(("effect", "printed"), [(-0.026, "\u22120.026"), (0.05, "+0.050"), (0.0, "0.000")])
def test_the_true_effect_is_written_with_its_sign_and_none_for_zero(tmp_path, effect, printed):
    generate(tmp_path / "gen", seed=1, index_effect=effect, verbose=False)
    assert f"true index effect {printed} (" in notices.describe(tmp_path / "gen")
