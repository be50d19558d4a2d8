"""Connecting to the database and bringing its schema up to date (Alembic).

The URL comes from, in order: an explicit argument (the CLI's ``--db``), the environment
variable ``THERATRIAL_DATABASE_URL``, else an SQLite file ``theratrial.sqlite`` in the
working directory. Any SQLAlchemy URL works; PostgreSQL via ``postgresql+psycopg://``.
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
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from theratrial.errors import StoreError

__all__ = ["DEFAULT_SQLITE", "connect", "database_url", "migrate", "session_scope"]

DEFAULT_SQLITE = "theratrial.sqlite"
ENV_VAR = "THERATRIAL_DATABASE_URL"


def database_url(explicit: str | None = None) -> str:
    """The database URL to use (see the module docstring for the order).

    A bare file path is taken as an SQLite file.
    """
    url = explicit or os.environ.get(ENV_VAR) or f"sqlite:///{DEFAULT_SQLITE}"
    if "://" not in url:
        url = f"sqlite:///{Path(url)}"
    return url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def connect(url: str | None = None, *, upgrade: bool = True) -> Engine:
    """An engine for ``url`` with the schema migrated to the newest version.

    Raises
    ------
    StoreError
        When the database cannot be reached or migrated; the message names the URL
        without its password.
    """
    resolved = database_url(url)
    safe = make_url(resolved).render_as_string(hide_password=True)
    try:
        engine = create_engine(resolved, future=True)
    except (SQLAlchemyError, ImportError, ValueError) as exc:
        raise StoreError(
            f"cannot use database {safe}: {exc}",
            field="--db",
            hint="give an SQLAlchemy URL such as sqlite:///trial.sqlite",
        ) from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        db_path = make_url(resolved).database
        if db_path and db_path != ":memory:":
            Path(db_path).parent.mkdir(parents=True, exist_ok=True)
    if upgrade:
        try:
            migrate(engine)
        except SQLAlchemyError as exc:
            engine.dispose()
            raise StoreError(
                f"cannot open or migrate database {safe}: {exc.__class__.__name__}: "
                f"{str(exc).splitlines()[0]}",
                field="--db",
                hint="check that the server runs and the URL is right",
            ) from exc
    return engine


def migrate(engine: Engine) -> None:
    """Apply every Alembic migration not yet applied (``upgrade heads``)."""
    config = Config()
    config.set_main_option(
        "script_location", str(resources.files("theratrial.store") / "migrations")
    )
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "heads")


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A transactional session: committed on success, rolled back on any error.

    Database errors are re-raised as :class:`StoreError`; nothing is half-written.
    """
    factory = sessionmaker(bind=engine, expire_on_commit=False)
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
