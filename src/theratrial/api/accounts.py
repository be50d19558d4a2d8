"""Local accounts: users and their sites, log-in with lock-out, browser sessions, API tokens.

- A user has a username (3-64 characters ``A-Z a-z 0-9 . _ -``), one role
  (:class:`~theratrial.api.permissions.Role`) and one or more sites; only the argon2id hash
  of the password (at least 12 characters, NIST SP 800-63B §3.1.1.2 allows no less than 8
  and recommends longer) is stored.
- Log-in (:func:`authenticate`): after :data:`LOCKOUT_FAILURES` consecutive failures the
  account is locked for :data:`LOCKOUT_MINUTES` minutes, during which even the right
  password is refused (NIST SP 800-63B §5.2.2, rate limiting; 21 CFR 11.300(d)). Failed
  attempts are committed at once (they must survive the error that rolls the caller's
  transaction back): call :func:`authenticate` before writing anything else.
- Browser sessions expire after :data:`SESSION_IDLE_MINUTES` minutes without a request
  (21 CFR 11.300, NIST SP 800-63B §7.2). API tokens are shown once, stored hashed and
  revocable. A disabled user's sessions and tokens stop working at once.

Every function takes the caller's SQLAlchemy session; the caller commits
(:func:`theratrial.store.session_scope`). Audit records are written here for log-in,
log-out, failed log-in, lock-out and token changes; for user changes when ``actor`` is
given.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from theratrial.api import audit
from theratrial.api.permissions import Role, sees_all_sites
from theratrial.api.security import digest, hash_password, new_secret, verify_password
from theratrial.eligibility.patient import SITE_CODE, SITE_CODE_HINT
from theratrial.errors import InputError, TheratrialError
from theratrial.store.models_service import ApiTokenRow, SessionRow, UserRow
from theratrial.store.repository import get_or_create_site

__all__ = [
    "LOCKOUT_FAILURES",
    "LOCKOUT_MINUTES",
    "MIN_PASSWORD_LENGTH",
    "SESSION_IDLE_MINUTES",
    "AuthError",
    "Principal",
    "TokenView",
    "UserView",
    "add_user",
    "authenticate",
    "close_session",
    "create_token",
    "disable_user",
    "list_tokens",
    "list_users",
    "open_session",
    "resolve_session",
    "resolve_token",
    "revoke_token",
]

LOCKOUT_FAILURES = 5
"""Consecutive failed log-ins that lock an account."""
LOCKOUT_MINUTES = 15
"""How long a locked account refuses every log-in, the right password included."""
SESSION_IDLE_MINUTES = 30
"""A browser session without a request for this long has expired."""
MIN_PASSWORD_LENGTH = 12
_MAX_PASSWORD_LENGTH = 1024
_USERNAME = re.compile(r"[A-Za-z0-9._-]{3,64}")
_SITE_CODE = SITE_CODE  # the one site-code rule (theratrial.eligibility.patient)
_WRONG = "wrong username or password"


class AuthError(TheratrialError):
    """A refused log-in or signature; ``locked_until`` (UTC) is set while locked out."""

    def __init__(
        self,
        message: str,
        *,
        locked_until: datetime | None = None,
        field: str | None = "password",
        hint: str | None = None,
    ) -> None:
        super().__init__(message, field=field, hint=hint)
        self.locked_until = locked_until


@dataclass(frozen=True, slots=True)
class Principal:
    """Who makes a request: user, role, sites, and whether by ``session`` or ``token``."""

    user_id: int
    username: str
    role: Role
    site_codes: frozenset[str]
    via: str


@dataclass(frozen=True, slots=True)
class UserView:
    """A user as listed (no password hash)."""

    username: str
    role: Role
    sites: tuple[str, ...]
    disabled: bool
    locked_until: datetime | None
    created_at: datetime | None
    last_login_at: datetime | None


@dataclass(frozen=True, slots=True)
class TokenView:
    """An API token as listed (never the token itself)."""

    id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def _utc(moment: datetime | None) -> datetime | None:
    return audit.as_utc(moment) if moment is not None else None


def _principal(user: UserRow, via: str) -> Principal:
    return Principal(
        user_id=user.id,
        username=user.username,
        role=Role(user.role),
        site_codes=frozenset(s.code for s in user.sites),
        via=via,
    )


def _user(session: Session, username: str) -> UserRow | None:
    return session.scalar(select(UserRow).where(UserRow.username == username))


def _known_user(session: Session, username: str) -> UserRow:
    user = _user(session, username)
    if user is None:
        raise InputError(
            f"no user {username!r}",
            field="username",
            hint="check the name with `theratrial users list`",
        )
    return user


def _check_new_user(username: str, role: Role | str, sites: Sequence[str], password: str) -> Role:
    if not _USERNAME.fullmatch(username):
        raise InputError(
            "a username is 3 to 64 characters: letters, digits, '.', '_' or '-'",
            field="username",
            hint="choose a name such as j.smith",
        )
    try:
        known = Role(role)
    except ValueError:
        raise InputError(
            f"unknown role {role!r}",
            field="role",
            hint=f"use one of {', '.join(r.value for r in Role)}",
        ) from None
    for code in sites:
        if not _SITE_CODE.fullmatch(code):
            raise InputError(
                f"{code!r} is not a site code",
                field="site",
                hint=SITE_CODE_HINT,
            )
    if not sites and not sees_all_sites(known):
        raise InputError(
            f"a {known.value} needs at least one site",
            field="site",
            hint="give --site CODE (one or more)",
        )
    if not MIN_PASSWORD_LENGTH <= len(password) <= _MAX_PASSWORD_LENGTH:
        raise InputError(
            f"a password is {MIN_PASSWORD_LENGTH} to {_MAX_PASSWORD_LENGTH} characters",
            field="password",
            hint="choose a longer passphrase (several unrelated words)",
        )
    return known


def add_user(
    session: Session,
    username: str,
    *,
    role: Role | str,
    sites: Sequence[str],
    password: str,
    actor: str | None = None,
) -> Principal:
    """Create a user with ``role`` at ``sites`` (a new site code creates the site).

    With ``actor``, an audit ``create`` record is written (never the password).

    Raises
    ------
    InputError
        A malformed username, unknown role, bad site code, short password, or a taken name.
    """
    known = _check_new_user(username, role, sites, password)
    if _user(session, username) is not None:
        raise InputError(
            f"the username {username!r} is taken", field="username", hint="choose another username"
        )
    codes = sorted(set(sites))
    site_rows = [get_or_create_site(session, code) for code in codes]
    user = UserRow(
        username=username,
        role=known.value,
        password_hash=hash_password(password),
        disabled=False,
        failed_logins=0,
        sites=site_rows,
    )
    session.add(user)
    session.flush()
    if actor is not None:
        audit.record(
            session,
            actor=actor,
            action="create",
            entity="user",
            entity_id=username,
            changes=[("role", None, known.value), ("sites", None, codes)],
        )
    return _principal(user, "session")


def list_users(session: Session) -> list[UserView]:
    """Every user, by username."""
    users = session.scalars(select(UserRow).order_by(UserRow.username))
    return [
        UserView(
            username=u.username,
            role=Role(u.role),
            sites=tuple(s.code for s in u.sites),
            disabled=u.disabled,
            locked_until=_utc(u.locked_until),
            created_at=_utc(u.created_at),
            last_login_at=_utc(u.last_login_at),
        )
        for u in users
    ]


def disable_user(session: Session, username: str, *, actor: str | None = None) -> None:
    """Disable a user: log-in refused, sessions closed, tokens refused (audited with ``actor``)."""
    user = _known_user(session, username)
    was = user.disabled
    user.disabled = True
    session.execute(delete(SessionRow).where(SessionRow.user_pk == user.id))
    if actor is not None and not was:
        audit.record(
            session,
            actor=actor,
            action="update",
            entity="user",
            entity_id=username,
            changes=[("disabled", False, True)],
        )


def _locked(until: datetime) -> AuthError:
    return AuthError(
        f"the account is locked until {until.isoformat()} after {LOCKOUT_FAILURES} failed log-ins",
        locked_until=until,
        hint="wait, or ask an administrator",
    )


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password("theratrial-no-such-user")


def authenticate(session: Session, username: str, password: str, *, now: datetime) -> Principal:
    """The principal whose password this is, or :class:`AuthError`.

    :data:`LOCKOUT_FAILURES` consecutive failures lock the account for
    :data:`LOCKOUT_MINUTES`; a failure is committed before the error is raised.
    """
    now = audit.as_utc(now)
    user = _user(session, username)
    if user is None:
        verify_password(password, _dummy_hash())  # the same time as for a real user
        raise AuthError(_WRONG)
    locked_until = _utc(user.locked_until)
    if locked_until is not None and now < locked_until:
        raise _locked(locked_until)
    if not verify_password(password, user.password_hash):
        if user.disabled:
            raise AuthError(_WRONG)
        user.failed_logins = (user.failed_logins or 0) + 1
        lock = None
        if user.failed_logins >= LOCKOUT_FAILURES:
            lock = now + timedelta(minutes=LOCKOUT_MINUTES)
            user.failed_logins, user.locked_until = 0, lock
            audit.record(
                session,
                actor=username,
                action="lockout",
                entity="user",
                entity_id=username,
                changes=[("locked_until", None, lock)],
                at=now,
            )
        else:
            audit.record(
                session,
                actor=username,
                action="login_failed",
                entity="user",
                entity_id=username,
                at=now,
            )
        session.commit()
        if lock is not None:
            raise _locked(lock)
        raise AuthError(_WRONG)
    if user.disabled:
        raise AuthError("the account is disabled", field="username", hint="ask an administrator")
    user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
    return _principal(user, "session")


def open_session(session: Session, principal: Principal, *, now: datetime) -> tuple[str, str]:
    """A new browser session: ``(cookie secret, CSRF token)``; only the secret's hash is kept."""
    now = audit.as_utc(now)
    idle = now - timedelta(minutes=SESSION_IDLE_MINUTES)
    session.execute(
        delete(SessionRow).where(
            SessionRow.user_pk == principal.user_id, SessionRow.last_seen_at < idle
        )
    )
    secret, csrf = new_secret(), new_secret()
    session.add(
        SessionRow(
            secret_sha256=digest(secret),
            csrf_token=csrf,
            user_pk=principal.user_id,
            created_at=now,
            last_seen_at=now,
        )
    )
    audit.record(
        session,
        actor=principal.username,
        action="login",
        entity="user",
        entity_id=principal.username,
        at=now,
    )
    return secret, csrf


