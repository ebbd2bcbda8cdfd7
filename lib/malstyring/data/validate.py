"""Checking a data folder against the contract (reading the files is :mod:`malstyring.data.reading`'s job; loading
a folder for the analysis, :mod:`malstyring.data.loading`'s).

Every problem is reported with its file (and Excel sheet), column, row key(s) and the rule broken. Problems of the
same kind are grouped (count plus the first keys) so that one corrupt column gives one readable line, not 20,000.
The rules: each column's type, missing values, plausibility range and allowed codes from the codebook; duplicate
keys; counts not above their totals; referential completeness between offices, office-months, indicator values
and the county and municipality tables; the indicator codes the analysis uses; gaps in an office's months; and a
``manifest.json`` that claims synthetic data but does not match the files.
Errors stop the analysis; warnings (such as a month missing for an office, or a county-month without a row) are
reported and carried into the sample-flow table. Input folders are only ever read.
"""

import re
from pathlib import Path

import numpy as np
import pandas as pd

from . import codebook as cb
from .panel import PANEL_END, PANEL_START, month_number, panel_months, student_year, year_of
from .provenance import provenance
from .reading import Problem, ReadError, column_map, did_you_mean, find_files, read_table
from .reference import ATTAINMENT_DUMMIES, EFFORT_INDICATORS, FOLLOW_UP_3M, included_indicators, indicator_catalogue

JOIN_COLUMNS = {"office_id", "month", "indicator", "municipality_id", "county_id", "year"}
"""Columns the checks across tables join on: an error in one of them stops those checks."""
DIGIT_CODE = re.compile(r"^(\d)-digit code$")
"""A codebook unit such as '4-digit code': the column holds exactly that many digits."""
MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
MAX_KEYS_SHOWN = 5


def _key_strings(df: pd.DataFrame, keys: list[str], mask: pd.Series) -> tuple[tuple[str, ...], int]:
    rows = df.loc[mask, keys] if keys else df.loc[mask]
    n = int(mask.sum())
    shown = rows.head(MAX_KEYS_SHOWN)
    if keys:
        labels = tuple(", ".join(f"{k}={v}" for k, v in zip(keys, r, strict=True)) for r in shown.itertuples(False))
    else:
        labels = tuple(f"row {i + 2}" for i in shown.index)
    return labels, n


def _check_columns(name: str, df: pd.DataFrame, file: str) -> list[Problem]:
    problems: list[Problem] = []
    keys = [k for k in cb.key_columns(name) if k in df.columns]
    for spec in cb.columns(name).itertuples():
        col = spec.column
        if col not in df.columns:
            extra = [c for c in df.columns if c not in set(cb.columns(name)["column"])]
            hint = did_you_mean(col, extra)
            rule = "required column is missing" + (f"{hint}: rename it or map it in column_map.csv" if hint else "")
            problems.append(Problem(file, col, rule))
            continue
        values = df[col]
        missing = values.isna()
        if missing.any():
            k, n = _key_strings(df, keys, missing)
            problems.append(Problem(file, col, "missing value", k, n))
        present = ~missing
        if spec.dtype in ("int", "float"):
            numeric = pd.to_numeric(values, errors="coerce")
            bad_type = present & numeric.isna()
            if spec.dtype == "int":
                bad_type |= present & numeric.notna() & (numeric != np.floor(numeric))
            if bad_type.any():
                k, n = _key_strings(df, keys, bad_type)
                problems.append(Problem(file, col, f"not a valid {spec.dtype}", k, n))
            ok = present & ~bad_type
            if spec.min != "":
                low = ok & (numeric < float(spec.min))
                if low.any():
                    k, n = _key_strings(df, keys, low)
                    rule = "negative count" if spec.min == "0" and spec.dtype == "int" else f"below minimum {spec.min}"
                    if spec.unit.startswith("share"):
                        rule = "share outside 0–1"
                    problems.append(Problem(file, col, rule, k, n))
            if spec.max != "":
                high = ok & (numeric > float(spec.max))
                if high.any():
                    k, n = _key_strings(df, keys, high)
                    rule = (
                        "share outside 0–1"
                        if spec.unit.startswith("share")
                        else f"above the plausible maximum {spec.max}"
                    )
                    problems.append(Problem(file, col, rule, k, n))
        elif spec.dtype == "str":
            problems += _check_codes(spec, df, keys, file)
        elif spec.dtype == "month":
            text = values.astype(str)
            bad = present & ~text.str.match(MONTH_PATTERN)
            if bad.any():
                k, n = _key_strings(df, keys, bad)
                dated = (bad & text.str.match(r"^\d{4}-\d{2}-\d{2}")).any()
                hint = " (a spreadsheet turned months into dates? store the column as text)" if dated else ""
                problems.append(Problem(file, col, f"not a month of the form YYYY-MM{hint}", k, n))
            outside = present & ~bad & ((text < PANEL_START) | (text > PANEL_END))
            if outside.any():
                k, n = _key_strings(df, keys, outside)
                problems.append(Problem(file, col, f"month outside the panel {PANEL_START}..{PANEL_END}", k, n))
    if keys and len(keys) == len(cb.key_columns(name)):
        dup = df.duplicated(keys, keep=False)
        if dup.any():
            k, n = _key_strings(df, keys, dup)
            problems.append(Problem(file, "+".join(keys), "duplicate key", k, n))
    return problems


