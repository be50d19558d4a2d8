"""Connecting to the database and bringing its schema up to date (Alembic).

The URL comes from, in order: an explicit argument (the CLI's ``--db``), the environment
variable ``THERATRIAL_DATABASE_URL``, else an SQLite file ``theratrial.sqlite`` in the
working directory. Any SQLAlchemy URL works; PostgreSQL via ``postgresql+psycopg://``.

Migrations are all-or-nothing: every pending Alembic revision runs in one database
transaction (``transaction_per_migration=False``), so a process killed in the middle of a
migration leaves the schema as it was before. PostgreSQL has transactional DDL natively.
SQLite has it too, but Python's ``sqlite3`` driver commits on its own before each
``CREATE``/``ALTER``; the engine therefore takes transaction control away from the driver
(``isolation_level = None``) and emits ``BEGIN`` itself, the recipe of SQLAlchemy's pysqlite
documentation ("Serializable isolation / Savepoints / Transactional DDL"). Concurrent first
migrations queue behind one lock (``BEGIN IMMEDIATE`` on SQLite, a transaction-scoped
advisory lock on PostgreSQL).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, create_engine, event, func, inspect, select, table
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from theratrial.errors import StoreError

__all__ = ["DEFAULT_SQLITE", "connect", "database_url", "migrate", "session_scope"]

DEFAULT_SQLITE = "theratrial.sqlite"
ENV_VAR = "THERATRIAL_DATABASE_URL"
_BEGIN_OPTION = "theratrial_sqlite_begin"
"""Execution option naming the SQLite ``BEGIN`` mode of a connection (``IMMEDIATE``)."""
_SQLITE_BUSY_S = 30.0
"""Seconds an SQLite connection waits for another writer's lock before giving up."""
_MIGRATION_LOCK = 0x7468657261
"""PostgreSQL advisory lock key that serialises concurrent migrations ("thera")."""


