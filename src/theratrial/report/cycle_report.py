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

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from theratrial.api.signatures import signatures_for
from theratrial.errors import InputError
from theratrial.protocol.schema import Protocol
from theratrial.report import _cycle_tables
from theratrial.report._cycle_figures import mip_uri, tac_fit_figure
from theratrial.report._render import figure_uri, fmt
from theratrial.report.documents import (
    Document,
    Figure,
    Input,
    Section,
    SignatureLine,
    Table,
    folder_input,
    json_sha256,
)
from theratrial.store import register_protocol
from theratrial.store.clinical import cycles_of
from theratrial.store.cycle_views import cycle_view
from theratrial.store.repository import enrolment_of
from theratrial.store.treatment_plans import next_cycle_plan
from theratrial.treatment import active_limits, require_enrolment

__all__ = ["cycle_content", "cycle_document"]

cycle_content = cycle_view
"""The stored cycle as the trial service signs it (``cycle_dosimetry`` signatures)."""


def _signatures(
    session: Session, entity: str, entity_id: str, current: dict[str, Any], what: str
) -> list[SignatureLine]:
    return [
        SignatureLine(
            s.username, s.role, f"{s.meaning} ({what})", s.signed_at, s.content_sha256, s.valid
        )
        for s in signatures_for(session, entity, entity_id, current=current)
    ]


def cycle_document(
    session: Session,
    protocol: Protocol,
    patient_id: str,
    cycle_number: int,
    *,
    risk_factors: Sequence[str] = (),
    study: Path | None = None,
    masks: Path | None = None,
) -> Document:
    """The cycle report of a stored cycle, with the next-cycle plan from all stored cycles.

    ``study`` (a DICOM folder) and ``masks`` (its VOIs) add a coronal MIP with the VOI
    outlines; the folders are named among the inputs with the SHA-256 of their files.

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
                content["administered_at"] or "–",
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
    drawn = tac_fit_figure(cycle)
    if drawn is not None:
        tac_fig, curved = drawn
        figures.append(
            Figure(
                figure_uri(tac_fig),
                "Measured activity per region (points) with the stored fit (line) "
                + (f"for {', '.join(curved)}." if curved else ": no fitted model stored."),
            )
        )
    images: list[Figure] = []
    folders: list[Input] = []
    if study is not None and masks is not None:
        images.append(
            Figure(
                mip_uri(study, masks, title=f"{patient_id} cycle {cycle_number}: coronal MIP"),
                f"Coronal maximum-intensity projection of {study.name} with the VOIs of "
                f"{masks.name} outlined.",
            )
        )
        folders = [folder_input(study, kind="study (DICOM)"), folder_input(masks, kind="VOIs")]
    models = _cycle_tables.model_table(cycle)
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
                "yes" if c["reached"] else "no",
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
            Section("Administration", (scans,), (admin,), tuple(images)),
            Section("Time-activity data", (), (tac,), tuple(figures)),
            *([Section("Time-activity models", (), (models,))] if models else []),
            Section("Dosimetry per organ and lesion", (), (_cycle_tables.dose_table(cycle),)),
            _cycle_tables.assumptions(cycle),
            Section("Cumulative dose and protocol limits", (), (organs, limits), tuple(cum_figs)),
            Section("Next cycle", tuple(next_par)),
        ),
        protocol=protocol.id,
        protocol_sha256=version.content_sha256,
        inputs=(
            Input("stored cycle (cycle_dosimetry content)", entity_id, json_sha256(content)),
            *folders,
            Input(
                "next-cycle plan (plan --json)", f"{protocol.id}/{patient_id}/next", json_sha256(p)
            ),
        ),
        signatures=tuple(sigs),
        signatures_expected=True,
        banner=None if approved else "NOT SIGNED: the cycle dosimetry has no valid approval",
        methods=_cycle_tables.methods(cycle),
    )
