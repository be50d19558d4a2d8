"""Migrations are all-or-nothing, and a half-made schema gets a message that fits it.

The issue: a ``theratrial`` killed during the first migration of a new SQLite file left
half the tables and an empty ``alembic_version``; every later command then failed with
"table sites already exists (fix: check that the server runs...)".
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from typer.testing import CliRunner

from theratrial.cli.main import app
from theratrial.errors import StoreError
from theratrial.store import connect, models_clinical
from theratrial.store.models import Base

runner = CliRunner()
THERATRIAL = str(Path(sys.executable).with_name("theratrial"))
OURS = {t.name for t in Base.metadata.sorted_tables}
assert models_clinical  # registers the clinical tables in Base.metadata


def _heads() -> set[str]:
    config = Config()
    config.set_main_option(
        "script_location", str(resources.files("theratrial.store") / "migrations")
    )
    return set(ScriptDirectory.from_config(config).get_heads())


def _record(db: str) -> list[str]:
    """The exact command of the workflow: record a cycle (works on any migrated store)."""
    return ["cycle", "record", "--patient", "M-1", "--trial", "NCT01842165", "--cycle", "1",
            "--activity-mbq", "7400", "--db", db]  # fmt: skip


def _sqlite_state(db: Path) -> str:
    """'empty', 'migrated' or a description of a half-made schema."""
    with sqlite3.connect(db) as conn:  # rolls back a hot journal left by the kill
        tables = {r[0] for r in conn.execute("select name from sqlite_master where type='table'")}
        versions = (
            {r[0] for r in conn.execute("select version_num from alembic_version")}
            if "alembic_version" in tables
            else set()
        )
    if not tables:
        return "empty"
    if tables >= OURS and versions == _heads():
        return "migrated"
    return f"half-made: tables {sorted(tables)}, versions {sorted(versions)}"


def test_sqlite_ddl_is_transactional(tmp_path: Path) -> None:
    # pysqlite commits by itself before DDL; the engine must hand that control to BEGIN
    engine = connect(str(tmp_path / "t.sqlite"))
    with engine.connect() as conn:
        transaction = conn.begin()
        conn.exec_driver_sql("CREATE TABLE probe (x INTEGER)")
        transaction.rollback()  # as a killed process's transaction is
    assert "probe" not in inspect(engine).get_table_names()
    engine.dispose()


def _kill_during_first_migration(db: Path, trigger: Callable[[], bool], delay_s: float) -> bool:
    """Start ``theratrial`` on a new file, SIGKILL it once ``trigger()`` holds (+ delay).

    Returns whether the process was still running when it was killed.
    """
    proc = subprocess.Popen(
        [THERATRIAL, *_record(str(db))], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 120
        while proc.poll() is None and not trigger() and time.monotonic() < deadline:
            time.sleep(0.0002)
        if delay_s:
            time.sleep(delay_s)
        alive = proc.poll() is None
        if alive:
            os.kill(proc.pid, signal.SIGKILL)
        return alive
    finally:
        proc.wait(timeout=60)


@pytest.mark.slow
def test_a_killed_first_migration_leaves_an_empty_or_a_migrated_file(tmp_path: Path) -> None:
    runs: list[tuple[str, bool, str]] = []

    def journal(db: Path) -> Callable[[], bool]:
        return lambda: db.with_name(db.name + "-journal").exists()

    def first_table(db: Path) -> Callable[[], bool]:
        def seen() -> bool:
            if not db.exists():
                return False
            try:
                with sqlite3.connect(db, timeout=0.01) as conn:
                    names = conn.execute("select name from sqlite_master where type='table'")
                    return any(n in OURS for (n,) in names)
            except sqlite3.OperationalError:
                return False

        return seen

    plan = [("journal", 0.0), ("journal", 0.003), ("journal", 0.01), ("first table", 0.0)]
    for i, (kind, delay) in enumerate(plan):
        db = tmp_path / f"new-{i}.sqlite"
        trigger = journal(db) if kind == "journal" else first_table(db)
        alive = _kill_during_first_migration(db, trigger, delay)
        runs.append((f"{kind}+{delay * 1000:g} ms", alive, _sqlite_state(db)))
        connect(str(db)).dispose()  # the next command migrates the file ...
        assert _sqlite_state(db) == "migrated"
    assert all(state in ("empty", "migrated") for _, _, state in runs), runs
    assert any(alive and state == "empty" for _, alive, state in runs), runs  # killed mid-way
    result = runner.invoke(app, _record(str(tmp_path / "new-0.sqlite")))  # ... and works
    assert result.exit_code == 0, result.output


def _half_made(db: Path, *, rows: bool) -> None:
    """A file as an older theratrial left it: some tables, an empty alembic_version."""
    engine = create_engine(f"sqlite:///{db}")
    some = [Base.metadata.tables[name] for name in ("trials", "sites", "protocol_versions")]
    Base.metadata.create_all(engine, tables=some)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        if rows:
            conn.execute(text("INSERT INTO sites (code) VALUES ('BRU')"))
    engine.dispose()


def test_a_half_migrated_file_gets_a_message_that_fits_the_cause(tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite"
    _half_made(db, rows=False)
    result = runner.invoke(app, _record(str(db)))
    assert result.exit_code == 2
    out = " ".join(result.output.split())
    assert "already exists" not in out
    assert "server" not in out
    assert "field 'alembic_version'" in out
    assert "stopped during its first migration" in out
    assert f"hold no data: delete the file {db}" in out
    db.unlink()
    assert runner.invoke(app, _record(str(db))).exit_code == 0  # the fix it gave works


def test_a_half_migrated_file_with_data_is_never_to_be_deleted(tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite"
    _half_made(db, rows=True)
    with pytest.raises(StoreError) as info:
        connect(str(db))
    assert "hold 1 rows: keep a copy" in str(info.value)
    assert "delete" not in str(info.value)


def test_a_database_from_a_newer_version_is_named_so(tmp_path: Path) -> None:
    db = tmp_path / "new.sqlite"
    connect(str(db)).dispose()
    with sqlite3.connect(db) as conn:
        conn.execute("update alembic_version set version_num = '9999'")
    result = runner.invoke(app, _record(str(db)))
    assert result.exit_code == 2
    assert "revision 9999, newer than this theratrial knows" in " ".join(result.output.split())


# -- PostgreSQL: the same guarantees on a fresh database of the test server -------------


@pytest.fixture
def fresh_postgres(postgres_url: str) -> Iterator[str]:
    name = f"mig_{uuid.uuid4().hex[:10]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    try:
        yield postgres_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


@pytest.mark.postgres
@pytest.mark.slow
def test_postgres_killed_migration_leaves_nothing(fresh_postgres: str) -> None:
    watcher = create_engine(fresh_postgres, isolation_level="AUTOCOMMIT")
    name = fresh_postgres.rsplit("/", 1)[1]
    with watcher.connect() as conn:

        def migrating() -> bool:  # the migration holds its advisory lock
            return bool(
                conn.scalar(text("select count(*) from pg_locks where locktype = 'advisory'"))
            )

        proc = subprocess.Popen(
            [THERATRIAL, *_record(fresh_postgres)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 120
        while proc.poll() is None and not migrating() and time.monotonic() < deadline:
            pass
        alive = proc.poll() is None
        if alive:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        assert alive, "the migration ended before it could be killed"
        query = (
            "select count(*) from pg_stat_activity where datname = :n and pid <> pg_backend_pid()"
        )
        while conn.scalar(text(query), {"n": name}) and time.monotonic() < deadline:
            time.sleep(0.05)  # the server notices the dead client and rolls back
        tables = set(inspect(conn).get_table_names())
    watcher.dispose()
    assert tables == set()
    result = runner.invoke(app, _record(fresh_postgres))
    assert result.exit_code == 0, result.output


@pytest.mark.postgres
def test_postgres_half_made_schema_gets_a_message_that_fits(fresh_postgres: str) -> None:
    engine = create_engine(fresh_postgres)
    Base.metadata.create_all(engine, tables=Base.metadata.sorted_tables[:2])
    engine.dispose()
    result = runner.invoke(app, _record(fresh_postgres))
    assert result.exit_code == 2
    out = " ".join(result.output.split())
    assert "stopped during its first migration" in out
    assert "hold no data: drop them" in out
