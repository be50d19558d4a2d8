"""DoseData: validation of per-level counts."""

from __future__ import annotations

import pytest

from theratrial.design import DoseData
from theratrial.errors import ParameterError


@pytest.mark.parametrize(
    ("levels", "n", "dlt", "match"),
    [
        ((60, 90), (3, -1), (0, 0), "minimum"),
        ((60, 90), (3, 3), (0, 4), "cannot exceed|DLTs among"),
        ((90, 60), (3, 3), (0, 0), "increasing"),
        ((60, 60), (3, 3), (0, 0), "increasing"),
        ((60, 90), (3,), (0, 0), "counts"),
        ((), (), (), "no dose levels"),
        ((60, 90), (3, 2.5), (0, 0), "whole number"),
    ],
)
def test_bad_counts_are_refused(levels: tuple, n: tuple, dlt: tuple, match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        DoseData(levels, n=n, dlt=dlt)


def test_index_of_unknown_level_names_the_known_ones() -> None:
    data = DoseData.empty((60, 90, 120))
    with pytest.raises(ParameterError, match="60, 90, 120"):
        data.index_of(100)


def test_with_cohort_adds_counts() -> None:
    data = DoseData.empty((60, 90)).with_cohort(0, 3, 1).with_cohort(0, 3, 0)
    assert (data.n, data.dlt, data.total_n, data.total_dlt) == ((6, 0), (1, 0), 6, 1)


def test_read_dose_data_sums_cohort_rows(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from theratrial.design import read_dose_data

    path = tmp_path / "DLT.csv"
    path.write_text("Level,N,DLT,comment\n90,3,0,a\n120,3,1,b\n120,3,1,c\n", encoding="utf-8")
    data = read_dose_data(path, levels=[60, 90, 120])
    assert (data.n, data.dlt) == ((0, 3, 6), (0, 0, 2))
    assert read_dose_data(path).levels == (90.0, 120.0)
