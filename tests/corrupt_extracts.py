"""Corrupted copies of a small clean extract, one per class of bad input a NAV analyst's export can have.

``small_extract`` cuts a generated synthetic folder down to its first offices (a valid supplied extract: no
manifest); each :class:`Case` corrupts a copy of it in one way and states the outcome the validator must give.
"""

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

N_OFFICES = 30


def small_extract(synthetic: Path, dest: Path, n_offices: int = N_OFFICES) -> Path:
    """The first ``n_offices`` offices of a synthetic folder with all their rows, as a supplied extract."""
    dest.mkdir(parents=True, exist_ok=True)
    text = {"municipality_id": str, "county_id": str, "month": str}
    for path in sorted(synthetic.glob("*.csv")):
        df = pd.read_csv(path, dtype=text)
        if "office_id" in df.columns:
            df = df[df["office_id"] <= n_offices]
        df.to_csv(dest / path.name, index=False, lineterminator="\n")
    return dest


def _read(folder: Path, table: str) -> pd.DataFrame:
    return pd.read_csv(folder / f"{table}.csv", dtype=str, keep_default_na=False)


def _write(folder: Path, table: str, df: pd.DataFrame) -> None:
    df.to_csv(folder / f"{table}.csv", index=False, lineterminator="\n")


def _edit(table: str, fn: Callable[[pd.DataFrame], pd.DataFrame]) -> Callable[[Path], None]:
    def corrupt(folder: Path) -> None:
        _write(folder, table, fn(_read(folder, table)))

    return corrupt


def _set(table: str, column: str, row: int, value: str) -> Callable[[Path], None]:
    def fn(df: pd.DataFrame) -> pd.DataFrame:
        df.loc[row, column] = value
        return df

    return _edit(table, fn)


def _header_only(folder: Path) -> None:
    _write(folder, "offices", _read(folder, "offices").iloc[:0])


def _empty(folder: Path) -> None:
    (folder / "county_month.csv").write_bytes(b"")


def _cp1252(folder: Path) -> None:
    path = folder / "offices.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("cp1252"))


def _csv_as_xlsx(folder: Path) -> None:
    (folder / "offices.csv").rename(folder / "offices.xlsx")


def _semicolon(folder: Path) -> None:
    df = pd.read_csv(folder / "county_month.csv", dtype={"county_id": str})
    df.to_csv(folder / "county_month.csv", index=False, sep=";", decimal=",")


def _excel(folder: Path, sheets: dict[str, int], table_sheet: str) -> None:
    """offices as .xlsx, the table on ``table_sheet`` under ``sheets[table_sheet]`` rows; other sheets hold a note."""
    df = _read(folder, "offices")
    (folder / "offices.csv").unlink()
    with pd.ExcelWriter(folder / "offices.xlsx") as xl:
        for sheet, skip in sheets.items():
            if sheet == table_sheet:
                if skip:
                    pd.DataFrame([["NAV offices, extract of 2016"]]).to_excel(
                        xl, sheet_name=sheet, index=False, header=False
                    )
                df.to_excel(xl, sheet_name=sheet, index=False, startrow=skip)
            else:
                pd.DataFrame({"note": ["exported from the warehouse"]}).to_excel(xl, sheet_name=sheet, index=False)


def _excel_dates(folder: Path) -> None:
    """A table saved from a spreadsheet that turned '2012-01' into the date 2012-01-01."""
    df = _read(folder, "county_month")
    df["month"] = pd.to_datetime(df["month"])
    (folder / "county_month.csv").unlink()
    df.to_excel(folder / "county_month.xlsx", index=False)


def _both_formats(folder: Path) -> None:
    _read(folder, "offices").to_excel(folder / "offices.xlsx", index=False)


def _rename(table: str, old: str, new: str) -> Callable[[Path], None]:
    return _edit(table, lambda d: d.rename(columns={old: new}))


def _column_map(text: str, rename: tuple[str, str, str] | None = None) -> Callable[[Path], None]:
    def corrupt(folder: Path) -> None:
        if rename:
            _rename(*rename)(folder)
        (folder / "column_map.csv").write_text("table,source_column,column\n" + text, encoding="utf-8")

    return corrupt


def _drop(table: str, **where: str) -> Callable[[Path], None]:
    def fn(df: pd.DataFrame) -> pd.DataFrame:
        hit = pd.Series(True, index=df.index)
        for col, value in where.items():
            hit &= df[col] == value
        assert hit.any(), f"{table}: no row with {where}"
        return df[~hit]

    return _edit(table, fn)


