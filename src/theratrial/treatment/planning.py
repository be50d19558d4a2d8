"""The next cycle's activity under the protocol's organ limits, and whether to stop.

Cumulative doses come from :mod:`theratrial.treatment.history`. For the next cycle, the
patient's own measured dose per activity (last cycle by default) projects each organ's
dose, and the largest activity that keeps every applicable protocol limit is, for a limit
L on

- absorbed (or RBE-weighted) dose: ``A = (L - D_cum) / d``;
- BED: ``A = D / d`` with ``D = (sqrt(1 + 4 q R) - 1) / (2 q)``, ``q = G / (alpha/beta)``,
  ``R = L - BED_cum`` (the positive root of ``D + q D^2 = R``),

``d`` being Gy per MBq. Limits come from the protocol (``organ_limits``); a limit with
``applies_if`` replaces the default one for its organ and quantity when the patient has
that risk factor (Bodei et al., Eur. J. Nucl. Med. Mol. Imaging 35 (2008) 1847: kidney
BED 40 Gy, 28 Gy with risk factors).

Examples
--------
>>> from theratrial.protocol import find_protocol
>>> bordet = find_protocol("NCT01842165")
>>> history = [CycleDose(c, "kidneys", 7400.0, 5.75, g_factor=0.053032) for c in (1, 2, 3)]
>>> plan = plan_next_cycle(bordet, history)
>>> plan.cycle, plan.stop, round(plan.max_activity_mbq), plan.reduced
(4, False, 7400, False)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from theratrial.errors import ParameterError
from theratrial.protocol import OrganLimit, Protocol
from theratrial.treatment.history import (
    CycleDose,
    OrganTotal,
    cumulative_doses,
    per_cycle_organ_doses,
)
from theratrial.treatment.prescription import Prescription, prescribe_activity

__all__ = [
    "LimitCheck",
    "NextCyclePlan",
    "active_limits",
    "plan_next_cycle",
]


def active_limits(
    protocol: Protocol, *, risk_factors: Iterable[str] = ()
) -> tuple[OrganLimit, ...]:
    """The protocol's organ limits that apply to a patient with ``risk_factors``.

    Examples
    --------
    >>> from theratrial.protocol import find_protocol
    >>> limits = active_limits(find_protocol("NCT01842165"), risk_factors=["renal_risk_factors"])
    >>> sorted(f"{lim.organ} {lim.quantity} {lim.limit:g}" for lim in limits)
    ['bone_marrow absorbed_dose_gy 2', 'kidneys absorbed_dose_gy 23', 'kidneys bed_gy 28']
    """
    factors = set(risk_factors)
    groups: dict[tuple[str, str], list[OrganLimit]] = {}
    for lim in protocol.organ_limits:
        groups.setdefault((lim.organ, lim.quantity), []).append(lim)
    chosen: list[OrganLimit] = []
    for items in groups.values():
        specific = [
            lim for lim in items if lim.applies_if is not None and lim.applies_if in factors
        ]
        chosen.extend(specific or [lim for lim in items if lim.applies_if is None])
    return tuple(chosen)


@dataclass(frozen=True, slots=True)
class LimitCheck:
    """One protocol limit against this patient's doses.

    Attributes
    ----------
    limit
        The protocol limit.
    cumulative
        Cumulative value so far (None when unknown).
    dose_gy_per_gbq
        The patient's measured dose per GBq used for projection (absorbed or RBE-weighted).
    max_activity_mbq
        Largest next-cycle activity under this limit (None when it cannot be projected).
    projected_at_prescribed
        Cumulative value after a cycle at the prescribed activity.
    reached
        Whether the cumulative value already reaches the limit.
    note
        Explanation in words.
    """

    limit: OrganLimit
    cumulative: float | None
    dose_gy_per_gbq: float | None
    max_activity_mbq: float | None
    projected_at_prescribed: float | None
    reached: bool
    note: str


@dataclass(frozen=True, slots=True)
class NextCyclePlan:
    """The next cycle's prescription gated by organ limits.

    Attributes
    ----------
    cycle
        Number of the next cycle.
    prescription
        What the protocol prescribes.
    max_activity_mbq
        Largest activity that keeps every checked limit (None when nothing could be checked).
    recommended_activity_mbq
        ``min(prescribed, max)``; 0 when treatment stops.
    reduced
        Whether the recommended activity is below the prescribed one.
    stop
        Whether the protocol says treatment stops now.
    last_cycle
        Whether this cycle brings a ``stop`` limit to its value (no cycle after it).
    reasons
        Why the plan stops or reduces.
    checks
        One :class:`LimitCheck` per applicable limit.
    totals
        Cumulative doses per organ so far.
    warnings
        Limits that could not be checked, and other cautions.
    """

    cycle: int
    prescription: Prescription
    max_activity_mbq: float | None
    recommended_activity_mbq: float
    reduced: bool
    stop: bool
    last_cycle: bool
    reasons: tuple[str, ...]
    checks: tuple[LimitCheck, ...]
    totals: tuple[OrganTotal, ...]
    warnings: tuple[str, ...]


def _dose_per_mbq(
    cycles: list[CycleDose], quantity: str, basis: str
) -> tuple[float, CycleDose] | None:
    rbe = quantity == "rbe_weighted_dose_gy"
    usable = [c for c in cycles if not rbe or c.rbe_weighted_dose_gy is not None]
    if not usable:
        return None
    last = usable[-1]
    pick = [last] if basis == "last" else usable

    def amount(c: CycleDose) -> float:
        value = c.rbe_weighted_dose_gy if rbe else c.absorbed_dose_gy
        return float(value) if value is not None else 0.0

    per_mbq = sum(amount(c) for c in pick) / sum(c.administered_activity_mbq for c in pick)
    return per_mbq, last


def _check(
    lim: OrganLimit,
    total: OrganTotal | None,
    cycles: list[CycleDose],
    prescribed: float,
    basis: str,
) -> LimitCheck:
    label = f"{lim.organ} {lim.quantity.removesuffix('_gy').replace('_', ' ')} {lim.limit:g} Gy"
    cumulative = total.value(lim.quantity) if total is not None else None
    measured = _dose_per_mbq(cycles, lim.quantity, basis) if cycles else None
    if measured is None or (cumulative is None and total is not None):
        missing = "no dosimetry" if not cycles else f"no {lim.quantity} for every cycle"
        return LimitCheck(
            lim, cumulative, None, None, None, False, f"{label}: {missing}; not checked"
        )
    d, ref = measured
    done = cumulative if cumulative is not None else 0.0
    remaining = lim.limit - done
    reached = remaining <= 1e-9 * lim.limit
    if lim.quantity == "bed_gy":
        g = ref.g_factor
        if g is None:
            return LimitCheck(
                lim, cumulative, d * 1000, None, None, reached, f"{label}: no G-factor"
            )
        q = g / ref.radiobiology.alpha_beta_gy
        dose_room = max(remaining, 0.0)
        dose_room = (math.sqrt(1 + 4 * q * dose_room) - 1) / (2 * q) if q > 0 else dose_room
        next_dose = d * prescribed
        projected = done + next_dose * (1 + q * next_dose)
    else:
        dose_room = max(remaining, 0.0)
        projected = done + d * prescribed
    max_activity = dose_room / d if d > 0 else math.inf
    note = (
        f"{label}: {done:.3g} Gy so far, {projected:.3g} Gy after a full cycle; "
        f"at most {max_activity / 1000:.3g} GBq next"
    )
    return LimitCheck(lim, cumulative, d * 1000, max_activity, projected, reached, note)


def plan_next_cycle(
    protocol: Protocol,
    history: Sequence[CycleDose],
    *,
    weight_kg: float | None = None,
    level_id: str | None = None,
    risk_factors: Iterable[str] = (),
    basis: str = "last",
    combine: str = "max",
) -> NextCyclePlan:
    """Prescribe the next cycle and gate it by the protocol's organ limits.

    Parameters
    ----------
    protocol
        The trial protocol (dosing, schedule, organ limits).
    history
        Per-organ doses of the cycles given so far.
    weight_kg, level_id
        For the prescription (per-weight rules, dose level).
    risk_factors
        Patient risk factors that switch limits (e.g. ``renal_risk_factors``).
    basis
        Dose per activity from the ``"last"`` cycle or the activity-weighted ``"mean"``.
    combine
        How several regions of one organ combine per cycle (``"max"`` or ``"mean"``).
    """
    if basis not in ("last", "mean"):
        raise ParameterError(f"unknown basis {basis!r}", field="basis", hint="last | mean")
    prescription = prescribe_activity(protocol, level_id=level_id, weight_kg=weight_kg)
    prescribed = prescription.activity_mbq
    per_organ = per_cycle_organ_doses(history, combine)
    totals = cumulative_doses(history, combine=combine)
    cycle = max((c.cycle for c in history), default=0) + 1
    reasons: list[str] = []
    warnings: list[str] = []
    stop = False
    max_cycles = protocol.schedule.max_cycles if protocol.schedule else None
    if max_cycles is not None and cycle > max_cycles:
        stop = True
        reasons.append(f"all {max_cycles} cycles of the protocol have been given")
    checks = tuple(
        _check(lim, totals.get(lim.organ), per_organ.get(lim.organ, []), prescribed, basis)
        for lim in active_limits(protocol, risk_factors=risk_factors)
    )
    if not checks:
        warnings.append("the protocol sets no organ limits: doses are reported without gating")
    maxima = [c.max_activity_mbq for c in checks if c.max_activity_mbq is not None]
    warnings.extend(c.note for c in checks if c.max_activity_mbq is None)
    for c in checks:
        if c.reached:
            stop = True
            reasons.append(f"limit reached: {c.note}")
    max_activity = min(maxima) if maxima else None
    last_cycle = False
    if stop:
        recommended = 0.0
    else:
        recommended = prescribed if max_activity is None else min(prescribed, max_activity)
        for c in checks:
            if c.max_activity_mbq is not None and c.max_activity_mbq < prescribed:
                reasons.append(f"reduced: {c.note}")
                if c.limit.action == "stop":
                    last_cycle = True
        if last_cycle:
            reasons.append("the protocol stops treatment once a limit is reached: last cycle")
    return NextCyclePlan(
        cycle=cycle,
        prescription=prescription,
        max_activity_mbq=max_activity,
        recommended_activity_mbq=recommended,
        reduced=not stop and recommended < prescribed,
        stop=stop,
        last_cycle=last_cycle,
        reasons=tuple(reasons),
        checks=checks,
        totals=tuple(totals.values()),
        warnings=tuple(warnings),
    )
