"""SUV: the 17 IBSI-SUV digital reference objects, header quirks, units, bad input.

Ground truth (../shared/data/suv-dro/DRO_list.csv, Vácha et al. 2026): inside the object
SUVbw has minimum 0.20, median 1.00 and maximum 4.00 in every series. DRO_2_3 stores SUVbsa
with a step of 0.01 (cold region 0.0528 stored as 0.05): it is held to 2.5 % plus half its
stored step expressed in SUVbw.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from theratrial.errors import DicomHeaderError, ParameterError
from theratrial.imaging import (
    SuvType,
    compute_suv,
    lean_body_mass_janmahasatian_kg,
    load_mask,
    load_volume,
)

DRO_IDS = [
    "DRO_0_0", "DRO_1_0", "DRO_2_0", "DRO_2_1", "DRO_2_2", "DRO_2_3", "DRO_2_4", "DRO_2_5",
    "DRO_3_0", "DRO_3_1", "DRO_3_2", "DRO_3_3", "DRO_3_4", "DRO_4_0", "DRO_4_1", "DRO_4_2",
    "DRO_5_0",
]  # fmt: skip
TRUTH = (0.20, 1.00, 4.00)


@pytest.fixture(scope="module")
def dro(dro_dir: Path) -> dict[str, tuple]:
    """Each DRO loaded once: (volume, NIfTI mask, stored-type SUV result, SUVbw result)."""
    loaded = {}
    for name in DRO_IDS:
        volume = load_volume(dro_dir / name / "PT")
        mask = load_mask(dro_dir / name / "mask" / "DRO_mask.nii.gz", reference=volume)
        loaded[name] = (volume, mask, compute_suv(volume), compute_suv(volume, suv_type="bw"))
    return loaded


def _stats(values: np.ndarray) -> tuple[float, float, float]:
    return float(values.min()), float(np.median(values)), float(values.max())


@pytest.mark.parametrize("name", DRO_IDS)
def test_dro_suvbw_matches_ground_truth(dro: dict[str, tuple], name: str) -> None:
    _volume, mask, _, bw = dro[name]
    assert bw.suv_type is SuvType.BW
    assert bw.units == "g/mL"
    measured = _stats(bw.volume.array[mask.array])
    for got, want in zip(measured, TRUTH, strict=True):
        if name == "DRO_2_3":
            half_step_bw = 0.5 * 0.01 * bw.factors[0]
            assert abs(got - want) <= 0.025 * want + half_step_bw
        else:
            assert got == pytest.approx(want, rel=0.005)


@pytest.mark.parametrize(
    ("name", "stored", "median"),
    [("DRO_2_0", "bw", 1.0), ("DRO_2_1", "lbm-james", 0.807), ("DRO_2_2", "ibw", 0.99),
     ("DRO_2_3", "bsa", 0.26)],
)  # fmt: skip
def test_stored_suv_is_reported_as_stored(
    dro: dict[str, tuple], name: str, stored: str, median: float
) -> None:
    _, mask, as_stored, _ = dro[name]
    assert as_stored.suv_type.value == stored
    assert not as_stored.converted
    assert float(np.median(as_stored.volume.array[mask.array])) == pytest.approx(median)
    assert any("no conversion asked" in a for a in as_stored.assumptions)


@pytest.mark.parametrize(
    ("name", "phrase"),
    [
        ("DRO_2_2", "mean of the male and female"),
        ("DRO_2_4", "(7053,1000)"),
        ("DRO_2_5", "(7053,1009)"),
        ("DRO_3_0", "read as MBq"),
        ("DRO_3_1", "ADMIN"),
        ("DRO_3_2", "Frame Reference Time (0054,1300)"),
        ("DRO_3_3", "Series Date/Time"),
        ("DRO_3_4", "Decay Correction NONE"),
        ("DRO_4_0", "(0018,1078)"),
        ("DRO_4_1", "RadiopharmaceuticalStartTime (0018,1072)"),
        ("DRO_4_2", "midnight"),
        ("DRO_5_0", "names Ga-66"),
    ],
)
def test_every_quirk_is_reported(dro: dict[str, tuple], name: str, phrase: str) -> None:
    assert any(phrase in a for a in dro[name][3].assumptions), dro[name][3].assumptions


def test_reference_time_back_computed_for_dro_3_2(dro: dict[str, tuple]) -> None:
    bw = dro["DRO_3_2"][3]
    assert bw.reference_datetime is not None
    assert abs((bw.reference_datetime - datetime(2025, 1, 1, 11, 0)).total_seconds()) < 1.0


def test_injection_before_midnight_for_dro_4_2(dro: dict[str, tuple]) -> None:
    assert dro["DRO_4_2"][3].injection_datetime == datetime(2025, 1, 1, 23, 30)


def test_activity_concentration_recovered_from_suv(dro: dict[str, tuple]) -> None:
    volume, mask, _, bw = dro["DRO_0_0"]
    bqml = bw.volume.array * bw.bqml_per_suv()[:, None, None]
    assert np.allclose(bqml[mask.array], volume.array[mask.array])


def _pet(tmp_path: Path, series_writer, **kwargs):
    values = np.full((3, 4, 4), 3600.0)
    return load_volume(series_writer(tmp_path, values, **kwargs))


def test_synthetic_bqml_series_gives_suvbw_one(tmp_path: Path, series_writer) -> None:
    result = compute_suv(_pet(tmp_path, series_writer))
    assert np.allclose(result.volume.array, 1.0, rtol=1e-4)
    assert result.decay_correction == "START"


def test_lean_body_mass_suv_scales_by_lbm(tmp_path: Path, series_writer) -> None:
    volume = _pet(tmp_path, series_writer)
    sul = compute_suv(volume, suv_type="lbm-janma")
    expected = lean_body_mass_janmahasatian_kg(70.0, 1.75, "M") / 70.0
    assert np.allclose(sul.volume.array, expected, rtol=1e-4)
    assert any("Janmahasatian" in a for a in sul.assumptions)


def test_weight_in_grams_is_detected(tmp_path: Path, series_writer) -> None:
    result = compute_suv(_pet(tmp_path, series_writer, header={"PatientWeight": 70000}))
    assert np.allclose(result.volume.array, 1.0, rtol=1e-4)
    assert any("read as grams" in a for a in result.assumptions)


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ({"PatientWeight": None}, "PatientWeight (0010,1030)"),
        ({"PatientWeight": 0}, "PatientWeight (0010,1030)"),
        ({"Units": "PROPCNTS"}, "Units (0054,1001)"),
    ],
)
def test_bad_headers_name_their_tag(tmp_path: Path, series_writer, header, field) -> None:
    volume = _pet(tmp_path, series_writer, header=header)
    with pytest.raises(DicomHeaderError) as info:
        compute_suv(volume)
    assert info.value.field == field
    assert info.value.file
    assert info.value.hint


def test_zero_dose_names_the_tag(tmp_path: Path, series_writer) -> None:
    def zero_dose(_: int, ds) -> None:
        ds.RadiopharmaceuticalInformationSequence[0].RadionuclideTotalDose = 0

    volume = _pet(tmp_path, series_writer, per_slice=zero_dose)
    with pytest.raises(DicomHeaderError, match="injected dose is 0") as info:
        compute_suv(volume)
    assert info.value.field == "RadionuclideTotalDose (0018,1074)"


def test_missing_injection_time_names_the_tag(tmp_path: Path, series_writer) -> None:
    def no_time(_: int, ds) -> None:
        item = ds.RadiopharmaceuticalInformationSequence[0]
        del item.RadiopharmaceuticalStartDateTime
        del item.RadiopharmaceuticalStartTime

    volume = _pet(tmp_path, series_writer, per_slice=no_time)
    with pytest.raises(DicomHeaderError, match="injection time") as info:
        compute_suv(volume)
    assert info.value.field == "RadiopharmaceuticalStartTime (0018,1072)"


def test_ge_private_scan_time_is_used_when_series_time_is_late(
    tmp_path: Path, series_writer
) -> None:
    def ge(_: int, ds) -> None:
        ds.SeriesTime = "113000"
        ds.add_new((0x0009, 0x0010), "LO", "GEMS_PETD_01")
        ds.add_new((0x0009, 0x100D), "DT", "20250101110000")

    result = compute_suv(_pet(tmp_path, series_writer, per_slice=ge))
    assert np.allclose(result.volume.array, 1.0, rtol=1e-4)
    assert any("GE private" in a for a in result.assumptions)


def test_earliest_acquisition_is_the_last_resort(tmp_path: Path, series_writer) -> None:
    def late(_: int, ds) -> None:
        ds.SeriesTime = "113000"
        del ds.FrameReferenceTime

    result = compute_suv(_pet(tmp_path, series_writer, per_slice=late))
    assert np.allclose(result.volume.array, 1.0, rtol=1e-4)
    assert any("earliest acquisition" in a for a in result.assumptions)


def test_caller_overrides_replace_header_facts(tmp_path: Path, series_writer) -> None:
    volume = _pet(tmp_path, series_writer, header={"PatientWeight": None})
    result = compute_suv(
        volume,
        weight_kg=35.0,
        injected_activity_mbq=368.08,
        injection_datetime=datetime(2025, 1, 1, 10, 0),
    )
    assert np.allclose(result.volume.array, 0.5, rtol=1e-4)


def test_non_pet_volume_is_refused(tmp_path: Path, series_writer) -> None:
    ct = load_volume(series_writer(tmp_path, np.zeros((2, 2, 2)), modality="CT"))
    with pytest.raises(DicomHeaderError, match="no PET header"):
        compute_suv(ct)


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(slopes=st.lists(st.sampled_from([0.25, 0.5, 1.0, 2.0, 8.0]), min_size=3, max_size=3))
def test_suv_is_invariant_to_rescale_slope(tmp_path_factory, series_writer, slopes) -> None:
    folder = tmp_path_factory.mktemp("slopes")
    values = np.full((3, 2, 2), 7200.0)
    volume = load_volume(series_writer(folder, values, slopes=slopes))
    assert np.allclose(compute_suv(volume).volume.array, 2.0, rtol=1e-4)


def test_injection_datetime_after_the_acquisition_is_refused(tmp_path: Path, series_writer) -> None:
    def late(_: int, ds) -> None:
        ds.RadiopharmaceuticalInformationSequence[
            0
        ].RadiopharmaceuticalStartDateTime = "20250101113000"

    with pytest.raises(DicomHeaderError, match="after the acquisition") as info:
        compute_suv(_pet(tmp_path, series_writer, per_slice=late))
    assert info.value.field == "RadiopharmaceuticalStartDateTime (0018,1078)"
    assert "(0008,0032)" in info.value.message


def test_injection_time_after_the_acquisition_is_refused(tmp_path: Path, series_writer) -> None:
    """(0018,1072) 11:30 on a scan at 11:00: the day before would be a 23.5 h uptake."""

    def late(_: int, ds) -> None:
        item = ds.RadiopharmaceuticalInformationSequence[0]
        del item.RadiopharmaceuticalStartDateTime
        item.RadiopharmaceuticalStartTime = "113000"

    with pytest.raises(DicomHeaderError, match="after the acquisition") as info:
        compute_suv(_pet(tmp_path, series_writer, per_slice=late))
    assert info.value.field == "RadiopharmaceuticalStartTime (0018,1072)"
    assert "(0008,0031)" in info.value.message
    assert "(0008,0032)" in info.value.message


def test_caller_injection_time_after_the_scan_is_refused(tmp_path: Path, series_writer) -> None:
    volume = _pet(tmp_path, series_writer)
    with pytest.raises(ParameterError, match="after the acquisition"):
        compute_suv(volume, injection_datetime=datetime(2025, 1, 1, 12, 0))


def test_implausible_injected_dose_names_the_tag(tmp_path: Path, series_writer) -> None:
    def huge(_: int, ds) -> None:
        ds.RadiopharmaceuticalInformationSequence[0].RadionuclideTotalDose = 1e30

    with pytest.raises(DicomHeaderError, match="above any patient administration") as info:
        compute_suv(_pet(tmp_path, series_writer, per_slice=huge))
    assert info.value.field == "RadionuclideTotalDose (0018,1074)"
    volume = _pet(tmp_path / "b", series_writer)
    with pytest.raises(ParameterError, match="above any patient administration"):
        compute_suv(volume, injected_activity_mbq=1e24)
