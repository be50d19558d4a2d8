"""Accounts: users and sites, lock-out, idle sessions, API tokens (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, select, text

from theratrial.api import accounts
from theratrial.api.accounts import (
    LOCKOUT_FAILURES,
    LOCKOUT_MINUTES,
    SESSION_IDLE_MINUTES,
    AuthError,
    add_user,
    authenticate,
    close_session,
    create_token,
    disable_user,
    list_tokens,
    list_users,
    open_session,
    resolve_session,
    resolve_token,
    revoke_token,
)
from theratrial.api.audit import list_records, verify_chain
from theratrial.api.permissions import Role
from theratrial.errors import InputError, TheratrialError
from theratrial.store import connect, session_scope
from theratrial.store.models import SiteRow
from theratrial.store.models_service import ApiTokenRow, SessionRow, UserRow

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
PW = "correct horse battery"


@pytest.fixture(autouse=True)
def _low_cost(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THERATRIAL_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("THERATRIAL_ARGON2_MEMORY_KIB", "1024")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        eng = connect(f"sqlite:///{tmp_path / 'accounts.sqlite'}")
        yield eng
        eng.dispose()
        return
    base: str = request.getfixturevalue("postgres_url")
    name = f"acc_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    eng = connect(base.rsplit("/", 1)[0] + f"/{name}")
    try:
        yield eng
    finally:
        eng.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


def _add(
    engine: Engine,
    username: str = "alice",
    role: str = "coordinator",
    sites: tuple[str, ...] = ("S1",),
) -> accounts.Principal:
    with session_scope(engine) as session:
        return add_user(session, username, role=role, sites=sites, password=PW, actor="cli:test")


def _login(engine: Engine, password: str, *, now: datetime, user: str = "alice") -> None:
    with session_scope(engine) as session:
        authenticate(session, user, password, now=now)


def test_public_api_is_pinned() -> None:
    assert sorted(accounts.__all__) == sorted(
        [
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
    )
    assert (LOCKOUT_FAILURES, LOCKOUT_MINUTES, SESSION_IDLE_MINUTES) == (5, 15, 30)
    assert issubclass(AuthError, TheratrialError)


def test_add_user_creates_new_sites_and_stores_only_a_hash(engine: Engine) -> None:
    principal = _add(engine, sites=("S1", "NEW-SITE"))
    assert principal.role is Role.COORDINATOR
    assert principal.site_codes == {"S1", "NEW-SITE"}
    with session_scope(engine) as session:
        assert set(session.scalars(select(SiteRow.code))) == {"S1", "NEW-SITE"}
        stored = session.scalar(select(UserRow.password_hash))
        assert stored is not None
        assert stored.startswith("$argon2id$")
        assert PW not in stored
        [view] = list_users(session)
        assert (view.username, view.role, view.sites, view.disabled) == (
            "alice",
            Role.COORDINATOR,
            ("NEW-SITE", "S1"),
            False,
        )
        [rec] = list_records(session)
        assert (rec.user, rec.action, rec.entity, rec.entity_id) == (
            "cli:test",
            "create",
            "user",
            "alice",
        )
        assert PW not in repr(rec.changes)


@pytest.mark.parametrize(
    ("username", "role", "sites", "password", "field"),
    [
        ("al", "coordinator", ("S1",), PW, "username"),
        ("a" * 65, "coordinator", ("S1",), PW, "username"),
        ("al ice", "coordinator", ("S1",), PW, "username"),
        ("alice", "root", ("S1",), PW, "role"),
        ("alice", "coordinator", (), PW, "site"),
        ("alice", "coordinator", ("S 1",), PW, "site"),
        ("alice", "coordinator", ("S1",), "short-pass1", "password"),
    ],
)
def test_bad_new_user_names_the_field_and_stores_nothing(
    tmp_path: Path, username: str, role: str, sites: tuple[str, ...], password: str, field: str
) -> None:
    engine = connect(f"sqlite:///{tmp_path / 'a.sqlite'}")
    with pytest.raises(InputError) as info, session_scope(engine) as session:
        add_user(session, username, role=role, sites=sites, password=password)
    assert info.value.field == field
    assert info.value.hint
    with session_scope(engine) as session:
        assert list_users(session) == []
        assert session.scalar(select(SiteRow.code)) is None
    engine.dispose()


def test_sponsor_needs_no_site_and_a_taken_name_is_refused(engine: Engine) -> None:
    assert _add(engine, "spons", "sponsor", ()).site_codes == frozenset()
    with pytest.raises(InputError, match="taken"):
        _add(engine, "spons", "admin", ())


def test_five_failures_lock_for_15_minutes_even_the_right_password(engine: Engine) -> None:
    _add(engine)
    for i in range(LOCKOUT_FAILURES - 1):
        with pytest.raises(AuthError) as info:
            _login(engine, "wrong password!", now=T0 + timedelta(seconds=i))
        assert info.value.locked_until is None
    with pytest.raises(AuthError) as info:
        _login(engine, "wrong password!", now=T0 + timedelta(seconds=10))
    until = T0 + timedelta(seconds=10, minutes=LOCKOUT_MINUTES)
    assert info.value.locked_until == until
    with pytest.raises(AuthError) as info:  # the right password, still locked
        _login(engine, PW, now=until - timedelta(seconds=1))
    assert info.value.locked_until == until
    _login(engine, PW, now=until + timedelta(seconds=1))
    with session_scope(engine) as session:
        actions = [r.action for r in list_records(session)]
        assert actions == ["create", *["login_failed"] * 4, "lockout"]
        assert verify_chain(session).ok


def test_a_success_resets_the_count_of_consecutive_failures(engine: Engine) -> None:
    _add(engine)
    for _ in range(LOCKOUT_FAILURES - 1):
        with pytest.raises(AuthError):
            _login(engine, "wrong password!", now=T0)
    _login(engine, PW, now=T0)
    for _ in range(LOCKOUT_FAILURES - 1):
        with pytest.raises(AuthError) as info:
            _login(engine, "wrong password!", now=T0)
        assert info.value.locked_until is None
    _login(engine, PW, now=T0)


def test_unknown_user_and_wrong_password_read_the_same(engine: Engine) -> None:
    _add(engine)
    with pytest.raises(AuthError) as unknown:
        _login(engine, PW, now=T0, user="mallory")
    with pytest.raises(AuthError) as wrong:
        _login(engine, "wrong password!", now=T0)
    assert str(unknown.value) == str(wrong.value)


def test_session_expires_after_30_idle_minutes_and_activity_keeps_it(engine: Engine) -> None:
    _add(engine)
    with session_scope(engine) as session:
        principal = authenticate(session, "alice", PW, now=T0)
        secret, csrf = open_session(session, principal, now=T0)
    with session_scope(engine) as session:
        assert session.scalar(select(SessionRow.secret_sha256)) != secret  # stored hashed
    step = timedelta(minutes=SESSION_IDLE_MINUTES - 1)
    for k in (1, 2, 3):  # a request every 29 minutes keeps the session
        with session_scope(engine) as session:
            found = resolve_session(session, secret, now=T0 + k * step)
        assert found is not None
        assert found[0].username == "alice"
        assert found[1] == csrf
    with session_scope(engine) as session:
        late = T0 + 3 * step + timedelta(minutes=SESSION_IDLE_MINUTES, seconds=1)
        assert resolve_session(session, secret, now=late) is None
    with session_scope(engine) as session:
        assert resolve_session(session, secret, now=T0 + 3 * step) is None  # deleted


def test_logout_and_disabled_user_end_sessions(engine: Engine) -> None:
    _add(engine)
    _add(engine, "bob", "physician")
    secrets = {}
    for user in ("alice", "bob"):
        with session_scope(engine) as session:
            principal = authenticate(session, user, PW, now=T0)
            secrets[user] = open_session(session, principal, now=T0)[0]
    with session_scope(engine) as session:
        close_session(session, secrets["alice"])
        disable_user(session, "bob", actor="cli:test")
    with session_scope(engine) as session:
        assert resolve_session(session, secrets["alice"], now=T0) is None
        assert resolve_session(session, secrets["bob"], now=T0) is None
        assert [u.disabled for u in list_users(session)] == [False, True]
    with pytest.raises(AuthError, match="disabled"):
        _login(engine, PW, now=T0, user="bob")
    with pytest.raises(InputError) as info, session_scope(engine) as session:
        disable_user(session, "nobody")
    assert info.value.field == "username"


def test_tokens_are_shown_once_stored_hashed_and_revocable(engine: Engine) -> None:
    alice = _add(engine)
    bob = _add(engine, "bob", "physicist")
    with session_scope(engine) as session:
        plain = create_token(session, alice, "nightly-export")
    with session_scope(engine) as session:
        stored = session.scalar(select(ApiTokenRow.token_sha256))
        assert stored != plain
        assert len(stored or "") == 64
        found = resolve_token(session, plain)
        assert found is not None
        assert (found.username, found.via) == ("alice", "token")
        [view] = list_tokens(session, alice)
        assert view.name == "nightly-export"
        assert plain not in repr(view)
        assert list_tokens(session, bob) == []
        with pytest.raises(InputError):
            revoke_token(session, bob, view.id)  # not bob's
    with session_scope(engine) as session:
        revoke_token(session, alice, view.id)
    with session_scope(engine) as session:
        assert resolve_token(session, plain) is None
        assert resolve_token(session, plain + "x") is None
        assert list_tokens(session, alice)[0].revoked_at is not None
        assert [r.action for r in list_records(session)][-2:] == ["create", "revoke"]


def test_a_disabled_users_token_is_refused(engine: Engine) -> None:
    alice = _add(engine)
    with session_scope(engine) as session:
        plain = create_token(session, alice, "script")
    with session_scope(engine) as session:
        disable_user(session, "alice")
    with session_scope(engine) as session:
        assert resolve_token(session, plain) is None


@pytest.mark.parametrize("name", ["", "   ", "x" * 65, "tab\there"])
def test_bad_token_name(tmp_path: Path, name: str) -> None:
    engine = connect(f"sqlite:///{tmp_path / 't.sqlite'}")
    alice = _add(engine)
    with pytest.raises(InputError) as info, session_scope(engine) as session:
        create_token(session, alice, name)
    assert info.value.field == "name"
    with session_scope(engine) as session:
        assert session.execute(text("select count(*) from api_tokens")).scalar() == 0
    engine.dispose()
