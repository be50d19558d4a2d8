"""Isotonic regression (PAVA) and the BOIN MTD selection rule."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from theratrial.design.isotonic import (
    isotonic_rows,
    pava,
    select_isotonic,
    select_isotonic_rows,
)

values = st.lists(st.floats(0.0, 1.0), min_size=1, max_size=8)


@given(values, st.data())
def test_pava_is_monotone_and_preserves_the_weighted_mean(
    v: list[float], data: st.DataObject
) -> None:
    w = data.draw(st.lists(st.floats(0.1, 10.0), min_size=len(v), max_size=len(v)))
    fit = pava(v, w)
    assert np.all(np.diff(fit) >= -1e-12)
    assert np.dot(fit, w) == pytest.approx(np.dot(v, w), rel=1e-9, abs=1e-9)


@given(values, st.data())
def test_vectorised_rows_equal_pava_on_the_kept_entries(
    v: list[float], data: st.DataObject
) -> None:
    w = data.draw(st.lists(st.floats(0.1, 10.0), min_size=len(v), max_size=len(v)))
    keep = data.draw(st.lists(st.booleans(), min_size=len(v), max_size=len(v)))
    weights = np.where(keep, w, 0.0)
    rows = isotonic_rows(np.array([v]), weights[None, :])[0]
    kept = np.nonzero(keep)[0]
    if kept.size:
        expected = pava(np.asarray(v)[kept], np.asarray(w)[kept])
        assert rows[kept] == pytest.approx(expected, abs=1e-12)
    assert np.all(np.isnan(rows[~np.asarray(keep, dtype=bool)]))


counts = st.lists(st.tuples(st.integers(0, 12), st.integers(0, 12)), min_size=2, max_size=6)


@given(counts, st.sampled_from([0.2, 0.25, 0.3]))
def test_vectorised_selection_equals_scalar_selection(
    pairs: list[tuple[int, int]], target: float
) -> None:
    n = np.array([max(a, b) for a, b in pairs])
    y = np.array([min(a, b) for a, b in pairs])
    elim = np.zeros(n.size, dtype=bool)
    scalar, _ = select_isotonic(n, y, elim, target=target)
    vector = select_isotonic_rows(n[None, :], y[None, :], elim[None, :], target=target)[0]
    assert (-1 if scalar is None else scalar) == vector


def test_tie_below_target_goes_up_and_above_target_goes_down() -> None:
    elim = [False, False]
    assert select_isotonic([3, 3], [0, 0], elim, target=0.3)[0] == 1
    assert select_isotonic([6, 6], [4, 4], elim, target=0.3)[0] == 0


def test_untreated_and_eliminated_levels_are_skipped() -> None:
    index, estimates = select_isotonic(
        [3, 0, 6, 3], [0, 0, 2, 3], [False, False, False, True], target=0.3
    )
    assert index == 2
    assert estimates[1] is None
    assert estimates[3] is None
