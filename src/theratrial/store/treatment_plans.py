"""The next-cycle plan of a patient from the stored cycles (read by ``plan`` and the API).

The stored dose results of each cycle become the organ dose history
(:class:`~theratrial.treatment.CycleDose`): absorbed dose, the G-factor behind the stored
BED, the radiobiology used, the RBE-weighted dose of an alpha emitter. The plan is
:func:`theratrial.treatment.plan_next_cycle` over that history; :func:`next_cycle_plan`
returns it with its JSON document, the one object ``theratrial plan --json`` prints and
``GET /api/v1/patients/{id}/plan`` returns.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from theratrial.dosimetry.radiobiology import Radiobiology, g_factor_mono_exponential
from theratrial.protocol.schema import Protocol
from theratrial.store.models_clinical import CycleRow, DoseResultRow
from theratrial.treatment import CycleDose, next_cycle_window, organ_of, plan_next_cycle
from theratrial.treatment.planning import NextCyclePlan

__all__ = ["CyclePlan", "cycle_history", "next_cycle_plan"]


def _g_factor(d: DoseResultRow, dose: float, bio: Radiobiology) -> float | None:
    """The G-factor behind a stored dose result.

    The BED the dosimetry stored used the G-factor of the whole fitted curve (two phases,
    uptake): it is recovered exactly from ``BED = D (1 + G D / (alpha/beta))`` (Dale 1985,
    Br J Radiol 58:515), so the cumulative BED is the sum of the per-cycle BEDs the
    dosimetry reported. Without a stored BED, an alpha emitter has none (no LQ model for
    alpha particles); other results fall back to a mono-exponential dose rate with the
    stored effective half-life.
    """
    if d.bed_gy is not None and dose > 0:
        g = (float(d.bed_gy) / dose - 1.0) * bio.alpha_beta_gy / dose
        return min(max(g, 0.0), 1.0)
    if d.bed_gy is None and d.rbe_weighted_dose_gy is not None:
        return None
    if d.effective_half_life_h:
        return g_factor_mono_exponential(
            float(d.effective_half_life_h), repair_half_time_h=bio.repair_half_time_h
        )
    return None


def cycle_history(cycles: Sequence[CycleRow]) -> list[CycleDose]:
    """The organ dose history of stored cycles (one entry per cycle and region with a dose).

    Radiobiology defaults when a result stored none: alpha/beta 2.6 Gy and repair
    half-time 2.8 h (kidney; Barone et al. 2005, J Nucl Med 46:99S).
    """
    history = []
    for c in cycles:
        for d in c.doses:
            if d.dose_gy is None:
                continue
            bio = Radiobiology(d.alpha_beta_gy or 2.6, d.repair_half_time_h or 2.8)
            history.append(
                CycleDose(
                    c.cycle_number,
                    organ_of(d.region),
                    c.activity_mbq,
                    d.dose_gy,
                    g_factor=_g_factor(d, float(d.dose_gy), bio),
                    radiobiology=bio,
                    rbe_weighted_dose_gy=d.rbe_weighted_dose_gy,
                )
            )
    return history


@dataclass(frozen=True, slots=True)
class CyclePlan:
    """A next-cycle plan: the JSON document, the plan and the dose history behind it."""

    payload: dict[str, Any]
    result: NextCyclePlan
    history: list[CycleDose]


def next_cycle_plan(
    protocol: Protocol,
    patient_id: str,
    cycles: Sequence[CycleRow],
    *,
    weight_kg: float | None = None,
    level_id: str | None = None,
    risk_factors: Iterable[str] = (),
) -> CyclePlan:
    """Plan the next cycle from the stored cycles; weight and level default to the last one's.

    The document names the organs' cumulative absorbed dose, BED and RBE-weighted dose,
    each organ limit with the patient's dose per GBq and the largest activity that keeps
    it, the recommended activity (MBq) and the next cycle's window from the schedule.
    """
    risk = list(risk_factors)
    history = cycle_history(cycles)
    last = cycles[-1] if cycles else None
    weight = weight_kg if weight_kg is not None else (last.weight_kg if last else None)
    chosen_level = level_id or (last.dose_level if last else None)
    last_date = last.administered_at.date() if last and last.administered_at else None
    result = plan_next_cycle(
        protocol, history, weight_kg=weight, level_id=chosen_level, risk_factors=risk
    )
    window = None
    if protocol.schedule is not None and last_date is not None and not result.stop:
        w = next_cycle_window(protocol.schedule, previous=last_date, cycle=result.cycle)
        window = {
            "nominal": w.nominal.isoformat(),
            "earliest": w.earliest.isoformat(),
            "latest": w.latest.isoformat(),
        }
    payload: dict[str, Any] = {
        "patient_id": patient_id,
        "trial_id": protocol.id,
        "cycles_given": [c.cycle_number for c in cycles],
        "next_cycle": result.cycle,
        "prescribed_activity_mbq": result.prescription.activity_mbq,
        "max_activity_mbq": result.max_activity_mbq,
        "recommended_activity_mbq": result.recommended_activity_mbq,
        "reduced": result.reduced,
        "stop": result.stop,
        "last_cycle": result.last_cycle,
        "window": window,
        "reasons": list(result.reasons),
        "organs": [
            {
                "organ": t.organ,
                "cycles": list(t.cycles),
                "absorbed_dose_gy": t.absorbed_dose_gy,
                "bed_gy": t.bed_gy,
                "rbe_weighted_dose_gy": t.rbe_weighted_dose_gy,
            }
            for t in result.totals
        ],
        "limits": [
            {
                "organ": ch.limit.organ,
                "quantity": ch.limit.quantity,
                "limit": ch.limit.limit,
                "cumulative": ch.cumulative,
                "dose_gy_per_gbq": ch.dose_gy_per_gbq,
                "max_activity_mbq": ch.max_activity_mbq,
                "projected_at_prescribed": ch.projected_at_prescribed,
                "reached": ch.reached,
                "note": ch.note,
                "source": ch.limit.source,
            }
            for ch in result.checks
        ],
        "warnings": list(result.warnings),
    }
    return CyclePlan(payload, result, history)
