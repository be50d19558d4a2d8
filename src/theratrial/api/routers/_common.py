"""Helpers the routers share: JSON views, paging, the audit call, the stored patient record."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from theratrial.api import audit
from theratrial.api.deps import Context
from theratrial.api.problems import ProblemError
from theratrial.api.signatures import content_hash
from theratrial.eligibility import Patient
from theratrial.errors import ProtocolError
from theratrial.protocol import bundled_protocols, find_protocol
from theratrial.protocol.schema import Protocol
from theratrial.store import stored_protocol
from theratrial.store.models import PatientRow
from theratrial.store.models_records import PatientRecordRow

__all__ = [
    "MAX_LIMIT",
    "jsonable",
    "load_record",
    "page",
    "protocol_for",
    "record",
    "require_reason",
    "save_record",
]

MAX_LIMIT = 500
"""Largest page a list endpoint returns."""

RECORD_ENTITY = "patient_record"


def jsonable(value: Any) -> Any:
    """Dataclasses, enums, dates and mappings as plain JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (frozenset, set)):
        return sorted(jsonable(v) for v in value)
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        return [jsonable(v) for v in value]
    return value


def page(items: list[dict[str, Any]], *, limit: int, cursor_of: str) -> dict[str, Any]:
    """A page of ``limit`` items (one more was fetched to know whether a next page exists)."""
    more = len(items) > limit
    items = items[:limit]
    return {
        "items": items,
        "next_cursor": str(items[-1][cursor_of]) if more and items else None,
    }


def record(
    session: Session,
    ctx: Context,
    *,
    action: str,
    entity: str,
    entity_id: str,
    changes: Sequence[tuple[str, Any, Any]] = (),
    reason: str | None = None,
) -> int:
    """One audit record for a write by this request's principal, in the caller's transaction."""
    return audit.record(
        session,
        actor=ctx.actor,
        action=action,
        entity=entity,
        entity_id=entity_id,
        changes=[(f, jsonable(old), jsonable(new)) for f, old, new in changes],
        reason=reason,
    )


def require_reason(reason: str | None, *, what: str) -> str:
    """A reason is required when clinical data already stored are changed (21 CFR 11.10(e))."""
    if reason is None or not reason.strip():
        raise ProblemError(
            409,
            f"{what} is already stored: changing it needs a reason",
            field="reason",
            hint="send 'reason' with why the stored value is changed",
        )
    return reason.strip()


def save_record(
    session: Session, ctx: Context, patient_id: str, content: dict[str, Any], *, reason: str | None
) -> bool:
    """Store a new version of a patient's record (the JSON ``screen`` reads); False if unchanged.

    Each version is a row of ``patient_records`` (content, SHA-256, actor); the audit trail
    records the change, and a change of a stored record needs a reason (21 CFR 11.10(e)).
    """
    patient = session.scalar(select(PatientRow).where(PatientRow.pseudonym == patient_id))
    if patient is None:
        raise ProblemError(404, "no such patient", field="patient_id")
    latest = _latest_record(session, patient.id)
    old = None if latest is None else latest.content
    if old == content:
        return False
    if old is not None:
        reason = require_reason(reason, what=f"the record of patient {patient_id}")
    version = 1 if latest is None else latest.version + 1
    session.add(
        PatientRecordRow(
            patient_pk=patient.id,
            version=version,
            content=content,
            sha256=content_hash(content),
            created_at=dt.datetime.now(dt.UTC),
            actor=ctx.actor,
        )
    )
    session.flush()
    record(
        session,
        ctx,
        action="create" if old is None else "update",
        entity=RECORD_ENTITY,
        entity_id=patient_id,
        changes=[
            (key, (old or {}).get(key), content.get(key))
            for key in sorted({*(old or {}), *content})
            if (old or {}).get(key) != content.get(key)
        ]
        + [("version", None if latest is None else latest.version, version)],
        reason=reason,
    )
    return True


def _latest_record(session: Session, patient_pk: int) -> PatientRecordRow | None:
    return session.scalar(
        select(PatientRecordRow)
        .where(PatientRecordRow.patient_pk == patient_pk)
        .order_by(PatientRecordRow.version.desc())
        .limit(1)
    )


def load_record(session: Session, patient_id: str) -> dict[str, Any] | None:
    """The newest stored record of a patient (None when none was stored)."""
    patient_pk = session.scalar(select(PatientRow.id).where(PatientRow.pseudonym == patient_id))
    latest = None if patient_pk is None else _latest_record(session, patient_pk)
    return None if latest is None else dict(latest.content)


def stored_record(session: Session, patient_id: str) -> Patient:
    """The patient's newest stored record, parsed (409 when none was stored)."""
    content = load_record(session, patient_id)
    if content is None:
        raise ProblemError(
            409,
            "no record stored for this patient",
            field="patient_id",
            hint="POST the patient record to /api/v1/patients first",
        )
    return Patient.model_validate(content)


def protocol_for(session: Session, trial_id: str, *, field: str = "trial_id") -> Protocol:
    """A bundled protocol by id or registry id, else the newest stored version; else 404.

    Never a file path: unlike the CLI, a client may not make the server read its files.
    """
    if any(c in trial_id for c in "/\\") or trial_id.lower().endswith((".yaml", ".yml")):
        raise ProblemError(404, f"no trial {trial_id!r}", field=field)
    try:
        return find_protocol(trial_id)
    except ProtocolError:
        stored = stored_protocol(session, trial_id)
        if stored is None:
            known = ", ".join(p.id for p in bundled_protocols())
            raise ProblemError(
                404, f"no trial {trial_id!r}", field=field, hint=f"use one of {known}"
            ) from None
        return stored
