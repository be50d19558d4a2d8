"""The sums of exponentials fitted to time-activity curves (private to ``fit``).

Every model is written with effective decay constants lambda = lambda_phys + lambda_bio,
lambda_bio >= 0 (no clearance slower than physical decay; Kletting et al., Med. Phys. 40
(2013) 102504, NUKFIT), with internal parameters that are all >= 0 so that ordering
constraints (uptake faster than washout, fast phase before slow) hold by construction.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["MODELS", "TacModel"]

Terms = tuple[NDArray[np.float64], NDArray[np.float64]]


@dataclass(frozen=True, slots=True)
class TacModel:
    """One fit function.

    ``terms(theta, lam_p)`` gives the amplitudes (MBq) and decay constants (1/h) of the
    exponential sum; ``report`` is the matrix M and offset c of the reported parameters
    ``M theta + c``, which are linear in the internal ones.
    """

    name: str
    formula: str
    labels: tuple[str, ...]
    terms: Callable[[NDArray[np.float64], float], Terms]
    report: Callable[[float], tuple[NDArray[np.float64], NDArray[np.float64]]]
    amplitude_index: tuple[int, ...]

    @property
    def n_params(self) -> int:
        """Number of fitted parameters."""
        return len(self.labels)


def _arr(*values: float) -> NDArray[np.float64]:
    return np.asarray(values, dtype=np.float64)


def _mono_terms(th: NDArray[np.float64], lp: float) -> Terms:
    return _arr(th[0]), _arr(lp + th[1])


def _mono_report(lp: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    return np.eye(2), _arr(0.0, lp)


def _bi_terms(th: NDArray[np.float64], lp: float) -> Terms:
    a1, a2, b2, e1 = th
    return _arr(a1, a2), _arr(lp + b2 + e1, lp + b2)


def _bi_report(lp: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    m = np.array([[1, 0, 0, 0], [0, 0, 1, 1], [0, 1, 0, 0], [0, 0, 1, 0]], dtype=np.float64)
    return m, _arr(0.0, lp, 0.0, lp)


def _uw_terms(th: NDArray[np.float64], lp: float) -> Terms:
    a, bw, e = th
    return _arr(a, -a), _arr(lp + bw, lp + bw + e)


def _uw_report(lp: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    m = np.array([[1, 0, 0], [0, 1, 0], [0, 1, 1]], dtype=np.float64)
    return m, _arr(0.0, lp, lp)


def _tri_terms(th: NDArray[np.float64], lp: float) -> Terms:
    a1, a2, b2, e1, e3 = th
    lam2 = lp + b2
    lam1 = lam2 + e1
    return _arr(a1, a2, -(a1 + a2)), _arr(lam1, lam2, lam1 + e3)


def _tri_report(lp: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    m = np.array(
        [[1, 0, 0, 0, 0], [0, 0, 1, 1, 0], [0, 1, 0, 0, 0], [0, 0, 1, 0, 0], [0, 0, 1, 1, 1]],
        dtype=np.float64,
    )
    return m, _arr(0.0, lp, 0.0, lp, lp)


MODELS: dict[str, TacModel] = {
    m.name: m
    for m in (
        TacModel(
            "mono_exponential",
            "A e^(-lambda t)",
            ("a_mbq", "lambda_per_h"),
            _mono_terms,
            _mono_report,
            (0,),
        ),
        TacModel(
            "bi_exponential",
            "A1 e^(-lambda1 t) + A2 e^(-lambda2 t), lambda1 > lambda2",
            ("a1_mbq", "lambda1_per_h", "a2_mbq", "lambda2_per_h"),
            _bi_terms,
            _bi_report,
            (0, 1),
        ),
        TacModel(
            "uptake_washout",
            "A (e^(-lambda_washout t) - e^(-lambda_uptake t))",
            ("a_mbq", "lambda_washout_per_h", "lambda_uptake_per_h"),
            _uw_terms,
            _uw_report,
            (0,),
        ),
        TacModel(
            "tri_exponential",
            "A1 e^(-lambda1 t) + A2 e^(-lambda2 t) - (A1 + A2) e^(-lambda_uptake t)",
            ("a1_mbq", "lambda1_per_h", "a2_mbq", "lambda2_per_h", "lambda_uptake_per_h"),
            _tri_terms,
            _tri_report,
            (0, 1),
        ),
    )
}


def initial_guesses(
    name: str, t: NDArray[np.float64], a: NDArray[np.float64], lp: float
) -> list[NDArray[np.float64]]:
    """Deterministic starting points: log-linear tail estimate plus a grid of rates."""
    peak = int(np.argmax(a))
    tail_t, tail_a = t[peak:], np.maximum(a[peak:], 1e-12)
    if tail_t.size >= 2:
        slope, intercept = np.polyfit(tail_t, np.log(tail_a), 1)
        lam_tail = max(-float(slope), lp)
        a_tail = float(np.exp(intercept))
    else:
        lam_tail, a_tail = lp, float(a[peak]) * math.exp(lp * float(t[peak]))
    a_tail = min(max(a_tail, float(a.max())), 1e3 * float(a.max()) + 1e-9)
    b_tail = max(lam_tail - lp, 1e-5)
    rates = (1e-3, 1e-2, 0.05, 0.3)
    fast = (0.05, 0.3, 2.0)
    top = float(a.max())
    if name == "mono_exponential":
        starts = [_arr(a_tail, b_tail)] + [
            _arr(top * math.exp((lp + b) * float(t[peak])), b) for b in rates
        ]
    elif name == "bi_exponential":
        starts = [_arr(top, a_tail, b_tail, e) for e in fast] + [
            _arr(top, top * 0.5, b, e) for b, e in itertools.product(rates[:3], fast)
        ]
    elif name == "uptake_washout":
        starts = [_arr(a_tail, b_tail, e) for e in fast] + [
            _arr(top * 1.5, b, e) for b, e in itertools.product(rates[:3], fast)
        ]
    else:
        starts = [_arr(top, a_tail, b_tail, e1, e3) for e1, e3 in itertools.product(fast, fast)] + [
            _arr(top, top, b, 0.05, 1.0) for b in rates[:3]
        ]
    return starts
