"""The interval 3+3 (i3+3) design.

Liu M, Wang S-J, Ji Y. The i3+3 design for phase I clinical trials. J Biopharm Stat
2020;30(2):294-304.

With the equivalence interval ``EI = [pT - eps1, pT + eps2]`` and the observed rate ``y/n``
at the current level:

* ``y/n`` below the EI: escalate (E);
* ``y/n`` inside the EI (ends included): stay (S);
* ``y/n`` above the EI: stay if ``(y - 1)/n`` is below the EI (one DLT fewer would have
  meant escalation), otherwise de-escalate (D).

A level and all above it are eliminated (DU) when ``n >= 3`` and ``Pr(p > pT | y, n) > 0.95``
under a Beta(1, 1) prior. Conduct rules and MTD selection (isotonic regression) as for BOIN
(:mod:`theratrial.design._interval`).
"""

from __future__ import annotations

from dataclasses import dataclass

from theratrial.design._interval import (
    DU,
    D,
    E,
    EquivalenceIntervalDesign,
    S,
    elimination_bound,
    overdose_probability,
)

__all__ = ["I3plus3"]


@dataclass(frozen=True, slots=True)
class I3plus3(EquivalenceIntervalDesign):
    """i3+3 design (Liu, Wang & Ji 2020).

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
    >>> design = I3plus3(0.3)
    >>> [design.code_name(3, y) for y in range(4)]
    ['E', 'S', 'D', 'DU']
    >>> design.code_name(4, 2)    # 2/4 above the EI but 1/4 is inside it: de-escalate
    'D'
    """

    @property
    def name(self) -> str:
        """``"i3+3"``."""
        return "i3+3"

    @property
    def equivalence_interval(self) -> tuple[float, float]:
        """``(pT - epsilon1, pT + epsilon2)``, rounded to 12 decimals against float noise."""
        return round(self.target - self.epsilon1, 12), round(self.target + self.epsilon2, 12)

    def code(self, n: int, dlt: int) -> int:
        """Decision code E/S/D/DU (0..3)."""
        if n >= 3 and overdose_probability(n, dlt, self.target) > self.cutoff_eli:
            return DU
        low, high = self.equivalence_interval
        rate = dlt / n
        if rate < low:
            return E
        if rate <= high:
            return S
        return S if (dlt - 1) / n < low else D

    def rule_evidence(self, n: int, dlt: int) -> dict[str, object]:
        """Equivalence interval and the rates compared with it."""
        evidence: dict[str, object] = {
            "equivalence_interval": self.equivalence_interval,
            "cutoff_eli": self.cutoff_eli,
        }
        if n > 0:
            elim = elimination_bound(self.target, n, self.cutoff_eli)
            evidence.update(
                observed_rate=dlt / n,
                rate_one_dlt_fewer=(dlt - 1) / n if dlt > 0 else None,
                p_overdose=overdose_probability(n, dlt, self.target),
                eliminate_if_dlt_ge=None if elim > n else elim,
                code=self.code_name(n, dlt),
            )
        return evidence