def _check_codes(spec, df: pd.DataFrame, keys: list[str], file: str) -> list[Problem]:
    """A code column: the codebook's number of digits (unit 'N-digit code', leading zeros kept) and its allowed
    codes."""
    values = df[spec.column]
    present = values.notna()
    text = values.astype(str)
    keys = keys or [spec.column]
    problems = []
    digits = DIGIT_CODE.match(spec.unit)
    if digits:
        n = int(digits.group(1))
        bad = present & ~text.str.fullmatch(rf"\d{{{n}}}")
        if bad.any():
            short = bad & text.str.fullmatch(rf"\d{{1,{n - 1}}}")
            hint = " (leading zeros lost? keep the column as text: '0101', not '101')" if short.any() else ""
            k, c = _key_strings(df, keys, bad)
            problems.append(Problem(file, spec.column, f"not a {n}-digit code{hint}", k, c))
        present &= ~bad
    if spec.allowed:
        bad = present & ~values.isin(spec.allowed.split("|"))
        if bad.any():
            k, c = _key_strings(df, keys, bad)
            problems.append(
                Problem(file, spec.column, f"unknown code (allowed: {spec.allowed.replace('|', ', ')})", k, c)
            )
    return problems


def _as_numeric(df: pd.DataFrame, name: str) -> pd.DataFrame:
    out = df.copy()
    for spec in cb.columns(name).itertuples():
        if spec.dtype in ("int", "float") and spec.column in out.columns:
            out[spec.column] = pd.to_numeric(out[spec.column], errors="coerce")
    return out


