"""VOI statistics, PERCIST SUVpeak, MTV/TLU, activity; the sts-petct PET/CT/MR acceptance."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from theratrial.errors import MaskError, ParameterError
from theratrial.imaging import (
    Grid,
    Mask,
    MtvThreshold,
    Volume,
    compute_suv,
    load_mask,
    load_volume,
    suv_peak,
    voi_statistics,
)
from theratrial.imaging.voi import _sphere_kernel

IDENTITY = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0)


def _grid(shape=(12, 12, 12), spacing=(2.0, 2.0, 2.0)) -> Grid:
    return Grid(shape, (0.0, 0.0, 0.0), spacing, IDENTITY, "1.2.3")


def _brute_force_peak(values: np.ndarray, voi: np.ndarray, kernel: np.ndarray) -> float:
    half = [k // 2 for k in kernel.shape]
    padded = np.pad(values, [(h, h) for h in half])
    inside = np.pad(np.ones_like(values), [(h, h) for h in half])
    best = -np.inf
    for z, y, x in zip(*np.nonzero(voi), strict=True):
        window = (slice(z, z + kernel.shape[0]), slice(y, y + kernel.shape[1]),
                  slice(x, x + kernel.shape[2]))  # fmt: skip
        best = max(best, (padded[window] * kernel).sum() / (inside[window] * kernel).sum())
    return float(best)


def test_sphere_kernel_holds_one_millilitre() -> None:
    for spacing in ((4.0, 4.0, 4.0), (2.0, 2.0, 3.27), (4.6875, 4.6875, 3.27)):
        kernel = _sphere_kernel(spacing, 6.2035)
        assert kernel.sum() * np.prod(spacing) / 1000.0 == pytest.approx(1.0, rel=0.01)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), spacing_z=st.sampled_from([2.0, 3.27, 4.0]))
def test_fft_peak_equals_a_brute_force_sphere_scan(seed: int, spacing_z: float) -> None:
    rng = np.random.default_rng(seed)
    grid = _grid((10, 12, 12), (2.5, 2.5, spacing_z))
    values = rng.gamma(2.0, 1.0, grid.shape)
    voi = np.zeros(grid.shape, bool)
    voi[rng.integers(0, 5) : 8, 2 : rng.integers(4, 12), 1:9] = True
    peak, index = suv_peak(Volume(values, grid), Mask(voi, grid, "lesion"))
    kernel = _sphere_kernel(grid.spacing_mm, 6.2035)
    assert peak == pytest.approx(_brute_force_peak(values, voi, kernel), rel=1e-9)
    assert voi[index]


def test_statistics_of_a_known_voi() -> None:
    grid = _grid()
    values = np.zeros(grid.shape)
    voi = np.zeros(grid.shape, bool)
    voi[2:6, 2:6, 2:6] = True
    values[voi] = np.arange(64, dtype=float)
    stats = voi_statistics(Volume(values, grid, units="g/mL"), Mask(voi, grid, "tumour_a"))
    assert stats.kind == "lesion"
    assert stats.units == "g/mL"
    assert stats.n_voxels == 64
    assert stats.volume_ml == pytest.approx(0.512)
    assert (stats.min, stats.max, stats.mean, stats.median) == (0.0, 63.0, 31.5, 31.5)
    assert stats.sd == pytest.approx(np.std(np.arange(64), ddof=1))
    assert stats.total_activity_mbq is None
    assert stats.mtv_ml is None


@pytest.mark.parametrize(
    ("rule", "threshold", "mtv_voxels"),
    [
        (MtvThreshold.percent_of_max(50), 31.5, 32),
        (MtvThreshold.absolute(60.0), 60.0, 4),
        (MtvThreshold.liver(10.0, 5.0), 25.0, 39),
    ],
)
def test_mtv_and_tlu(rule: MtvThreshold, threshold: float, mtv_voxels: int) -> None:
    grid = _grid()
    values = np.zeros(grid.shape)
    voi = np.zeros(grid.shape, bool)
    voi[2:6, 2:6, 2:6] = True
    values[voi] = np.arange(64, dtype=float)
    stats = voi_statistics(Volume(values, grid), Mask(voi, grid, "lesion"), mtv=rule)
    assert stats.mtv_threshold == pytest.approx(threshold)
    assert stats.mtv_ml == pytest.approx(mtv_voxels * 0.008)
    kept = np.arange(64)[np.arange(64) >= threshold]
    assert stats.tlu == pytest.approx(kept.mean() * mtv_voxels * 0.008)


def test_activity_and_percent_injected() -> None:
    grid = _grid()
    image = Volume(np.full(grid.shape, 1.0e6), grid, "NM", "BQML")  # 1 MBq/mL
    voi = np.zeros(grid.shape, bool)
    voi[:5, :5, :5] = True  # 1 mL
    stats = voi_statistics(image, Mask(voi, grid, "liver"), injected_activity_mbq=100.0)
    assert stats.units == "Bq/mL"
    assert stats.total_activity_mbq == pytest.approx(1.0)
    assert stats.percent_injected_activity == pytest.approx(1.0)
    suv_like = Volume(np.full(grid.shape, 2.0), grid, "PT", "g/mL")
    per_slice = np.full(grid.shape[0], 5.0e5)
    converted = voi_statistics(suv_like, Mask(voi, grid, "liver"), bqml_per_unit=per_slice)
    assert converted.total_activity_mbq == pytest.approx(1.0)


def test_mask_checks() -> None:
    grid = _grid()
    image = Volume(np.ones(grid.shape), grid)
    with pytest.raises(MaskError, match="empty"):
        voi_statistics(image, Mask(np.zeros(grid.shape, bool), grid, "x"))
    other = _grid((6, 6, 6))
    with pytest.raises(MaskError, match="not on the image grid"):
        voi_statistics(image, Mask(np.ones(other.shape, bool), other, "x"))
    with pytest.raises(ParameterError):
        MtvThreshold.percent_of_max(0)


@pytest.fixture(scope="module")
def sts(sts_dir: Path) -> dict[str, dict[str, tuple]]:
    """Per patient and modality: (volume, GTV mask from the PET RTSTRUCT, own-RTSTRUCT mask)."""
    out: dict[str, dict[str, tuple]] = {}
    for patient in ("STS_001", "STS_002", "STS_003"):
        base = sts_dir / patient
        pet_rs = next((base / "PET" / "dicom" / "mask").iterdir())
        out[patient] = {}
        for modality in ("PET", "CT", "MR_T1"):
            volume = load_volume(base / modality / "dicom" / "image")
            gtv = load_mask(pet_rs, reference=volume, roi="GTV_Mass")
            own_rs = next((base / modality / "dicom" / "mask").iterdir())
            own = load_mask(own_rs, reference=volume, roi="GTV_Mass")
            out[patient][modality] = (volume, gtv, own)
    return out


@pytest.mark.parametrize("patient", ["STS_001", "STS_002", "STS_003"])
def test_sts_gtv_volumes_agree_across_pet_ct_mr(sts: dict, patient: str) -> None:
    volumes = {m: sts[patient][m][1].volume_ml for m in ("PET", "CT", "MR_T1")}
    low, high = min(volumes.values()), max(volumes.values())
    assert (high - low) / low < 0.05, volumes
    for modality in volumes:
        assert sts[patient][modality][2].volume_ml == pytest.approx(volumes[modality], rel=0.05)


@pytest.mark.parametrize("patient", ["STS_001", "STS_002", "STS_003"])
def test_sts_pet_suv_statistics(sts: dict, patient: str) -> None:
    volume, gtv, _ = sts[patient]["PET"]
    suv = compute_suv(volume)
    assert suv.suv_type.value == "bw"
    assert not suv.converted
    stats = voi_statistics(suv.volume, gtv)
    inside = volume.array[gtv.array]
    assert stats.max == pytest.approx(float(inside.max()), rel=1e-12)
    assert stats.mean < stats.peak <= stats.max
    ct, ct_gtv, _ = sts[patient]["CT"]
    hu = voi_statistics(ct, ct_gtv)
    assert hu.units == "HU"
    assert -200.0 < hu.mean < 200.0
