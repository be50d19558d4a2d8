"""``/trials``: the trials (bundled seed protocols and stored ones) and protocol versions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from sqlalchemy import select

from theratrial.api.deps import Context, require, tx
from theratrial.api.permissions import Action
from theratrial.api.routers._common import protocol_for
from theratrial.protocol import bundled_protocols
from theratrial.store.models import ProtocolVersionRow, TrialRow

__all__ = ["router"]

router = APIRouter(prefix="/trials", tags=["trials"])


@router.get("")
def list_trials(ctx: Context = Depends(require(Action.READ_TRIALS))) -> dict[str, Any]:
    """Every trial: the bundled protocols and any other stored one."""
    with tx(ctx.request) as session:
        items = {
            p.id: {"trial_id": p.id, "title": p.title, "phase": p.phase, "bundled": True}
            for p in bundled_protocols()
        }
        for row in session.scalars(select(TrialRow).order_by(TrialRow.trial_id)):
            items.setdefault(
                row.trial_id,
                {
                    "trial_id": row.trial_id,
                    "title": row.title,
                    "phase": row.phase,
                    "bundled": False,
                },
            )
    return {"items": sorted(items.values(), key=lambda t: str(t["trial_id"]))}


@router.get("/{trial_id}")
def get_trial(trial_id: str, ctx: Context = Depends(require(Action.READ_TRIALS))) -> dict[str, Any]:
    """One trial's protocol (validated content), by id or registry id."""
    with tx(ctx.request) as session:
        protocol = protocol_for(session, trial_id)
    return protocol.model_dump(mode="json")


@router.get("/{trial_id}/versions")
def protocol_versions(
    trial_id: str, ctx: Context = Depends(require(Action.READ_TRIALS))
) -> dict[str, Any]:
    """The stored versions of a trial's protocol (content hash, when loaded), oldest first."""
    with tx(ctx.request) as session:
        protocol = protocol_for(session, trial_id)
        rows = session.execute(
            select(
                ProtocolVersionRow.id,
                ProtocolVersionRow.content_sha256,
                ProtocolVersionRow.loaded_at,
            )
            .join(TrialRow, ProtocolVersionRow.trial_pk == TrialRow.id)
            .where(TrialRow.trial_id == protocol.id)
            .order_by(ProtocolVersionRow.id)
        ).all()
    return {
        "trial_id": protocol.id,
        "items": [
            {"version": i, "content_sha256": h, "loaded_at": at.isoformat() if at else None}
            for i, (_, h, at) in enumerate(rows, start=1)
        ],
    }
