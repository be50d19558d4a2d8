"""Events per variable (Peduzzi et al. 1996, J Clin Epidemiol 49:1373-1379)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from theratrial.errors import ParameterError
from theratrial.stats import (
    MIN_EVENTS_PER_VARIABLE,
    analyse_lesions,
    analyse_patients,
    events_per_variable,
)


@pytest.mark.parametrize(
    ("positives", "negatives", "predictors", "n_events", "epv", "adequate"),
    [
        (7, 23, 2, 7, 3.5, False),  # the issue: 2 predictors on 7 events
        (23, 7, 2, 7, 3.5, False),  # events are the less frequent class
        (20, 40, 2, 20, 10.0, True),  # exactly 10 EPV is enough (Peduzzi: >= 10)
        (19, 40, 2, 19, 9.5, False),
        (50, 50, 5, 50, 10.0, True),
        (0, 30, 1, 0, 0.0, False),
    ],
)
def test_events_per_variable(
    positives: int, negatives: int, predictors: int, n_events: int, epv: float, adequate: bool
) -> None:
    res = events_per_variable([1] * positives + [0] * negatives, predictors)
    assert (res.n_events, res.epv, res.adequate) == (n_events, epv, adequate)
    assert res.n_rows == positives + negatives
    assert (res.warning is None) is adequate
    if res.warning is not None:
        assert "Peduzzi et al. 1996" in res.warning
        assert f"{n_events} events" in res.warning


def test_the_threshold_is_ten_and_can_be_changed() -> None:
    assert MIN_EVENTS_PER_VARIABLE == 10.0
    y = [1] * 7 + [0] * 20
    assert events_per_variable(y, 1).adequate is False
    assert events_per_variable(y, 1, minimum=5).adequate is True


def test_missing_outcomes_are_left_out() -> None:
    assert events_per_variable([1, 0, np.nan, 1], 1).n_rows == 3


@pytest.mark.parametrize(
    ("y", "k", "minimum"), [([1, 0], 0, 10.0), ([1, 0], 1, 0.0), ([1, 2], 1, 10.0)]
)
def test_bad_arguments(y: list[float], k: int, minimum: float) -> None:
    with pytest.raises(ParameterError):
        events_per_variable(y, k, minimum=minimum)


@given(st.lists(st.integers(0, 1), min_size=1, max_size=200), st.integers(1, 10))
def test_epv_does_not_depend_on_the_coding(y: list[int], k: int) -> None:
    flipped = [1 - v for v in y]
    assert events_per_variable(y, k) == events_per_variable(flipped, k)
    assert events_per_variable(y, k).epv <= len(y) / 2 / k


def _patients(n: int, events: int) -> pd.DataFrame:
    rng = np.random.default_rng(4)
    dose = rng.uniform(10, 80, n)
    y = np.zeros(n, dtype=int)
    y[np.argsort(dose + rng.normal(0, 20, n))[-events:]] = 1
    return pd.DataFrame(
        {
            "patient": [f"P{i}" for i in range(n)],
            "dose_gy": dose,
            "suv": rng.uniform(5, 40, n),
            "responder": y,
            "change_pct": rng.normal(-20, 15, n),
        }
    )


def test_patient_model_carries_the_warning() -> None:
    frame = _patients(30, 7)
    res = analyse_patients(
        frame, outcome="responder", predictors=["dose_gy", "suv"], n_bootstrap=0, n_folds=2
    )
    assert res.events_per_variable is not None
    assert (res.events_per_variable.n_events, res.events_per_variable.epv) == (7, 3.5)
    assert res.warnings == (res.events_per_variable.warning,)
    one = analyse_patients(
        frame, outcome="responder", predictors=["dose_gy"], n_bootstrap=0, n_folds=2
    )
    assert one.events_per_variable is not None
    assert one.events_per_variable.epv == 7.0
    assert len(one.warnings) == 1


def test_enough_events_and_continuous_outcomes_carry_no_warning() -> None:
    frame = _patients(60, 25)
    res = analyse_patients(
        frame, outcome="responder", predictors=["dose_gy", "suv"], n_bootstrap=0, n_folds=2
    )
    assert res.events_per_variable is not None
    assert res.events_per_variable.adequate
    assert res.warnings == ()
    linear = analyse_patients(
        frame, outcome="change_pct", predictors=["dose_gy", "suv"], n_bootstrap=0, n_folds=2
    )
    assert linear.events_per_variable is None
    assert linear.warnings == ()


def test_lesion_model_counts_events_over_lesions() -> None:
    frame = _patients(24, 6)
    frame["patient"] = [f"P{i // 3}" for i in range(24)]
    res = analyse_lesions(
        frame, outcome="responder", predictors=["dose_gy"], n_bootstrap=0, n_folds=2
    )
    assert res.events_per_variable is not None
    assert res.events_per_variable.n_events == 6
    assert res.warnings
