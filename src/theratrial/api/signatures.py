"""Electronic signatures bound to exactly what was signed (21 CFR Part 11 §11.50, §11.70, §11.200).

A signature records the signer's name and role, the date and time (UTC) and the meaning
of the signature (§11.50(a): "reviewed", "approved", "prescribed", "decided"), and is
linked to its record (§11.70) by the SHA-256 of the canonical JSON of the signed content.
Signing re-asks the password (§11.200(a)(1): both components, user name and password, at
each signing not done in one continuous session of controlled access; the lock-out of
:func:`theratrial.api.accounts.authenticate` applies). A signature is never deleted; when
the record changes afterwards, :func:`signatures_for` shows it as not valid (void) because
the hash of the current content no longer matches.

Examples
--------
>>> content_hash({"cycle": 2, "activity_mbq": 7400.0}) == content_hash(
...     {"activity_mbq": 7400.0, "cycle": 2})
True
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from theratrial.api import audit
from theratrial.api.accounts import AuthError, Principal, authenticate
from theratrial.errors import InputError
from theratrial.store.models_service import SignatureRow

__all__ = ["MEANINGS", "SignatureView", "content_hash", "sign", "signatures_for"]

MEANINGS = ("reviewed", "approved", "prescribed", "decided")
"""The meanings a signature may carry (§11.50(a)(3))."""


@dataclass(frozen=True, slots=True)
class SignatureView:
    """A signature; ``valid`` is False (void) when the signed content has changed since."""

    id: int
    username: str
    role: str
    meaning: str
    signed_at: datetime
    content_sha256: str
    valid: bool


def content_hash(content: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of ``content`` (dates as ISO text)."""
    if not isinstance(content, Mapping):
        raise InputError("the signed content must be a mapping", field="content")
    plain = audit.json_data(dict(content), field="content")
    return hashlib.sha256(audit.canonical_json(plain).encode("utf-8")).hexdigest()


def sign(
    session: Session,
    principal: Principal,
    *,
    password: str,
    entity: str,
    entity_id: str,
    meaning: str,
    content: Mapping[str, Any],
    now: datetime,
) -> SignatureView:
    """Sign ``content`` (the record ``entity``/``entity_id``) as ``principal``.

    The password is checked as at log-in (a failure counts towards the lock-out and
    is committed at once, so call this before writing anything else); an audit ``sign``
    record is written with the meaning and the content hash.

    Raises
    ------
    AuthError
        A wrong password, a locked or disabled account.
    InputError
        An unknown meaning.
    """
    if meaning not in MEANINGS:
        raise InputError(
            f"unknown signature meaning {meaning!r}",
            field="meaning",
            hint=f"use one of {', '.join(MEANINGS)}",
        )
    signed_hash = content_hash(content)
    signer = authenticate(session, principal.username, password, now=now)
    if signer.user_id != principal.user_id:  # pragma: no cover - usernames are unique
        raise AuthError("the password is not the signer's")
    moment = audit.as_utc(now)
    seq = audit.record(
        session,
        actor=principal.username,
        action="sign",
        entity=entity,
        entity_id=entity_id,
        changes=[
            (
                "signature",
                None,
                {"meaning": meaning, "content_sha256": signed_hash, "role": signer.role.value},
            )
        ],
        at=moment,
    )
    row = SignatureRow(
        user_pk=signer.user_id,
        username=signer.username,
        role=signer.role.value,
        entity=entity,
        entity_id=entity_id,
        meaning=meaning,
        content_sha256=signed_hash,
        signed_at=moment,
        audit_seq=seq,
    )
    session.add(row)
    session.flush()
    return _view(row, current_hash=signed_hash)


def _view(row: SignatureRow, *, current_hash: str) -> SignatureView:
    return SignatureView(
        id=row.id,
        username=row.username,
        role=row.role,
        meaning=row.meaning,
        signed_at=audit.as_utc(row.signed_at),
        content_sha256=row.content_sha256,
        valid=row.content_sha256 == current_hash,
    )


def signatures_for(
    session: Session, entity: str, entity_id: str, *, current: Mapping[str, Any]
) -> list[SignatureView]:
    """The signatures of a record, oldest first; ``valid`` compares with ``current`` content."""
    now_hash = content_hash(current)
    rows = session.scalars(
        select(SignatureRow)
        .where(SignatureRow.entity == entity, SignatureRow.entity_id == entity_id)
        .order_by(SignatureRow.id)
    )
    return [_view(row, current_hash=now_hash) for row in rows]
