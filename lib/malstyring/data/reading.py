"""Finding and reading the contract tables of a data folder (CSV, Parquet or Excel) and the optional column map.

Nothing here raises for a data problem: a file that cannot be read becomes a :class:`Problem` naming the file, the
format or encoding tried and what to do. What is accepted:

* CSV in UTF-8 (with or without a byte-order mark), separated by ``,``; a file whose header is separated by ``;``
  is read with ``;`` and decimal commas (Norwegian Excel's "CSV"); a tab-separated file with tabs.
* Parquet, and Excel ``.xlsx`` with the table on any sheet under any number of title rows: the header is the row
  (within the first :data:`HEADER_SEARCH_ROWS` of a sheet) holding most of the expected column names; a table not
  at the top of the first sheet is read with a warning naming the sheet and row.

Exactly one file per table: ``offices.csv`` next to ``offices.xlsx`` is ambiguous and rejected.
"""

import difflib
import io
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import codebook as cb

MAPPING_FILE = "column_map.csv"
MAPPING_COLUMNS = ("table", "source_column", "column")
HEADER_SEARCH_ROWS = 20
ZIP_MAGIC, PARQUET_MAGIC = b"PK\x03\x04", b"PAR1"


@dataclass(frozen=True)
class Problem:
    """One broken rule: where (file, column, keys) and what (rule), with how many rows break it."""

    file: str
    column: str
    rule: str
    keys: tuple[str, ...] = ()
    n_rows: int = 0
    severity: str = "error"

    def __str__(self) -> str:
        where = f"{self.file}: column '{self.column}'" if self.column else self.file
        rows = ""
        if self.n_rows:
            shown = "; ".join(self.keys)
            more = f" (+{self.n_rows - len(self.keys)} more)" if self.n_rows > len(self.keys) else ""
            rows = f" [{self.n_rows} row(s): {shown}{more}]"
        return f"{self.severity.upper()}: {where}: {self.rule}{rows}"


class ReadError(Exception):
    """A file that cannot be read as a table; ``problem`` says which file, what was tried and what to do."""

    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


def did_you_mean(name: str, candidates: list[str]) -> str:
    """' (did you mean 'x'?)' for the candidate equal to ``name`` up to case, spaces and hyphens, or close to it
    in spelling; '' when none is."""

    def norm(s: str) -> str:
        return "_".join(str(s).replace("-", " ").split()).casefold()

    same = [c for c in candidates if norm(c) == norm(name)]
    close = same or difflib.get_close_matches(name, [str(c) for c in candidates], n=1, cutoff=0.75)
    return f" (did you mean {close[0]!r}?)" if close else ""


def find_files(data_dir: Path) -> tuple[dict[str, Path], list[Problem]]:
    """The one file of each contract table in ``data_dir``; a missing table or two formats of one are errors."""
    found: dict[str, Path] = {}
    problems = []
    for table in cb.TABLES:
        paths = [data_dir / f"{table}{s}" for s in cb.READ_SUFFIXES if (data_dir / f"{table}{s}").is_file()]
        if not paths:
            others = ", ".join(cb.READ_SUFFIXES[1:])
            hint = did_you_mean(f"{table}.csv", [p.name for p in data_dir.iterdir() if p.is_file()])
            problems.append(Problem(f"{table}.csv", "", f"required file is missing (also looked for {others}){hint}"))
        elif len(paths) > 1:
            names = " and ".join(p.name for p in paths)
            rule = f"two formats of one table ({names}): ambiguous, keep exactly one"
            problems.append(Problem(paths[0].name, "", rule))
        else:
            found[table] = paths[0]
    return found, problems


