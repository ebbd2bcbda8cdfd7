"""Where the project's reference data and default data folders live."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
REFERENCE_DIR = REPO_ROOT / "data" / "reference"
DEFAULT_DATA_DIR = REPO_ROOT / "data" / "synthetic"
