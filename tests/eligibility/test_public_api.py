"""The curated export list of the eligibility package and its modules (one test pins it)."""

from __future__ import annotations

import importlib

import pytest

EXPORTS = {
    "theratrial.eligibility": [
        "CriterionResult", "Evidence", "Patient", "Screening", "Status", "Verdict",
        "assign_cohorts", "clinical", "find_trials", "load_patient", "parse_patient", "screen",
        "screen_many", "units",
    ],
    "theratrial.eligibility.patient": [
        "GEP_SITES", "LAB_ALIASES", "SITE_CODE", "SITE_CODE_HINT", "Consent", "Demographics",
        "Diagnosis", "EventRecord", "ImagingStudy",
        "LabResult", "LesionRecord", "MedicalCondition", "Patient", "TherapyRecord",
        "lab_key", "load_patient", "parse_patient",
    ],
    "theratrial.eligibility.units": ["MOLAR_MASS_G_PER_MOL", "convert", "parse_unit",
                                     "same_dimension"],
    "theratrial.eligibility.clinical": [
        "age_years", "bmi_kg_m2", "bsa_m2", "cockcroft_gault_ml_min", "egfr_ckd_epi_2021",
        "uln_multiple",
    ],
    "theratrial.eligibility.screening": [
        "assign_cohorts", "find_trials", "screen", "screen_many", "verdict_of",
    ],
    "theratrial.eligibility.evidence": [
        "CriterionResult", "Evidence", "Outcome", "Screening", "Status", "Verdict",
    ],
}  # fmt: skip


@pytest.mark.parametrize("module_name", EXPORTS)
def test_export_list(module_name: str) -> None:
    module = importlib.import_module(module_name)
    assert module.__all__ == EXPORTS[module_name]
    for name in module.__all__:
        assert hasattr(module, name), name
    assert module.__doc__, f"{module_name} needs a module docstring"


@pytest.mark.parametrize("module_name", ["theratrial.eligibility._context",
                                         "theratrial.eligibility._rules"])  # fmt: skip
def test_private_modules_still_declare_all(module_name: str) -> None:
    assert importlib.import_module(module_name).__all__
