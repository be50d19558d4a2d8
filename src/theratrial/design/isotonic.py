"""Isotonic regression of DLT rates and MTD selection closest to the target.

At the end of a BOIN, mTPI-2 or i3+3 trial the MTD is the dose whose isotonic estimate of
the DLT probability is closest to the target (Liu & Yuan 2015, section 3.3; BOIN R package
``select.mtd``, Yan et al. J Stat Softw 2020;94(13)):

1. per level with patients and not eliminated, the posterior mean under a Beta(0.05, 0.05)
   prior ``phat = (y + 0.05) / (n + 0.1)`` and its variance
   ``(y + 0.05)(n - y + 0.05) / ((n + 0.1)^2 (n + 1.1))``;
2. weighted isotonic regression (pool-adjacent-violators algorithm, PAVA; Barlow et al. 1972)
   with weights ``1 / variance``;
3. an increasing tie-breaker ``rank x 1e-10`` is added, so that among tied estimates the
   highest dose is chosen when they lie below the target and the lowest dose when they lie
   above it (as documented for ``select.mtd``);
4. the level closest to the target is the MTD. No MTD when the lowest level is eliminated or
   no non-eliminated level was treated. Optionally (``boundMTD``) only levels whose estimate
   lies below the de-escalation boundary are eligible.

:func:`pava` is the scalar algorithm; :func:`isotonic_rows` solves many trials at once with the
max-min formula ``iso_j = max_{i<=j} min_{k>=j} avg(i..k)`` (Robertson, Wright & Dykstra
1988, Theorem 1.4.4), which gives the same solution.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "TIE_BREAK",
    "isotonic_rows",
    "pava",
    "posterior_rate",
    "select_isotonic",
    "select_isotonic_rows",
]

TIE_BREAK = 1e-10
"""Increment per rank added to the isotonic estimates before the closest-to-target search."""


def posterior_rate(n: ArrayLike, dlt: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Posterior mean and variance of the DLT rate under a Beta(0.05, 0.05) prior.

    Examples
    --------
    >>> mean, var = posterior_rate([3, 6], [0, 2])
    >>> [round(float(m), 4) for m in mean]
    [0.0161, 0.3361]
    """
    n_arr = np.asarray(n, dtype=np.float64)
    y_arr = np.asarray(dlt, dtype=np.float64)
    mean = (y_arr + 0.05) / (n_arr + 0.1)
    var = (y_arr + 0.05) * (n_arr - y_arr + 0.05) / ((n_arr + 0.1) ** 2 * (n_arr + 0.1 + 1.0))
    return mean, var


