"""Where the project's reference data and notebooks live, and the environment variable of a run's shared folder."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
REFERENCE_DIR = REPO_ROOT / "data" / "reference"
NOTEBOOK_DIR = REPO_ROOT / "notebooks"
"""The chapters' sources; chapters run with this folder as their working directory, so a relative ``data_dir``
parameter is relative to it."""
RUN_SHARE_ENV = "MALSTYRING_RUN_SHARE"
"""Environment variable naming a folder that lives for one run of the chapters (``scripts/execute_chapters.py`` sets
it and deletes the folder afterwards): chapters executed in that run share identical Monte Carlo re-draws instead of
computing them twice (:func:`malstyring.analysis.robustness.monte_carlo_draws`). Results are the same with or
without it; nothing is kept between runs."""
FIGURE_FORMATS_ENV = "MALSTYRING_FIGURE_FORMATS"
"""Environment variable naming the formats a chapter's figures are rendered in, comma-separated (default
``svg,pdf``: SVG for the HTML, PDF for the LaTeX build; :func:`malstyring.book.figures.figure_formats`).
``make chapter`` rebuilds only the HTML and sets ``svg``."""
