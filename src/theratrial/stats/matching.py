"""Matching the lesions of two scans of one patient by position.

Test-retest studies (NCT03335670) and lesion-level outcome analyses need the same lesion
identified on both scans. Lesions are matched one-to-one by minimising the total distance
between their centres (the linear assignment problem, solved exactly by
``scipy.optimize.linear_sum_assignment``: Crouse 2016, IEEE Trans Aerosp Electron Syst
52:1679-1696), allowing only pairs closer than ``tolerance_mm`` and, when organs are
given, in the same organ. A global shift between the scans (repositioning) may be given,
or estimated from a first matching with a wider tolerance as the median displacement of the
matched pairs, after which the matching is repeated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import linear_sum_assignment

from theratrial.errors import ParameterError, TableError

__all__ = ["LesionMatch", "LesionMatching", "match_lesions"]

_FORBIDDEN = 1e12


@dataclass(frozen=True, slots=True)
class LesionMatch:
    """One matched pair: ids on each scan and the centre distance after the shift (mm)."""

    first_id: str
    second_id: str
    distance_mm: float


@dataclass(frozen=True, slots=True)
class LesionMatching:
    """The matching of two lesion lists.

    Attributes
    ----------
    matches
        Matched pairs, in the order of the first scan.
    unmatched_first, unmatched_second
        Lesions seen on one scan only (or too far from any partner).
    shift_mm
        Shift (x, y, z) added to the second scan's positions before matching.
    tolerance_mm
        Largest distance accepted for a pair.
    """

    matches: tuple[LesionMatch, ...]
    unmatched_first: tuple[str, ...]
    unmatched_second: tuple[str, ...]
    shift_mm: tuple[float, float, float]
    tolerance_mm: float


def _points(values: ArrayLike, name: str) -> NDArray[np.float64]:
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise TableError(f"{name} must be numbers (x, y, z in mm)", field=name) from None
    if array.size == 0:
        return np.zeros((0, 3))
    if array.ndim != 2 or array.shape[1] not in (2, 3):
        raise TableError(
            f"{name} must be a list of (x, y, z) positions, got shape {array.shape}", field=name
        )
    bad = np.flatnonzero(~np.all(np.isfinite(array), axis=1))
    if bad.size:
        raise TableError(f"row {int(bad[0]) + 1}: missing coordinate", field=name)
    if array.shape[1] == 2:
        array = np.column_stack([array, np.zeros(len(array))])
    return array


def _assign(
    a: NDArray[np.float64],
    b: NDArray[np.float64],
    organs_a: Sequence[str] | None,
    organs_b: Sequence[str] | None,
    tolerance: float,
) -> list[tuple[int, int, float]]:
    if len(a) == 0 or len(b) == 0:
        return []
    dist = np.linalg.norm(a[:, None, :] - b[None, :, :], axis=2)
    cost = dist.copy()
    cost[dist > tolerance] = _FORBIDDEN
    if organs_a is not None and organs_b is not None:
        same = np.equal.outer(
            np.asarray([o.strip().lower() for o in organs_a]),
            np.asarray([o.strip().lower() for o in organs_b]),
        )
        cost[~same] = _FORBIDDEN
    rows, cols = linear_sum_assignment(cost)
    return [
        (int(r), int(c), float(dist[r, c]))
        for r, c in zip(rows, cols, strict=True)
        if cost[r, c] < _FORBIDDEN
    ]


def match_lesions(
    first_positions_mm: ArrayLike,
    second_positions_mm: ArrayLike,
    *,
    tolerance_mm: float,
    first_ids: Sequence[str] | None = None,
    second_ids: Sequence[str] | None = None,
    first_organs: Sequence[str] | None = None,
    second_organs: Sequence[str] | None = None,
    shift_mm: Sequence[float] | None = None,
    estimate_shift: bool = False,
) -> LesionMatching:
    """Match lesions between two scans by the position of their centres.

    Parameters
    ----------
    first_positions_mm, second_positions_mm
        Lesion centres (x, y, z) in mm in each scan's patient coordinates.
    tolerance_mm
        Largest centre distance for a match (after the shift).
    first_ids, second_ids
        Lesion ids (default ``"0"``, ``"1"``...).
    first_organs, second_organs
        Organ of each lesion: only lesions of the same organ are matched.
    shift_mm
        Known displacement added to the second scan's positions.
    estimate_shift
        Estimate the shift: match with 3 x the tolerance, take the median displacement,
        then match again within the tolerance.

    Returns
    -------
    LesionMatching

    Examples
    --------
    >>> m = match_lesions([[0, 0, 0], [50, 0, 0]], [[51, 1, 0], [1, 0, 2], [200, 0, 0]],
    ...                   tolerance_mm=5, first_ids=["a", "b"], second_ids=["x", "y", "z"])
    >>> [(p.first_id, p.second_id) for p in m.matches], m.unmatched_second
    ([('a', 'y'), ('b', 'x')], ('z',))
    """
    if not tolerance_mm > 0:
        raise ParameterError(f"tolerance must be > 0 mm, got {tolerance_mm}", field="tolerance_mm")
    a = _points(first_positions_mm, "first_positions_mm")
    b = _points(second_positions_mm, "second_positions_mm")
    ids_a = [str(i) for i in (first_ids if first_ids is not None else range(len(a)))]
    ids_b = [str(i) for i in (second_ids if second_ids is not None else range(len(b)))]
    for ids, pts, name in ((ids_a, a, "first_ids"), (ids_b, b, "second_ids")):
        if len(ids) != len(pts):
            raise TableError(f"{len(ids)} ids for {len(pts)} positions", field=name)
    for organs, pts, name in (
        (first_organs, a, "first_organs"),
        (second_organs, b, "second_organs"),
    ):
        if organs is not None and len(organs) != len(pts):
            raise TableError(f"{len(organs)} organs for {len(pts)} positions", field=name)
    organs_a = first_organs if second_organs is not None else None
    organs_b = second_organs if first_organs is not None else None
    shift = np.zeros(3) if shift_mm is None else np.asarray(shift_mm, dtype=np.float64)
    if shift.shape != (3,):
        raise ParameterError("shift_mm must be (x, y, z)", field="shift_mm")
    if estimate_shift:
        rough = _assign(a, b + shift, organs_a, organs_b, 3.0 * tolerance_mm)
        if rough:
            moves = np.asarray([a[i] - (b[j] + shift) for i, j, _ in rough])
            shift = shift + np.median(moves, axis=0)
    pairs = _assign(a, b + shift, organs_a, organs_b, tolerance_mm)
    matched_a = {i for i, _, _ in pairs}
    matched_b = {j for _, j, _ in pairs}
    return LesionMatching(
        matches=tuple(
            LesionMatch(ids_a[i], ids_b[j], d) for i, j, d in sorted(pairs, key=lambda p: p[0])
        ),
        unmatched_first=tuple(ids_a[i] for i in range(len(a)) if i not in matched_a),
        unmatched_second=tuple(ids_b[j] for j in range(len(b)) if j not in matched_b),
        shift_mm=(float(shift[0]), float(shift[1]), float(shift[2])),
        tolerance_mm=float(tolerance_mm),
    )