def pava(values: Sequence[float] | NDArray[np.float64], weights: ArrayLike) -> NDArray[np.float64]:
    """Weighted isotonic (non-decreasing) regression by pooling adjacent violators.

    Parameters
    ----------
    values
        Values to make non-decreasing.
    weights
        Positive weights, same length.

    Returns
    -------
    numpy.ndarray
        The isotonic fit; members of a pooled block share one value.

    Examples
    --------
    >>> pava([0.1, 0.4, 0.2, 0.5], [1, 1, 1, 1]).round(3).tolist()
    [0.1, 0.3, 0.3, 0.5]
    """
    x = np.array(values, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    if x.size <= 1:
        return x
    block = np.arange(x.size)
    while True:
        violations = np.nonzero(np.diff(x) < 0)[0]
        if violations.size == 0:
            return x
        i = int(violations[0])
        members = (block == block[i]) | (block == block[i + 1])
        x[members] = float(np.sum(x[members] * w[members]) / np.sum(w[members]))
        block[members] = block[i]


def isotonic_rows(values: NDArray[np.float64], weights: NDArray[np.float64]) -> NDArray[np.float64]:
    """Weighted isotonic regression of every row of a 2-D array at once.

    A weight of 0 excludes an entry: the regression runs over the remaining entries of the
    row (as PAVA on the compressed row) and the excluded entries come back as NaN.

    Examples
    --------
    >>> v = np.array([[0.1, 0.4, 0.2, 0.5], [0.3, 0.9, 0.1, 0.2]])
    >>> w = np.array([[1.0, 1, 1, 1], [1, 0, 1, 1]])
    >>> isotonic_rows(v, w).round(3).tolist()
    [[0.1, 0.3, 0.3, 0.5], [0.2, nan, 0.2, 0.2]]
    """
    v = np.asarray(values, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    n_rows, n_cols = v.shape
    zeros = np.zeros((n_rows, 1))
    cw = np.concatenate([zeros, np.cumsum(w, axis=1)], axis=1)
    cwx = np.concatenate([zeros, np.cumsum(w * np.where(w > 0, v, 0.0), axis=1)], axis=1)
    # block averages A[:, i, k] over columns i..k (i <= k)
    sw = cw[:, None, 1:] - cw[:, :-1, None]
    swx = cwx[:, None, 1:] - cwx[:, :-1, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        avg = swx / sw
    upper = np.triu(np.ones((n_cols, n_cols), dtype=bool))
    avg = np.where(upper[None, :, :], avg, np.inf)
    # M[:, i, j] = min_{k >= j} A[:, i, k]
    min_right = np.minimum.accumulate(avg[:, :, ::-1], axis=2)[:, :, ::-1]
    min_right = np.where(upper[None, :, :], min_right, -np.inf)
    iso = np.max(min_right, axis=1)
    return np.where(w > 0, iso, np.nan)


def select_isotonic(
    n: Sequence[int],
    dlt: Sequence[int],
    eliminated: Sequence[bool],
    *,
    target: float,
    max_rate: float | None = None,
) -> tuple[int | None, tuple[float | None, ...]]:
    """Select the MTD of one trial (BOIN ``select.mtd`` rule).

    Parameters
    ----------
    n, dlt
        Patients and DLTs per level.
    eliminated
        Levels excluded for toxicity.
    target
        Target DLT probability.
    max_rate
        If given (``boundMTD``), only levels with an isotonic estimate below it qualify.

    Returns
    -------
    tuple
        ``(index or None, isotonic estimate per level)``; the estimates cover the treated,
        non-eliminated levels (``None`` elsewhere).

    Examples
    --------
    The example of ``select.mtd`` in the BOIN package (target 0.3):

    >>> select_isotonic([3, 3, 15, 9, 0], [0, 0, 4, 4, 0], [False] * 5, target=0.3)[0]
    2
    """
    n_arr = np.asarray(n, dtype=np.int64)
    y_arr = np.asarray(dlt, dtype=np.int64)
    elim = np.asarray(eliminated, dtype=bool)
    estimates: list[float | None] = [None] * n_arr.size
    if elim[0] or int(n_arr[~elim].sum()) == 0:
        return None, tuple(estimates)
    admissible = np.nonzero((n_arr > 0) & ~elim)[0]
    mean, var = posterior_rate(n_arr[admissible], y_arr[admissible])
    iso = pava(mean, 1.0 / var)
    for idx, value in zip(admissible, iso, strict=True):
        estimates[int(idx)] = float(value)
    broken = iso + np.arange(1, iso.size + 1) * TIE_BREAK
    eligible = np.ones(iso.size, dtype=bool) if max_rate is None else broken < max_rate
    if not eligible.any():
        return None, tuple(estimates)
    distance = np.where(eligible, np.abs(broken - target), np.inf)
    return int(admissible[int(np.argmin(distance))]), tuple(estimates)


def select_isotonic_rows(
    n: NDArray[np.int64],
    dlt: NDArray[np.int64],
    eliminated: NDArray[np.bool_],
    *,
    target: float,
    max_rate: float | None = None,
) -> NDArray[np.int64]:
    """Vectorised :func:`select_isotonic` over trials (rows); -1 means no MTD.

    Examples
    --------
    >>> n = np.array([[3, 3, 15, 9, 0], [3, 0, 0, 0, 0]])
    >>> y = np.array([[0, 0, 4, 4, 0], [3, 0, 0, 0, 0]])
    >>> elim = np.array([[False] * 5, [True] * 5])
    >>> select_isotonic_rows(n, y, elim, target=0.3).tolist()
    [2, -1]
    """
    n_arr = np.asarray(n, dtype=np.int64)
    y_arr = np.asarray(dlt, dtype=np.int64)
    elim = np.asarray(eliminated, dtype=bool)
    admissible = (n_arr > 0) & ~elim
    mean, var = posterior_rate(n_arr, y_arr)
    with np.errstate(divide="ignore"):
        weights = np.where(admissible, 1.0 / np.where(admissible, var, 1.0), 0.0)
    iso = isotonic_rows(mean, weights)
    rank = np.cumsum(admissible, axis=1)
    broken = iso + rank * TIE_BREAK
    eligible = admissible.copy()
    if max_rate is not None:
        eligible &= broken < max_rate
    distance = np.where(eligible, np.abs(broken - target), np.inf)
    choice = np.argmin(distance, axis=1).astype(np.int64)
    none = elim[:, 0] | ~admissible.any(axis=1) | ~eligible.any(axis=1)
    return np.where(none, -1, choice)
