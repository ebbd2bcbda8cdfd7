"""The generator's spread across seeds for every calibration target, and the tolerances derived from it.

For each seed in ``SEEDS`` the synthetic panel is drawn in memory (``generate_tables``), the analysis frame built
with the default options, the intercept-only model and Models 1–6 fitted, and every calibration quantity measured
(:func:`malstyring.analysis.calibration.calibration_values`). The values are written, one row per seed and
target, to ``data/reference/calibration_spread.csv``; then the star-implied standard-error bands are (re)written
from the article's Tables 1–2 (:func:`malstyring.analysis.calibration.star_band_targets`) and the ``low``,
``high`` and ``generator`` columns of ``data/reference/calibration_targets.csv`` are recomputed from that spread
(mean ± 4 SD, cut to the article band; see :func:`malstyring.analysis.calibration.derive_tolerances`). The
hand-written columns are kept.

    python scripts/calibration_spread.py            # all 20 seeds (about 3-5 s per seed, 1.5 minutes)
    python scripts/calibration_spread.py --from-spread   # only re-derive the tolerances from the stored spread
    python scripts/calibration_spread.py --untuned       # the same seeds with the tuning switched off

``--untuned`` draws the panels with :data:`malstyring.analysis.calibration.UNTUNED` (the shared monthly shock of
the other scorecard indicators, which puts the headline standard error in its band, set to 0) and writes
``data/reference/calibration_untuned.csv``, the same long table; the targets file is left alone. Set beside the
tuned spread it shows what the tuning costs other targets (appendix on the synthetic data).
"""

import argparse
import time
import warnings

import pandas as pd

from malstyring.analysis.calibration import (
    SPREAD_FILE,
    TARGETS_FILE,
    UNTUNED,
    UNTUNED_FILE,
    calibration_values,
    derive_tolerances,
    read_spread,
    read_targets,
    star_band_targets,
    write_targets,
)
from malstyring.analysis.models import fit_mixed, fit_models
from malstyring.analysis.operationalise import FrameOptions, build_frame
from malstyring.data.loading import RawData
from malstyring.data.provenance import GENERATOR_VERSION
from malstyring.synthetic.generator import generate_tables

SEEDS = tuple(range(101, 121))
"""20 seeds, disjoint from the seeds the tests use (the default 20180101, 1 and 2), so the tests are out of sample."""


def seed_values(seed: int, overrides: dict[str, float] | None = None) -> pd.Series:
    """All calibration quantities for the synthetic panel drawn with ``seed`` and the generator parameters
    ``overrides`` (units as in the targets file)."""
    raw = RawData(tables=generate_tables(seed, overrides=overrides))
    frame, _ = build_frame(raw, FrameOptions())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        null = fit_mixed(frame, [], model="null")
        fits = fit_models(frame)
    return calibration_values(raw, frame, null, fits)


def spread(seeds=SEEDS, verbose: bool = True, overrides: dict[str, float] | None = None) -> pd.DataFrame:
    """Long table: seed, id, value (one row per seed and target)."""
    rows = []
    for seed in seeds:
        start = time.perf_counter()
        values = seed_values(seed, overrides)
        rows.append(pd.DataFrame({"seed": seed, "id": values.index, "value": values.to_numpy()}))
        if verbose:
            print(f"seed {seed}: {time.perf_counter() - start:.1f} s", flush=True)
    return pd.concat(rows, ignore_index=True)


def write_spread(values: pd.DataFrame, path=SPREAD_FILE, overrides: dict[str, float] | None = None) -> None:
    """The long spread table with a header naming the script, generator version, seeds and overrides."""
    seeds = sorted(values["seed"].unique())
    setting = ", ".join(f"{k} = {v:g}" for k, v in (overrides or {}).items())
    header = (
        f"# Written by scripts/calibration_spread.py: calibration quantities of the synthetic panel (generator version "
        f"{GENERATOR_VERSION}{'; ' + setting if setting else ''}), default operationalisation, for {len(seeds)} "
        f"seeds: {', '.join(map(str, seeds))}.\n"
        "# Units as in calibration_targets.csv. "
        + ("The tolerances there are derived from these values.\n" if not overrides else "Not used for tolerances.\n")
    )
    path.write_text(header + values.to_csv(index=False, float_format="%.10g", lineterminator="\n"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from-spread", action="store_true", help="re-derive tolerances from the stored spread only")
    parser.add_argument(
        "--untuned", action="store_true", help=f"the same seeds with {UNTUNED}; writes {UNTUNED_FILE.name}"
    )
    args = parser.parse_args()
    if args.untuned:
        values = spread(overrides=UNTUNED)
        write_spread(values, UNTUNED_FILE, UNTUNED)
        print(f"wrote {UNTUNED_FILE} ({values['seed'].nunique()} seeds)")
        return
    if not args.from_spread:
        values = spread()
        write_spread(values)
        print(f"wrote {SPREAD_FILE} ({values['seed'].nunique()} seeds)")
    targets = read_targets()
    targets = pd.concat([targets[~targets["unit"].eq("se")], star_band_targets()], ignore_index=True)
    derived = derive_tolerances(targets, read_spread())
    write_targets(derived)
    print(f"wrote {TARGETS_FILE}")
    print(derived.loc[derived["generator"] == "misses", ["id", "article", "low", "high"]].to_string(index=False))


if __name__ == "__main__":
    main()