def _stale_manifest(manifest: dict) -> Callable[[Path], None]:
    """A generated folder's manifest left in an extract whose files differ from the generated ones."""

    def corrupt(folder: Path) -> None:
        (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")

    return corrupt


@dataclass(frozen=True)
class Case:
    """One corruption and its outcome: ``validate``'s exit code (without ``--allow-warnings``), the file the
    message names, fragments the message line must contain, and ``frame``'s exit code where it matters."""

    name: str
    corrupt: Callable[[Path], None]
    exit_code: int
    file: str = ""
    says: tuple[str, ...] = ()
    frame_exit: int | None = None


def cases(manifest: dict) -> list[Case]:
    """Every class of bad input; ``manifest`` is a generated folder's manifest (for the stale-manifest case)."""
    return [
        Case("header_only", _header_only, 1, "offices.csv", ("no data rows",)),
        Case("empty_file", _empty, 1, "county_month.csv", ("file is empty",)),
        Case("cp1252", _cp1252, 1, "offices.csv", ("not UTF-8", "tried encoding utf-8", "byte 0xd8")),
        Case("csv_saved_as_xlsx", _csv_as_xlsx, 1, "offices.xlsx", ("not an Excel workbook", "openpyxl")),
        Case("semicolon_decimal_comma", _semicolon, 0),
        Case(
            "excel_second_sheet",
            lambda f: _excel(f, {"Notes": 0, "Data": 0}, "Data"),
            1,
            "offices.xlsx",
            ("sheet 'Data'",),
        ),
        Case(
            "excel_title_row", lambda f: _excel(f, {"Offices": 2}, "Offices"), 1, "offices.xlsx", ("header on row 3",)
        ),
        Case("two_formats", _both_formats, 1, "offices.csv", ("two formats of one table", "offices.xlsx", "ambiguous")),
        Case(
            "near_miss_case",
            _rename("office_month", "office_id", "Office_ID"),
            1,
            "office_month.csv",
            ("'office_id'", "required column is missing", "did you mean 'Office_ID'"),
        ),
        Case(
            "near_miss_space",
            _rename("office_month", "nae_users", "nae_users "),
            1,
            "office_month.csv",
            ("'nae_users'", "did you mean 'nae_users '"),
        ),
        Case(
            "column_map_unknown_table",
            _column_map("ofice_month,antall,nae_users\n", ("office_month", "nae_users", "antall")),
            1,
            "column_map.csv",
            ("unknown table 'ofice_month'", "did you mean 'office_month'", "line 2"),
        ),
        Case(
            "column_map_unknown_column",
            _column_map("office_month,antall,nae_user\n", ("office_month", "nae_users", "antall")),
            1,
            "column_map.csv",
            ("'nae_user' is not a column of office_month", "did you mean 'nae_users'"),
        ),
        Case(
            "column_map_source_absent",
            _column_map("office_month,antal,nae_users\n", ("office_month", "nae_users", "antall")),
            1,
            "office_month.csv",
            ("maps source column 'antal'", "did you mean 'antall'"),
        ),
        Case(
            "column_map_empty_cell",
            _column_map("office_month,,nae_users\n"),
            1,
            "column_map.csv",
            ("empty cell", "line 2"),
        ),
        Case(
            "column_map_source_mapped_twice",
            _column_map(
                "office_month,antall,nae_users\noffice_month,antall,nae_exits\n",
                ("office_month", "nae_users", "antall"),
            ),
            1,
            "column_map.csv",
            ("office_month.antall is mapped twice", "line 3"),
        ),
        Case(
            "csv_saved_as_parquet",
            lambda f: (f / "county_month.csv").rename(f / "county_month.parquet"),
            1,
            "county_month.parquet",
            ("not a Parquet file",),
        ),
        Case(
            "mapped_onto_an_existing_column",
            _column_map("office_month,nae_exits,nae_users\n"),
            1,
            "office_month.csv",
            ("['nae_users'] appear twice", "column_map.csv"),
        ),
        Case(
            "excel_months_as_dates",
            _excel_dates,
            1,
            "county_month.xlsx",
            ("sheet 'Sheet1'", "'month'", "not a month of the form YYYY-MM", "turned months into dates"),
        ),
        Case(
            "office_without_office_months",
            _drop("office_month", office_id="5"),
            1,
            "offices.csv",
            ("WARNING", "office has no rows in office_month.csv", "office_id=5"),
            frame_exit=0,
        ),
        Case(
            "missing_county_month",
            _drop("county_month", county_id="01", month="2013-04"),
            1,
            "county_month.csv",
            ("WARNING", "no row for 1 county-month(s)", "county_id=01, month=2013-04"),
            frame_exit=0,
        ),
        Case(
            "missing_municipality_year",
            _drop("municipality_year", municipality_id="0101", year="2013"),
            1,
            "municipality_year.csv",
            ("WARNING", "municipality-year(s)", "municipality_id=0101, year=2013"),
        ),
        Case(
            "unknown_county_code",
            _set("offices", "county_id", 0, "13"),
            1,
            "offices.csv",
            ("'county_id'", "unknown code", "office_id=1"),
        ),
        Case(
            "leading_zeros_lost",
            _set("offices", "municipality_id", 0, "101"),
            1,
            "offices.csv",
            ("'municipality_id'", "not a 4-digit code", "leading zeros lost", "office_id=1"),
        ),
        Case(
            "misnamed_file",
            lambda f: (f / "offices.csv").rename(f / "Offices.CSV"),
            1,
            "offices.csv",
            ("required file is missing", "did you mean 'Offices.CSV'"),
        ),
        Case(
            "absurd_count",
            _set("office_month", "nae_users", 3, "1000000000000"),
            1,
            "office_month.csv",
            ("'nae_users'", "above the plausible maximum", "office_id=1, month=2012-04"),
            frame_exit=1,
        ),
        Case(
            "absurd_float",
            _set("office_month", "staff_mean_salary_nok", 3, "1e300"),
            1,
            "office_month.csv",
            ("'staff_mean_salary_nok'", "above the plausible maximum"),
        ),
        Case(
            "infinite_share",
            _set("county_month", "labour_demand", 0, "inf"),
            1,
            "county_month.csv",
            ("'labour_demand'", "above the plausible maximum", "county_id=01, month=2012-01"),
        ),
        Case(
            "indicator_missing_everywhere",
            _edit("indicator_values", lambda d: d[d["indicator"] != "contact_48h"]),
            1,
            "indicator_values.csv",
            ("indicator code 'contact_48h' has no value in any month",),
            frame_exit=1,
        ),
        Case(
            "stale_manifest",
            _stale_manifest(manifest),
            1,
            "manifest.json",
            ("does not match the files", "treated as supplied data"),
        ),
    ]


def copy_and_corrupt(clean: Path, dest: Path, case: Case) -> Path:
    """A corrupted copy of ``clean`` at ``dest``."""
    shutil.copytree(clean, dest)
    case.corrupt(dest)
    return dest
