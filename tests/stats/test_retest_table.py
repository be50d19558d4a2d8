"""Repeatability from a long CSV table: grouping, scan order and bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from theratrial.errors import TableError
from theratrial.stats import read_csv_table, repeatability, repeatability_from_table


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "m.csv"
    path.write_text(text)
    return path


CSV = """subject,region,scan,value
P1,liver,1,8.0
P1,liver,2,8.4
P2,liver,1,7.1
P2,liver,2,6.8
P3,liver,2,9.9
P3,liver,1,9.3
P1,lesion,1,20.0
P1,lesion,2,22.5
P2,lesion,1,14.0
P2,lesion,2,13.1
P3,lesion,1,30.0
P3,lesion,2,28.0
"""


def test_overall_and_per_region(tmp_path: Path) -> None:
    report = repeatability_from_table(read_csv_table(_write(tmp_path, CSV)))
    assert (report.n_targets, report.k_repeats, report.n_rows) == (6, 2, 12)
    assert [g.group for g in report.groups] == ["lesion", "liver"]
    liver = report.groups[1].result
    assert liver is not None
    direct = repeatability([[8.0, 8.4], [7.1, 6.8], [9.3, 9.9]])  # P3 scans re-ordered
    assert liver.wsd == pytest.approx(direct.wsd)
    assert liver.mean_difference == pytest.approx(direct.mean_difference)


def test_group_by_another_column_and_text_scan_labels() -> None:
    rows = []
    for i, (a, b, c) in enumerate([(5.0, 5.2, 5.1), (7.0, 6.6, 6.9), (3.0, 3.3, 3.1)]):
        for label, v in zip(("test", "retest", "third"), (a, b, c), strict=True):
            rows.append(
                {
                    "Subject": f"S{i}",
                    "Region": "node",
                    "Scan": label,
                    "Value": v,
                    "lesion_type": "nodal",
                }
            )
    report = repeatability_from_table(pd.DataFrame(rows), group_by="lesion_type")
    assert report.k_repeats == 3
    assert report.groups[0].group == "nodal"


def test_one_scan_only_names_line_and_column(tmp_path: Path) -> None:
    text = "subject,region,scan,value\nP1,liver,1,8\nP1,liver,2,8.2\nP2,liver,1,7\n"
    path = _write(tmp_path, text)
    with pytest.raises(TableError) as info:
        repeatability_from_table(read_csv_table(path))
    err = info.value
    assert (err.file, err.line, err.field) == (str(path), 4, "scan")
    assert "P2/liver has 1 scan(s)" in str(err)


def test_every_target_scanned_once(tmp_path: Path) -> None:
    path = _write(tmp_path, "subject,region,scan,value\nP1,liver,1,8\nP2,liver,1,7\n")
    with pytest.raises(TableError, match="one scan only"):
        repeatability_from_table(read_csv_table(path))


def test_drop_incomplete(tmp_path: Path) -> None:
    text = CSV + "P4,liver,1,5.0\n"
    report = repeatability_from_table(read_csv_table(_write(tmp_path, text)), drop_incomplete=True)
    assert report.dropped_targets == ("P4/liver",)
    assert report.n_targets == 6


def test_row_with_an_extra_cell_names_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path, CSV.replace("P2,liver,2,6.8", "P2,liver,2,6,8"))
    with pytest.raises(TableError, match="not a readable CSV") as info:
        read_csv_table(path)
    assert info.value.line == 5


def test_non_numeric_value_cell(tmp_path: Path) -> None:
    path = _write(tmp_path, CSV.replace("P2,liver,2,6.8", "P2,liver,2,high"))
    with pytest.raises(TableError) as info:
        repeatability_from_table(read_csv_table(path))
    assert (info.value.line, info.value.field) == (5, "value")
    assert "'high' is not a number" in str(info.value)


def test_missing_column(tmp_path: Path) -> None:
    path = _write(tmp_path, "subject,scan,value\nP1,1,3\n")
    with pytest.raises(TableError, match="missing column for repeatability: region") as info:
        repeatability_from_table(read_csv_table(path))
    assert info.value.field == "region"


def test_duplicated_scan(tmp_path: Path) -> None:
    path = _write(tmp_path, CSV + "P1,liver,1,8.1\n")
    with pytest.raises(TableError, match="repeats line 2") as info:
        repeatability_from_table(read_csv_table(path))
    assert info.value.line == 14


def test_empty_value_in_dataframe_is_reported_by_row() -> None:
    df = pd.DataFrame(
        {
            "subject": ["a", "a", "b", "b"],
            "region": ["x"] * 4,
            "scan": [1, 2, 1, 2],
            "value": [1.0, np.nan, 2.0, 2.1],
        }
    )
    with pytest.raises(TableError, match="row 2: empty value"):
        repeatability_from_table(df)


def test_small_groups_are_reported_not_fitted() -> None:
    df = pd.DataFrame(
        {
            "subject": ["a", "a", "b", "b", "c", "c"],
            "region": ["x", "x", "x", "x", "y", "y"],
            "scan": [1, 2] * 3,
            "value": [1.0, 1.1, 2.0, 2.3, 3.0, 3.2],
        }
    )
    report = repeatability_from_table(df)
    y = next(g for g in report.groups if g.group == "y")
    assert y.result is None
    assert y.note == "fewer than 2 targets"


def test_lesions_matched_by_position_between_scans() -> None:
    rows = []
    rng = np.random.default_rng(0)
    for s in range(4):
        centres = rng.uniform(-100, 100, size=(3, 3))
        for scan in (1, 2):
            shift = rng.normal(0, 1.0, size=(3, 3))
            labels = ["a", "b", "c"] if scan == 1 else ["c", "a", "b"]  # labels differ by scan
            for j in range(3):
                x, y, z = centres[j] + (shift[j] if scan == 2 else 0)
                rows.append(
                    {
                        "subject": f"S{s}",
                        "region": labels[j],
                        "scan": scan,
                        "value": 10.0 * (j + 1) + rng.normal(0, 0.2),
                        "x_mm": x,
                        "y_mm": y,
                        "z_mm": z,
                    }
                )
        if s == 0:  # a lesion seen on the retest only
            rows.append(
                {
                    "subject": "S0",
                    "region": "d",
                    "scan": 2,
                    "value": 5.0,
                    "x_mm": 500.0,
                    "y_mm": 0.0,
                    "z_mm": 0.0,
                }
            )
    frame = pd.DataFrame(rows)
    report = repeatability_from_table(frame, group_by=None, match_tolerance_mm=5.0)
    assert report.n_targets == 12
    assert report.unmatched_lesions == ("S0/d@2",)
    assert report.overall.wsd < 0.5  # correct pairs: only the 0.2 noise remains
    unmatched = repeatability_from_table(frame[frame["region"] != "d"], group_by=None)
    assert unmatched.overall.wsd > 3.0  # pairing by label alone mixes lesions


def test_matching_needs_position_columns() -> None:
    frame = pd.DataFrame({"subject": ["a"], "region": ["x"], "scan": [1], "value": [1.0]})
    with pytest.raises(TableError, match="missing columns for lesion matching"):
        repeatability_from_table(frame, match_tolerance_mm=5.0)
