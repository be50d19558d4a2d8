"""CSV reading with file lines, and cell checks that name row and column."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from theratrial.errors import TableError
from theratrial.stats._table import bool_column, numeric_column, read_csv_table, require_columns


def test_lines_skip_blank_rows(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(" a , b\n1,2\n\n3,x\n")
    frame = read_csv_table(path)
    assert list(frame.columns) == ["a", "b"]
    assert list(frame.index) == [2, 4]
    with pytest.raises(TableError) as info:
        numeric_column(frame, "b")
    assert (info.value.file, info.value.line, info.value.field) == (str(path), 4, "b")


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_text("")
    with pytest.raises(TableError, match="empty"):
        read_csv_table(path)


def test_missing_values_and_case_insensitive_columns() -> None:
    frame = pd.DataFrame({"Dose_Gy": ["1.5", "", "NA", " 2 "]})
    cols = require_columns(frame, ["dose_gy"], what="x")
    values = numeric_column(frame, cols["dose_gy"])
    assert np.isnan(values[1])
    assert np.isnan(values[2])
    assert values[3] == 2.0
    with pytest.raises(TableError, match="row 2: empty value"):
        numeric_column(frame, "Dose_Gy", allow_missing=False)


def test_bool_column_with_labels() -> None:
    frame = pd.DataFrame({"bor": ["CR", "pr", "SD", ""], "flag": ["yes", "0", "true", "maybe"]})
    assert bool_column(frame, "bor", positive=["CR", "PR"])[:3].tolist() == [1.0, 1.0, 0.0]
    with pytest.raises(TableError, match="row 4: 'maybe' is not a yes/no value"):
        bool_column(frame, "flag")
