"""The public API of theratrial.imaging is pinned."""

from __future__ import annotations

import theratrial.imaging as imaging

EXPECTED = {
    "ActivityResult", "AdcFit", "AdcStatistics", "Biodistribution", "BiodistributionRow",
    "DwiSeries", "Grid", "Inventory", "Mask", "MtvThreshold", "PetHeader", "SeriesRef",
    "SkippedFile", "StudyQuantification", "SuvResult", "SuvType", "VoiStatistics", "Volume",
    "adc_statistics", "biodistribution", "body_surface_area_m2", "compute_suv", "discover",
    "fit_adc", "ideal_body_weight_kg", "krenning_score", "lean_body_mass_james_kg",
    "lean_body_mass_janmahasatian_kg", "load_dwi", "load_mask", "load_masks", "load_volume",
    "quantify_study", "region_kind", "resample_mask", "scan_folder",
    "spect_activity_concentration", "suv_peak", "voi_statistics",
}  # fmt: skip


def test_public_names_are_pinned() -> None:
    assert set(imaging.__all__) == EXPECTED
    assert all(hasattr(imaging, name) for name in imaging.__all__)
