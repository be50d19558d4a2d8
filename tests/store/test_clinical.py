"""Repositories for imaging results, cycles, doses and DLT records (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from theratrial.errors import InputError, StoreError
from theratrial.protocol import find_protocol
from theratrial.store import connect, count_rows, register_protocol, session_scope
from theratrial.store.clinical import (
    VoiRecord,
    add_dlt,
    cycles_of,
    dlt_counts,
    record_cycle,
    save_dose_results,
    save_series_vois,
    save_time_activity,
)
from theratrial.store.models_clinical import MeasurementRow, VoiRow


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    url = (
        f"sqlite:///{tmp_path / 'c.sqlite'}"
        if request.param == "sqlite"
        else request.getfixturevalue("clean_postgres_url")
    )
    eng = connect(url)
    with session_scope(eng) as session:
        register_protocol(session, find_protocol("NCT01842165"))
        register_protocol(session, find_protocol("NCT06732505"))
    yield eng
    eng.dispose()


def _vois() -> list[VoiRecord]:
    return [
        VoiRecord("liver", "organ", "masks/liver.nii.gz", {"suv_mean": (5.1, "g/mL")}),
        VoiRecord(
            "lesion_liver_01",
            "lesion",
            None,
            {"suv_max": (22.0, "g/mL"), "volume_ml": (12.5, "mL")},
        ),
    ]


def test_series_vois_round_trip_and_replace(engine: Engine) -> None:
    kwargs = dict(
        patient_id="VP-1",
        study_uid="1.2.3",
        study_date=date(2026, 1, 5),
        series_uid="1.2.3.4",
        modality="PT",
        units="g/mL",
        quantity="SUVbw",
        conventions=["dose decay-corrected to SeriesTime"],
    )
    with session_scope(engine) as session:
        save_series_vois(session, vois=_vois(), **kwargs)  # type: ignore[arg-type]
    with session_scope(engine) as session:  # storing again replaces, never duplicates
        save_series_vois(session, vois=_vois()[:1], **kwargs)  # type: ignore[arg-type]
    with session_scope(engine) as session:
        assert count_rows(session, VoiRow) == 1
        assert count_rows(session, MeasurementRow) == 1


def test_cycles_doses_and_time_activity(engine: Engine) -> None:
    with session_scope(engine) as session:
        c1 = record_cycle(
            session,
            patient_id="VP-2",
            trial_id="NCT01842165",
            cycle_number=1,
            nuclide="Lu-177",
            activity_mbq=7400.0,
            administered_at=datetime(2026, 1, 5, 9, tzinfo=UTC),
        )
        save_time_activity(session, c1, [("kidneys", 24.0, 80.0), ("kidneys", 96.0, 30.0)])
        save_dose_results(
            session,
            c1,
            [
                {
                    "region": "kidneys",
                    "model": "mono-exponential",
                    "parameters": {"lambda_per_h": 0.014},
                    "tia_mbq_h": 5000.0,
                    "dose_gy": 3.1,
                    "bed_gy": 3.6,
                    "warnings": [],
                }
            ],
        )
    with session_scope(engine) as session:
        cycles = cycles_of(session, patient_id="VP-2", trial_id="NCT01842165")
        assert [c.cycle_number for c in cycles] == [1]
        assert cycles[0].doses[0].dose_gy == pytest.approx(3.1)
        assert len(cycles[0].tac) == 2


def test_bad_cycle_input(engine: Engine) -> None:
    with pytest.raises(InputError, match="positive"), session_scope(engine) as session:
        record_cycle(
            session,
            patient_id="VP-3",
            trial_id="NCT01842165",
            cycle_number=1,
            nuclide="Lu-177",
            activity_mbq=0.0,
        )
    with pytest.raises(InputError, match="not in the database"), session_scope(engine) as session:
        record_cycle(
            session,
            patient_id="VP-3",
            trial_id="NCT99999999",
            cycle_number=1,
            nuclide="Lu-177",
            activity_mbq=7400.0,
        )


def test_duplicate_dose_region_rolls_back(engine: Engine) -> None:
    def store_twice() -> None:
        with session_scope(engine) as session:
            c = record_cycle(
                session,
                patient_id="VP-4",
                trial_id="NCT01842165",
                cycle_number=1,
                nuclide="Lu-177",
                activity_mbq=7400.0,
            )
            save_dose_results(session, c, [{"region": "kidneys"}, {"region": "kidneys"}])

    with pytest.raises(StoreError):
        store_twice()
    with session_scope(engine) as session:
        assert cycles_of(session, patient_id="VP-4", trial_id="NCT01842165") == []


def test_dlt_counts_per_cohort_and_level(engine: Engine) -> None:
    with session_scope(engine) as session:
        for pid, level, dlt in [
            ("A1", "DL1", False),
            ("A2", "DL1", True),
            ("A3", "DL1", False),
            ("B1", "DL2", False),
        ]:
            add_dlt(
                session,
                patient_id=pid,
                trial_id="NCT06732505",
                cohort_id="escalation-prrt-naive",
                cycle=1,
                dose_level=level,
                dlt=dlt,
                grade=3 if dlt else None,
            )
        # a second cycle with a DLT for A1: the patient counts once, now with a DLT
        add_dlt(
            session,
            patient_id="A1",
            trial_id="NCT06732505",
            cohort_id="escalation-prrt-naive",
            cycle=2,
            dose_level="DL1",
            dlt=True,
        )
        # a DLT outside the window does not count
        add_dlt(
            session,
            patient_id="B1",
            trial_id="NCT06732505",
            cohort_id="escalation-prrt-naive",
            cycle=2,
            dose_level="DL2",
            dlt=True,
            within_dlt_window=False,
        )
    with session_scope(engine) as session:
        counts = {(c.dose_level): (c.n, c.dlt) for c in dlt_counts(session, trial_id="NCT06732505")}
    assert counts == {"DL1": (3, 2), "DL2": (1, 0)}


def test_quantification_of_real_pet_is_stored(engine: Engine, shared_data: Path) -> None:
    from theratrial.imaging import quantify_study
    from theratrial.imaging.study import pick_quantitative_series
    from theratrial.store.imaging_results import save_quantification

    folder = shared_data / "sts-petct" / "STS_001" / "PET" / "dicom"
    result = quantify_study(pick_quantitative_series(folder / "image"), folder / "mask")
    with session_scope(engine) as session:
        save_quantification(session, result, patient_id="STS-001")
    with session_scope(engine) as session:
        voi = session.query(VoiRow).one()
        values = {m.quantity: (m.value, m.unit) for m in voi.measurements}
    assert values["max"][0] == pytest.approx(7.911, abs=1e-3)
    assert values["max"][1] == "g/mL"
    assert values["volume_ml"][1] == "mL"


@pytest.mark.parametrize(
    ("record", "field"),
    [
        ({"region": "kidneys", "dose_gy": -1.0}, "dose_gy"),
        ({"region": "kidneys", "dose_gy": "high"}, "dose_gy"),
        ({"region": "kidneys", "dose_gy": 1.0, "alpha_beta_gy": 0.0}, "alpha_beta_gy"),
        ({"region": "kidneys", "dose_gy": float("nan")}, "dose_gy"),
    ],
)
def test_unphysical_dose_records_store_nothing(engine: Engine, record: dict, field: str) -> None:  # type: ignore[type-arg]
    def store() -> None:
        with session_scope(engine) as session:
            c = record_cycle(
                session,
                patient_id="VP-9",
                trial_id="NCT01842165",
                cycle_number=1,
                nuclide="Lu-177",
                activity_mbq=7400.0,
            )
            save_dose_results(session, c, [record])

    with pytest.raises(InputError, match=field):
        store()
    with session_scope(engine) as session:
        assert cycles_of(session, patient_id="VP-9", trial_id="NCT01842165") == []


def test_dlt_and_cycle_fields_are_checked(engine: Engine) -> None:
    with pytest.raises(InputError, match="grade"), session_scope(engine) as session:
        add_dlt(
            session,
            patient_id="A9",
            trial_id="NCT06732505",
            cohort_id="escalation-prrt-naive",
            cycle=1,
            dose_level="DL1",
            dlt=True,
            grade=7,
        )
    with pytest.raises(InputError, match="cycle"), session_scope(engine) as session:
        record_cycle(
            session,
            patient_id="A9",
            trial_id="NCT01842165",
            cycle_number=0,
            nuclide="Lu-177",
            activity_mbq=7400.0,
        )
    with pytest.raises(InputError, match="weight"), session_scope(engine) as session:
        record_cycle(
            session,
            patient_id="A9",
            trial_id="NCT01842165",
            cycle_number=1,
            nuclide="Lu-177",
            activity_mbq=7400.0,
            weight_kg=-70.0,
        )


def _dlt_values(pid: str, dlt: bool, line: int) -> dict[str, object]:
    return {
        "patient_id": pid,
        "cohort_id": "escalation-prrt-naive",
        "cycle": 1,
        "dose_level": "DL1",
        "dlt": dlt,
        "event": "neutropenia" if dlt else None,
        "grade": 4 if dlt else None,
        "line": line,
    }


def test_add_dlts_refuses_duplicates_and_stores_nothing(engine: Engine) -> None:
    from theratrial.store.dlt import add_dlts

    with pytest.raises(InputError, match="contradicts row 2") as err, session_scope(engine) as s:
        add_dlts(
            s,
            trial_id="NCT06732505",
            records=[
                _dlt_values("D1", False, 2),
                _dlt_values("D2", False, 3),
                _dlt_values("D1", True, 4),
            ],
        )
    assert err.value.line == 4
    with session_scope(engine) as session:
        assert dlt_counts(session, trial_id="NCT06732505") == []


def test_add_dlts_corrects_a_stored_record_and_keeps_the_history(engine: Engine) -> None:
    from theratrial.store.dlt import add_dlts, dlt_rows

    with session_scope(engine) as s:
        done = add_dlts(s, trial_id="NCT06732505", records=[_dlt_values("D1", False, 2)])
    assert done.inserted == 1
    with pytest.raises(InputError, match="already stored"), session_scope(engine) as s:
        add_dlts(s, trial_id="NCT06732505", records=[_dlt_values("D1", False, 2)])
    with pytest.raises(InputError, match="reason"), session_scope(engine) as s:
        add_dlts(s, trial_id="NCT06732505", records=[_dlt_values("D1", True, 2)], correct=True)
    with session_scope(engine) as s:
        done = add_dlts(
            s,
            trial_id="NCT06732505",
            records=[_dlt_values("D1", True, 2)],
            correct=True,
            reason="late lab result",
        )
    assert (done.inserted, done.corrected) == (0, 1)
    with session_scope(engine) as s:
        rows = dlt_rows(s, trial_id="NCT06732505")
        assert len(rows) == 1
        row = rows[0][1]
        assert row.dlt is True
        assert row.correction_reason == "late lab result"
        assert row.corrections is not None
        assert row.corrections[0]["previous"]["dlt"] is False
        assert dlt_counts(s, trial_id="NCT06732505")[0].n == 1
