"""Machinery shared by the interval designs BOIN, mTPI-2 and i3+3 (private).

An interval design decides from the data at the current level only: a code E (escalate),
S (stay), D (de-escalate) or DU (de-escalate and eliminate this level and all above it) for
each pair (n, y). Conduct follows the BOIN package conventions (Liu & Yuan 2015; Yan et al.
2020, ``get.oc``):

* a level and all higher levels are eliminated when ``n >= 3`` and
  ``Pr(p > target | y, n) > cutoff_eli`` under a Beta(1, 1) prior;
* the trial stops without an MTD when the lowest level is eliminated (or, with
  ``extrasafe``, when ``Pr(p_1 > target) > cutoff_eli - offset`` at the lowest level with
  ``n >= 3``);
* escalation never enters an eliminated level, de-escalation never goes below the lowest;
* when ``n`` at the current level reaches ``n_earlystop`` and the decision is to stay there
  (including an escalation or de-escalation that is impossible), the trial stops and the
  MTD is selected;
* at the maximum sample size the MTD is selected by isotonic regression
  (:mod:`theratrial.design.isotonic`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray
from scipy.special import betainc

from theratrial.design._checks import check_count, check_target
from theratrial.design.decision import (
    Action,
    Decision,
    LevelEstimate,
    MtdSelection,
    resolve_current,
)
from theratrial.design.dosedata import DoseData
from theratrial.design.isotonic import pava, posterior_rate, select_isotonic
from theratrial.errors import ParameterError

__all__ = [
    "CODE_NAMES",
    "DU",
    "NO_BOUND",
    "D",
    "E",
    "EquivalenceIntervalDesign",
    "IntervalRules",
    "S",
    "decide_interval",
    "eliminated_levels",
    "elimination_bound",
    "elimination_bounds",
    "overdose_probability",
    "select_mtd_interval",
]

E, S, D, DU = 0, 1, 2, 3
CODE_NAMES = ("E", "S", "D", "DU")
NO_BOUND = 1_000_000
"""Sentinel DLT count that can never be reached (no boundary at this n)."""


class IntervalRules(Protocol):
    """What an interval design provides to the shared conduct rules."""

    @property
    def name(self) -> str: ...

    @property
    def target(self) -> float: ...

    @property
    def cutoff_eli(self) -> float: ...

    @property
    def n_earlystop(self) -> int: ...

    @property
    def extrasafe(self) -> bool: ...

    @property
    def offset(self) -> float: ...

    @property
    def mtd_max_rate(self) -> float | None: ...

    def code(self, n: int, dlt: int) -> int: ...

    def code_table(self, max_n: int) -> NDArray[np.int8]: ...

    def rule_evidence(self, n: int, dlt: int) -> dict[str, object]: ...


def _beta_sf(x: float, a: Any, b: Any) -> Any:
    """Survival function of Beta(a, b) at ``x``: ``1 - I_x(a, b) = I_{1-x}(b, a)``.

    The regularised incomplete beta function (:func:`scipy.special.betainc`) gives it
    directly, without importing :mod:`scipy.stats` (slow to import; start-up matters).
    """
    return betainc(b, a, 1.0 - x)


def overdose_probability(n: int, dlt: int, target: float) -> float:
    """``Pr(p > target | dlt of n)`` under a Beta(1, 1) prior (posterior Beta(1+y, 1+n-y))."""
    return float(_beta_sf(target, dlt + 1, n - dlt + 1))


def elimination_bound(target: float, n: int, cutoff: float) -> int:
    """Smallest DLT count among ``n`` patients that eliminates a level.

    ``NO_BOUND`` when no count qualifies or ``n < 3`` (BOIN ``get.boundary``).
    """
    if n < 3:
        return NO_BOUND
    y = np.arange(1, n + 1)
    hits = np.nonzero(_beta_sf(target, y + 1, n - y + 1) > cutoff)[0]
    return int(y[hits[0]]) if hits.size else NO_BOUND


def elimination_bounds(target: float, max_n: int, cutoff: float) -> NDArray[np.int64]:
    """:func:`elimination_bound` for ``n = 0..max_n``."""
    return np.array(
        [elimination_bound(target, n, cutoff) for n in range(max_n + 1)], dtype=np.int64
    )


def eliminated_levels(rules: IntervalRules, data: DoseData) -> tuple[list[bool], bool]:
    """Levels eliminated by the data, and whether the extra-safe stopping rule fired."""
    eliminated = [False] * data.n_levels
    for i, (m, y) in enumerate(zip(data.n, data.dlt, strict=True)):
        if m >= 3 and overdose_probability(m, y, rules.target) > rules.cutoff_eli:
            eliminated[i:] = [True] * (data.n_levels - i)
            break
    extrasafe_stop = False
    n0, y0 = data.n[0], data.dlt[0]
    if rules.extrasafe and n0 >= 3:
        bound = elimination_bound(rules.target, n0, rules.cutoff_eli)
        if bound != NO_BOUND and (
            overdose_probability(n0, y0, rules.target) > rules.cutoff_eli - rules.offset
        ):
            extrasafe_stop = True
    return eliminated, extrasafe_stop


def select_mtd_interval(rules: IntervalRules, data: DoseData) -> MtdSelection:
    """MTD of an interval design at the end of the trial (BOIN ``select.mtd``)."""
    eliminated = [False] * data.n_levels
    for i, (m, y) in enumerate(zip(data.n, data.dlt, strict=True)):
        if m >= 3 and overdose_probability(m, y, rules.target) > rules.cutoff_eli:
            eliminated[i:] = [True] * (data.n_levels - i)
            break
    if rules.extrasafe and data.n[0] >= 3:
        p0 = overdose_probability(data.n[0], data.dlt[0], rules.target)
        if p0 > rules.cutoff_eli - rules.offset:
            eliminated = [True] * data.n_levels
    index, estimates = select_isotonic(
        data.n, data.dlt, eliminated, target=rules.target, max_rate=rules.mtd_max_rate
    )
    if index is None:
        reason = (
            "no MTD: the lowest level is eliminated for toxicity"
            if eliminated[0]
            else "no MTD: no treated level qualifies"
        )
        return MtdSelection(None, None, estimates, tuple(eliminated), reason)
    reason = (
        f"level {data.levels[index]:g} has the isotonic DLT estimate "
        f"{estimates[index]:.3f} closest to the target {rules.target:g}"
    )
    return MtdSelection(index, data.levels[index], estimates, tuple(eliminated), reason)


def _level_estimates(
    rules: IntervalRules, data: DoseData, eliminated: list[bool]
) -> tuple[LevelEstimate, ...]:
    treated = [i for i, m in enumerate(data.n) if m > 0]
    iso: dict[int, float] = {}
    if treated:
        mean, var = posterior_rate([data.n[i] for i in treated], [data.dlt[i] for i in treated])
        for i, value in zip(treated, pava(mean, 1.0 / var), strict=True):
            iso[i] = float(value)
    out = []
    for i, level in enumerate(data.levels):
        m, y = data.n[i], data.dlt[i]
        out.append(
            LevelEstimate(
                level=level,
                n=m,
                dlt=y,
                observed_rate=y / m if m else None,
                estimated_rate=iso.get(i),
                p_overdose=overdose_probability(m, y, rules.target) if m else None,
                eliminated=eliminated[i],
            )
        )
    return tuple(out)


def decide_interval(
    rules: IntervalRules,
    data: DoseData,
    *,
    current: float | None,
    start: float | None,
    max_n: int | None,
) -> Decision:
    """Decision of an interval design for the next cohort (see the module docstring)."""
    d, _, inferred = resolve_current(data, current=current, start=start)
    eliminated, extrasafe_stop = eliminated_levels(rules, data)
    estimates = _level_estimates(rules, data, eliminated)
    m, y = data.n[d], data.dlt[d]
    evidence: dict[str, object] = {"n_current": m, "dlt_current": y}
    evidence.update(rules.rule_evidence(m, y))
    elim_values = tuple(v for v, e in zip(data.levels, eliminated, strict=True) if e)

    def make(
        action: Action, nxt: int | None, reason: str, mtd: MtdSelection | None = None
    ) -> Decision:
        return Decision(
            design=rules.name,
            target=rules.target,
            action=action,
            current_index=d,
            current_level=data.levels[d],
            current_inferred=inferred,
            next_index=nxt,
            next_level=None if nxt is None else data.levels[nxt],
            mtd_index=None if mtd is None else mtd.mtd_index,
            mtd_level=None if mtd is None else mtd.mtd_level,
            eliminated_levels=elim_values,
            estimates=estimates,
            evidence=evidence,
            reason=reason,
        )

    def select(reason: str) -> Decision:
        chosen = select_mtd_interval(rules, data)
        if chosen.mtd_index is None:
            return make(Action.STOP, None, f"{reason}; {chosen.reason}")
        return make(Action.SELECT_MTD, None, f"{reason}; {chosen.reason}", chosen)

    if eliminated[0]:
        return make(Action.STOP, None, "the lowest level is eliminated for toxicity: stop")
    if extrasafe_stop:
        return make(
            Action.STOP, None, "extra-safe rule: the lowest level is too likely overly toxic"
        )
    if max_n is not None and data.total_n >= max_n:
        return select(f"the maximum sample size {max_n} is reached")
    if m == 0:
        return make(Action.STAY, d, "no patient treated at the current level yet: treat here")
    if eliminated[d]:
        nxt = eliminated.index(True) - 1
        return make(
            Action.ELIMINATE,
            nxt,
            f"level {data.levels[d]:g} and all above are eliminated for toxicity: "
            f"treat at {data.levels[nxt]:g}",
        )
    code = rules.code(m, y)
    top = data.n_levels - 1
    can_escalate = d < top and not eliminated[d + 1]
    if code == E and can_escalate:
        action, nxt, why = Action.ESCALATE, d + 1, "the DLT rate is below the escalation rule"
    elif code in (D, DU) and d > 0:
        action, nxt, why = Action.DEESCALATE, d - 1, "the DLT rate is above the de-escalation rule"
    elif code == E:
        action, nxt, why = Action.STAY, d, "escalation is indicated but no higher level is open"
    elif code in (D, DU):
        action, nxt, why = Action.STAY, d, "de-escalation is indicated but this is the lowest level"
    else:
        action, nxt, why = Action.STAY, d, "the DLT rate is within the target interval"
    if action is Action.STAY and m >= rules.n_earlystop:
        return select(f"{m} patients at the current level reached n_earlystop={rules.n_earlystop}")
    return make(action, nxt, f"{y}/{m} DLTs at {data.levels[d]:g}: {why}")


@dataclass(frozen=True, slots=True)
class EquivalenceIntervalDesign(ABC):
    """Parameters and conduct shared by mTPI-2 and i3+3 (an abstract base, not a design).

    Both designs are defined by the target DLT probability pT and the equivalence interval
    ``EI = [pT - epsilon1, pT + epsilon2]`` (Guo et al. 2017, Contemp Clin Trials 58:23-33;
    Liu, Wang & Ji 2020, J Biopharm Stat 30:294-304), with the BOIN conduct rules of this
    module: elimination when ``Pr(p > pT | data) > cutoff_eli``, early stop at
    ``n_earlystop``, MTD by isotonic regression. Neither has an extra-safe rule or a bound on
    the selected MTD's estimate. A subclass gives :attr:`name`, :meth:`code` and
    :meth:`rule_evidence`.

    Examples
    --------
    >>> from theratrial.design import I3plus3, Mtpi2
    >>> [isinstance(d, EquivalenceIntervalDesign) for d in (Mtpi2(0.3), I3plus3(0.3))]
    [True, True]
    >>> Mtpi2(0.3).code_table(3)[3].tolist()    # n = 3, y = 0..3: E, S, D, DU
    [0, 1, 2, 3]
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
    @abstractmethod
    def name(self) -> str:
        """The design's name, as :func:`theratrial.design.create_design` knows it."""

    @abstractmethod
    def code(self, n: int, dlt: int) -> int:
        """Decision code E/S/D/DU (0..3) for ``dlt`` DLTs among ``n`` patients."""

    @abstractmethod
    def rule_evidence(self, n: int, dlt: int) -> dict[str, object]:
        """What the decision at the current level rests on."""

    @property
    def extrasafe(self) -> bool:
        """No extra-safe rule."""
        return False

    @property
    def offset(self) -> float:
        """Unused (no extra-safe rule)."""
        return 0.0

    @property
    def mtd_max_rate(self) -> float | None:
        """No bound on the selected MTD's estimate."""
        return None

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

    def decide(
        self,
        data: DoseData,
        *,
        current: float | None = None,
        start: float | None = None,
        max_n: int | None = None,
    ) -> Decision:
        """Decision for the next cohort (arguments as :meth:`Boin.decide`)."""
        return decide_interval(self, data, current=current, start=start, max_n=max_n)

    def select_mtd(self, data: DoseData) -> MtdSelection:
        """MTD by isotonic regression, closest to the target."""
        return select_mtd_interval(self, data)
