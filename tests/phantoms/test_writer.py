"""Rendering and writing: SUV and Bq/mL recovered from the DICOM, PSF loss, follow-up CT.

SUV is computed here independently of the imaging package, by the QIBA vendor-neutral
formula (DecayCorrection START: decay the injected dose to the series time).
"""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path

import nibabel as nib
import numpy as np
import pydicom
import pytest
import SimpleITK as sitk  # noqa: N813
from scipy import ndimage

from theratrial.errors import InputError
from theratrial.phantoms import PatientFiles, write_patient

from .conftest import small_config
from .test_dicom import read_series


def _mask(files: PatientFiles, name: str) -> np.ndarray:
    return np.asarray(nib.load(files.masks[name]).dataobj).transpose(2, 1, 0) > 0


def _suv(folder: Path) -> np.ndarray:
    bqml = sitk.GetArrayFromImage(read_series(folder)).astype(np.float64)
    ds = pydicom.dcmread(sorted(folder.glob("*.dcm"))[0])
    rp = ds.RadiopharmaceuticalInformationSequence[0]
    inj = datetime.strptime(rp.RadiopharmaceuticalStartDateTime[:14], "%Y%m%d%H%M%S")
    series = datetime.strptime(ds.SeriesDate + ds.SeriesTime[:6], "%Y%m%d%H%M%S")
    elapsed = (series - inj).total_seconds()
    dose = float(rp.RadionuclideTotalDose) * math.exp(
        -math.log(2) * elapsed / float(rp.RadionuclideHalfLife)
    )
    return bqml * float(ds.PatientWeight) * 1000.0 / dose


@pytest.mark.parametrize("organ", ["liver", "spleen", "kidney_left", "kidney_right"])
def test_suv_in_a_uniform_organ_is_recovered_within_2_percent_without_psf_and_noise(
    ideal_patient: PatientFiles, organ: str
) -> None:
    suv = _suv(ideal_patient.series["pet_ga68"])
    core = ndimage.binary_erosion(_mask(ideal_patient, organ))
    true = ideal_patient.truth["regions"][organ]["ga68_suvmean"]
    assert float(suv[core].mean()) == pytest.approx(true, rel=0.02)


def test_spect_bq_per_ml_is_recovered_without_psf_and_noise(ideal_patient: PatientFiles) -> None:
    entry = next(s for s in ideal_patient.truth["series"] if s["name"] == "spect_c1_024h")
    bqml = sitk.GetArrayFromImage(read_series(ideal_patient.series["spect_c1_024h"]))
    for organ in ("liver", "kidney_left", "spleen"):
        core = ndimage.binary_erosion(_mask(ideal_patient, organ))
        true = entry["true_mean_bq_per_ml"][organ]
        assert float(bqml[core].mean()) == pytest.approx(true, rel=0.02), organ


def test_total_activity_in_the_image_is_the_true_total(ideal_patient: PatientFiles) -> None:
    entry = next(s for s in ideal_patient.truth["series"] if s["name"] == "spect_c1_004h")
    bqml = sitk.GetArrayFromImage(read_series(ideal_patient.series["spect_c1_004h"]))
    total_mbq = float(bqml.sum()) * ideal_patient.truth["grid"]["voxel_volume_ml"] / 1e6
    assert total_mbq == pytest.approx(sum(entry["true_activity_mbq"].values()), rel=0.02)


