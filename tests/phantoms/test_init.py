"""The public API of theratrial.phantoms is pinned."""

from __future__ import annotations

import theratrial.phantoms as phantoms

EXPORTS = {
    "DEFAULT_UPTAKE",
    "TRUTH_SCHEMA",
    "BodyOutline",
    "Cohort",
    "DoseModel",
    "Ellipsoid",
    "Grid",
    "GridConfig",
    "Injection",
    "Kinetics",
    "LesionConfig",
    "LesionFeatures",
    "LesionRecord",
    "LesionResponse",
    "LogNormal",
    "PatientFiles",
    "PetConfig",
    "PhantomConfig",
    "Region",
    "RegionTruth",
    "RegionUptakeModel",
    "ResponseModel",
    "RetestConfig",
    "ScanPlan",
    "ScannerConfig",
    "TherapyConfig",
    "Uniform",
    "VirtualPatient",
    "biological_half_life_h",
    "cohort_member_seed",
    "dose_model",
    "effective_half_life_h",
    "gaussian_psf",
    "generate_cohort",
    "generate_patient",
    "lesion_table",
    "load_truth",
    "patient_truth",
    "poisson_noise",
    "screening_record",
    "sphere_centre_recovery",
    "spect_series_name",
    "time_activity_mbq",
    "time_integrated_activity_mbq_h",
    "write_lesion_table",
    "write_patient",
}


def test_export_list_is_pinned() -> None:
    assert set(phantoms.__all__) == EXPORTS
    for name in EXPORTS:
        assert hasattr(phantoms, name)


def test_the_documented_layout_is_in_the_docstring() -> None:
    doc = phantoms.__doc__ or ""
    for item in ("truth.json", "dicom/", "spect_c1_004h", "masks/", "seg/SEG_0001.dcm"):
        assert item in doc
