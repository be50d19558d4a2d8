"""Alembic environment: every pending revision runs in one transaction.

:func:`theratrial.store.db.migrate` passes in a connection already inside a transaction
(``BEGIN IMMEDIATE`` on SQLite, with an advisory lock on PostgreSQL); Alembic then runs
all revisions and the ``alembic_version`` update in it, so an interrupted migration leaves
nothing behind. Run standalone (the ``alembic`` command with ``sqlalchemy.url`` set), the
engine comes from :func:`theratrial.store.db.connect`, which gives SQLite transactional DDL.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from theratrial.store import (  # noqa: F401  (importing registers the tables)
    models_batch,
    models_clinical,
    models_jobs,
    models_pacs,
    models_records,
    models_service,
)
from theratrial.store.models import Base

config = context.config
target_metadata = Base.metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        transaction_per_migration=False,
        transactional_ddl=True,
    )


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    from theratrial.store.db import connect

    engine = connect(config.get_main_option("sqlalchemy.url"), upgrade=False)
    try:
        with engine.connect() as conn, conn.begin():
            _configure(conn)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


run()
