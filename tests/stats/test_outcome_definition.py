"""Reading the outcome column: labels, yes/no, thresholds, bad cells."""

from __future__ import annotations

import pandas as pd
import pytest

from theratrial.errors import ParameterError, TableError
from theratrial.stats import outcome_values


def test_outcome_reading() -> None:
    df = pd.DataFrame(
        {
            "bor": ["CR", "SD", "PR", "PD"],
            "flag": ["yes", "no", "", "1"],
            "size": ["10", "x", "3", "4"],
        }
    )
    y, d = outcome_values(df, "bor", positive_labels=["CR", "PR"])
    assert y.tolist() == [1.0, 0.0, 1.0, 0.0]
    assert d.kind == "binary"
    y, d = outcome_values(df, "flag")
    assert d.description == "flag (yes/no)"
    with pytest.raises(TableError, match="row 2: 'x' is not a number") as info:
        outcome_values(df, "size")
    assert "positive labels" in (info.value.hint or "")
    y, d = outcome_values(
        df.assign(size=["10", "20", "30", "40"]), "size", threshold=20, below=False
    )
    assert y.tolist() == [0.0, 1.0, 1.0, 1.0]


def test_missing_outcome_column() -> None:
    with pytest.raises(TableError, match="missing column for the outcome: bor"):
        outcome_values(pd.DataFrame({"x": [1]}), "bor")


def test_positive_labels_absent_from_the_column_are_an_error() -> None:
    df = pd.DataFrame({"bor": ["CR", "PD", "SD", ""]})
    with pytest.raises(TableError, match="none of the positive labels XX") as info:
        outcome_values(df, "bor", positive_labels=["XX"])
    assert info.value.hint is not None
    assert "CR, PD, SD" in info.value.hint


def test_labels_and_threshold_together_are_ambiguous() -> None:
    df = pd.DataFrame({"bor": ["CR", "PD"]})
    with pytest.raises(ParameterError, match="not both"):
        outcome_values(df, "bor", positive_labels=["CR"], threshold=-30.0)
