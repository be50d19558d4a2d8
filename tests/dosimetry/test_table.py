"""Reading TAC and mass tables: units and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from theratrial.dosimetry.table import read_mass_table, read_tac_table
from theratrial.errors import TableError, UnitError


def _write(tmp_path: Path, text: str, name: str = "tac.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("column", "value", "expected_mbq"),
    [
        ("activity_mbq", "5", 5.0),
        ("activity_kbq", "5000", 5.0),
        ("activity_bq", "5e6", 5.0),
        ("activity_gbq", "0.005", 5.0),
        ("activity_mci", "1", 37.0),
        ("Activity_MBq", "5", 5.0),
    ],
)
def test_activity_units_are_converted(
    tmp_path: Path, column: str, value: str, expected_mbq: float
) -> None:
    path = _write(tmp_path, f"region,time_h,{column}\nliver,4,{value}\n")
    (curve,) = read_tac_table(path)
    assert curve.activity_mbq[0] == pytest.approx(expected_mbq)


def test_time_units_and_interleaved_regions(tmp_path: Path) -> None:
    text = "region,time_min,activity_mbq\nliver,240,5\nspleen,240,2\nliver,1440,4\n"
    curves = read_tac_table(_write(tmp_path, text), nuclide="Ac-225")
    assert [c.region for c in curves] == ["liver", "spleen"]
    assert curves[0].times_h == (4.0, 24.0)
    assert curves[0].nuclide == "Ac-225"


@pytest.mark.parametrize(
    ("text", "error", "fragment"),
    [
        ("region,time_h,activity_furlong\nliver,4,5\n", UnitError, "unknown unit 'furlong'"),
        ("region,time_h,activity\nliver,4,5\n", UnitError, "unknown unit"),
        ("region,time_h\nliver,4\n", TableError, "no activity column"),
        ("region,time_h,activity_mbq\nliver,-4,5\n", TableError, "negative time"),
        ("region,time_h,activity_mbq\nliver,24,5\nliver,4,6\n", TableError, "not after"),
        ("region,time_h,activity_mbq\nliver,4,abc\n", TableError, "not a number"),
        ("region,time_h,activity_mbq\nliver,4,-1\n", TableError, "negative activity"),
        ("region,time_h,activity_mbq\n,4,1\n", TableError, "empty region"),
        ("region,time_h,activity_mbq\n", TableError, "no data rows"),
        ("", TableError, "empty"),
    ],
)
def test_bad_tac_tables_name_the_problem(
    tmp_path: Path, text: str, error: type[Exception], fragment: str
) -> None:
    with pytest.raises(error, match=fragment) as info:
        read_tac_table(_write(tmp_path, text))
    assert "tac.csv" in str(info.value)


def test_row_number_is_reported(tmp_path: Path) -> None:
    text = "region,time_h,activity_mbq\nliver,4,5\nliver,24,x\n"
    with pytest.raises(TableError) as info:
        read_tac_table(_write(tmp_path, text))
    assert info.value.line == 3
    assert info.value.field == "activity_mbq"


def test_mass_table(tmp_path: Path) -> None:
    path = _write(tmp_path, "region,mass_kg\nliver,1.8\nspleen,0.15\n", "m.csv")
    assert read_mass_table(path) == pytest.approx({"liver": 1800.0, "spleen": 150.0})


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("region,mass_g\nliver,0\n", "positive"),
        ("region,mass_g\nliver,10\nliver,12\n", "twice"),
        ("organ,mass_g\nliver,10\n", "no region column"),
    ],
)
def test_bad_mass_tables(tmp_path: Path, text: str, fragment: str) -> None:
    with pytest.raises(TableError, match=fragment):
        read_mass_table(_write(tmp_path, text, "m.csv"))
    with pytest.raises(UnitError):
        read_mass_table(_write(tmp_path, "region,mass_lb\nliver,3\n", "m.csv"))


@pytest.mark.parametrize(
    ("text", "line", "column", "phrase"),
    [
        ("region,time_h,activity_mbq\nkidney,4,1e300\nkidney,24,80\n", 2, "activity_mbq",
         "100 GBq"),
        ("region,time_h,activity_bq\nkidney,4,1e8\nkidney,24,2e11\n", 3, "activity_bq",
         "100 GBq"),
        ("region,time_h,activity_mbq\nkidney,4,100\nkidney,1e300,80\n", 3, "time_h",
         "half-lives"),
    ],
)  # fmt: skip
def test_implausible_magnitudes_name_file_row_and_column(
    tmp_path: Path, text: str, line: int, column: str, phrase: str
) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(TableError, match=phrase) as err:
        read_tac_table(path)
    assert (err.value.file, err.value.line, err.value.field) == (str(path), line, column)