def _cross_checks(t: dict[str, pd.DataFrame], files: dict[str, str]) -> list[Problem]:
    problems: list[Problem] = []
    om, offices = t["office_month"], t["offices"]
    f_om = files["office_month"]
    keys = ["office_id", "month"]
    # an office in two counties: the same office_id listed with different counties
    counties = offices.groupby("office_id")["county_id"].nunique()
    two = counties[counties > 1]
    if len(two):
        shown = tuple(f"office_id={i}" for i in two.index[:MAX_KEYS_SHOWN])
        problems.append(Problem(files["offices"], "county_id", "office in two counties", shown, len(two)))
    # counts that must not exceed their totals (the codebook's at_most)
    for col, total in cb.at_most("office_month").items():
        if col in om.columns and total in om.columns:
            bad = om[col] > om[total]
            if bad.any():
                k, n = _key_strings(om, keys, bad)
                rule = "exits to work greater than exits" if col == "nae_exits_to_work" else f"greater than {total}"
                problems.append(Problem(f_om, col, rule, k, n))
    # offices known
    known = set(offices["office_id"])
    for name in ("office_month", "indicator_values"):
        unknown = ~t[name]["office_id"].isin(known)
        if unknown.any():
            k, n = _key_strings(t[name], keys, unknown)
            problems.append(Problem(files[name], "office_id", "office not in offices", k, n))
    # indicator codes
    codes = set(indicator_catalogue().index)
    iv = t["indicator_values"]
    unknown = ~iv["indicator"].isin(codes)
    if unknown.any():
        k, n = _key_strings(iv, ["office_id", "month", "indicator"], unknown)
        problems.append(Problem(files["indicator_values"], "indicator", "unknown indicator code", k, n))
    # every office's municipality and county must have controls
    for table, col in (("municipality_month", "municipality_id"), ("municipality_year", "municipality_id")):
        missing = ~offices[col].isin(set(t[table][col]))
        if missing.any():
            k, n = _key_strings(offices, ["office_id"], missing)
            problems.append(Problem(files["offices"], col, f"no rows in {files[table]}", k, n))
    missing = ~offices["county_id"].isin(set(t["county_month"]["county_id"]))
    if missing.any():
        k, n = _key_strings(offices, ["office_id"], missing)
        problems.append(Problem(files["offices"], "county_id", f"no rows in {files['county_month']}", k, n))
    # a municipality belongs to one labour-market (BA) region in every year
    my = t["municipality_year"]
    regions = my.groupby("municipality_id")["ba_region_id"].nunique()
    moved = my["municipality_id"].isin(set(regions.index[regions > 1]))
    if moved.any():
        k, n = _key_strings(my, ["municipality_id", "year"], moved)
        rule = "municipality in two BA regions (a municipality's ba_region_id must be the same in every year)"
        problems.append(Problem(files["municipality_year"], "ba_region_id", rule, k, n))
    return problems


def _missing_rows(need: pd.DataFrame, have: pd.DataFrame, file: str, what: str) -> list[Problem]:
    """A warning listing the key combinations in ``need`` (with a count column ``n``) that ``have`` lacks."""
    keys = [c for c in need.columns if c != "n"]
    merged = need.merge(have[keys].drop_duplicates(), on=keys, how="left", indicator=True)
    lost = merged[merged["_merge"] == "left_only"].reset_index(drop=True)
    if lost.empty:
        return []
    shown, n = _key_strings(lost, keys, pd.Series(True, index=lost.index))
    rule = f"no row for {n} {what} that {int(lost['n'].sum())} office-month(s) need (they lose the covariate)"
    return [Problem(file, "+".join(keys), rule, shown, n, "warning")]


def _completeness(t: dict[str, pd.DataFrame], files: dict[str, str]) -> list[Problem]:
    """Referential completeness: offices <-> office-months <-> county-month and municipality-month/-year rows, and
    the indicator codes the index and the models use."""
    problems: list[Problem] = []
    om, offices, iv = t["office_month"], t["offices"], t["indicator_values"]
    idle = ~offices["office_id"].isin(set(om["office_id"]))
    if idle.any():
        k, n = _key_strings(offices, ["office_id"], idle)
        rule = f"office has no rows in {files['office_month']} (it takes no part in the analysis)"
        problems.append(Problem(files["offices"], "office_id", rule, k, n, "warning"))
    om = om[["office_id", "month"]].merge(offices[["office_id", "municipality_id", "county_id"]], on="office_id")
    om["year"] = year_of(om["month"])
    om["student_year"] = student_year(om["month"])
    need = {
        "county_month": om.groupby(["county_id", "month"]).size(),
        "municipality_month": om.groupby(["municipality_id", "month"]).size(),
        "municipality_year": pd.concat(
            [om.groupby(["municipality_id", "year"]).size(), om.groupby(["municipality_id", "student_year"]).size()]
        )
        .groupby(level=[0, 1])
        .max(),
    }
    for table, counts in need.items():
        counts = counts.rename("n").reset_index()
        counts.columns = [*cb.key_columns(table), "n"]
        code = counts.columns[0]
        counts = counts[counts[code].isin(set(t[table][code]))]  # codes without any row are errors already
        what = table.replace("_", "-") + "(s)"
        problems += _missing_rows(counts, t[table], files[table], what)
    # indicator codes: one the analysis uses that has no value at all stops it; a year without values thins the index
    pairs = iv[["month", "indicator"]].drop_duplicates()
    pairs = pairs.assign(year=year_of(pairs["month"]))
    years = {y: set(included_indicators(y)) for y in sorted(set(pairs["year"]))}
    used = set(ATTAINMENT_DUMMIES.values()) | set(EFFORT_INDICATORS.values()) | set(FOLLOW_UP_3M.values())
    used |= set().union(*years.values())
    present = pairs.groupby("year")["indicator"].agg(set)
    anywhere = set(pairs["indicator"])
    for code in sorted(used - anywhere):
        rule = f"indicator code {code!r} has no value in any month, but the index or the models use it"
        problems.append(Problem(files["indicator_values"], "indicator", rule))
    for year, codes in years.items():
        for code in sorted((codes & anywhere) - present.get(year, set())):
            rule = f"indicator code {code!r} has no value in {year}, when Table 3 counts it (the index uses fewer)"
            problems.append(Problem(files["indicator_values"], "indicator", rule, severity="warning"))
    return problems


