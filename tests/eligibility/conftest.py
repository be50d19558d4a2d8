"""Builders for the eligibility tests: a reference patient and one-rule protocols.

The reference patient meets every criterion of NCT06732505 ([225Ac]Ac-DOTATATE); each test
changes the one fact it is about, so that the criterion under test is the only one that
moves.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from theratrial.eligibility import CriterionResult, Patient, screen
from theratrial.protocol import Protocol, find_protocol

SCREENING = date(2026, 3, 2)
TREATMENT = date(2026, 3, 16)


def days_before(days: int, ref: date = SCREENING) -> date:
    """The date ``days`` days before ``ref`` (the screening date by default)."""
    return ref - timedelta(days=days)


def _lab(name: str, value: float, unit: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "value": value, "unit": unit, "date": days_before(3), **extra}


_REFERENCE: dict[str, Any] = {
    "patient_id": "TEST-001",
    "screening_date": SCREENING,
    "planned_treatment_date": TREATMENT,
    "demographics": {
        "birth_date": date(1966, 1, 15),  # 60 at screening
        "sex": "male",
        "weight_kg": 75.0,
        "height_cm": 175.0,
    },
    "ecog": 0,
    "life_expectancy_weeks": 52,
    "diagnosis": {
        "histology": "NET",
        "histology_confirmed": True,
        "grade": "G2",
        "ki67_pct": 10,
        "primary_site": "pancreas",
        "extent": "metastatic",
        "resectable": False,
    },
    "consent": {"signed": True, "date": SCREENING},
    "labs": [
        _lab("creatinine", 0.9, "mg/dL", ref_high=1.2),
        _lab("haemoglobin", 13.0, "g/dL"),
        _lab("neutrophils", 3.0, "10^9/L"),
        _lab("platelets", 200.0, "10^9/L"),
        _lab("bilirubin_total", 0.6, "mg/dL", ref_high=1.2),
        _lab("albumin", 40.0, "g/L"),
        _lab("alt", 30.0, "U/L", ref_high=40.0),
        _lab("ast", 30.0, "U/L", ref_high=40.0),
        _lab("aptt", 30.0, "s", ref_high=40.0),
        _lab("glucose_fasting", 5.0, "mmol/L", ref_high=6.1),
    ],
    "imaging": [
        {
            "modality": "PET/CT",
            "tracer": "68Ga-DOTATATE",
            "date": days_before(14),
            "findings": {"sstr_positive": True},
        },
        {"modality": "CT", "date": days_before(13)},
    ],
    "lesions": [
        {
            "id": "L1",
            "site": "liver",
            "long_axis_mm": 30.0,
            "modality": "CT",
            "date": days_before(13),
        }
    ],
    "therapies": [
        {
            "category": "ssa_lar",
            "start_date": date(2024, 1, 1),
            "end_date": date(2025, 12, 1),
            "progression_on_therapy": True,
        }
    ],
    "flags": {"childbearing_potential": False},
    "attestations": {"EX16": True, "EX17": True, "EX18": True},
}


class PatientBuilder:
    """A mutable copy of the reference record with small, chainable edits."""

    screening = SCREENING
    treatment = TREATMENT
    before = staticmethod(days_before)

    def __init__(self) -> None:
        self.record: dict[str, Any] = copy.deepcopy(_REFERENCE)

    def set(self, dotted: str, value: Any) -> PatientBuilder:
        """Set a field by dotted path (``demographics.weight_kg``); ``None`` removes it."""
        *parents, last = dotted.split(".")
        node = self.record
        for key in parents:
            node = node.setdefault(key, {})
        if value is None:
            node.pop(last, None)
        else:
            node[last] = value
        return self

    def lab(
        self,
        name: str,
        value: float,
        unit: str,
        *,
        ref_high: float | None = None,
        ref_low: float | None = None,
        on: date | None = None,
    ) -> PatientBuilder:
        """Replace every result of lab ``name`` by this one (dated 3 days before screening)."""
        self.drop_lab(name)
        entry: dict[str, Any] = {"name": name, "value": value, "unit": unit}
        entry["date"] = on or days_before(3)
        if ref_high is not None:
            entry["ref_high"] = ref_high
        if ref_low is not None:
            entry["ref_low"] = ref_low
        self.record["labs"].append(entry)
        return self

    def drop_lab(self, name: str) -> PatientBuilder:
        self.record["labs"] = [lab for lab in self.record["labs"] if lab["name"] != name]
        return self

    def therapy(self, category: str, **fields: Any) -> PatientBuilder:
        self.record["therapies"].append({"category": category, **fields})
        return self

    def therapies(self, *entries: dict[str, Any]) -> PatientBuilder:
        """Replace the whole therapy history."""
        self.record["therapies"] = list(entries)
        return self

    def condition(self, name: str, **fields: Any) -> PatientBuilder:
        self.record.setdefault("conditions", []).append({"name": name, **fields})
        return self

    def event(self, kind: str, on: date, **fields: Any) -> PatientBuilder:
        self.record.setdefault("events", []).append({"type": kind, "date": on, **fields})
        return self

    def lesions(self, *entries: dict[str, Any]) -> PatientBuilder:
        """Replace the lesion list."""
        self.record["lesions"] = list(entries)
        return self

    def imaging(self, *entries: dict[str, Any]) -> PatientBuilder:
        """Replace the imaging list."""
        self.record["imaging"] = list(entries)
        return self

    def attest(self, criterion: str, answer: bool | None) -> PatientBuilder:
        if answer is None:
            self.record["attestations"].pop(criterion, None)
        else:
            self.record["attestations"][criterion] = answer
        return self

    def build(self) -> Patient:
        return Patient.model_validate(self.record)


@pytest.fixture
def builder() -> PatientBuilder:
    """A fresh copy of the reference patient (eligible for NCT06732505)."""
    return PatientBuilder()


@pytest.fixture(scope="session")
def ac225() -> Protocol:
    return find_protocol("NCT06732505")


@pytest.fixture(scope="session")
def bordet() -> Protocol:
    return find_protocol("NCT01842165")


@pytest.fixture(scope="session")
def pentixafor() -> Protocol:
    return find_protocol("NCT03335670")


def one_rule_protocol(rule: dict[str, Any], *, lab_max_age_days: int = 28) -> Protocol:
    """A diagnostic protocol with the single criterion ``C1`` whose rule is ``rule``."""
    return Protocol.model_validate(
        {
            "schema_version": 1,
            "id": "TEST-RULE",
            "registry_ids": ["TEST-RULE"],
            "title": "One-rule protocol",
            "short_title": "one rule",
            "sponsor": "tests",
            "phase": "1",
            "radiopharmaceuticals": [{"name": "x", "nuclide": "Ga-68", "role": "diagnostic"}],
            "lab_max_age_days": lab_max_age_days,
            "criteria": [
                {
                    "id": "C1",
                    "section": "inclusion",
                    "label": "rule under test",
                    "source": "tests",
                    "rule": rule,
                }
            ],
        }
    )


RuleCheck = Callable[..., CriterionResult]


@pytest.fixture
def check_rule() -> RuleCheck:
    """``check_rule(rule_dict, patient, lab_max_age_days=28)`` -> the criterion result."""

    def run(rule: dict[str, Any], patient: Patient, *, lab_max_age_days: int = 28) -> Any:
        protocol = one_rule_protocol(rule, lab_max_age_days=lab_max_age_days)
        return screen(patient, protocol).criteria[0]

    return run


def criterion(patient: Patient, protocol: Protocol, criterion_id: str) -> CriterionResult:
    """The result of one criterion of ``protocol`` for ``patient``."""
    result = screen(patient, protocol)
    return next(c for c in result.criteria if c.id == criterion_id)


@pytest.fixture
def status_of() -> Callable[[Patient, Protocol, str], str]:
    """``status_of(patient, protocol, "IN10a")`` -> the criterion's status value."""

    def run(patient: Patient, protocol: Protocol, criterion_id: str) -> str:
        return criterion(patient, protocol, criterion_id).status.value

    return run
