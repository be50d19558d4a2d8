"""Trial-level reports: the escalation report (data-safety board) and the screening log.

The escalation report asks the same design, per escalation cohort, the same question as
``theratrial escalation --json`` (the one function
:func:`theratrial.store.escalation.escalation_decisions`); the screening report is a
CONSORT-style flow (Schulz et al. 2010, BMJ 340:c332) of the stored screenings.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from theratrial.design import create_design
from theratrial.design.escalation_plan import DESIGN_SOURCES
from theratrial.protocol.schema import Protocol
from theratrial.report._render import fmt
from theratrial.report.documents import Document, Input, Section, Table, json_sha256
from theratrial.store import register_protocol
from theratrial.store.dlt import dlt_rows
from theratrial.store.escalation import escalation_decisions
from theratrial.store.models import PatientRow, ProtocolVersionRow, ScreeningRow, TrialRow
from theratrial.store.models_clinical import CycleRow
from theratrial.store.models_service import EnrolmentRow

__all__ = ["escalation_document", "screening_document"]


def escalation_document(
    session: Session,
    protocol: Protocol,
    *,
    design: str | None = None,
    target: float | None = None,
    as_of: dt.date,
) -> Document:
    """DLT listing by dose level, each cohort's decision with its rule and inputs.

    ``design`` and ``target`` default to the protocol's (else BOIN at 0.25, said assumed).
    """
    version = register_protocol(session, protocol)
    doc = escalation_decisions(session, protocol, design=design, target=target, as_of=as_of)
    design, target = str(doc["design"]), doc["target"]
    stored = dlt_rows(session, trial_id=protocol.id)
    listing = Table(
        (
            "cohort",
            "dose level",
            "patient",
            "cycle",
            "DLT",
            "event",
            "CTCAE grade",
            "onset",
            "administered",
        ),
        tuple(
            (
                r.cohort_id,
                r.dose_level,
                pid,
                str(r.cycle),
                "yes" if r.dlt else "no",
                r.event or "–",
                str(r.grade) if r.grade is not None else "–",
                str(r.onset_date or "–"),
                str(r.administered_date or "–"),
            )
            for pid, r in sorted(stored, key=lambda x: (x[1].cohort_id, x[1].dose_level, x[0]))
        ),
        "DLT-evaluable observations as stored, by cohort and dose level.",
    )
    sections = [Section("DLT listing", (), (listing,))]
    for c in doc["cohorts"]:
        unit = c["level_unit"] or ""
        est = Table(
            (
                f"level ({unit})",
                "treated (patients)",
                "DLT (patients)",
                "observed rate",
                "estimated rate",
                "P(overdose)",
                "eliminated",
            ),
            tuple(
                (
                    fmt(e["level"]),
                    str(e["n"]),
                    str(e["dlt"]),
                    fmt(e["observed_rate"]),
                    fmt(e["estimated_rate"]),
                    fmt(e["p_overdose"]),
                    "yes" if e["eliminated"] else "no",
                )
                for e in c["estimates"]
            ),
            "Per-level data and the design's estimates behind the decision.",
        )
        bounds = Table(
            ("boundary", "value"),
            tuple(
                (str(k), fmt(v) if isinstance(v, int | float) else str(v))
                for k, v in c["boundaries"].items()
            ),
        )
        nxt = "–" if c["next_level"] is None else f"{fmt(c['next_level'])} {unit}"
        paragraphs = [
            f"Decision: {c['decision']} ({c['design']}, target DLT probability "
            f"{fmt(c['target'])}); current level {fmt(c['current_level'])} {unit}, "
            f"next level {nxt} ({c['next_level_id'] or '–'}); MTD {fmt(c['mtd'])}.",
            f"Rule and inputs: {c['reason']}",
        ] + [f"Missing: {m['description']}" for m in c["missing"]]
        sections.append(Section(f"Cohort {c['cohort']}", tuple(paragraphs), (est, bounds)))
    sections.append(_operating_characteristics(protocol, doc, design, target))
    return Document(
        "escalation",
        f"Dose escalation — {protocol.id}",
        f"{protocol.title}; decisions as of {doc['as_of']}, cohort size {doc['cohort_size']}, "
        f"DLT window {doc['dlt_window_days']} days",
        sections=tuple(sections),
        protocol=protocol.id,
        protocol_sha256=version.content_sha256,
        inputs=(
            Input(
                "DLT records (stored)",
                f"{protocol.id}: {len(stored)} rows",
                json_sha256(
                    [[p, r.id, r.cohort_id, r.dose_level, r.cycle, r.dlt] for p, r in stored]
                ),
            ),
            Input("decisions (escalation --json)", protocol.id, json_sha256(doc)),
        ),
        methods=(
            f"Design {design} with target DLT probability {fmt(target)} "
            f"({DESIGN_SOURCES[doc['design_source']]}): BOIN (Liu & Yuan "
            "2015, JRSS C 64:507), CRM (O'Quigley et al. 1990, Biometrics 46:33), "
            "mTPI-2 (Guo et al. 2017, Contemp Clin Trials 58:23), i3+3 (Liu et al. 2020), "
            "3+3; each escalation cohort is escalated independently.",
        ),
    )


def _operating_characteristics(
    protocol: Protocol, doc: dict[str, Any], design: str, target: float | None
) -> Section:
    """Operating characteristics of the design on a flat scenario (few trials: fast)."""
    from theratrial.design import simulate
    from theratrial.report._render import figure_uri
    from theratrial.report.design_plots import operating_characteristics_figure
    from theratrial.report.documents import Figure

    first = doc["cohorts"][0]
    levels = first["levels"]
    truth = [min(0.05 + 0.1 * i, 0.9) for i in range(len(levels))]
    oc = simulate(
        create_design(design, target=target),
        truth,
        n_trials=200,
        cohort_size=int(doc["cohort_size"]),
        max_n=8 * int(doc["cohort_size"]),
        seed=20250101,
        levels=levels,
    )
    unit = first["level_unit"] or ""
    fig = operating_characteristics_figure(oc, level_unit=unit)
    table = Table(
        (
            f"level ({unit})",
            "assumed true DLT probability",
            "selected as MTD (% of trials)",
            "treated (mean patients)",
            "DLTs (mean patients)",
        ),
        tuple(
            (fmt(v), fmt(t), fmt(sel), fmt(n), fmt(d))
            for v, t, sel, n, d in zip(
                oc.levels,
                oc.truth,
                oc.selection_pct,
                oc.n_treated_mean,
                oc.dlt_mean_per_level,
                strict=True,
            )
        ),
        f"Per dose level over {oc.n_trials} simulated trials; mean sample size "
        f"{fmt(oc.n_mean)} patients, mean DLTs {fmt(oc.dlt_mean)} patients.",
    )
    return Section(
        "Operating characteristics",
        (
            "The protocol states no scenario for simulating the design (no true DLT "
            "probabilities, no maximum sample size), so these characteristics are for an "
            "ASSUMED scenario, not an estimate for this trial: true DLT probability "
            "0.05 at the lowest level rising by 0.10 per level "
            f"({', '.join(fmt(t) for t in truth)} at {', '.join(fmt(v) for v in levels)} "
            f"{unit}), start at {fmt(levels[oc.start_index])} {unit}, "
            f"cohorts of {oc.cohort_size}, at most {oc.max_n} patients per trial, "
            f"{oc.n_trials} simulated trials (seed {oc.seed}), "
            f"design {design} with target {fmt(target)}, on the levels of cohort "
            f"{first['cohort']}.",
        ),
        (table,),
        (Figure(figure_uri(fig), "Selection and allocation per dose level (assumed scenario)."),),
    )


def screening_document(session: Session, protocol: Protocol) -> Document:
    """Screened -> eligible -> enrolled, with exclusions counted by criterion."""
    version = register_protocol(session, protocol)
    rows = session.scalars(
        select(ScreeningRow)
        .join(ProtocolVersionRow)
        .join(TrialRow)
        .where(TrialRow.trial_id == protocol.id)
        .order_by(ScreeningRow.id)
    ).all()
    latest: dict[str, ScreeningRow] = {}
    for r in rows:  # the last screening of each patient counts
        latest[r.patient.pseudonym] = r
    enrolled = set(
        session.scalars(
            select(PatientRow.pseudonym)
            .join(EnrolmentRow, EnrolmentRow.patient_pk == PatientRow.id)
            .join(TrialRow, EnrolmentRow.trial_pk == TrialRow.id)
            .where(TrialRow.trial_id == protocol.id)
        ).all()
    )
    enrolled |= set(
        session.scalars(
            select(PatientRow.pseudonym)
            .join(CycleRow, CycleRow.patient_pk == PatientRow.id)
            .join(TrialRow, CycleRow.trial_pk == TrialRow.id)
            .where(TrialRow.trial_id == protocol.id)
        ).all()
    )
    verdicts = Counter(r.verdict for r in latest.values())
    eligible = [p for p, r in latest.items() if r.verdict == "eligible"]
    reasons: Counter[tuple[str, str]] = Counter()
    for r in latest.values():
        for c in r.criteria:
            if r.verdict != "eligible" and c.status in ("not_met", "unknown"):
                reasons[(f"{c.criterion_id} ({c.section}): {c.label}", c.status)] += 1
    flow = Table(
        ("step", "patients"),
        (
            ("screened", str(len(latest))),
            ("eligible", str(len(eligible))),
            ("not eligible", str(verdicts.get("ineligible", 0))),
            ("incomplete (data missing)", str(verdicts.get("incomplete", 0))),
            ("enrolled", str(len(enrolled & set(latest)))),
        ),
        "CONSORT-style flow (last screening of each patient).",
    )
    excl = Table(
        ("criterion", "status", "patients"),
        tuple((k, s.replace("_", " "), str(n)) for (k, s), n in reasons.most_common()),
        "Reasons for exclusion, counted by criterion (a patient may fail several).",
    )
    log = Table(
        ("patient", "date", "verdict", "met", "not met", "unknown", "needs review", "enrolled"),
        tuple(
            (
                p,
                r.screening_date.isoformat(),
                r.verdict,
                str(r.n_met),
                str(r.n_not_met),
                str(r.n_unknown),
                str(r.n_needs_review),
                "yes" if p in enrolled else "no",
            )
            for p, r in sorted(latest.items())
        ),
        "Screening log.",
    )
    return Document(
        "screening",
        f"Screening log — {protocol.id}",
        protocol.title,
        sections=(
            Section("Flow", (), (flow,)),
            Section("Exclusions", (), (excl,)),
            Section("Log", (), (log,)),
        ),
        protocol=protocol.id,
        protocol_sha256=version.content_sha256,
        inputs=(
            Input(
                "screenings (stored)",
                f"{protocol.id}: {len(rows)} rows",
                json_sha256([[r.id, r.patient.pseudonym, r.verdict] for r in rows]),
            ),
        ),
        methods=(
            "Criteria evaluated by the screening engine against the protocol version "
            "above; flow after CONSORT 2010 (Schulz et al. 2010, BMJ 340:c332).",
        ),
    )