def database_url(explicit: str | None = None) -> str:
    """The database URL to use (see the module docstring for the order).

    A bare file path is taken as an SQLite file.

    Examples
    --------
    >>> database_url("trial.sqlite")
    'sqlite:///trial.sqlite'
    """
    url = explicit or os.environ.get(ENV_VAR) or f"sqlite:///{DEFAULT_SQLITE}"
    if "://" not in url:
        url = f"sqlite:///{Path(url)}"
    return url


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    """Take transaction control from pysqlite (its implicit commits break DDL atomicity)."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    """Emit ``BEGIN`` ourselves, so DDL and DML alike sit inside the transaction."""
    mode = conn.get_execution_options().get(_BEGIN_OPTION, "")
    conn.exec_driver_sql(f"BEGIN {mode}".strip())


def _install_sqlite_transactions(engine: Engine) -> None:
    event.listen(engine, "connect", _sqlite_connect)
    if engine.dialect.driver == "pysqlite":
        event.listen(engine, "begin", _sqlite_begin)


def _hint_for(exc: SQLAlchemyError, *, sqlite: bool, reached: bool) -> str:
    """What to do about a failure to open or migrate the database, by its cause."""
    text = str(exc).lower()
    if sqlite:
        if "locked" in text or "busy" in text:
            return "another theratrial command is writing to this file; run again when it ends"
        if "unable to open" in text or "readonly" in text or "read-only" in text:
            return "check the path, and that the file and its folder are writable"
        if "not a database" in text or "malformed" in text:
            return "--db must name an SQLite file written by theratrial (keep a copy of it)"
        return "the migration was rolled back and nothing changed; keep a copy of the file"
    if not reached:
        return "check that the server runs and the URL (host, port, user, database) is right"
    return "the migration was rolled back and nothing changed; check the user's rights"


def connect(url: str | None = None, *, upgrade: bool = True) -> Engine:
    """An engine for ``url`` with the schema migrated to the newest version.

    Raises
    ------
    StoreError
        When the database cannot be reached or migrated; the message names the URL
        without its password and a fix that fits the cause.
    """
    resolved = database_url(url)
    safe = make_url(resolved).render_as_string(hide_password=True)
    sqlite_url = resolved.startswith("sqlite")
    try:
        engine = create_engine(
            resolved, connect_args={"timeout": _SQLITE_BUSY_S} if sqlite_url else {}
        )
    except (SQLAlchemyError, ImportError, ValueError) as exc:
        raise StoreError(
            f"cannot use database {safe}: {exc}",
            field="--db",
            hint="give an SQLAlchemy URL such as sqlite:///trial.sqlite",
        ) from exc
    sqlite = engine.dialect.name == "sqlite"
    if sqlite:
        _install_sqlite_transactions(engine)
        db_path = make_url(resolved).database
        if db_path and db_path != ":memory:":
            Path(db_path).parent.mkdir(parents=True, exist_ok=True)
    if upgrade:
        reached = False
        try:
            with engine.connect():
                reached = True
            migrate(engine)
        except SQLAlchemyError as exc:
            engine.dispose()
            what = "migrate" if reached else "open"
            raise StoreError(
                f"cannot {what} database {safe}: {exc.__class__.__name__}: "
                f"{str(exc).splitlines()[0]}",
                field="--db",
                hint=_hint_for(exc, sqlite=sqlite, reached=reached),
            ) from exc
        except StoreError:
            engine.dispose()
            raise
    return engine


def _config() -> Config:
    config = Config()
    config.set_main_option(
        "script_location", str(resources.files("theratrial.store") / "migrations")
    )
    return config


def _where(engine: Engine) -> str:
    url = engine.url
    if url.get_backend_name() == "sqlite":
        return f"SQLite file {url.database}"
    return f"database {url.render_as_string(hide_password=True)}"


def _refuse_half_migrated(engine: Engine, conn: Connection, ours: list[str]) -> None:
    """A schema left by an interrupted first migration (tables, but no version row)."""
    rows = sum(int(conn.scalar(select(func.count()).select_from(table(n))) or 0) for n in ours)
    where = _where(engine)
    message = (
        f"{where} has {len(ours)} theratrial tables ({', '.join(ours[:4])}"
        f"{', ...' if len(ours) > 4 else ''}) but no schema version in alembic_version: "
        "an older theratrial was stopped during its first migration"
    )
    if rows == 0:
        fix = (
            f"these tables hold no data: delete the file {engine.url.database} and run again"
            if engine.url.get_backend_name() == "sqlite"
            else f"these tables hold no data: drop them ({', '.join(ours)}) and run again"
        )
    else:
        fix = (
            f"these tables hold {rows} rows: keep a copy, then record the revision whose "
            "tables they match with `alembic stamp` (theratrial/store/migrations/versions)"
        )
    raise StoreError(message, field="alembic_version", hint=fix)


def migrate(engine: Engine) -> None:
    """Apply every Alembic migration not yet applied (``upgrade heads``), in one transaction.

    Raises
    ------
    StoreError
        When the schema was left half-created by an interrupted first migration of an
        older version, or was written by a newer theratrial.
    """
    from theratrial.store import (  # noqa: F401  (importing registers the tables)
        models_batch,
        models_clinical,
        models_jobs,
        models_pacs,
        models_records,
        models_service,
    )
    from theratrial.store.models import Base

    config = _config()
    script = ScriptDirectory.from_config(config)
    heads = set(script.get_heads())
    known = {rev.revision for rev in script.walk_revisions()}
    with engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
        if current == heads:
            return
        unknown = sorted(current - known)
        if unknown:
            raise StoreError(
                f"{_where(engine)} has schema revision {', '.join(unknown)}, newer than this "
                f"theratrial knows ({', '.join(sorted(heads))})",
                field="alembic_version",
                hint="upgrade theratrial to the version that wrote this database",
            )
        if not current:
            present = set(inspect(conn).get_table_names())
            ours = [t.name for t in Base.metadata.sorted_tables if t.name in present]
            if ours:
                _refuse_half_migrated(engine, conn, ours)
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn = conn.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})
        with conn.begin():
            if engine.dialect.name == "postgresql":
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")
            config.attributes["connection"] = conn
            try:
                command.upgrade(config, "heads")
            except CommandError as exc:
                raise StoreError(
                    f"cannot migrate {_where(engine)}: {exc}",
                    field="alembic_version",
                    hint="upgrade theratrial to the version that wrote this database",
                ) from exc


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A transactional session: committed on success, rolled back on any error.

    Database errors are re-raised as :class:`StoreError`; nothing is half-written.

    On SQLite the transaction starts with ``BEGIN IMMEDIATE``: it takes the write lock
    up front and waits for it (the driver's busy timeout) instead of reading under a
    shared lock and then failing at once with "database is locked" when another process
    (a Dask worker storing a job's progress) writes at the same time; SQLite refuses
    to upgrade a reader's lock while another writer waits, without calling the busy
    handler ("Locking and concurrency in SQLite 3", section 7).
    """
    bind = engine
    if engine.dialect.driver == "pysqlite":
        bind = engine.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})
    factory = sessionmaker(bind=bind, expire_on_commit=False)
    session = factory()
    try:
        yield session
        session.commit()
    except SQLAlchemyError as exc:
        session.rollback()
        raise StoreError(
            f"database write failed and was rolled back: {exc.__class__.__name__}",
            hint="nothing was stored; fix the input and run again",
        ) from exc
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
