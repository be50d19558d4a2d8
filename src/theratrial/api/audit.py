"""The audit trail: append-only, hash-chained records of who changed what, when and why.

21 CFR Part 11 §11.10(e) asks for "secure, computer-generated, time-stamped audit trails to
independently record the date and time of operator entries and actions that create,
modify, or delete electronic records", where changes "shall not obscure previously recorded
information". Each record here holds the actor, the UTC time, the action, the entity and
its id, the changed fields with their old and new values (stored as JSON) and the reason.

Records are numbered ``seq = 1, 2, ...`` and chained: ``hash = sha256(prev_hash +
canonical JSON of the record's fields)`` with ``prev_hash`` the hash of the record before
(64 zeros for the first), the construction of a hash chain / linked timestamping (Haber
and Stornetta, J. Cryptology 3:99-111, 1991). Canonical JSON is RFC 8785-style: keys
sorted, no insignificant whitespace, UTF-8. Changing, inserting or deleting a record
breaks the chain at that record, which :func:`verify_chain` names. (Removing the newest
records leaves a shorter sound chain; the PostgreSQL trigger of migration 0004 refuses
``UPDATE``, ``DELETE`` and ``TRUNCATE`` on the table so that no one can.)

Writers take a transaction-scoped advisory lock on PostgreSQL, so concurrent writers
extend one chain, never fork it; SQLite serialises writers by itself.

Patients appear under their pseudonym only (``entity="patient"`` ids are checked).

Examples
--------
>>> canonical_json({"b": 1, "a": [1.5, None, "é"]})
'{"a":[1.5,null,"é"],"b":1}'
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, TextIO

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from theratrial.errors import InputError
from theratrial.ids import check_pseudonym
from theratrial.store.models_service import AuditRow

__all__ = [
    "CLINICAL_ENTITIES",
    "CSV_COLUMNS",
    "GENESIS_HASH",
    "AuditView",
    "ChainCheck",
    "as_utc",
    "canonical_json",
    "chain_hash",
    "export_csv",
    "json_data",
    "list_records",
    "record",
    "verify_chain",
]

GENESIS_HASH = "0" * 64
"""``prev_hash`` of the first record."""

CLINICAL_ENTITIES = frozenset(
    {
        "patient",
        "screening",
        "enrolment",
        "imaging_study",
        "imaging_series",
        "quantification",
        "cycle",
        "dosimetry",
        "dose_result",
        "prescription",
        "plan",
        "dlt",
        "escalation",
        "recist",
        "analysis",
    }
)
"""Entities holding clinical data: changing or deleting one needs a reason."""

CSV_COLUMNS = (
    "seq",
    "at",
    "user",
    "action",
    "entity",
    "entity_id",
    "field",
    "old_value",
    "new_value",
    "reason",
    "prev_hash",
    "hash",
)
"""Columns of :func:`export_csv` (one row per changed field; values as JSON)."""

_LOCK_KEY = 0x7468657262
"""PostgreSQL advisory lock key serialising audit writers ("therb")."""
_LIMITS = {"actor": 128, "action": 32, "entity": 64, "entity_id": 128}


@dataclass(frozen=True, slots=True)
class ChainCheck:
    """Outcome of :func:`verify_chain`: sound or not, records read, first broken ``seq``."""

    ok: bool
    n_records: int
    first_broken: int | None


@dataclass(frozen=True, slots=True)
class AuditView:
    """One audit record as stored (``user`` is the actor; ``at`` is UTC)."""

    seq: int
    user: str
    action: str
    entity: str
    entity_id: str
    changes: tuple[tuple[str, Any, Any], ...]
    reason: str | None
    at: datetime
    prev_hash: str
    hash: str

    @property
    def field(self) -> str | None:
        """The changed fields, comma-separated (None when the record changes none)."""
        return ", ".join(name for name, _old, _new in self.changes) or None


def as_utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a naive time (as SQLite returns them) is taken as UTC.

    Examples
    --------
    >>> as_utc(datetime(2026, 1, 2, 3, 4)).isoformat()
    '2026-01-02T03:04:00+00:00'
    """
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def json_data(value: Any, *, field: str) -> Any:
    """``value`` as plain JSON data (dates as ISO text, enums by value, tuples as lists)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InputError(
                f"cannot record the non-finite number {value}",
                field=field,
                hint="record a finite value or null",
            )
        return value
    if isinstance(value, Enum):
        return json_data(value.value, field=field)
    if isinstance(value, datetime):
        return as_utc(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return json_data(float(value), field=field)
    if isinstance(value, dict):
        return {str(k): json_data(v, field=field) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [json_data(v, field=field) for v in value]
        return sorted(items, key=canonical_json) if isinstance(value, set | frozenset) else items
    raise InputError(
        f"cannot record a value of type {type(value).__name__}",
        field=field,
        hint="record JSON data: text, numbers, booleans, null, lists and mappings",
    )


def canonical_json(value: Any) -> str:
    """Canonical JSON of ``value``: sorted keys, no whitespace, UTF-8 (no ``\\u`` escapes)."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def _timestamp(moment: datetime) -> str:
    return as_utc(moment).isoformat(timespec="microseconds")


