"""The 3+3 design, with and without de-escalation.

Storer BE. Design and analysis of phase I clinical trials. Biometrics 1989;45:925-937.
Lin Y, Shih WJ. Statistical properties of the traditional algorithm-based designs for phase I
cancer clinical trials. Biostatistics 2001;2:203-215 (A+B designs with and without dose
de-escalation; the 3+3 is A = B = 3, C = D = 1, E = 1).

Cohorts of three at the current level:

* 0/3 DLTs: escalate; 1/3: treat three more; >= 2 DLTs (of 3 or of 6): the level is too toxic;
  <= 1/6: escalate.
* Without de-escalation the trial stops at the first too-toxic level and the MTD is the level
  below it. With de-escalation (Lin & Shih 2001, section 2.2) the trial moves down: a lower level
  with three patients receives three more, and the MTD is the highest level with <= 1/6 DLTs
  below the too-toxic one.
* No MTD when the lowest level is too toxic. When escalation passes the top level the top level
  is the MTD; with ``confirm_top`` (default) a 0/3 top level is first expanded to six.

The probability of escalating past a level with DLT probability ``p`` is
``(1 - p)^3 [1 + 3 p (1 - p)^2]`` (Storer 1989): 0.9061, 0.7086, 0.4943, 0.3093 for
p = 0.1, 0.2, 0.3, 0.4.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from theratrial.design.decision import (
    Action,
    Decision,
    LevelEstimate,
    MissingData,
    MtdSelection,
    resolve_current,
)
from theratrial.design.dosedata import DoseData
from theratrial.errors import ParameterError

__all__ = ["ThreePlusThree", "escalation_probability"]


def escalation_probability(p: ArrayLike) -> NDArray[np.float64]:
    """Probability that a 3+3 escalates past a level with DLT probability ``p``.

    ``P = (1 - p)^3 + 3 p (1 - p)^2 (1 - p)^3`` (0/3, or 1/3 then 0/3).

    Examples
    --------
    >>> escalation_probability([0.1, 0.2, 0.3, 0.4]).round(4).tolist()
    [0.9061, 0.7086, 0.4943, 0.3093]
    """
    q = 1.0 - np.asarray(p, dtype=np.float64)
    return np.asarray(q**3 * (1.0 + 3.0 * (1.0 - q) * q**2), dtype=np.float64)


@dataclass(frozen=True, slots=True)
class ThreePlusThree:
    """The 3+3 design.

    Parameters
    ----------
    deescalation
        Move down from a too-toxic level and require six patients at the MTD (Lin & Shih).
    confirm_top
        Expand a 0/3 top level to six before selecting it.

    Examples
    --------
    >>> design = ThreePlusThree()
    >>> data = DoseData((1, 2, 3), n=(3, 6, 0), dlt=(0, 1, 0))
    >>> design.decide(data).action.value
    'escalate'
    >>> design.decide(DoseData((1, 2, 3), n=(3, 3, 0), dlt=(0, 2, 0))).mtd_level
    1.0
    """

    deescalation: bool = False
    confirm_top: bool = True

    @property
    def name(self) -> str:
        """``"3+3"``."""
        return "3+3"

    @property
    def target(self) -> float | None:
        """The 3+3 has no target DLT probability."""
        return None

    @property
    def convention(self) -> str:
        """The top-level convention in words (printed by the CLI beside every 3+3 result).

        Examples
        --------
        >>> ThreePlusThree(confirm_top=False).convention
        'a 0/3 top level is selected as the MTD directly (Storer 1989; bcrm threep3)'
        """
        if self.confirm_top:
            return "a 0/3 top level is expanded to 6 patients before it is selected as the MTD"
        return "a 0/3 top level is selected as the MTD directly (Storer 1989; bcrm threep3)"

    def _check(self, data: DoseData) -> None:
        for i, m in enumerate(data.n):
            if m > 6:
                raise ParameterError(
                    f"{m} patients at level {data.levels[i]:g}; a 3+3 treats at most 6 per level",
                    field=f"n[{i}]",
                    hint="check the counts, or use an interval design (BOIN) for larger cohorts",
                )

    def _acceptable(self, data: DoseData, i: int) -> bool:
        m, y = data.n[i], data.dlt[i]
        if m >= 6 and y <= 1:
            return True
        if m == 3 and y == 0:
            top_unconfirmed = i == data.n_levels - 1 and not self.confirm_top
            return (not self.deescalation) or top_unconfirmed
        return False

    def select_mtd(self, data: DoseData) -> MtdSelection:
        """The highest acceptable level below the lowest too-toxic level.

        Acceptable: <= 1/6 DLTs, or (without de-escalation) 0/3.
        """
        self._check(data)
        toxic = [y >= 2 for y in data.dlt]
        first_toxic = toxic.index(True) if any(toxic) else data.n_levels
        candidates = [i for i in range(first_toxic) if self._acceptable(data, i)]
        eliminated = tuple(i >= first_toxic for i in range(data.n_levels))
        rates = data.observed_rates()
        if not candidates:
            reason = (
                "no MTD: the lowest level is too toxic"
                if first_toxic == 0
                else "no MTD: no level below the too-toxic one has acceptable data"
            )
            return MtdSelection(None, None, rates, eliminated, reason)
        best = max(candidates)
        reason = (
            f"level {data.levels[best]:g} ({data.dlt[best]}/{data.n[best]} DLTs) is the highest "
            "acceptable level"
        )
        return MtdSelection(best, data.levels[best], rates, eliminated, reason)

    def decide(
        self,
        data: DoseData,
        *,
        current: float | None = None,
        start: float | None = None,
        max_n: int | None = None,
    ) -> Decision:
        """3+3 decision for the next cohort (arguments as :meth:`Boin.decide`)."""
        self._check(data)
        d, _, inferred = resolve_current(data, current=current, start=start)
        toxic = [y >= 2 for y in data.dlt]
        m, y = data.n[d], data.dlt[d]
        top = data.n_levels - 1
        estimates = tuple(
            LevelEstimate(
                level=v,
                n=data.n[i],
                dlt=data.dlt[i],
                observed_rate=data.dlt[i] / data.n[i] if data.n[i] else None,
                estimated_rate=None,
                p_overdose=None,
                eliminated=any(toxic[: i + 1]),
            )
            for i, v in enumerate(data.levels)
        )
        evidence: dict[str, object] = {
            "n_current": m,
            "dlt_current": y,
            "deescalation": self.deescalation,
            "rule": "0/3 escalate; 1/3 treat 3 more; <=1/6 escalate; >=2 DLTs too toxic",
            "too_toxic_levels": tuple(v for v, t in zip(data.levels, toxic, strict=True) if t),
        }
        elim = tuple(e.level for e in estimates if e.eliminated)

        def make(
            action: Action, nxt: int | None, reason: str, missing: tuple[MissingData, ...] = ()
        ) -> Decision:
            mtd = self.select_mtd(data) if action is Action.SELECT_MTD else None
            if mtd is not None and mtd.mtd_index is None:
                action, reason = Action.STOP, f"{reason}; {mtd.reason}"
            return Decision(
                design=self.name,
                target=None,
                action=action,
                current_index=d,
                current_level=data.levels[d],
                current_inferred=inferred,
                next_index=nxt,
                next_level=None if nxt is None else data.levels[nxt],
                mtd_index=None if mtd is None else mtd.mtd_index,
                mtd_level=None if mtd is None else mtd.mtd_level,
                eliminated_levels=elim,
                estimates=estimates,
                evidence=evidence,
                reason=reason,
                missing=missing,
            )

        if max_n is not None and data.total_n >= max_n:
            return make(Action.SELECT_MTD, None, f"the maximum sample size {max_n} is reached")
        if y >= 2:
            first_toxic = toxic.index(True)
            lower = first_toxic - 1
            here = f"{y}/{m} DLTs at {data.levels[d]:g}: too toxic"
            if lower < 0:
                return make(Action.STOP, None, f"{here}; the lowest level is too toxic: no MTD")
            if data.n[lower] == 0 or (self.deescalation and data.n[lower] < 6):
                return make(
                    Action.DEESCALATE, lower, f"{here}; treat 3 (more) at {data.levels[lower]:g}"
                )
            return make(Action.SELECT_MTD, None, f"{here}; stop")
        if m % 3 != 0:
            short = 3 - m % 3
            item = MissingData(
                kind="enrol",
                level=data.levels[d],
                patients=short,
                description=f"{short} patient{'s' if short > 1 else ''} still to enrol in the "
                f"cohort at level {data.levels[d]:g} ({m % 3} of 3 treated)",
            )
            return make(
                Action.WAIT,
                d,
                f"wait: {m} patients at {data.levels[d]:g}; complete the cohort of 3",
                (item,),
            )
        if m == 0:
            return make(Action.STAY, d, "no patient treated at the current level yet: treat here")
        if m == 3 and y == 1:
            return make(Action.STAY, d, f"1/3 DLTs at {data.levels[d]:g}: treat 3 more")
        # 0/3 or <= 1/6: escalation is indicated
        here = f"{y}/{m} DLTs at {data.levels[d]:g}"
        if d == top:
            if m == 3 and self.confirm_top:
                return make(Action.STAY, d, f"{here} at the top level: treat 3 more to confirm")
            return make(Action.SELECT_MTD, None, f"{here}: escalation passes the top level")
        if toxic[d + 1]:
            if m == 3 and self.deescalation:
                return make(Action.STAY, d, f"{here}; the level above is too toxic: treat 3 more")
            return make(Action.SELECT_MTD, None, f"{here}; the level above is too toxic")
        return make(Action.ESCALATE, d + 1, f"{here}: escalate")
