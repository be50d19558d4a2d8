"""The cycle report: one patient's cycle dosimetry, cumulative dose and the next prescription.

The numbers are those ``theratrial plan --json`` prints (the same
:func:`theratrial.store.treatment_plans.next_cycle_plan` over the stored cycles) and the
dosimetry stored for the cycle (``theratrial cycle record --dosimetry``). Absorbed dose
follows MIRD Pamphlet 21 (Bolch et al. 2009, J Nucl Med 50:477), BED the linear-quadratic
model with incomplete repair (Dale 1985, Br J Radiol 58:515). The signatures are those of
the trial service: the physicist's approval of the cycle dosimetry (entity
``cycle_dosimetry``) and the physician's prescription of the next cycle (entity
``prescription``), each void when the data changed after signing. Without a valid
dosimetry approval, page 1 says ``NOT SIGNED``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from matplotlib.figure import Figure as MplFigure
from sqlalchemy.orm import Session

from theratrial.api.signatures import signatures_for
from theratrial.errors import InputError
from theratrial.protocol.schema import Protocol
from theratrial.report._render import figure_uri, fmt
from theratrial.report.documents import (
    Document,
    Figure,
    Input,
    Section,
    SignatureLine,
    Table,
    json_sha256,
)
from theratrial.store import register_protocol
from theratrial.store.clinical import cycles_of
from theratrial.store.models_clinical import CycleRow
from theratrial.store.repository import enrolment_of
from theratrial.store.treatment_plans import next_cycle_plan
from theratrial.treatment import active_limits, require_enrolment

__all__ = ["cycle_content", "cycle_document"]

_DOSE_KEYS = ("region", "model", "dose_gy", "mass_g", "tia_mbq_h", "bed_gy", "rbe_weighted_dose_gy")


def _iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(dt.UTC).isoformat() if value.tzinfo else value.isoformat()


def cycle_content(cycle: CycleRow) -> dict[str, Any]:
    """The stored cycle as the trial service signs it (``cycle_dosimetry`` signatures)."""
    return {
        "cycle": cycle.cycle_number,
        "administered_at": _iso(cycle.administered_at),
        "nuclide": cycle.nuclide,
        "activity_mbq": cycle.activity_mbq,
        "dose_level": cycle.dose_level,
        "weight_kg": cycle.weight_kg,
        "dosimetry": [{k: getattr(d, k, None) for k in _DOSE_KEYS} for d in cycle.doses],
    }


def _tac_figure(cycle: CycleRow) -> MplFigure | None:
    """Measured time-activity points per region (MBq against hours after administration)."""
    series: dict[str, list[tuple[float, float]]] = {}
    for p in cycle.tac:
        series.setdefault(p.region, []).append((p.time_h, p.activity_mbq))
    if not series:
        return None
    fig = MplFigure(figsize=(6.0, 3.2), layout="constrained")
    ax = fig.add_subplot()
    for region, points in sorted(series.items()):
        points.sort()
        ax.plot([t for t, _ in points], [a for _, a in points], "o-", ms=4, lw=1.0, label=region)
    ax.set_xlabel("time after administration (h)")
    ax.set_ylabel(f"{cycle.nuclide} activity (MBq)")
    ax.set_yscale("log")
    ax.legend(fontsize=7)
    return fig


def _aicc(fit_report: Any) -> str:
    if isinstance(fit_report, dict):
        for key in ("aicc", "AICc"):
            if isinstance(fit_report.get(key), int | float):
                return fmt(float(fit_report[key]))
    return "–"


def _signatures(
    session: Session, entity: str, entity_id: str, current: dict[str, Any], what: str
) -> list[SignatureLine]:
    return [
        SignatureLine(
            s.username, s.role, f"{s.meaning} ({what})", s.signed_at, s.content_sha256, s.valid
        )
        for s in signatures_for(session, entity, entity_id, current=current)
    ]


def _dose_table(cycle: CycleRow) -> Table:
    rows = []
    for d in sorted(cycle.doses, key=lambda d: d.region):
        rows.append(
            (
                d.region,
                d.model,
                _aicc(d.fit_report),
                fmt(d.effective_half_life_h),
                fmt(d.tia_mbq_h),
                fmt(d.mass_g),
                fmt(d.dose_gy),
                fmt(d.bed_gy),
                fmt(d.eqd2_gy),
                fmt(d.rbe_weighted_dose_gy),
                "; ".join(str(w) for w in d.warnings or []) or "–",
            )
        )
    return Table(
        (
            "region",
            "model",
            "AICc",
            "T_eff (h)",
            "Ã (MBq h)",
            "mass (g)",
            "absorbed dose (Gy)",
            "BED (Gy)",
            "EQD2 (Gy)",
            "RBE-weighted dose (Gy)",
            "warnings",
        ),
        tuple(rows),
        "Per region: fitted model, time-integrated activity (MIRD Ã), absorbed dose, BED.",
    )


def _methods(cycle: CycleRow) -> tuple[str, ...]:
    sources = sorted({d.s_value_source for d in cycle.doses if d.s_value_source})
    bio = sorted(
        {
            (d.alpha_beta_gy, d.repair_half_time_h)
            for d in cycle.doses
            if d.alpha_beta_gy is not None
        }
    )
    out = [
        "Absorbed dose D = Ã x S (MIRD Pamphlet 21, Bolch et al. 2009, J Nucl Med 50:477).",
        "BED = D (1 + G D / (alpha/beta)) with the G-factor of the fitted dose rate "
        "(Dale 1985, Br J Radiol 58:515); EQD2 = BED / (1 + 2 Gy / (alpha/beta)).",
        "S-value source: " + ("; ".join(sources) if sources else "not stored with the results"),
    ]
    out += [f"alpha/beta {fmt(a)} Gy, repair half-time {fmt(r)} h" for a, r in bio]
    if any(d.rbe_weighted_dose_gy is not None for d in cycle.doses):
        out.append(
            "Alpha emitter: RBE-weighted dose (Gy) = RBE x alpha absorbed dose, "
            "no LQ BED for the alpha component (Sgouros et al. 2010, J Nucl Med 51:311)."
        )
    out.append(
        "Next-cycle activity: the protocol's prescription, reduced to the largest "
        "activity that keeps every organ under its limit from the measured dose per GBq."
    )
    return tuple(out)


def cycle_document(
    session: Session,
    protocol: Protocol,
    patient_id: str,
    cycle_number: int,
    *,
    risk_factors: Sequence[str] = (),
) -> Document:
    """The cycle report of a stored cycle, with the next-cycle plan from all stored cycles.

    Raises
    ------
    InputError
        The patient is not enrolled in the trial, or has no such cycle stored.
    """
    version = register_protocol(session, protocol)
    require_enrolment(enrolment_of(session, patient_id=patient_id, trial_id=protocol.id))
    cycles = cycles_of(session, patient_id=patient_id, trial_id=protocol.id)
    found = [c for c in cycles if c.cycle_number == cycle_number]
    if not found:
        stored = [c.cycle_number for c in cycles]
        raise InputError(
            f"patient {patient_id} has no cycle {cycle_number} stored in {protocol.id}",
            field="--cycle",
            hint=f"stored cycles: {stored or 'none'}",
        )
    cycle = found[0]
    plan = next_cycle_plan(protocol, patient_id, cycles, risk_factors=risk_factors)
    p = plan.payload
    content = cycle_content(cycle)
    entity_id = f"{protocol.id}/{patient_id}/{cycle_number}"
    sigs = _signatures(session, "cycle_dosimetry", entity_id, content, "cycle dosimetry")
    sigs += _signatures(
        session,
        "prescription",
        f"{protocol.id}/{patient_id}/{p['next_cycle']}",
        p,
        f"prescription of cycle {p['next_cycle']}",
    )
    approved = any(s.valid and "cycle dosimetry" in s.meaning for s in sigs)
    admin = Table(
        ("cycle", "date", "nuclide", "activity given (MBq)", "dose level", "weight (kg)"),
        (
            (
                str(cycle.cycle_number),
                _iso(cycle.administered_at) or "–",
                cycle.nuclide,
                fmt(cycle.activity_mbq),
                cycle.dose_level or "–",
                fmt(cycle.weight_kg),
            ),
        ),
    )
    times = sorted({round(t.time_h, 3) for t in cycle.tac})
    scans = (
        "Scan times after administration: "
        + (", ".join(f"{fmt(t)} h" for t in times) if times else "none stored")
        + "."
    )
    tac = Table(
        ("region", "time (h)", "activity (MBq)"),
        tuple(
            (t.region, fmt(t.time_h), fmt(t.activity_mbq))
            for t in sorted(cycle.tac, key=lambda t: (t.region, t.time_h))
        ),
    )
    figures = []
    tac_fig = _tac_figure(cycle)
    if tac_fig is not None:
        figures.append(Figure(figure_uri(tac_fig), "Time-activity points per region."))
    limits = Table(
        (
            "organ",
            "quantity",
            "cumulative (Gy)",
            "limit (Gy)",
            "dose per GBq (Gy/GBq)",
            "max activity (MBq)",
            "reached",
            "source",
        ),
        tuple(
            (
                c["organ"],
                c["quantity"],
                fmt(c["cumulative"]),
                fmt(c["limit"]),
                fmt(c["dose_gy_per_gbq"]),
                fmt(c["max_activity_mbq"]),
                str(c["reached"]),
                c["source"] or "–",
            )
            for c in p["limits"]
        ),
        "Cumulative dose over the cycles given against each protocol limit.",
    )
    organs = Table(
        ("organ", "cycles", "absorbed dose (Gy)", "BED (Gy)", "RBE-weighted dose (Gy)"),
        tuple(
            (
                o["organ"],
                ", ".join(map(str, o["cycles"])),
                fmt(o["absorbed_dose_gy"]),
                fmt(o["bed_gy"]),
                fmt(o["rbe_weighted_dose_gy"]),
            )
            for o in p["organs"]
        ),
    )
    cum_figs = []
    if plan.history:
        from theratrial.report.dosimetry_plots import cumulative_dose_figure

        fig = cumulative_dose_figure(
            plan.history, active_limits(protocol, risk_factors=list(risk_factors)), plan=plan.result
        )
        cum_figs.append(Figure(figure_uri(fig), "Cumulative organ dose against the limits."))
    verdict = (
        "STOP: no further cycle"
        if p["stop"]
        else (
            f"recommended activity {fmt(p['recommended_activity_mbq'])} MBq "
            f"(prescribed {fmt(p['prescribed_activity_mbq'])} MBq"
            + (", reduced)" if p["reduced"] else ")")
        )
    )
    window = p["window"]
    next_par = [f"Cycle {p['next_cycle']}: {verdict}."]
    if window:
        next_par.append(
            f"Window: {window['earliest']} to {window['latest']} (nominal {window['nominal']})."
        )
    next_par += [f"Reason: {r}" for r in p["reasons"]]
    next_par += [f"Warning: {w}" for w in p["warnings"]]
    return Document(
        "cycle",
        f"Cycle {cycle_number} dosimetry — patient {patient_id}",
        f"{protocol.id}: {protocol.title}",
        sections=(
            Section("Administration", (scans,), (admin,)),
            Section("Time-activity data", (), (tac,), tuple(figures)),
            Section("Dosimetry per organ and lesion", (), (_dose_table(cycle),)),
            Section("Cumulative dose and protocol limits", (), (organs, limits), tuple(cum_figs)),
            Section("Next cycle", tuple(next_par)),
        ),
        protocol=protocol.id,
        protocol_sha256=version.content_sha256,
        inputs=(
            Input("stored cycle (cycle_dosimetry content)", entity_id, json_sha256(content)),
            Input(
                "next-cycle plan (plan --json)", f"{protocol.id}/{patient_id}/next", json_sha256(p)
            ),
        ),
        signatures=tuple(sigs),
        signatures_expected=True,
        banner=None if approved else "NOT SIGNED: the cycle dosimetry has no valid approval",
        methods=_methods(cycle),
    )