def chain_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    """``sha256(prev_hash + canonical_json(fields))`` as hex (the chain's link)."""
    return hashlib.sha256((prev_hash + canonical_json(fields)).encode("utf-8")).hexdigest()


def _fields(
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    changes: Any,
    reason: str | None,
) -> dict[str, Any]:
    return {
        "seq": seq,
        "at": _timestamp(at),
        "actor": actor,
        "action": action,
        "entity": entity,
        "entity_id": entity_id,
        "changes": changes,
        "reason": reason,
    }


def _check_text(name: str, value: str) -> None:
    if not isinstance(value, str) or not value.strip() or len(value) > _LIMITS[name]:
        raise InputError(
            f"an audit record needs a {name} of 1 to {_LIMITS[name]} characters",
            field=name,
            hint=f"give the {name.replace('_', ' ')} of what was done",
        )


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    changes: Sequence[tuple[str, Any, Any]] = (),
    reason: str | None = None,
    at: datetime | None = None,
) -> int:
    """Append one audit record to the chain and return its ``seq``.

    Parameters
    ----------
    session
        The transaction the change itself is written in (the record commits with it).
    actor
        Who did it (a username, ``cli:<os user>``).
    action
        ``create``, ``update``, ``delete``, ``sign``, ``void``, ``login``, ``logout``,
        ``lockout``, ...
    entity, entity_id
        What was acted on; a patient is named by pseudonym only.
    changes
        ``(field, old value, new value)`` triples; values must be JSON data (dates and
        enums are converted).
    reason
        Why; required to ``update`` or ``delete`` clinical data (:data:`CLINICAL_ENTITIES`).
    at
        When (UTC; default now).

    Raises
    ------
    InputError
        A missing reason, an empty or too long name, a patient id that is not a
        pseudonym, or a value that is not JSON data.
    """
    for name, value in (
        ("actor", actor),
        ("action", action),
        ("entity", entity),
        ("entity_id", entity_id),
    ):
        _check_text(name, value)
    if entity == "patient":
        check_pseudonym(entity_id, field="entity_id")
    if (
        action in {"update", "delete"}
        and entity in CLINICAL_ENTITIES
        and not (reason and reason.strip())
    ):
        raise InputError(
            f"a reason is required to {action} stored clinical data ({entity} {entity_id})",
            field="reason",
            hint="say why the stored value is changed (21 CFR 11.10(e))",
        )
    plain_changes = []
    for i, change in enumerate(changes):
        if len(change) != 3 or not isinstance(change[0], str) or not change[0]:
            raise InputError(
                "a change must be (field, old value, new value) with a field name",
                field=f"changes[{i}]",
            )
        name, old, new = change
        plain_changes.append([name, json_data(old, field=name), json_data(new, field=name)])
    moment = as_utc(at) if at is not None else datetime.now(UTC)
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(_LOCK_KEY)))
    last = session.execute(
        select(AuditRow.seq, AuditRow.hash).order_by(AuditRow.seq.desc()).limit(1)
    ).first()
    seq, prev = (1, GENESIS_HASH) if last is None else (int(last[0]) + 1, str(last[1]))
    clean_reason = reason.strip() if reason and reason.strip() else None
    fields = _fields(seq, moment, actor, action, entity, entity_id, plain_changes, clean_reason)
    session.add(
        AuditRow(
            seq=seq,
            at=moment,
            actor=actor,
            action=action,
            entity=entity,
            entity_id=entity_id,
            changes=plain_changes,
            reason=clean_reason,
            prev_hash=prev,
            hash=chain_hash(prev, fields),
        )
    )
    session.flush()
    return seq