def test_psf_gives_the_expected_partial_volume_loss(
    ideal_patient: PatientFiles, psf_patient: PatientFiles
) -> None:
    # same seed and anatomy; the blurred series must equal the ideal one blurred with the
    # stated FWHM (done here with scipy directly), and lose signal in small organs.
    losses = []
    for series in ("pet_ga68", "spect_c1_024h"):
        entry = next(s for s in psf_patient.truth["series"] if s["name"] == series)
        ideal = sitk.GetArrayFromImage(read_series(ideal_patient.series[series]))
        blurred = sitk.GetArrayFromImage(read_series(psf_patient.series[series]))
        spacing = psf_patient.truth["grid"]["spacing_xyz_mm"][::-1]
        sigma = [entry["fwhm_mm"] / (2 * math.sqrt(2 * math.log(2))) / s for s in spacing]
        expected = ndimage.gaussian_filter(ideal.astype(np.float64), sigma, mode="constant")
        kidney = _mask(psf_patient, "kidney_left")
        loss = float(blurred[kidney].mean()) / float(ideal[kidney].mean())
        expected_loss = float(expected[kidney].mean()) / float(ideal[kidney].mean())
        assert loss == pytest.approx(expected_loss, rel=0.01)
        assert float(blurred.sum()) == pytest.approx(float(ideal.sum()), rel=0.01)
        losses.append(loss)
    # a kidney loses signal to its surroundings, more with the wider SPECT PSF (12 vs 8 mm)
    assert losses[1] < losses[0] < 0.99


def test_noisy_liver_is_unbiased_with_a_realistic_noise_level(
    realistic_patient: PatientFiles,
) -> None:
    suv = _suv(realistic_patient.series["pet_ga68"])
    liver = _mask(realistic_patient, "liver")
    lesions = np.zeros_like(liver)
    for name, region in realistic_patient.truth["regions"].items():
        if region["kind"] == "lesion":
            lesions |= _mask(realistic_patient, name)
    core = ndimage.binary_erosion(liver) & ~ndimage.binary_dilation(lesions, iterations=3)
    true = realistic_patient.truth["regions"]["liver"]["ga68_suvmean"]
    assert float(suv[core].mean()) == pytest.approx(true, rel=0.05)
    cov = float(suv[core].std() / suv[core].mean())
    assert 0.03 < cov < 0.4


def test_retest_pet_carries_the_stated_change(realistic_patient: PatientFiles) -> None:
    truth = realistic_patient.truth
    retest = next(s for s in truth["series"] if s["name"] == "pet_ga68_retest")
    suv = _suv(realistic_patient.series["pet_ga68_retest"])
    core = ndimage.binary_erosion(_mask(realistic_patient, "spleen"))
    # the retest "true" SUV includes the global measurement factor
    assert float(suv[core].mean()) == pytest.approx(retest["true_suvmean"]["spleen"], rel=0.08)
    assert retest["true_suvmean"]["spleen"] == pytest.approx(
        truth["regions"]["spleen"]["ga68_suvmean_retest"] * retest["measurement_factor"]
    )


def test_followup_ct_shows_the_lesions_at_their_follow_up_size(
    realistic_patient: PatientFiles,
) -> None:
    truth = realistic_patient.truth
    names = [s["name"] for s in truth["series"] if s["kind"] == "ct_followup"]
    assert names == ["ct_followup_w12", "ct_followup_w24", "ct_followup_w36", "ct_followup_w48"]
    entry = next(s for s in truth["series"] if s["name"] == "ct_followup_w48")
    for lesion, ld in entry["true_ld_mm"].items():
        assert ld == truth["lesions"][lesion]["followup"]["true_ld_mm"][-1]


def test_writing_is_deterministic_and_refuses_a_full_folder(tmp_path: Path) -> None:
    cfg = small_config(spect_times_h=(24.0,)).with_grid((24, 32, 32))
    calls: list[tuple[int, int]] = []
    a = write_patient(tmp_path / "a", 3, config=cfg, progress=lambda d, t: calls.append((d, t)))
    b = write_patient(tmp_path / "b", 3, config=cfg)
    assert calls[-1][0] == calls[-1][1]
    assert a.truth == b.truth
    for rel in ("dicom/pet_ga68/PT_0010.dcm", "dicom/spect_c1_024h/NM_0001.dcm"):
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes()
    with pytest.raises(InputError, match="not empty"):
        write_patient(tmp_path / "a", 3, config=cfg)
    write_patient(tmp_path / "a", 3, config=cfg, overwrite=True)
