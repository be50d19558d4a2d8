"""``/users`` (admin): accounts, their role and sites."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Response

from theratrial.api import accounts
from theratrial.api.deps import Context, require, tx
from theratrial.api.permissions import Action, Role
from theratrial.api.routers._common import jsonable, record
from theratrial.api.schemas import UserIn

__all__ = ["router"]

router = APIRouter(prefix="/users", tags=["users"])


@router.get("")
def list_users(ctx: Context = Depends(require(Action.MANAGE_USERS))) -> dict[str, Any]:
    """Every account with its role and sites (never a password hash), and the roles."""
    with tx(ctx.request) as session:
        items = [jsonable(u) for u in accounts.list_users(session)]
    return {"items": items, "roles": [r.value for r in Role]}


@router.post("", status_code=201)
def add_user(body: UserIn, ctx: Context = Depends(require(Action.MANAGE_USERS))) -> dict[str, Any]:
    """Create an account; a new site code creates the site."""
    with tx(ctx.request) as session:
        p = accounts.add_user(
            session, body.username, role=body.role, sites=body.sites, password=body.password
        )
        record(
            session,
            ctx,
            action="create",
            entity="user",
            entity_id=p.username,
            changes=[("role", None, str(p.role)), ("sites", None, sorted(p.site_codes))],
        )
    return {"username": p.username, "role": str(p.role), "sites": sorted(p.site_codes)}


@router.post("/{username}/disable", status_code=204)
def disable_user(username: str, ctx: Context = Depends(require(Action.MANAGE_USERS))) -> Response:
    """Disable an account: its sessions and tokens stop working."""
    with tx(ctx.request) as session:
        accounts.disable_user(session, username)
        record(
            session,
            ctx,
            action="update",
            entity="user",
            entity_id=username,
            changes=[("disabled", False, True)],
        )
    return Response(status_code=204)
