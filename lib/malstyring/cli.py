"""Command line: ``python -m malstyring {generate,validate,frame,fit,template} ...``.

The top of the package: it may import every layer (see :mod:`malstyring`). Choices and defaults are the
constants of the layers (model names, attainment codings, covariance types, degrees-of-freedom rules, the
operationalisation's defaults), so the command line cannot drift from the code.
"""

import argparse
import sys
from functools import partial
from pathlib import Path

import pandas as pd


def _generate(args) -> int:
    from .synthetic.generator import generate

    generate(args.out, seed=args.seed, index_effect=args.index_effect, scale=args.scale)
    return 0


def _validate(args) -> int:
    from .data.validate import validate_dir

    problems, _ = validate_dir(args.data_dir)
    for p in problems:
        print(p)
    errors = sum(p.severity == "error" for p in problems)
    warns = len(problems) - errors
    print(f"{args.data_dir}: {errors} error(s), {warns} warning(s)")
    if errors or (warns and not args.allow_warnings):
        return 1
    return 0


def _options(args):
    from .analysis.operationalise import FrameOptions

    return FrameOptions(
        lead=args.lead,
        percentile=args.percentile,
        attainment=args.attainment,
        exclude_years=tuple(args.exclude_year),
        drop_smallest=args.drop_smallest,
    )


def _frame(args) -> int:
    from .analysis.operationalise import build_frame
    from .data.loading import load_raw

    frame, flow = build_frame(load_raw(args.data_dir), _options(args))
    out = Path(args.output)
    if out.suffix == ".parquet":
        frame.to_parquet(out, index=False)
    else:  # floats as the shortest repr that reads back to the same double, so another tool can re-fit exactly
        frame.to_csv(out, index=False, lineterminator="\n")
    print(flow.to_string(index=False))
    print(f"wrote {len(frame):,} rows to {out}")
    return 0


def _fit(args) -> int:
    from .analysis.inference import DEFAULT_DF
    from .analysis.models import MODELS, fit_model, model_terms
    from .analysis.operationalise import build_frame
    from .data.loading import load_raw

    models = list(MODELS) if args.all else [args.model]
    frame, _ = build_frame(load_raw(args.data_dir), _options(args))
    if args.engine == STATSMODELS:
        from .analysis.mixedlm import fit_statsmodels

        def fit_one(model):
            return fit_statsmodels(frame, model_terms(model), model=model)
    else:
        fit_one = partial(fit_model, frame)
    df = args.df or DEFAULT_DF[args.vcov]
    parts = []
    for model in models:
        print(f"fitting {model} on {len(frame):,} rows ({args.engine}) ...", file=sys.stderr, flush=True)
        fit = fit_one(model)
        tab = fit.table(vcov=args.vcov, df=df).reset_index()
        tab.insert(0, "model", model)
        tab.insert(1, "kind", "parameter")
        stats = fit.fit_statistics().rename("estimate").rename_axis("parameter").reset_index()
        stats.insert(0, "model", model)
        stats.insert(1, "kind", "fit_statistic")
        parts += [tab, stats]
        print(
            f"  {model}: {fit.seconds:.2f} s, loglik {fit.loglik:.3f}; {fit.convergence.note()}; "
            f"p-values: {args.vcov} with {df} degrees of freedom",
            file=sys.stderr,
        )
    out = pd.concat(parts, ignore_index=True)
    out.to_csv(args.output, index=False, lineterminator="\n")
    print(f"wrote {args.output}")
    return 0


def _template(args) -> int:
    from .data.codebook import TABLES, as_markdown, codebook, columns
    from .data.reading import MAPPING_COLUMNS, MAPPING_FILE

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for table in TABLES:
        pd.DataFrame(columns=columns(table)["column"]).to_csv(out / f"{table}.csv", index=False)
    codebook().to_csv(out / "codebook.csv", index=False)
    pd.DataFrame(columns=list(MAPPING_COLUMNS)).to_csv(out / MAPPING_FILE, index=False)
    (out / "CODEBOOK.md").write_text(as_markdown(), encoding="utf-8")
    print(f"wrote empty contract tables, codebook.csv, {MAPPING_FILE} and CODEBOOK.md to {out}")
    return 0


