"""The optional GPU path: the ``device`` option of the dose-kernel and SUVpeak convolutions.

The GPU-versus-CPU comparisons run only where CuPy and a CUDA device are present (skipped
with the reason otherwise, as here and in CI). The device choice itself is tested on the
CPU: ``auto`` without CuPy uses the CPU, ``gpu`` without CuPy is a clear error, and with a
stand-in ``cupy`` module (NumPy underneath, a fake transport rather than a mock) ``auto``
takes the GPU code path and gives the CPU's answer.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from theratrial.dosimetry.voxel import kernel_dose_gy
from theratrial.dosimetry.voxel_kernel import VoxelKernel, voxel_kernel
from theratrial.errors import ParameterError
from theratrial.gpu import gpu_available, resolve_device
from theratrial.imaging.grid import Grid
from theratrial.imaging.mask import Mask
from theratrial.imaging.voi import suv_peak
from theratrial.imaging.volume import Volume

RTOL = 1e-5


@pytest.fixture(autouse=True)
def _fresh_device_check() -> Iterator[None]:
    """The cached GPU check is cleared around each test (the fakes below change it)."""
    gpu_available.cache_clear()
    yield
    gpu_available.cache_clear()


@pytest.fixture(scope="module")
def kernel() -> VoxelKernel:
    return voxel_kernel("Lu-177", voxel_size_mm=(4.0, 4.0, 4.0), include_photons=False)


def _tia(shape: tuple[int, int, int] = (40, 36, 32)) -> NDArray[np.float64]:
    """A patient-like Ã map (MBq h): a gamma-noise background and two hot spheres."""
    rng = np.random.default_rng(15)
    tia = rng.gamma(2.0, 0.05, size=shape)
    zz, yy, xx = np.indices(shape)
    for (z, y, x), r, value in (((12, 10, 9), 4, 40.0), ((28, 24, 22), 6, 15.0)):
        tia[(zz - z) ** 2 + (yy - y) ** 2 + (xx - x) ** 2 <= r * r] += value
    return tia


def _image_and_voi() -> tuple[Volume, Mask]:
    shape = (30, 28, 26)
    grid = Grid(shape, (0.0, 0.0, 0.0), (2.0, 2.0, 3.0), (1, 0, 0, 0, 1, 0, 0, 0, 1))
    rng = np.random.default_rng(7)
    values = rng.normal(5000.0, 400.0, size=shape)
    values[14:18, 12:16, 10:14] += 20000.0
    values[3, 3, 3] = np.nan  # a missing voxel: the sphere means renormalise around it
    voi = np.zeros(shape, bool)
    voi[8:24, 6:22, 5:20] = True
    return Volume(values, grid, "NM", "BQML"), Mask(voi, grid, "lesion_1")


def _require_gpu() -> None:
    if not gpu_available():
        pytest.skip("no CuPy or no CUDA device here: the GPU comparison runs only on a GPU")


# --- on a GPU only -------------------------------------------------------------------


@pytest.mark.parametrize("precision", ["single", "double"])
def test_gpu_kernel_dose_equals_cpu(kernel: VoxelKernel, precision: Any) -> None:
    _require_gpu()
    tia = _tia()
    cpu = kernel_dose_gy(tia, kernel, precision=precision, device="cpu")
    gpu = kernel_dose_gy(tia, kernel, precision=precision, device="gpu")
    scale = float(np.abs(cpu).max())
    assert float(np.abs(gpu - cpu).max()) <= RTOL * scale


def test_gpu_suv_peak_equals_cpu() -> None:
    _require_gpu()
    image, voi = _image_and_voi()
    cpu_peak, cpu_at = suv_peak(image, voi, device="cpu")
    gpu_peak, gpu_at = suv_peak(image, voi, device="gpu")
    assert gpu_peak == pytest.approx(cpu_peak, rel=RTOL)
    assert gpu_at == cpu_at


# --- the device option, on the CPU -----------------------------------------------------


@pytest.fixture
def no_cupy(monkeypatch: pytest.MonkeyPatch) -> None:
    """CuPy absent: ``import cupy`` raises ImportError."""
    monkeypatch.setitem(sys.modules, "cupy", None)


def _fake_cupy(calls: list[str], devices: int = 1) -> types.ModuleType:
    """A stand-in ``cupy``: the handful of calls the GPU path makes, on NumPy arrays."""

    def rfftn(a: NDArray[Any], s: tuple[int, ...], axes: tuple[int, ...]) -> NDArray[Any]:
        calls.append("rfftn")
        return np.fft.rfftn(a, s=s, axes=axes)

    def irfftn(a: NDArray[Any], s: tuple[int, ...], axes: tuple[int, ...]) -> NDArray[Any]:
        calls.append("irfftn")
        return np.fft.irfftn(a, s=s, axes=axes)

    cupy = types.ModuleType("cupy")
    cupy.asarray = lambda a, dtype=None: np.asarray(a, dtype=dtype)  # type: ignore[attr-defined]
    cupy.asnumpy = np.asarray  # type: ignore[attr-defined]
    cupy.fft = types.SimpleNamespace(rfftn=rfftn, irfftn=irfftn)  # type: ignore[attr-defined]
    cupy.cuda = types.SimpleNamespace(  # type: ignore[attr-defined]
        runtime=types.SimpleNamespace(getDeviceCount=lambda: devices)
    )
    pool = types.SimpleNamespace(free_all_blocks=lambda: None)
    cupy.get_default_memory_pool = lambda: pool  # type: ignore[attr-defined]
    return cupy


def test_auto_without_cupy_uses_the_cpu(no_cupy: None, kernel: VoxelKernel) -> None:
    assert not gpu_available()
    assert resolve_device("auto") == "cpu"
    tia = _tia((20, 18, 16))
    auto = kernel_dose_gy(tia, kernel)  # device="auto" by default
    np.testing.assert_array_equal(auto, kernel_dose_gy(tia, kernel, device="cpu"))
    image, voi = _image_and_voi()
    assert suv_peak(image, voi) == suv_peak(image, voi, device="cpu")


def test_gpu_without_cupy_is_a_clear_error(no_cupy: None, kernel: VoxelKernel) -> None:
    with pytest.raises(ParameterError) as dose_err:
        kernel_dose_gy(_tia((12, 12, 12)), kernel, device="gpu")
    assert dose_err.value.field == "device"
    assert "CuPy" in str(dose_err.value)
    assert "device='cpu'" in str(dose_err.value)  # the fix is named
    image, voi = _image_and_voi()
    with pytest.raises(ParameterError) as peak_err:
        suv_peak(image, voi, device="gpu")
    assert peak_err.value.field == "device"


def test_gpu_without_a_cuda_device_is_the_same_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "cupy", _fake_cupy([], devices=0))
    with pytest.raises(ParameterError, match="CUDA device"):
        resolve_device("gpu")
    assert resolve_device("auto") == "cpu"


@pytest.mark.parametrize("device", ["GPU", "cuda", ""])
def test_unknown_device_is_refused(kernel: VoxelKernel, device: Any) -> None:
    with pytest.raises(ParameterError, match="unknown device") as err:
        kernel_dose_gy(_tia((12, 12, 12)), kernel, device=device)
    assert err.value.field == "device"


def test_the_device_check_is_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    fake = _fake_cupy(calls)
    counted = {"n": 0}

    def count() -> int:
        counted["n"] += 1
        return 1

    fake.cuda = types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=count))  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "cupy", fake)
    assert [resolve_device("auto") for _ in range(5)] == ["gpu"] * 5
    assert counted["n"] == 1


@pytest.mark.parametrize("precision", ["single", "double"])
def test_auto_with_a_gpu_takes_the_gpu_path(
    monkeypatch: pytest.MonkeyPatch, kernel: VoxelKernel, precision: Any
) -> None:
    tia = _tia()
    cpu = kernel_dose_gy(tia, kernel, precision=precision, device="cpu")
    calls: list[str] = []
    monkeypatch.setitem(sys.modules, "cupy", _fake_cupy(calls))
    auto = kernel_dose_gy(tia, kernel, precision=precision)
    assert calls.count("irfftn") == 1  # one convolution, through the GPU path
    assert float(np.abs(auto - cpu).max()) <= RTOL * float(np.abs(cpu).max())
    rho = np.full(tia.shape, 1.04)
    rho[:5] = 0.3  # lung-like slab: the density division follows the GPU convolution
    np.testing.assert_allclose(
        kernel_dose_gy(tia, kernel, precision=precision, density_g_per_ml=rho, device="gpu"),
        kernel_dose_gy(tia, kernel, precision=precision, density_g_per_ml=rho, device="cpu"),
        rtol=0,
        atol=RTOL * float(np.abs(cpu).max()) / 0.3,
    )


def test_suv_peak_with_a_gpu_takes_the_gpu_path(monkeypatch: pytest.MonkeyPatch) -> None:
    image, voi = _image_and_voi()
    cpu_peak, cpu_at = suv_peak(image, voi, device="cpu")
    calls: list[str] = []
    monkeypatch.setitem(sys.modules, "cupy", _fake_cupy(calls))
    peak, at = suv_peak(image, voi)
    assert calls.count("irfftn") == 2  # numerator and denominator
    assert peak == pytest.approx(cpu_peak, rel=RTOL)
    assert at == cpu_at


def test_cpu_only_backend_on_the_gpu(monkeypatch: pytest.MonkeyPatch, kernel: VoxelKernel) -> None:
    calls: list[str] = []
    monkeypatch.setitem(sys.modules, "cupy", _fake_cupy(calls))
    tia = _tia((16, 16, 16))
    with pytest.raises(ParameterError, match="CPU only") as err:
        kernel_dose_gy(tia, kernel, backend="overlap-add", device="gpu")
    assert err.value.field == "device"
    kernel_dose_gy(tia, kernel, backend="overlap-add")  # auto: falls back to the CPU
    assert calls == []
