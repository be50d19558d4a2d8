"""``/sites``: the recruiting sites (admin creates them)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from sqlalchemy import select

from theratrial.api.deps import Context, require, tx, visible_site_pks
from theratrial.api.permissions import Action
from theratrial.api.problems import ProblemError
from theratrial.api.routers._common import record
from theratrial.api.schemas import SiteIn
from theratrial.store import get_or_create_site
from theratrial.store.models import SiteRow

__all__ = ["router"]

router = APIRouter(prefix="/sites", tags=["sites"])


@router.get("")
def list_sites(ctx: Context = Depends(require(Action.READ_TRIALS))) -> dict[str, Any]:
    """The sites this principal sees (all of them for admin and sponsor)."""
    with tx(ctx.request) as session:
        visible = visible_site_pks(session, ctx.principal)
        stmt = select(SiteRow).order_by(SiteRow.code)
        if visible is not None:
            stmt = stmt.where(SiteRow.id.in_(visible))
        rows = session.scalars(stmt).all()
        return {"items": [{"code": r.code, "name": r.name} for r in rows]}


@router.post("", status_code=201)
def add_site(body: SiteIn, ctx: Context = Depends(require(Action.MANAGE_SITES))) -> dict[str, Any]:
    """Create a site (409 when the code exists)."""
    with tx(ctx.request) as session:
        if session.scalar(select(SiteRow).where(SiteRow.code == body.code)) is not None:
            raise ProblemError(409, f"site {body.code} exists", field="code")
        get_or_create_site(session, body.code, name=body.name)
        record(
            session,
            ctx,
            action="create",
            entity="site",
            entity_id=body.code,
            changes=[("name", None, body.name)],
        )
    return {"code": body.code, "name": body.name}
