"""``/audit``: the audit trail (admin and monitor only; 403 for every other role)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query

from theratrial.api import audit
from theratrial.api.deps import Context, require, tx
from theratrial.api.permissions import Action
from theratrial.api.routers._common import MAX_LIMIT, jsonable

__all__ = ["router"]

router = APIRouter(prefix="/audit", tags=["audit"])


def _view(v: Any) -> dict[str, Any]:
    base = jsonable(v)
    out = dict(base) if isinstance(base, dict) else {}
    for key in ("seq", "user", "action", "entity", "entity_id", "reason", "at"):
        out[key] = jsonable(getattr(v, key, out.get(key)))
    return out


@router.get("")
def list_audit(
    ctx: Context = Depends(require(Action.READ_AUDIT)),
    limit: int = Query(100, ge=1, le=MAX_LIMIT),
    cursor: int | None = Query(None, ge=0, description="sequence number to continue after"),
    entity: str | None = Query(None, max_length=64),
    entity_id: str | None = Query(None, max_length=128),
    user: str | None = Query(None, max_length=128, description="who acted (username)"),
    action: str | None = Query(None, max_length=32),
    since: datetime | None = Query(None, description="from this time (ISO 8601; UTC if no zone)"),
    until: datetime | None = Query(None, description="up to this time (ISO 8601)"),
) -> dict[str, Any]:
    """Audit records in sequence order: user, action, entity, id, changes, reason, at (UTC).

    Filters: ``entity``, ``entity_id``, ``user``, ``action`` (exact) and the period
    ``since``..``until``; ``cursor`` continues after a sequence number.
    """
    with tx(ctx.request) as session:
        views = audit.list_records(
            session,
            limit=limit + 1,
            after_seq=cursor,
            entity=entity,
            entity_id=entity_id,
            actor=user,
            action=action,
            since=since,
            until=until,
        )
        items = [_view(v) for v in views]
    more = len(items) > limit
    items = items[:limit]
    return {"items": items, "next_cursor": str(items[-1]["seq"]) if more and items else None}
