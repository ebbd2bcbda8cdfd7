"""Validation of notebook parameters: one clear message naming the bad parameter and what is allowed."""

from pathlib import Path

from .operationalise import ATTAINMENT_CODINGS


class ParameterError(ValueError):
    """A chapter parameter has a value that is not allowed."""


def _fail(name: str, value, allowed: str):
    raise ParameterError(f"parameter '{name}' = {value!r} is not allowed; allowed: {allowed}")


def check_parameters(**params) -> dict:
    """Check the chapter parameters that are given; return them unchanged.

    Known parameters: data_dir (an existing folder), seed (integer >= 0), lead (integer 1–24 months),
    percentile (0–100, exclusive), attainment ('strict' or 'partial'), exclude_years (list of 2012–2015),
    drop_smallest (share 0–1), n_offices_per_decile (integer 1–5), scheduler ('' or a Dask address) and the
    robustness chapter's replication counts.
    """
    for name, value in params.items():
        if name == "data_dir":
            if not isinstance(value, str | Path) or not Path(value).is_dir():
                _fail(name, value, "the path of an existing data folder")
        elif name == "seed":
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                _fail(name, value, "a whole number >= 0")
        elif name == "lead":
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 24:
                _fail(name, value, "a whole number of months from 1 to 24")
        elif name == "percentile":
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 100:
                _fail(name, value, "a number strictly between 0 and 100")
        elif name == "attainment":
            if value not in ATTAINMENT_CODINGS:
                _fail(name, value, " or ".join(repr(c) for c in ATTAINMENT_CODINGS))
        elif name == "exclude_years":
            if not isinstance(value, list | tuple) or not all(y in (2012, 2013, 2014, 2015) for y in value):
                _fail(name, value, "a list of years from 2012 to 2015, e.g. [2012]")
        elif name == "drop_smallest":
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1:
                _fail(name, value, "a share from 0 up to (not including) 1")
        elif name in ("n_boot", "spec_boot"):
            if isinstance(value, bool) or not isinstance(value, int) or not 99 <= value <= 99999:
                _fail(name, value, "a whole number of bootstrap replications from 99 to 99999")
        elif name == "n_replications":
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5000:
                _fail(name, value, "a whole number of Monte Carlo panels from 1 to 5000")
        elif name == "mc_index_effect":
            if isinstance(value, bool) or not isinstance(value, int | float) or not -1 <= value <= 1:
                _fail(name, value, "a true index coefficient between -1 and 1")
        elif name == "n_jobs":
            if isinstance(value, bool) or not isinstance(value, int) or value == 0 or value < -1:
                _fail(name, value, "a positive number of workers, or -1 for all cores")
        elif name == "min_persons":
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100:
                _fail(name, value, "a whole number of persons from 1 to 100")
        elif name == "scheduler":
            if not isinstance(value, str) or (value and "://" not in value):
                _fail(name, value, "'' (local processes) or a Dask scheduler address such as 'tcp://10.0.0.5:8786'")
        elif name == "n_offices_per_decile":
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
                _fail(name, value, "a whole number from 1 to 5")
        else:
            raise ParameterError(f"unknown parameter '{name}'")
    return params