def _decode(path: Path) -> str:
    data = path.read_bytes()
    if not data.strip():
        raise ReadError(Problem(path.name, "", "file is empty (no bytes, or only blank lines); export the table again"))
    if data.startswith(ZIP_MAGIC) or data.startswith(PARQUET_MAGIC):
        kind = "an Excel workbook (.xlsx)" if data.startswith(ZIP_MAGIC) else "a Parquet file"
        raise ReadError(Problem(path.name, "", f"is {kind} with a .csv name; rename it to the right suffix"))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        byte = data[err.start : err.start + 1].hex()
        rule = (
            f"not UTF-8 text (tried encoding utf-8: byte 0x{byte} at byte offset {err.start} is invalid); it looks "
            "like Windows-1252/Latin-1: save it as 'CSV UTF-8'"
        )
        raise ReadError(Problem(path.name, "", rule)) from None


def _read_csv(path: Path, text_cols: list[str]) -> pd.DataFrame:
    """A CSV file as text; the separator is taken from the header line (see the module docstring)."""
    text = _decode(path)
    header = text.splitlines()[0]
    sep = max([",", ";", "\t"], key=header.count)
    decimal = "," if sep == ";" else "."
    try:
        df = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            decimal=decimal,
            dtype={c: str for c in text_cols},
            keep_default_na=False,
            na_values=[""],
        )
    except (pd.errors.ParserError, ValueError) as err:
        shown = {"\t": "tab"}.get(sep, sep)
        rule = f"cannot be read as CSV (utf-8, separator {shown!r}, decimal {decimal!r}): {str(err).strip()}"
        raise ReadError(Problem(path.name, "", rule)) from None
    return df


def _read_parquet(path: Path) -> pd.DataFrame:
    if path.read_bytes()[:4] != PARQUET_MAGIC:
        raise ReadError(Problem(path.name, "", "not a Parquet file (no PAR1 signature); is it a renamed CSV?"))
    try:
        return pd.read_parquet(path)
    except Exception as err:  # noqa: BLE001 - pyarrow raises many types for a corrupt file; all are read errors
        raise ReadError(Problem(path.name, "", f"cannot be read as Parquet: {err}")) from None


def _read_excel(path: Path, expected: set[str], text_cols: list[str]) -> tuple[pd.DataFrame, str, list[Problem]]:
    """The sheet and header row holding most of ``expected``; returns (table, label naming the sheet, warnings)."""
    if path.read_bytes()[:4] != ZIP_MAGIC:
        rule = (
            "not an Excel workbook (tried .xlsx with openpyxl: a workbook is a zip archive and this file is not); "
            "is it a CSV saved with an .xlsx name? Rename it to .csv"
        )
        raise ReadError(Problem(path.name, "", rule))
    try:
        heads = pd.read_excel(path, sheet_name=None, header=None, nrows=HEADER_SEARCH_ROWS, dtype=object)
    except Exception as err:  # noqa: BLE001 - openpyxl and zipfile raise many types for a damaged workbook
        raise ReadError(Problem(path.name, "", f"cannot be read as an Excel workbook (openpyxl): {err}")) from None
    best = (0, next(iter(heads), ""), 0)  # (names found, sheet, header row)
    for sheet, head in heads.items():
        for row in range(len(head)):
            found = len({str(v).strip() for v in head.iloc[row] if pd.notna(v)} & expected)
            best = max(best, (found, sheet, row), key=lambda b: b[0])
    _, sheet, row = best
    label = f"{path.name} (sheet '{sheet}')"
    df = pd.read_excel(path, sheet_name=sheet, header=row, dtype={c: str for c in text_cols})
    first = next(iter(heads), "")
    warnings = []
    if (sheet, row) != (first, 0):
        rule = f"table read from sheet '{sheet}' with its header on row {row + 1} (not at the top of the first sheet)"
        warnings.append(Problem(label, "", rule, severity="warning"))
    return df, label, warnings


