"""A protocol's dose escalation as the designs read it: level values, cohort plans, checks.

The protocol names its dose levels (``dosing.levels``: activity per kg or fixed activity),
its escalation cohorts (each escalated independently, as NCT06732505 requires), the start
level and the cohort size (``dosing.cohort_size``). :func:`plans_from_protocol` turns them
into one :class:`~theratrial.design.CohortPlan` per escalation cohort, and the checks here
refuse a DLT observation the escalation could not read later (CTCAE v5 grades 1-5, a DLT
names its event), before anything is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from theratrial.design.cohorts import CohortPlan, DltRecord
from theratrial.design.factory import canonical_name
from theratrial.errors import InputError, TableError
from theratrial.protocol.schema import Protocol

__all__ = [
    "ASSUMED_DESIGN",
    "DESIGN_SOURCES",
    "ProtocolDesign",
    "check_correction",
    "check_dlt_ids",
    "escalation_ids",
    "level_values",
    "plans_from_protocol",
    "protocol_design",
    "validate_dlt_record",
]

ASSUMED_DESIGN = ("boin", 0.25)
"""Design and target used when the protocol states none: BOIN at a target DLT probability
of 0.25 (Liu & Yuan, J R Stat Soc C 64 (2015) 507; the target of many phase I trials of
cytotoxic and radioligand therapies)."""


DESIGN_SOURCES = {
    "protocol": "as the protocol states",
    "assumed": "assumed: the protocol states none",
    "request": "as asked",
}
"""How each ``design_source`` is said in the CLI, reports and pages."""


@dataclass(frozen=True, slots=True)
class ProtocolDesign:
    """The dose-finding design of a decision: its name, target and where they come from.

    ``source`` is ``"protocol"`` (stated in ``dosing``), ``"assumed"`` (the protocol states
    none: :data:`ASSUMED_DESIGN`) or ``"request"`` (a statistician asked for this one).
    """

    design: str
    target: float | None
    source: str


def protocol_design(
    protocol: Protocol, *, design: str | None = None, target: float | None = None
) -> ProtocolDesign:
    """The design and target to decide with: those asked for, else the protocol's.

    A design asked for without a target keeps the protocol's target (or 0.25 when it has
    none); the 3+3 has no target. Asking for exactly the protocol's rule is not a request.

    Raises
    ------
    ParameterError
        An unknown design name.

    Examples
    --------
    >>> from theratrial.protocol import bundled_protocols
    >>> trial = {p.id: p for p in bundled_protocols()}["NCT06732505"]
    >>> protocol_design(trial)
    ProtocolDesign(design='boin', target=0.25, source='assumed')
    >>> protocol_design(trial, target=0.3)
    ProtocolDesign(design='boin', target=0.3, source='request')
    >>> protocol_design(trial, design="BOIN", target=0.25).source
    'assumed'
    >>> protocol_design(trial, design="3+3")
    ProtocolDesign(design='3+3', target=None, source='request')
    """
    dosing = protocol.dosing
    stated_design = dosing.design if dosing is not None else None
    stated_target = dosing.target_dlt_rate if dosing is not None else None
    default_name = stated_design or ASSUMED_DESIGN[0]
    default_rate = stated_target if stated_target is not None else ASSUMED_DESIGN[1]
    stated = stated_design is not None or stated_target is not None
    name = canonical_name(design) if design else default_name
    rate = None if name == "3+3" else (target if target is not None else default_rate)
    if (name, rate) == (default_name, None if default_name == "3+3" else default_rate):
        return ProtocolDesign(name, rate, "protocol" if stated else "assumed")
    return ProtocolDesign(name, rate, "request")


def level_values(protocol: Protocol) -> dict[str, float]:
    """The protocol's dose levels: id -> activity (kBq/kg per weight, else GBq).

    Raises
    ------
    InputError
        When the protocol has no dosing section.

    Examples
    --------
    >>> from theratrial.protocol import bundled_protocols
    >>> all(isinstance(v, float) for p in bundled_protocols() if p.dosing
    ...     for v in level_values(p).values())
    True
    """
    if protocol.dosing is None:
        raise InputError(f"trial {protocol.id} has no dose levels", field="trial")
    return {
        lv.id: float(
            lv.activity_kbq_per_kg if lv.activity_kbq_per_kg is not None else lv.activity_gbq or 0
        )
        for lv in protocol.dosing.levels
    }


def plans_from_protocol(
    protocol: Protocol, values: dict[str, float] | None = None
) -> list[CohortPlan]:
    """One plan per escalation cohort: its levels (ascending), start level and cohort size.

    Parameters
    ----------
    protocol
        The trial protocol.
    values
        Its level values (default: :func:`level_values`).

    Raises
    ------
    InputError
        When the protocol has no escalation cohort or states no cohort size.
    """
    values = level_values(protocol) if values is None else values
    cohorts = [c for c in protocol.cohorts if c.phase == "escalation"]
    if not cohorts:
        raise InputError(f"trial {protocol.id} has no escalation cohorts", field="trial")
    dosing = protocol.dosing
    if dosing is None or dosing.cohort_size is None:
        raise InputError(
            f"trial {protocol.id} states no cohort size for dose escalation",
            field="dosing.cohort_size",
            hint="add dosing.cohort_size (and dosing.dlt_window_days) to the protocol",
        )
    start_id = dosing.start_level
    plans = []
    for c in cohorts:
        levels = sorted(values[lv] for lv in (c.dose_levels or list(values)))
        start = values[start_id] if start_id in values else levels[0]
        plans.append(CohortPlan(c.id, tuple(levels), start, cohort_size=dosing.cohort_size))
    return plans


def escalation_ids(protocol: Protocol) -> tuple[list[str], list[str]]:
    """The cohort ids a DLT may name (the escalation cohorts, else all) and the level ids."""
    cohorts = [c.id for c in protocol.cohorts if c.phase == "escalation"] or [
        c.id for c in protocol.cohorts
    ]
    return cohorts, list(level_values(protocol))


def check_dlt_ids(
    protocol: Protocol,
    cohort: str,
    level: str,
    *,
    where: str = "",
    known: tuple[list[str], list[str]] | None = None,
) -> None:
    """Refuse a cohort or dose level the protocol does not have.

    ``where`` prefixes the field named in the error (``"--"`` for a command's options).

    Raises
    ------
    TableError
        Naming the field ``{where}cohort`` or ``{where}dose_level`` and the known ids.
    """
    cohorts, levels = known or escalation_ids(protocol)
    if cohort not in cohorts:
        raise TableError(
            f"unknown cohort {cohort!r}", field=f"{where}cohort", hint=f"use one of {cohorts}"
        )
    if level not in levels:
        raise TableError(
            f"unknown dose level {level!r}", field=f"{where}dose_level", hint=f"use one of {levels}"
        )


def validate_dlt_record(values: dict[str, Any], level_value: float) -> None:
    """Check a DLT observation before it is stored, as :class:`DltRecord` will read it.

    A record that the escalation cannot read later (a DLT without an event term, a grade
    outside 1-5 (CTCAE v5), an empty patient id) is refused now instead of blocking every
    later escalation decision of the trial.
    """
    DltRecord(
        values["patient_id"],
        values["cycle"],
        level_value,
        event=values["event"],
        grade=values["grade"],
        onset_date=values["onset_date"],
        administered_date=values.get("administered_date"),
        is_dlt=values["dlt"],
        within_dlt_window=values["within_dlt_window"],
    )


def check_correction(
    correct: bool,
    reason: str | None,
    *,
    correct_field: str = "correct",
    reason_field: str = "reason",
) -> None:
    """A correction of a stored observation needs a reason; a reason needs a correction.

    Raises
    ------
    InputError
        Naming ``reason_field`` (a correction without reason) or ``correct_field``.

    Examples
    --------
    >>> check_correction(True, "CRF query 12")
    >>> check_correction(True, None)
    Traceback (most recent call last):
    ...
    theratrial.errors.InputError: field 'reason': correct needs a reason (fix: ...)
    """
    if correct and not (reason and reason.strip()):
        raise InputError(
            f"{correct_field} needs a reason",
            field=reason_field,
            hint=(
                f"say why the stored observation is corrected, e.g. {reason_field} 'CRF query 12'"
            ),
        )
    if reason is not None and not correct:
        raise InputError(
            f"{reason_field} without {correct_field}",
            field=correct_field,
            hint=f"add {correct_field} to replace a stored observation, or drop {reason_field}",
        )
