"""Lesion matching between two scans by position."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from theratrial.errors import ParameterError, TableError
from theratrial.stats import match_lesions


def test_nearest_one_to_one_within_tolerance() -> None:
    first = [[0, 0, 0], [30, 0, 0], [0, 40, 0]]
    second = [[31, 1, 0], [1, 0, 1], [100, 100, 100]]
    m = match_lesions(
        first, second, tolerance_mm=5, first_ids=["a", "b", "c"], second_ids=["x", "y", "z"]
    )
    assert [(p.first_id, p.second_id) for p in m.matches] == [("a", "y"), ("b", "x")]
    assert m.unmatched_first == ("c",)
    assert m.unmatched_second == ("z",)
    assert m.matches[0].distance_mm == pytest.approx(np.sqrt(2))


def test_global_assignment_beats_greedy() -> None:
    # greedy would give a->y (1 mm) and leave b without a partner within 5 mm
    first = [[0, 0, 0], [4, 0, 0]]
    second = [[-3, 0, 0], [1, 0, 0]]
    m = match_lesions(first, second, tolerance_mm=5)
    assert {(p.first_id, p.second_id) for p in m.matches} == {("0", "0"), ("1", "1")}


def test_organs_must_agree() -> None:
    m = match_lesions(
        [[0, 0, 0]], [[1, 0, 0]], tolerance_mm=5, first_organs=["liver"], second_organs=["kidney"]
    )
    assert m.matches == ()


def test_estimated_shift_recovers_repositioning() -> None:
    rng = np.random.default_rng(0)
    first = rng.uniform(-100, 100, size=(8, 3))
    second = first[::-1] - np.array([12.0, -7.0, 4.0]) + rng.normal(0, 0.5, size=(8, 3))
    m = match_lesions(first, second, tolerance_mm=5, estimate_shift=True)
    assert len(m.matches) == 8
    assert all(int(p.first_id) == 7 - int(p.second_id) for p in m.matches)
    assert m.shift_mm == pytest.approx((12.0, -7.0, 4.0), abs=1.0)
    assert match_lesions(first, second, tolerance_mm=5).matches == ()


def test_bad_input() -> None:
    with pytest.raises(ParameterError):
        match_lesions([[0, 0, 0]], [[0, 0, 0]], tolerance_mm=0)
    with pytest.raises(TableError, match="row 1"):
        match_lesions([[np.nan, 0, 0]], [[0, 0, 0]], tolerance_mm=1)
    with pytest.raises(TableError, match="2 ids for 1 positions"):
        match_lesions([[0, 0, 0]], [[0, 0, 0]], tolerance_mm=1, first_ids=["a", "b"])
    assert match_lesions([], [[0, 0, 0]], tolerance_mm=1).unmatched_second == ("0",)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_permuting_the_second_scan_does_not_change_pairs(seed: int) -> None:
    rng = np.random.default_rng(seed)
    first = rng.uniform(0, 300, size=(6, 3))
    second = first + rng.normal(0, 1.0, size=(6, 3))
    order = rng.permutation(6)
    ids = [f"s{i}" for i in range(6)]
    m1 = match_lesions(first, second, tolerance_mm=10, second_ids=ids)
    m2 = match_lesions(first, second[order], tolerance_mm=10, second_ids=[ids[i] for i in order])
    assert {(p.first_id, p.second_id) for p in m1.matches} == {
        (p.first_id, p.second_id) for p in m2.matches
    }