def read_table(path: Path, table: str, rename: dict[str, str] | None = None) -> tuple[pd.DataFrame, str, list]:
    """Read one table, keeping identifier and month columns as text and renaming mapped columns.

    Returns (table, file label for messages — the file name, plus the sheet for Excel —, problems: warnings and
    errors about the mapping). Raises :class:`ReadError` when the file cannot be read at all or has no data rows.
    """
    rename = rename or {}
    text_cols = cb.text_columns(table)
    text_source = [src for src, to in rename.items() if to in text_cols] + text_cols
    label, problems = path.name, []
    if path.suffix == ".csv":
        df = _read_csv(path, text_source)
    elif path.suffix == ".parquet":
        df = _read_parquet(path)
    else:
        expected = set(cb.columns(table)["column"]) | set(rename)
        df, label, problems = _read_excel(path, expected, text_source)
    df.columns = [str(c) for c in df.columns]
    if df.empty:
        raise ReadError(Problem(label, "", "no data rows (the file holds only a header)"))
    for src in rename:
        if src not in df.columns and rename[src] not in df.columns:
            rule = f"{MAPPING_FILE} maps source column {src!r}, which is not in the file{did_you_mean(src, list(df))}"
            problems.append(Problem(label, src, rule))
    df = df.rename(columns=rename)
    twice = sorted({c for c in df.columns if list(df.columns).count(c) > 1})
    if twice:
        rule = (
            f"column(s) {twice} appear twice once {MAPPING_FILE} is applied: map a source column or keep the contract's"
        )
        raise ReadError(Problem(label, "", rule))
    for col in text_cols:
        if col in df.columns:
            df[col] = df[col].astype("string").astype(object).where(df[col].notna(), None)
    return df, label, problems


def column_map(data_dir: Path) -> tuple[dict[str, dict[str, str]], list[Problem]]:
    """The optional ``column_map.csv`` (table, source_column, column): the analyst's names -> contract names.

    Every row is checked: a known table, a contract column of that table, no empty cell, no source column mapped
    twice and no contract column mapped from two sources. Rows are named by their line in the file.
    """
    path = data_dir / MAPPING_FILE
    if not path.is_file():
        return {}, []
    try:
        mapping = _read_csv(path, list(MAPPING_COLUMNS))
    except ReadError as err:
        if "file is empty" in err.problem.rule:
            return {}, []
        return {}, [err.problem]
    mapping.columns = [str(c) for c in mapping.columns]
    missing = [c for c in MAPPING_COLUMNS if c not in mapping.columns]
    if missing:
        hints = "".join(did_you_mean(m, list(mapping.columns)) for m in missing)
        return {}, [Problem(MAPPING_FILE, "", f"missing column(s) {missing}{hints}; expected {list(MAPPING_COLUMNS)}")]
    problems = []
    out: dict[str, dict[str, str]] = {}
    for i, row in enumerate(mapping[list(MAPPING_COLUMNS)].itertuples(index=False), start=2):
        key = (f"line {i}",)
        table, source, column = (None if pd.isna(v) else str(v) for v in row)
        if not (table and source and column):
            problems.append(
                Problem(MAPPING_FILE, "", "empty cell (table, source_column and column are required)", key, 1)
            )
        elif table not in cb.TABLES:
            rule = f"unknown table {table!r}{did_you_mean(table, list(cb.TABLES))}"
            problems.append(Problem(MAPPING_FILE, "table", rule, key, 1))
        elif column not in set(cb.columns(table)["column"]):
            rule = f"{column!r} is not a column of {table}{did_you_mean(column, list(cb.columns(table)['column']))}"
            problems.append(Problem(MAPPING_FILE, "column", rule, key, 1))
        elif source in out.get(table, {}):
            problems.append(Problem(MAPPING_FILE, "source_column", f"{table}.{source} is mapped twice", key, 1))
        elif column in out.get(table, {}).values():
            rule = f"{table}.{column} is mapped from two source columns"
            problems.append(Problem(MAPPING_FILE, "column", rule, key, 1))
        else:
            out.setdefault(table, {})[source] = column
    return out, problems
