"""The next-cohort decision per escalation cohort, from the DLT records stored for a trial.

One function, :func:`escalation_decisions`, builds the document ``theratrial escalation
--json`` prints; the API (``GET /trials/{id}/escalation``, whose signed content is drawn
from it) and the escalation report (:mod:`theratrial.report.trial_reports`) use the same.
Each escalation cohort is escalated independently (NCT06732505) with the chosen design
(:func:`theratrial.design.create_design`); a decision needs a complete cohort whose DLT
windows have ended on ``as_of`` (:func:`theratrial.design.decide_per_cohort`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from theratrial.design import DltRecord, create_design, decide_per_cohort
from theratrial.design.decision_doc import decision_as_dict
from theratrial.design.escalation_plan import level_values, plans_from_protocol, protocol_design
from theratrial.protocol.schema import Protocol
from theratrial.store.dlt import dlt_rows
from theratrial.store.repository import register_protocol

__all__ = ["escalation_decisions", "level_unit"]


def level_unit(protocol: Protocol) -> str:
    """The unit of the protocol's dose levels: ``kBq/kg`` (per weight) or ``GBq``."""
    return "kBq/kg" if protocol.dosing and protocol.dosing.rule == "per_weight" else "GBq"


def escalation_decisions(
    session: Session,
    protocol: Protocol,
    *,
    design: str | None = None,
    target: float | None = None,
    skeleton: Sequence[float] | None = None,
    as_of: dt.date,
) -> dict[str, Any]:
    """The decision per escalation cohort: ``trial_id``, ``design``, ``target``,
    ``design_source``, ``as_of``, ``cohort_size``, ``dlt_window_days`` and ``cohorts``
    (each :func:`decision_as_dict` plus ``cohort`` and ``next_level_id``), in the
    protocol's cohort order.

    ``design`` and ``target`` default to the protocol's (``dosing.design``,
    ``dosing.target_dlt_rate``), else BOIN at 0.25
    (:func:`theratrial.design.escalation_plan.protocol_design`); ``design_source`` says
    which.

    Raises
    ------
    InputError
        The protocol has no dose levels or escalation cohorts.
    ParameterError
        An unknown design, or a target or skeleton it refuses.
    """
    values = level_values(protocol)
    plans = plans_from_protocol(protocol, values)
    register_protocol(session, protocol)
    records: dict[str, list[DltRecord]] = {}
    for pseudonym, row in dlt_rows(session, trial_id=protocol.id):
        records.setdefault(row.cohort_id, []).append(
            DltRecord(
                pseudonym,
                row.cycle,
                values[row.dose_level],
                event=row.event,
                grade=row.grade,
                onset_date=row.onset_date,
                administered_date=row.administered_date,
                is_dlt=row.dlt,
                within_dlt_window=row.within_dlt_window,
            )
        )
    rule = protocol_design(protocol, design=design, target=target)
    chosen = create_design(rule.design, target=rule.target, skeleton=skeleton)
    window = protocol.dosing.dlt_window_days if protocol.dosing else None
    decisions = decide_per_cohort(chosen, plans, records, dlt_window_days=window, as_of=as_of)
    unit = level_unit(protocol)
    by_value = {v: k for k, v in values.items()}
    cohorts = []
    for plan in plans:
        d = decisions[plan.cohort_id]
        item = {
            "cohort": plan.cohort_id,
            **decision_as_dict(d.decision, d.data, plan.start_level, unit),
        }
        nxt = d.decision.next_level
        item["next_level_id"] = by_value.get(nxt) if nxt is not None else None
        cohorts.append(item)
    return {
        "trial_id": protocol.id,
        "design": rule.design,
        "target": rule.target,
        "design_source": rule.source,
        "as_of": as_of.isoformat(),
        "cohort_size": plans[0].cohort_size,
        "dlt_window_days": window,
        "cohorts": cohorts,
    }
