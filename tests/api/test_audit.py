"""The audit trail: append-only, hash-chained; tampering is found and named by its seq."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import DBAPIError

from theratrial.api import audit
from theratrial.api.audit import (
    GENESIS_HASH,
    canonical_json,
    export_csv,
    list_records,
    record,
    verify_chain,
)
from theratrial.errors import InputError
from theratrial.store import connect, session_scope

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def sqlite_path(tmp_path: Path) -> Path:
    return tmp_path / "audit.sqlite"


@pytest.fixture
def sqlite_engine(sqlite_path: Path) -> Iterator[Engine]:
    engine = connect(f"sqlite:///{sqlite_path}")
    yield engine
    engine.dispose()


@pytest.fixture
def pg_engine(postgres_url: str) -> Iterator[Engine]:
    name = f"aud_{uuid.uuid4().hex[:10]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    engine = connect(postgres_url.rsplit("/", 1)[0] + f"/{name}")
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


def _write(engine: Engine, n: int) -> None:
    with session_scope(engine) as session:
        for i in range(1, n + 1):
            record(
                session,
                actor="coord1",
                action="update",
                entity="cycle",
                entity_id=f"P-{i:03d}/1",
                changes=[("activity_mbq", 7400.0, 7000.0 + i)],
                reason="transcription error",
                at=T0,
            )


def test_public_api_is_pinned() -> None:
    assert sorted(audit.__all__) == sorted(
        [
            "CLINICAL_ENTITIES",
            "CSV_COLUMNS",
            "GENESIS_HASH",
            "AuditView",
            "ChainCheck",
            "as_utc",
            "canonical_json",
            "chain_hash",
            "export_csv",
            "json_data",
            "list_records",
            "record",
            "verify_chain",
        ]
    )


def test_first_record_hash_is_sha256_of_genesis_plus_canonical_json(sqlite_engine: Engine) -> None:
    with session_scope(sqlite_engine) as session:
        seq = record(
            session,
            actor="alice",
            action="create",
            entity="patient",
            entity_id="NET-001",
            changes=[("site", None, "S1")],
            at=T0,
        )
    assert seq == 1
    fields = {
        "seq": 1,
        "at": "2026-12-01T09:00:00.000000+00:00",
        "actor": "alice",
        "action": "create",
        "entity": "patient",
        "entity_id": "NET-001",
        "changes": [["site", None, "S1"]],
        "reason": None,
    }
    body = json.dumps(fields, sort_keys=True, separators=(",", ":"))
    expected = hashlib.sha256((GENESIS_HASH + body).encode()).hexdigest()
    with session_scope(sqlite_engine) as session:
        [view] = list_records(session)
    assert view.hash == expected
    assert (view.user, view.action, view.entity, view.field, view.at) == (
        "alice",
        "create",
        "patient",
        "site",
        T0,
    )


def test_values_are_stored_as_json(sqlite_engine: Engine) -> None:
    with session_scope(sqlite_engine) as session:
        record(
            session,
            actor="alice",
            action="create",
            entity="enrolment",
            entity_id="E-1",
            changes=[("consent_date", None, date(2026, 11, 30)), ("cohorts", None, ("A", 2))],
        )
        with pytest.raises(InputError) as info:
            record(
                session,
                actor="a",
                action="create",
                entity="x",
                entity_id="1",
                changes=[("dose_gy", None, float("nan"))],
            )
        assert info.value.field == "dose_gy"
    with session_scope(sqlite_engine) as session:
        [view] = list_records(session)
        assert view.changes == (("consent_date", None, "2026-11-30"), ("cohorts", None, ["A", 2]))
        assert verify_chain(session).ok


@pytest.mark.parametrize("action", ["update", "delete"])
def test_changing_clinical_data_needs_a_reason(sqlite_engine: Engine, action: str) -> None:
    with pytest.raises(InputError) as info, session_scope(sqlite_engine) as session:
        record(
            session,
            actor="a",
            action=action,
            entity="cycle",
            entity_id="P-1/1",
            changes=[("activity_mbq", 7400.0, 7000.0)],
            reason="  ",
        )
    assert info.value.field == "reason"


def test_a_patient_is_named_by_pseudonym_only(sqlite_engine: Engine) -> None:
    with pytest.raises(InputError) as info, session_scope(sqlite_engine) as session:
        record(session, actor="a", action="create", entity="patient", entity_id="John Smith")
    assert info.value.field == "entity_id"
    assert "John" not in str(info.value)


@pytest.mark.parametrize(
    ("sql", "broken"),
    [
        (
            "update audit_records set changes = '[[\"activity_mbq\",7400.0,9000.0]]' where seq = 4",
            4,
        ),
        ("update audit_records set actor = 'mallory' where seq = 1", 1),
        ("update audit_records set reason = null where seq = 7", 7),
        ("update audit_records set at = '2026-12-02 09:00:00.000000' where seq = 2", 2),
        ("delete from audit_records where seq = 5", 5),
        ("update audit_records set hash = '" + "a" * 64 + "' where seq = 3", 3),
    ],
)
def test_tampering_in_sqlite_is_found_at_its_record(
    sqlite_engine: Engine, sqlite_path: Path, sql: str, broken: int
) -> None:
    _write(sqlite_engine, 8)
    with session_scope(sqlite_engine) as session:
        assert verify_chain(session) == audit.ChainCheck(ok=True, n_records=8, first_broken=None)
    with sqlite3.connect(sqlite_path) as conn:
        conn.execute(sql)
    with session_scope(sqlite_engine) as session:
        check = verify_chain(session)
    assert not check.ok
    assert check.first_broken == broken


def test_a_rehashed_forgery_breaks_the_next_link(sqlite_engine: Engine, sqlite_path: Path) -> None:
    _write(sqlite_engine, 5)
    with session_scope(sqlite_engine) as session:
        rec = list_records(session)[2]
    fields = {
        "seq": 3,
        "at": "2026-12-01T09:00:00.000000+00:00",
        "actor": "mallory",
        "action": rec.action,
        "entity": rec.entity,
        "entity_id": rec.entity_id,
        "changes": [list(c) for c in rec.changes],
        "reason": rec.reason,
    }
    forged = audit.chain_hash(rec.prev_hash, fields)
    with sqlite3.connect(sqlite_path) as conn:
        conn.execute("update audit_records set actor='mallory', hash=? where seq=3", (forged,))
    with session_scope(sqlite_engine) as session:
        assert verify_chain(session).first_broken == 4


def test_export_csv_has_one_row_per_changed_field(sqlite_engine: Engine) -> None:
    _write(sqlite_engine, 2)
    with session_scope(sqlite_engine) as session:
        record(session, actor="alice", action="login", entity="user", entity_id="alice", at=T0)
        buffer = io.StringIO()
        assert export_csv(session, buffer) == 3
    rows = list(csv.DictReader(io.StringIO(buffer.getvalue())))
    assert list(rows[0]) == list(audit.CSV_COLUMNS)
    assert [(r["seq"], r["field"], r["old_value"], r["new_value"]) for r in rows] == [
        ("1", "activity_mbq", "7400.0", "7001.0"),
        ("2", "activity_mbq", "7400.0", "7002.0"),
        ("3", "", "", ""),
    ]
    assert rows[2]["prev_hash"] == rows[1]["hash"]


def test_list_records_pages_and_filters(sqlite_engine: Engine) -> None:
    _write(sqlite_engine, 5)
    with session_scope(sqlite_engine) as session:
        record(session, actor="a", action="login", entity="user", entity_id="a")
        assert [r.seq for r in list_records(session, limit=2, after_seq=2)] == [3, 4]
        assert [r.seq for r in list_records(session, entity="user")] == [6]
        with pytest.raises(InputError):
            list_records(session, limit=0)


def test_canonical_json_sorts_keys_and_keeps_unicode() -> None:
    assert canonical_json({"z": [1, {"b": 2, "a": "µ"}], "a": None}) == (
        '{"a":null,"z":[1,{"a":"µ","b":2}]}'
    )


@pytest.mark.postgres
@pytest.mark.parametrize(
    "sql",
    [
        "update audit_records set actor = 'mallory' where seq = 1",
        "delete from audit_records where seq = 2",
        "truncate audit_records",
    ],
)
def test_postgres_trigger_refuses_update_delete_truncate(pg_engine: Engine, sql: str) -> None:
    _write(pg_engine, 3)
    with pytest.raises(DBAPIError, match="append-only"), pg_engine.begin() as conn:
        conn.execute(text(sql))
    with session_scope(pg_engine) as session:
        assert verify_chain(session) == audit.ChainCheck(ok=True, n_records=3, first_broken=None)


@pytest.mark.postgres
def test_postgres_concurrent_writers_extend_one_chain(pg_engine: Engine) -> None:
    errors: list[BaseException] = []

    def writer(k: int) -> None:
        try:
            for i in range(10):
                with session_scope(pg_engine) as session:
                    record(
                        session,
                        actor=f"user{k}",
                        action="create",
                        entity="dlt",
                        entity_id=f"{k}-{i}",
                    )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with session_scope(pg_engine) as session:
        assert verify_chain(session) == audit.ChainCheck(ok=True, n_records=60, first_broken=None)
        ids = {r.entity_id for r in list_records(session, limit=1000)}
    assert len(ids) == 60
