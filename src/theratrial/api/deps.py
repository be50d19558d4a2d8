"""Request dependencies: the store, the current principal, the permission check, site scope.

A request is authenticated by, in order: an ``Authorization: Bearer TOKEN`` header (a
personal API token; no CSRF token needed, a script holds no ambient credential), else the
session cookie set by ``POST /api/v1/auth/login``. With the cookie, every state-changing
request (anything but GET, HEAD, OPTIONS) must carry the session's CSRF token as the
``X-CSRF-Token`` header (the synchronizer-token pattern of the OWASP CSRF Prevention Cheat
Sheet); the cookie itself is HttpOnly, SameSite=Strict, and Secure over HTTPS.

Every route asks the one permission table (:mod:`theratrial.api.permissions`) through
:func:`require`. A patient of another site is reported as absent (404), never as forbidden,
so that a user learns nothing about patients outside their sites.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi import Request
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from theratrial.api import accounts
from theratrial.api.permissions import Action, allowed, sees_all_sites
from theratrial.api.problems import ProblemError
from theratrial.store import session_scope
from theratrial.store.models import PatientRow, SiteRow

__all__ = [
    "CSRF_HEADER",
    "SAFE_METHODS",
    "SESSION_COOKIE",
    "Context",
    "actor_of",
    "engine_of",
    "patient_in_scope",
    "require",
    "site_in_scope",
    "tx",
    "visible_site_pks",
]

SESSION_COOKIE = "theratrial_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def engine_of(request: Request) -> Engine:
    """The store engine the app was created with."""
    engine: Engine = request.app.state.engine
    return engine


@contextmanager
def tx(request: Request) -> Iterator[Session]:
    """One transaction on the store: committed on success, rolled back on any error."""
    with session_scope(engine_of(request)) as session:
        yield session


@dataclass(frozen=True, slots=True)
class Context:
    """The authenticated principal of a request and the request itself."""

    principal: accounts.Principal
    request: Request

    @property
    def actor(self) -> str:
        """The name audit records carry for this principal."""
        return actor_of(self.principal)


def actor_of(principal: accounts.Principal) -> str:
    """``username`` for a session, ``username (token)`` for an API token."""
    return principal.username if principal.via == "session" else f"{principal.username} (token)"


def _unauthenticated(detail: str) -> ProblemError:
    return ProblemError(
        401,
        detail,
        hint="log in at POST /api/v1/auth/login or send Authorization: Bearer TOKEN",
        headers={"WWW-Authenticate": 'Bearer realm="theratrial"'},
    )


def _principal(request: Request) -> accounts.Principal:
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    now = datetime.now(UTC)
    auth = request.headers.get("authorization")
    principal: accounts.Principal | None
    if auth is not None:
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _unauthenticated("the Authorization header must be 'Bearer TOKEN'")
        with tx(request) as session:
            principal = accounts.resolve_token(session, token.strip())
        if principal is None:
            raise _unauthenticated("unknown or revoked API token")
    else:
        secret = request.cookies.get(SESSION_COOKIE)
        if not secret:
            raise _unauthenticated("not logged in")
        with tx(request) as session:
            found = accounts.resolve_session(session, secret, now=now)
        if found is None:
            raise _unauthenticated("the session has expired or was closed")
        principal, csrf = found
        if request.method not in SAFE_METHODS:
            sent = request.headers.get(CSRF_HEADER, "")
            if not sent or not hmac.compare_digest(sent.encode(), csrf.encode()):
                raise ProblemError(
                    403,
                    "missing or wrong CSRF token",
                    field=CSRF_HEADER,
                    hint="send the csrf_token returned at login as the X-CSRF-Token header",
                )
    request.state.principal = principal
    return principal


def require(action: Action) -> Callable[[Request], Context]:
    """A dependency that lets the request through only when the role may do ``action``.

    Anonymous: 401. A role the permission table does not allow: 403.
    """

    def dependency(request: Request) -> Context:
        principal = _principal(request)
        if not allowed(principal.role, action):
            raise ProblemError(
                403,
                f"the role {principal.role} may not {action.value.replace('_', ' ')}",
                hint="ask an administrator for a role that may",
            )
        return Context(principal, request)

    dependency.__name__ = f"require_{action.value}"
    return dependency


def visible_site_pks(session: Session, principal: accounts.Principal) -> list[int] | None:
    """Primary keys of the sites this principal sees (None: every site)."""
    if sees_all_sites(principal.role):
        return None
    codes = sorted(principal.site_codes)
    if not codes:
        return []
    return list(session.scalars(select(SiteRow.id).where(SiteRow.code.in_(codes))).all())


def patient_in_scope(
    session: Session, principal: accounts.Principal, patient_id: str
) -> PatientRow:
    """The stored patient, when it belongs to one of the principal's sites; else 404.

    Another site's patient and an unknown id read the same (no existence leak).
    """
    row = session.scalar(select(PatientRow).where(PatientRow.pseudonym == patient_id))
    sites = visible_site_pks(session, principal)
    if row is None or (sites is not None and row.site_pk not in sites):
        raise ProblemError(404, "no such patient", field="patient_id")
    return row


def site_in_scope(principal: accounts.Principal, site_code: str | None, *, field: str) -> None:
    """Refuse to write a patient of a site the principal does not belong to.

    404, like every other access to another site's patient (no existence leak).
    """
    if sees_all_sites(principal.role):
        return
    if site_code is None or site_code not in principal.site_codes:
        raise ProblemError(
            404,
            "you may only add patients of your own sites "
            f"({', '.join(sorted(principal.site_codes)) or 'none'})",
            field=field,
            hint="set 'site' to one of your sites",
        )