def _month_gaps(om: pd.DataFrame, file: str) -> list[Problem]:
    """Warnings for months missing inside an office's series and for offices that start late or end early."""
    expected = len(panel_months())
    per_office = om.groupby("office_id")["month"].nunique()
    short = per_office[per_office < expected]
    if short.empty:
        return []
    num = month_number(om["month"])
    span = num.groupby(om["office_id"]).agg(["min", "max", "count"])
    inner = span[(span["max"] - span["min"] + 1) > span["count"]].index
    problems = []
    if len(inner):
        shown = tuple(f"office_id={i}" for i in inner[:MAX_KEYS_SHOWN])
        problems.append(Problem(file, "month", "gap in an office's months", shown, len(inner), "warning"))
    edge = short.index.difference(inner)
    if len(edge):
        shown = tuple(f"office_id={i}" for i in edge[:MAX_KEYS_SHOWN])
        rule = f"office observed in fewer than the panel's {expected} months"
        problems.append(Problem(file, "month", rule, shown, len(edge), "warning"))
    return problems


def _blocks_cross_checks(p: Problem) -> bool:
    """Checks across tables join on identifiers and months: a missing column or a bad identifier stops them."""
    if p.severity != "error" or p.rule == "duplicate key":
        return False
    return p.rule.startswith("required column is missing") or p.column in JOIN_COLUMNS


def validate_dir(data_dir: str | Path) -> tuple[list[Problem], dict[str, pd.DataFrame]]:
    """Check a data folder against the contract. Returns (problems, tables read); never raises for bad data."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        return [Problem(str(data_dir), "", "data folder does not exist")], {}
    mapping, problems = column_map(data_dir)
    paths, missing = find_files(data_dir)
    problems += missing
    tables: dict[str, pd.DataFrame] = {}
    files: dict[str, str] = {}
    for name, path in paths.items():
        try:
            df, label, read_problems = read_table(path, name, mapping.get(name))
        except ReadError as err:
            problems.append(err.problem)
            continue
        files[name] = label
        problems += read_problems + _check_columns(name, df, label)
        tables[name] = _as_numeric(df, name)
    prov = provenance(data_dir)
    if prov.warning:  # the rule names manifest.json itself, so that it reads alone in the sample-flow table
        problems.append(Problem(prov.folder, "", prov.warning, severity="warning"))
    # checks across tables need every file and column; without them only the per-file problems are reported
    if len(tables) == len(cb.TABLES) and not any(_blocks_cross_checks(p) for p in problems):
        problems += _cross_checks(tables, files)
        problems += _completeness(tables, files)
        problems += _month_gaps(tables["office_month"], files["office_month"])
    return problems, tables
