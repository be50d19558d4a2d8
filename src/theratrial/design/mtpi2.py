"""The modified toxicity probability interval design, version 2 (mTPI-2).

Guo W, Wang S-J, Yang S, Lynn H, Ji Y. A Bayesian interval dose-finding design addressing
Ockham's razor: mTPI-2. Contemp Clin Trials 2017;58:23-33.

The DLT probability scale (0, 1) is cut into the equivalence interval
``EI = [pT - eps1, pT + eps2]`` and, below and above it, intervals of the same width
``eps1 + eps2``; the interval touching 0 (or 1) is shortened to fit. With a Beta(1, 1)
prior the posterior at the current level is Beta(1 + y, 1 + n - y); the unit probability
mass (UPM) of an interval is its posterior probability divided by its length. The decision
follows the interval with the largest UPM: below the EI escalate (E), the EI stay (S),
above it de-escalate (D). A level and all above it are eliminated (DU) when ``n >= 3`` and
``Pr(p > pT | y, n) > 0.95``. Conduct rules and MTD selection (isotonic regression) as for
BOIN (:mod:`theratrial.design._interval`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.special import betainc

from theratrial.design._interval import (
    DU,
    D,
    E,
    EquivalenceIntervalDesign,
    S,
    elimination_bound,
    overdose_probability,
)

__all__ = ["Mtpi2", "mtpi2_intervals"]


def mtpi2_intervals(
    target: float, epsilon1: float = 0.05, epsilon2: float = 0.05
) -> tuple[tuple[float, float], ...]:
    """The mTPI-2 partition of (0, 1), from the lowest interval to the highest.

    Examples
    --------
    >>> [tuple(round(x, 2) for x in iv) for iv in mtpi2_intervals(0.3)]
    ... # doctest: +NORMALIZE_WHITESPACE
    [(0.0, 0.05), (0.05, 0.15), (0.15, 0.25), (0.25, 0.35), (0.35, 0.45), (0.45, 0.55),
     (0.55, 0.65), (0.65, 0.75), (0.75, 0.85), (0.85, 0.95), (0.95, 1.0)]
    """
    low = round(target - epsilon1, 12)
    high = round(target + epsilon2, 12)
    width = epsilon1 + epsilon2
    below: list[tuple[float, float]] = []
    edge = low
    while edge > 1e-12:
        start = round(max(edge - width, 0.0), 12)
        below.append((start, edge))
        edge = start
    above: list[tuple[float, float]] = []
    edge = high
    while edge < 1 - 1e-12:
        end = round(min(edge + width, 1.0), 12)
        above.append((edge, end))
        edge = end
    return (*reversed(below), (low, high), *above)


@dataclass(frozen=True, slots=True)
class Mtpi2(EquivalenceIntervalDesign):
    """mTPI-2 design (Guo et al. 2017).

    Parameters
    ----------
    target
        Target DLT probability pT in (0, 1).
    epsilon1, epsilon2
        Equivalence interval ``[pT - epsilon1, pT + epsilon2]`` (0.05 each).
    cutoff_eli
        Elimination (DU) cut-off on ``Pr(p > pT | data)`` (0.95).
    n_earlystop
        Stop and select the MTD when this many patients are at the current level and the
        decision is to stay (100: off).

    Examples
    --------
    >>> design = Mtpi2(0.3)
    >>> [design.code_name(3, y) for y in range(4)]
    ['E', 'S', 'D', 'DU']
    """

    @property
    def name(self) -> str:
        """``"mtpi2"``."""
        return "mtpi2"

    @property
    def intervals(self) -> tuple[tuple[float, float], ...]:
        """The interval partition of (0, 1)."""
        return mtpi2_intervals(self.target, self.epsilon1, self.epsilon2)

    def upm(self, n: int, dlt: int) -> NDArray[np.float64]:
        """Unit probability mass of every interval for ``dlt`` DLTs among ``n`` patients."""
        edges = np.array(self.intervals, dtype=np.float64)
        a, b = 1 + dlt, 1 + n - dlt
        mass = betainc(a, b, edges[:, 1]) - betainc(a, b, edges[:, 0])  # Beta(a, b) cdf
        return np.asarray(mass / (edges[:, 1] - edges[:, 0]), dtype=np.float64)

    def code(self, n: int, dlt: int) -> int:
        """Decision code E/S/D/DU (0..3)."""
        if n >= 3 and overdose_probability(n, dlt, self.target) > self.cutoff_eli:
            return DU
        best = int(np.argmax(self.upm(n, dlt)))
        low = self.target - self.epsilon1
        ei = sum(1 for _, hi in self.intervals if hi <= low + 1e-9)
        return E if best < ei else (S if best == ei else D)

    def rule_evidence(self, n: int, dlt: int) -> dict[str, object]:
        """Equivalence interval, UPMs and the winning interval for the current level."""
        evidence: dict[str, object] = {
            "equivalence_interval": (
                round(self.target - self.epsilon1, 12),
                round(self.target + self.epsilon2, 12),
            ),
            "cutoff_eli": self.cutoff_eli,
        }
        if n > 0:
            upm = self.upm(n, dlt)
            best = int(np.argmax(upm))
            elim = elimination_bound(self.target, n, self.cutoff_eli)
            evidence.update(
                intervals=self.intervals,
                upm=tuple(float(u) for u in upm),
                max_upm_interval=self.intervals[best],
                p_overdose=overdose_probability(n, dlt, self.target),
                eliminate_if_dlt_ge=None if elim > n else elim,
                code=self.code_name(n, dlt),
            )
        return evidence
