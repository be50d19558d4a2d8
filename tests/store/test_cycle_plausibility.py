"""The store refuses physically implausible cycles and doses; nothing is stored then."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from theratrial.eligibility import Verdict, parse_patient, screen
from theratrial.errors import InputError
from theratrial.protocol import find_protocol
from theratrial.store import connect, count_rows, register_protocol, session_scope
from theratrial.store.clinical import cycles_of, record_cycle, save_dose_results
from theratrial.store.models import PatientRow
from theratrial.store.repository import enrolment_of, save_screening

TODAY = date(2026, 12, 4)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    url = (
        f"sqlite:///{tmp_path / 'p.sqlite'}"
        if request.param == "sqlite"
        else request.getfixturevalue("clean_postgres_url")
    )
    eng = connect(url)
    with session_scope(eng) as session:
        register_protocol(session, find_protocol("NCT01842165"))
        register_protocol(session, find_protocol("NCT06732505"))
    yield eng
    eng.dispose()


def _cycle(engine: Engine, **extra: Any) -> None:
    kwargs: dict[str, Any] = dict(
        patient_id="PL-1",
        trial_id="NCT01842165",
        cycle_number=1,
        nuclide="Lu-177",
        activity_mbq=7400.0,
        administered_at=datetime(2026, 3, 16, 9, tzinfo=UTC),
        today=TODAY,
    )
    kwargs.update(extra)
    doses = kwargs.pop("doses", [])
    with session_scope(engine) as session:
        row = record_cycle(session, **kwargs)
        save_dose_results(session, row, doses)


def _nothing_stored(engine: Engine) -> None:
    with session_scope(engine) as session:
        assert cycles_of(session, patient_id="PL-1", trial_id="NCT01842165") == []
        assert count_rows(session, PatientRow) == 0


@pytest.mark.parametrize(
    ("extra", "field", "needle"),
    [
        ({"activity_mbq": 1e12}, "activity_mbq", "at most 8,140 MBq"),
        ({"administered_at": datetime(2099, 1, 1, tzinfo=UTC)}, "administered_at", "after today"),
        (
            {"trial_id": "NCT06732505", "nuclide": "Ac-225", "activity_mbq": 9.0,
             "weight_kg": 70.0, "dose_level": "DL1"},
            "activity_mbq",
            "90 kBq/kg x 70 kg",
        ),
        ({"doses": [{"region": "kidneys", "dose_gy": 1e308}]}, "[0].dose_gy", "physical ceiling"),
        (
            {"doses": [{"region": "kidneys", "dose_gy": 3.0, "mass_g": 300.0},
                       {"region": "kidneys_x", "dose_gy": 700.0, "mass_g": 300.0}]},
            "[1].dose_gy",
            "ceiling of 599 Gy",
        ),
    ],
)  # fmt: skip
def test_implausible_cycles_store_nothing(
    engine: Engine, extra: dict[str, Any], field: str, needle: str
) -> None:
    with pytest.raises(InputError) as info:
        _cycle(engine, **extra)
    assert info.value.field == field
    assert needle in str(info.value)
    _nothing_stored(engine)


def test_the_date_is_checked_against_today_and_the_screening(engine: Engine) -> None:
    protocol = find_protocol("NCT01842165")
    record = parse_patient(
        "patient_id: PL-1\nscreening_date: 2026-03-02\n"
        "demographics: {age_years: 64, sex: male, weight_kg: 72, height_cm: 176}\n"
    )
    with session_scope(engine) as session:
        save_screening(
            session, replace(screen(record, protocol), verdict=Verdict.ELIGIBLE), protocol
        )
    with pytest.raises(InputError, match="before the patient's eligible screening") as info:
        _cycle(engine, administered_at=datetime(2026, 2, 20, 9, tzinfo=UTC))
    assert info.value.field == "administered_at"
    with pytest.raises(InputError, match="after today"):  # the as-of date is injectable
        _cycle(engine, today=date(2026, 3, 10))
    _cycle(engine, doses=[{"region": "kidneys", "dose_gy": 3.2, "mass_g": 300.0}])
    with session_scope(engine) as session:
        [cycle] = cycles_of(session, patient_id="PL-1", trial_id="NCT01842165")
        assert cycle.doses[0].dose_gy == pytest.approx(3.2)
        enrolment = enrolment_of(session, patient_id="PL-1", trial_id="NCT01842165")
    assert enrolment.eligible_since == date(2026, 3, 2)
    assert enrolment.cycles_given == (1,)


def test_reading_cycles_never_creates_a_patient(engine: Engine) -> None:
    with session_scope(engine) as session:
        assert cycles_of(session, patient_id="NOBODY", trial_id="NCT01842165") == []
        assert enrolment_of(session, patient_id="NOBODY", trial_id="NCT01842165").enrolled is False
    with session_scope(engine) as session:
        assert count_rows(session, PatientRow) == 0
