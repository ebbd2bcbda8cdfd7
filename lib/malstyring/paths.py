"""Where the project's reference data and default data folders live."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
REFERENCE_DIR = REPO_ROOT / "data" / "reference"
DEFAULT_DATA_DIR = REPO_ROOT / "data" / "synthetic"
RUN_SHARE_ENV = "MALSTYRING_RUN_SHARE"
"""Environment variable naming a folder that lives for one run of the chapters (``scripts/execute_chapters.py`` sets
it and deletes the folder afterwards): chapters executed in that run share identical Monte Carlo re-draws instead of
computing them twice (:func:`malstyring.robustness.monte_carlo_draws`). Results are the same with or without it;
nothing is kept between runs."""