def verify_chain(session: Session) -> ChainCheck:
    """Recompute the chain from the first record; name the first record that breaks it.

    A record is broken when its ``seq`` is not the next number (a deleted record: the
    missing number is named), when its ``prev_hash`` is not the previous record's hash,
    or when its hash is not that of its own fields.
    """
    rows = session.execute(
        select(
            AuditRow.seq,
            AuditRow.at,
            AuditRow.actor,
            AuditRow.action,
            AuditRow.entity,
            AuditRow.entity_id,
            AuditRow.changes,
            AuditRow.reason,
            AuditRow.prev_hash,
            AuditRow.hash,
        )
        .order_by(AuditRow.seq)
        .execution_options(yield_per=1000)
    )
    expected_seq, prev, n = 1, GENESIS_HASH, 0
    for seq, at, actor, action, entity, entity_id, changes, reason, prev_hash, stored in rows:
        n += 1
        if seq != expected_seq:
            return ChainCheck(ok=False, n_records=n, first_broken=expected_seq)
        fields = _fields(seq, at, actor, action, entity, entity_id, changes, reason)
        if prev_hash != prev or chain_hash(prev_hash, fields) != stored:
            return ChainCheck(ok=False, n_records=n, first_broken=seq)
        expected_seq, prev = seq + 1, stored
    return ChainCheck(ok=True, n_records=n, first_broken=None)


def _view(row: AuditRow) -> AuditView:
    changes = tuple((str(c[0]), c[1], c[2]) for c in row.changes or ())
    return AuditView(
        seq=row.seq,
        user=row.actor,
        action=row.action,
        entity=row.entity,
        entity_id=row.entity_id,
        changes=changes,
        reason=row.reason,
        at=as_utc(row.at),
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


def list_records(
    session: Session,
    *,
    limit: int = 100,
    after_seq: int | None = None,
    entity: str | None = None,
    entity_id: str | None = None,
    actor: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[AuditView]:
    """Audit records in ``seq`` order: up to ``limit`` (1-1000) after ``after_seq``.

    The filters are exact matches (``actor`` also matches the same user's API-token
    records, ``"NAME (token)"``); ``since``/``until`` bound the time, inclusive, in UTC.
    """
    if not 1 <= limit <= 1000:
        raise InputError(f"limit {limit} is out of range", field="limit", hint="use 1 to 1000")
    if since is not None and until is not None and as_utc(since) > as_utc(until):
        raise InputError(
            "the start of the period is after its end", field="since", hint="swap the dates"
        )
    query = select(AuditRow).order_by(AuditRow.seq).limit(limit)
    if after_seq is not None:
        query = query.where(AuditRow.seq > after_seq)
    if entity is not None:
        query = query.where(AuditRow.entity == entity)
    if entity_id is not None:
        query = query.where(AuditRow.entity_id == entity_id)
    if actor is not None:
        query = query.where(AuditRow.actor.in_((actor, f"{actor} (token)")))
    if action is not None:
        query = query.where(AuditRow.action == action)
    if since is not None:
        query = query.where(AuditRow.at >= as_utc(since))
    if until is not None:
        query = query.where(AuditRow.at <= as_utc(until))
    return [_view(row) for row in session.scalars(query)]


def export_csv(session: Session, stream: TextIO) -> int:
    """Write the whole trail as CSV (:data:`CSV_COLUMNS`); return the records written.

    One row per changed field (a record without changes gives one row with empty
    field columns); values are JSON text, times ISO 8601 UTC.
    """
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    n, after = 0, 0
    while batch := list_records(session, limit=1000, after_seq=after):
        for view in batch:
            head = [
                view.seq,
                view.at.isoformat(timespec="microseconds"),
                view.user,
                view.action,
                view.entity,
                view.entity_id,
            ]
            tail = [view.reason or "", view.prev_hash, view.hash]
            for name, old, new in view.changes or (("", None, None),):
                values = ["", ""] if not name else [canonical_json(old), canonical_json(new)]
                writer.writerow([*head, name, *values, *tail])
            n, after = n + 1, view.seq
    return n