def resolve_session(
    session: Session, secret: str, *, now: datetime
) -> tuple[Principal, str] | None:
    """``(principal, CSRF token)`` of a live session, its idle clock restarted; else None.

    None for an unknown secret, a session idle for more than
    :data:`SESSION_IDLE_MINUTES`, or a disabled user (the session is then deleted).
    """
    now = audit.as_utc(now)
    row = session.scalar(select(SessionRow).where(SessionRow.secret_sha256 == digest(secret)))
    if row is None:
        return None
    user = session.get(UserRow, row.user_pk)
    idle = now - audit.as_utc(row.last_seen_at)
    if user is None or user.disabled or idle > timedelta(minutes=SESSION_IDLE_MINUTES):
        session.delete(row)
        return None
    row.last_seen_at = max(now, audit.as_utc(row.last_seen_at))
    return _principal(user, "session"), row.csrf_token


def close_session(session: Session, secret: str) -> None:
    """End the session of ``secret`` (log-out); nothing happens for an unknown secret."""
    row = session.scalar(select(SessionRow).where(SessionRow.secret_sha256 == digest(secret)))
    if row is None:
        return
    user = session.get(UserRow, row.user_pk)
    session.delete(row)
    if user is not None:
        audit.record(
            session, actor=user.username, action="logout", entity="user", entity_id=user.username
        )


