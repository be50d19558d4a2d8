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

import numpy as np
from numpy.typing import NDArray

from theratrial.design._checks import check_count, check_target
from theratrial.design._interval import (
    CODE_NAMES,
    DU,
    D,
    E,
    S,
    decide_interval,
    elimination_bound,
    overdose_probability,
    select_mtd_interval,
)
from theratrial.design.decision import Decision, MtdSelection
from theratrial.design.dosedata import DoseData
from theratrial.errors import ParameterError

__all__ = ["I3plus3"]


@dataclass(frozen=True, slots=True)
class I3plus3:
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

    target: float
    epsilon1: float = 0.05
    epsilon2: float = 0.05
    cutoff_eli: float = 0.95
    n_earlystop: int = 100

    def __post_init__(self) -> None:
        target = check_target(self.target)
        object.__setattr__(self, "target", target)
        if not (0 < self.epsilon1 < target and 0 < self.epsilon2 < 1 - target):
            raise ParameterError(
                f"equivalence interval [{target - self.epsilon1:g}, {target + self.epsilon2:g}]"
                " does not lie inside (0, 1) around the target",
                field="epsilon1",
                hint="use small positive margins such as epsilon1 = epsilon2 = 0.05",
            )
        check_target(self.cutoff_eli, field="cutoff_eli")
        object.__setattr__(
            self, "n_earlystop", check_count(self.n_earlystop, field="n_earlystop", minimum=1)
        )

    @property
    def name(self) -> str:
        """``"i3+3"``."""
        return "i3+3"

    @property
    def extrasafe(self) -> bool:
        """i3+3 has no extra-safe rule."""
        return False

    @property
    def offset(self) -> float:
        """Unused (no extra-safe rule)."""
        return 0.0

    @property
    def mtd_max_rate(self) -> float | None:
        """No bound on the selected MTD's estimate."""
        return None

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

    def code_name(self, n: int, dlt: int) -> str:
        """Decision as a letter code: ``E``, ``S``, ``D`` or ``DU``."""
        return CODE_NAMES[self.code(n, dlt)]

    def code_table(self, max_n: int) -> NDArray[np.int8]:
        """Decision codes for ``n = 0..max_n`` (rows) and ``y`` (columns)."""
        table = np.full((max_n + 1, max_n + 1), S, dtype=np.int8)
        for n in range(1, max_n + 1):
            for y in range(n + 1):
                table[n, y] = self.code(n, y)
        return table

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

    def decide(
        self,
        data: DoseData,
        *,
        current: float | None = None,
        start: float | None = None,
        max_n: int | None = None,
    ) -> Decision:
        """i3+3 decision for the next cohort (arguments as :meth:`Boin.decide`)."""
        return decide_interval(self, data, current=current, start=start, max_n=max_n)

    def select_mtd(self, data: DoseData) -> MtdSelection:
        """MTD by isotonic regression, closest to the target."""
        return select_mtd_interval(self, data)