def _add_frame_options(p: argparse.ArgumentParser) -> None:
    from .analysis.operationalise import ATTAINMENT_CODINGS, FrameOptions
    from .data.panel import YEARS

    default = FrameOptions()
    p.add_argument(
        "--lead",
        type=int,
        default=default.lead,
        help=f"months from scorecard month to outcome month (default {default.lead})",
    )
    p.add_argument(
        "--percentile",
        type=float,
        default=default.percentile,
        help=f"programme-dummy percentile, 0-100 (default {default.percentile:g})",
    )
    p.add_argument(
        "--attainment",
        choices=ATTAINMENT_CODINGS,
        default=default.attainment,
        help=f"how an indicator counts as met (default {default.attainment})",
    )
    p.add_argument(
        "--exclude-year",
        type=int,
        choices=YEARS,
        action="append",
        default=[],
        help="leave out a year (repeatable)",
    )
    p.add_argument(
        "--drop-smallest",
        type=float,
        default=default.drop_smallest,
        help=f"share of smallest offices to leave out, 0-1 (default {default.drop_smallest:g})",
    )


CLOSED_FORM, STATSMODELS = "closed-form", "statsmodels"
"""The engines of ``fit``: the book's closed-form ML engine, or statsmodels MixedLM as an independent reference."""


def main(argv: list[str] | None = None) -> int:
    from .analysis.inference import BOOK_RULE, DEFAULT_DF, DF_RULES, VCOV_TYPES
    from .analysis.models import MODELS
    from .synthetic.generator import DEFAULT_SEED, PUBLISHED_INDEX_EFFECT

    parser = argparse.ArgumentParser(prog="python -m malstyring", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("generate", help="write the synthetic panel")
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    p.add_argument(
        "--index-effect",
        type=float,
        default=PUBLISHED_INDEX_EFFECT,
        help=f"true index coefficient (default: the article's {PUBLISHED_INDEX_EFFECT})",
    )
    p.add_argument("--scale", type=int, default=1, help="N x 437 offices, for benchmarks (default 1: calibrated)")
    p.set_defaults(func=_generate)

    p = sub.add_parser("validate", help="check a data folder against the contract")
    p.add_argument("data_dir")
    p.add_argument("--allow-warnings", action="store_true", help="exit 0 when there are warnings but no errors")
    p.set_defaults(func=_validate)

    p = sub.add_parser("frame", help="write the analysis dataset and print the sample flow")
    p.add_argument("data_dir")
    p.add_argument("-o", "--output", required=True)
    _add_frame_options(p)
    p.set_defaults(func=_frame)

    p = sub.add_parser("fit", help=f"fit Models {MODELS[0]}-{MODELS[-1]}")
    p.add_argument("data_dir")
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--model", choices=MODELS)
    group.add_argument("--all", action="store_true")
    p.add_argument("-o", "--output", required=True)
    p.add_argument(
        "--engine",
        choices=[CLOSED_FORM, STATSMODELS],
        default=CLOSED_FORM,
        help="the book's closed-form ML engine (default) or statsmodels MixedLM as an independent reference",
    )
    p.add_argument(
        "--vcov",
        choices=VCOV_TYPES,
        default=BOOK_RULE.vcov,
        help=f"county-clustered covariance, named as in clubSandwich (default {BOOK_RULE.vcov}, the book's rule)",
    )
    defaults = ", ".join(f"{v}: {d}" for v, d in DEFAULT_DF.items())
    p.add_argument(
        "--df",
        choices=DF_RULES,
        default=None,
        help=f"reference distribution of the clustered t statistic (default by --vcov: {defaults}; normal is the "
        "article's reading, G-1 a t with counties - 1 degrees of freedom)",
    )
    _add_frame_options(p)
    p.set_defaults(func=_fit)

    p = sub.add_parser("template", help="write empty, correctly headed contract files and the codebook")
    p.add_argument("--out", required=True)
    p.set_defaults(func=_template)

    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ValueError as err:  # includes DataContractError: a clear message, no traceback
        print(f"error: {err}", file=sys.stderr)
        return 1
