"""``/auth``: log in and out, who am I, personal API tokens.

``POST /auth/login`` sets the session cookie (HttpOnly, SameSite=Strict, Secure over
HTTPS) and returns ``{"csrf_token"}``: the browser sends it back as ``X-CSRF-Token`` on
every state-changing request. Five consecutive failures lock the account for 15 minutes
(:mod:`theratrial.api.accounts`). Tokens are shown once and stored hashed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request, Response

from theratrial.api import accounts
from theratrial.api.deps import SESSION_COOKIE, Context, require, tx
from theratrial.api.permissions import Action, allowed, sees_all_sites
from theratrial.api.problems import ProblemError
from theratrial.api.routers._common import jsonable, record
from theratrial.api.schemas import LoginIn, TokenIn
from theratrial.errors import TheratrialError

__all__ = ["router"]

router = APIRouter(prefix="/auth", tags=["auth"])


def _me(principal: accounts.Principal) -> dict[str, Any]:
    return {
        "username": principal.username,
        "role": str(principal.role),
        "sites": sorted(principal.site_codes),
        "all_sites": sees_all_sites(principal.role),
        "via": principal.via,
        "can": sorted(a.value for a in Action if allowed(principal.role, a)),
    }


@router.post("/login")
def login(body: LoginIn, request: Request, response: Response) -> dict[str, Any]:
    """Check the password, open a session and set its cookie; returns the CSRF token."""
    now = datetime.now(UTC)
    failure: TheratrialError | None = None
    with tx(request) as session:
        try:
            principal = accounts.authenticate(session, body.username, body.password, now=now)
        except TheratrialError as exc:  # AuthError: the failure count must still be committed
            failure = exc
        else:
            secret, csrf = accounts.open_session(session, principal, now=now)
            from theratrial.api import audit

            audit.record(
                session,
                actor=principal.username,
                action="login",
                entity="user",
                entity_id=principal.username,
                at=now,
            )
    if failure is not None:
        raise failure
    secure = request.url.scheme == "https" or request.app.state.settings.force_secure_cookies
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        httponly=True,
        samesite="strict",
        secure=secure,
        path="/",
        max_age=accounts.SESSION_IDLE_MINUTES * 60 * 48,
    )
    return {"csrf_token": csrf, **_me(principal)}


@router.post("/logout", status_code=204)
def logout(request: Request, response: Response) -> Response:
    """Close the session of the cookie (needs the CSRF token like every write)."""
    ctx = require(Action.READ_TRIALS)(request)
    secret = request.cookies.get(SESSION_COOKIE)
    with tx(request) as session:
        if secret and ctx.principal.via == "session":
            accounts.close_session(session, secret)
        record(session, ctx, action="logout", entity="user", entity_id=ctx.principal.username)
    out = Response(status_code=204)
    out.delete_cookie(SESSION_COOKIE, path="/")
    return out


@router.get("/me")
def me(request: Request) -> dict[str, Any]:
    """The logged-in principal: username, role, sites and the actions the role may do.

    With the session cookie it also returns the session's CSRF token, so a page reloaded
    in the browser can go on writing (the answer is same-origin only: CORS is closed
    unless configured, and the cookie is SameSite=Strict).
    """
    principal = require(Action.READ_TRIALS)(request).principal
    out = _me(principal)
    secret = request.cookies.get(SESSION_COOKIE)
    if principal.via == "session" and secret:
        with tx(request) as session:
            found = accounts.resolve_session(session, secret, now=datetime.now(UTC))
        if found is not None:
            out["csrf_token"] = found[1]
    return out


@router.post("/tokens", status_code=201)
def create_token(body: TokenIn, request: Request) -> dict[str, Any]:
    """A new personal API token, returned once (only its hash is stored)."""
    ctx: Context = require(Action.CREATE_TOKEN)(request)
    with tx(request) as session:
        token = accounts.create_token(session, ctx.principal, body.name)
        record(session, ctx, action="create", entity="api_token", entity_id=body.name)
    return {"token": token, "name": body.name}


@router.get("/tokens")
def list_tokens(request: Request) -> dict[str, Any]:
    """The principal's tokens (names and dates, never the secrets)."""
    ctx = require(Action.CREATE_TOKEN)(request)
    with tx(request) as session:
        items = [jsonable(t) for t in accounts.list_tokens(session, ctx.principal)]
    return {"items": items}


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(token_id: int, request: Request) -> Response:
    """Revoke one of the principal's tokens."""
    ctx = require(Action.CREATE_TOKEN)(request)
    with tx(request) as session:
        try:
            accounts.revoke_token(session, ctx.principal, token_id)
        except TheratrialError as exc:
            raise ProblemError(404, "no such token", field="token_id") from exc
        record(session, ctx, action="delete", entity="api_token", entity_id=str(token_id))
    return Response(status_code=204)