def create_token(session: Session, principal: Principal, name: str) -> str:
    """A new personal API token of ``principal``, returned once (only its hash is kept)."""
    clean = name.strip() if isinstance(name, str) else ""
    if not 1 <= len(clean) <= 64 or not clean.isprintable():
        raise InputError(
            "a token name is 1 to 64 printable characters",
            field="name",
            hint="name the script that will use it, e.g. nightly-export",
        )
    plain = new_secret()
    row = ApiTokenRow(
        user_pk=principal.user_id,
        name=clean,
        token_sha256=digest(plain),
        created_at=datetime.now(UTC),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=principal.username,
        action="create",
        entity="api_token",
        entity_id=str(row.id),
        changes=[("name", None, clean)],
    )
    return plain


def resolve_token(session: Session, plain: str) -> Principal | None:
    """The principal of a live API token (None: unknown, revoked, or user disabled)."""
    row = session.scalar(select(ApiTokenRow).where(ApiTokenRow.token_sha256 == digest(plain)))
    if row is None or row.revoked_at is not None:
        return None
    user = session.get(UserRow, row.user_pk)
    if user is None or user.disabled:
        return None
    row.last_used_at = datetime.now(UTC)
    return _principal(user, "token")


def revoke_token(session: Session, principal: Principal, token_id: int) -> None:
    """Revoke one of ``principal``'s tokens (an admin may revoke anyone's)."""
    row = session.get(ApiTokenRow, token_id)
    if row is None or (row.user_pk != principal.user_id and principal.role != Role.ADMIN):
        raise InputError(
            f"no token {token_id} of yours",
            field="token_id",
            hint="list your tokens to find the id",
        )
    if row.revoked_at is not None:
        return
    row.revoked_at = datetime.now(UTC)
    audit.record(
        session,
        actor=principal.username,
        action="revoke",
        entity="api_token",
        entity_id=str(row.id),
        changes=[("revoked_at", None, row.revoked_at)],
    )


def list_tokens(session: Session, principal: Principal) -> list[TokenView]:
    """``principal``'s API tokens (revoked ones included), oldest first."""
    rows = session.scalars(
        select(ApiTokenRow).where(ApiTokenRow.user_pk == principal.user_id).order_by(ApiTokenRow.id)
    )
    return [
        TokenView(
            id=r.id,
            name=r.name,
            created_at=audit.as_utc(r.created_at),
            last_used_at=_utc(r.last_used_at),
            revoked_at=_utc(r.revoked_at),
        )
        for r in rows
    ]
