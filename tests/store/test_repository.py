"""The store against a real SQLite file and a real PostgreSQL server."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect

from theratrial.eligibility import Screening, parse_patient, screen
from theratrial.errors import StoreError
from theratrial.protocol import bundled_protocols, find_protocol
from theratrial.store import (
    connect,
    count_rows,
    register_protocol,
    save_screenings,
    screening_summary,
    session_scope,
)
from theratrial.store.models import (
    CriterionResultRow,
    PatientRow,
    ProtocolVersionRow,
    ScreeningRow,
)

PATIENT = """
patient_id: STORE-001
screening_date: 2026-03-02
demographics: {age_years: 64, sex: male, weight_kg: 72, height_cm: 176}
ecog: 1
diagnosis: {histology: NET, grade: G2, ki67_pct: 8, primary_site: ileum,
            histology_confirmed: true, extent: metastatic, resectable: false}
labs:
  - {name: creatinine, value: 1.0, unit: mg/dL, ref_high: 1.2, date: 2026-02-25}
"""


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        eng = connect(f"sqlite:///{tmp_path / 'store.sqlite'}")
    else:
        eng = connect(request.getfixturevalue("clean_postgres_url"))  # a clean store
    yield eng
    eng.dispose()


def _screenings() -> list[Screening]:
    patient = parse_patient(PATIENT)
    return [screen(patient, p) for p in bundled_protocols()]


def test_migration_creates_every_table(engine: Engine) -> None:
    names = set(inspect(engine).get_table_names())
    assert {
        "trials",
        "protocol_versions",
        "sites",
        "patients",
        "screenings",
        "criterion_results",
        "alembic_version",
    } <= names


def test_screenings_round_trip(engine: Engine) -> None:
    results = _screenings()
    with session_scope(engine) as session:
        save_screenings(session, results, bundled_protocols(), sites={"STORE-001": "BRU"})
    with session_scope(engine) as session:
        assert count_rows(session, PatientRow) == 1
        assert count_rows(session, ScreeningRow) == 3
        n_criteria = sum(len(s.criteria) for s in results)
        assert count_rows(session, CriterionResultRow) == n_criteria
        summary = screening_summary(session)
        assert sorted(t for t, _, _ in summary) == sorted(p.id for p in bundled_protocols())
        row = session.query(ScreeningRow).filter_by(verdict=results[0].verdict.value).first()
        assert row is not None
        assert row.criteria[0].evidence is not None
        assert row.screening_date == dt.date(2026, 3, 2)


def test_protocol_versions_are_stored_once(engine: Engine) -> None:
    protocol = find_protocol("NCT06732505")
    with session_scope(engine) as session:
        first = register_protocol(session, protocol)
        again = register_protocol(session, protocol)
        assert first.id == again.id
        assert count_rows(session, ProtocolVersionRow) == 1
        assert first.content["id"] == "NCT06732505"


def test_failed_import_leaves_nothing_half_written(engine: Engine) -> None:
    results = _screenings()
    protocols = bundled_protocols()
    with session_scope(engine) as session:
        save_screenings(session, results[:1], protocols)

    def import_with_a_duplicate() -> None:
        with session_scope(engine) as session:
            save_screenings(session, results[1:], protocols)
            # a duplicate pseudonym violates the unique constraint mid-import
            session.add(PatientRow(pseudonym="STORE-001"))
            session.flush()

    with pytest.raises(StoreError):
        import_with_a_duplicate()
    with session_scope(engine) as session:
        assert count_rows(session, ScreeningRow) == 1
        assert count_rows(session, PatientRow) == 1


def test_non_database_error_also_rolls_back(engine: Engine) -> None:
    results = _screenings()

    def import_then_fail() -> None:
        with session_scope(engine) as session:
            save_screenings(session, results[:1], bundled_protocols())
            save_screenings(session, results[1:], [])  # unknown protocol -> KeyError

    with pytest.raises(KeyError):
        import_then_fail()
    with session_scope(engine) as session:
        assert count_rows(session, ScreeningRow) == 0


def test_unreachable_database_is_a_clear_error(tmp_path: Path) -> None:
    # the server cannot be reached: the fix is about the server, not the schema
    with pytest.raises(StoreError, match="cannot open database") as info:
        connect("postgresql+psycopg://nobody:secret@127.0.0.1:1/none")
    assert "server runs" in str(info.value)


def test_password_is_not_shown(tmp_path: Path) -> None:
    with pytest.raises(StoreError) as info:
        connect("postgresql+psycopg://nobody:secret@127.0.0.1:1/none")
    assert "secret" not in str(info.value)


@pytest.mark.parametrize("bad", ["John Smith", "", "x" * 65, "a/b"])
def test_store_refuses_non_pseudonyms(tmp_path: Path, bad: str) -> None:
    from theratrial.errors import InputError
    from theratrial.store import get_or_create_patient

    eng = connect(f"sqlite:///{tmp_path / 's.sqlite'}")
    with pytest.raises(InputError, match="pseudonym"), session_scope(eng) as session:
        get_or_create_patient(session, bad)
    eng.dispose()
