"""Screening records of virtual patients validate and screen like real ones."""

from __future__ import annotations

import pytest

from theratrial.eligibility import Patient, screen
from theratrial.phantoms import generate_patient, screening_record
from theratrial.protocol import find_protocol


@pytest.mark.parametrize("seed", [1, 2, 3, 11])
def test_record_is_valid_and_consistent_with_truth(seed: int) -> None:
    truth = generate_patient(seed).truth()
    record = Patient.model_validate(screening_record(truth))
    assert record.patient_id == truth["patient_id"]
    assert record.demographics.weight_kg == truth["patient"]["weight_kg"]
    assert record.diagnosis is not None
    assert record.diagnosis.grade == f"G{truth['patient']['who_grade']}"
    assert {les.id for les in record.lesions} == set(truth["lesions"])
    assert record.screening_date is not None
    assert record.planned_treatment_date is not None
    assert record.screening_date < record.planned_treatment_date
    ki67 = record.diagnosis.ki67_pct
    assert ki67 is not None
    band = {"G1": (0, 3), "G2": (3, 20), "G3": (20, 100)}[record.diagnosis.grade]
    assert band[0] <= ki67 <= band[1]


def test_record_is_deterministic() -> None:
    truth = generate_patient(5).truth()
    assert screening_record(truth) == screening_record(truth)


def test_virtual_patient_screens_without_missing_core_data() -> None:
    record = Patient.model_validate(screening_record(generate_patient(1).truth()))
    result = screen(record, find_protocol("NCT06732505"))
    unknown = [c.id for c in result.criteria if c.status.value == "unknown"]
    assert unknown == []
