"""Shared fixtures: one synthetic panel per test session (generated, never the user's data folder)."""

import pytest

from malstyring.analysis.operationalise import FrameOptions, build_frame
from malstyring.data.loading import load_raw
from malstyring.synthetic.generator import DEFAULT_SEED, generate


@pytest.fixture(scope="session")
def synthetic_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("synthetic")
    generate(out, seed=DEFAULT_SEED, verbose=False)
    return out


@pytest.fixture(scope="session")
def raw(synthetic_dir):
    return load_raw(synthetic_dir)


@pytest.fixture(scope="session")
def frame_and_flow(raw):
    return build_frame(raw, FrameOptions())


@pytest.fixture(scope="session")
def default_fits(frame_and_flow):
    """Models M1–M6 on the default synthetic panel, fitted once per session."""
    from malstyring.analysis.models import fit_models

    return fit_models(frame_and_flow[0])
