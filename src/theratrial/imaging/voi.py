"""VOI statistics: volume, max/mean/median/SD, peak, MTV, TLU, activity and %IA.

- Peak: the highest mean value within a 1 cm^3 sphere (radius 6.2 mm) whose centre lies
  in the VOI (PERCIST 1.0, Wahl et al., J Nucl Med 2009;50:122S-150S). The sphere is a
  kernel of partial-voxel weights (each voxel weighted by the fraction of it inside the
  sphere, from 5x5x5 sub-samples), correlated with the image by FFT over the VOI's
  bounding box (SciPy), so the cost does not grow with sphere-scans per voxel. The sphere
  may reach outside the VOI (PERCIST); beyond the image edge it is renormalised. With
  ``device="gpu"``, or ``"auto"`` where CuPy sees a CUDA device, the correlation runs on
  the GPU (cuFFT; same result within 1e-5 relative; CuPy is optional).
- MTV: volume of VOI voxels at or above a threshold the caller names (% of the VOI max,
  an absolute value, or the PERCIST liver threshold 1.5 x liver mean + 2 x liver SD);
  TLU (TLG for FDG) = mean within the MTV x MTV (reference sheet, section 3).
- Activity: sum of Bq/mL x voxel volume; %IA = 100 x activity / injected activity.

Examples
--------
>>> import numpy as np
>>> from theratrial.imaging.grid import Grid
>>> from theratrial.imaging.mask import Mask
>>> from theratrial.imaging.volume import Volume
>>> grid = Grid((10, 10, 10), (0.0, 0.0, 0.0), (2.0, 2.0, 2.0), (1, 0, 0, 0, 1, 0, 0, 0, 1))
>>> image = Volume(np.full((10, 10, 10), 5000.0), grid, "NM", "BQML")
>>> voi = np.zeros((10, 10, 10), bool); voi[2:8, 2:8, 2:8] = True
>>> stats = voi_statistics(image, Mask(voi, grid, "lesion_1"), injected_activity_mbq=1.0)
>>> round(stats.volume_ml, 3), stats.max, round(stats.peak, 6), round(stats.total_activity_mbq, 5)
(1.728, 5000.0, 5000.0, 0.00864)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy.signal import fftconvolve

from theratrial.errors import MaskError, ParameterError
from theratrial.imaging.mask import Mask
from theratrial.imaging.volume import Volume

__all__ = ["MtvThreshold", "VoiStatistics", "display_units", "suv_peak", "voi_statistics"]

PEAK_RADIUS_MM = 6.2035
"""Radius of a 1.000 cm^3 sphere, mm (PERCIST quotes 6.2 mm)."""


def display_units(units: str) -> str:
    """Readable units: ``BQML`` -> ``Bq/mL``, others unchanged.

    Examples
    --------
    >>> display_units("BQML"), display_units("g/mL")
    ('Bq/mL', 'g/mL')
    """
    return {"BQML": "Bq/mL", "GML": "g/mL", "CM2ML": "cm2/mL", "CNTS": "counts"}.get(units, units)


@dataclass(frozen=True, slots=True)
class MtvThreshold:
    """How the metabolic (molecular) tumour volume is thresholded.

    Use the constructors: ``MtvThreshold.percent_of_max(41)``, ``MtvThreshold.absolute(2.5)``
    or ``MtvThreshold.liver(mean, sd)``.

    Examples
    --------
    >>> MtvThreshold.percent_of_max(41).resolve(10.0)
    4.1
    >>> MtvThreshold.liver(2.0, 0.25).resolve(10.0)
    3.5
    """

    kind: str
    value: float
    liver_mean: float | None = None
    liver_sd: float | None = None
    sd_factor: float = 2.0

    @classmethod
    def percent_of_max(cls, percent: float) -> MtvThreshold:
        """Threshold at ``percent`` % of the VOI maximum."""
        if not 0 < percent <= 100:
            raise ParameterError(f"percent of max must be in (0, 100], got {percent}")
        return cls("percent_max", percent)

    @classmethod
    def absolute(cls, value: float) -> MtvThreshold:
        """Threshold at a fixed value, in the image's units."""
        return cls("absolute", value)

    @classmethod
    def liver(
        cls, liver_mean: float, liver_sd: float, *, mean_factor: float = 1.5, sd_factor: float = 2.0
    ) -> MtvThreshold:
        """PERCIST threshold: ``mean_factor`` x liver mean + ``sd_factor`` x liver SD."""
        return cls("liver", mean_factor, liver_mean, liver_sd, sd_factor)

    def resolve(self, voi_max: float) -> float:
        """The threshold value, in image units, for a VOI with maximum ``voi_max``."""
        if self.kind == "percent_max":
            return self.value / 100.0 * voi_max
        if self.kind == "absolute":
            return self.value
        if self.kind == "liver":
            if self.liver_mean is None or self.liver_sd is None:
                raise ParameterError("liver threshold needs the liver mean and SD")
            return self.value * self.liver_mean + self.sd_factor * self.liver_sd
        raise ParameterError(f"unknown MTV threshold kind {self.kind!r}")

    def describe(self) -> str:
        """A short human description, e.g. ``41% of max``."""
        if self.kind == "percent_max":
            return f"{self.value:g}% of max"
        if self.kind == "absolute":
            return f">= {self.value:g}"
        return f"{self.value:g} x liver mean + {self.sd_factor:g} x liver SD"


@dataclass(frozen=True, slots=True)
class VoiStatistics:
    """Statistics of one image inside one VOI (values in ``units``).

    ``sd`` is the sample standard deviation (n - 1). ``peak_index`` is the ``(z, y, x)``
    voxel of the peak sphere's centre. MTV fields are ``None`` without a threshold; activity
    fields are ``None`` when the image cannot be expressed in Bq/mL.
    """

    name: str
    kind: str
    units: str
    n_voxels: int
    volume_ml: float
    min: float
    max: float
    mean: float
    median: float
    sd: float
    peak: float
    peak_index: tuple[int, int, int]
    mtv_threshold: float | None = None
    mtv_rule: str | None = None
    mtv_ml: float | None = None
    mtv_mean: float | None = None
    tlu: float | None = None
    total_activity_mbq: float | None = None
    percent_injected_activity: float | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)


def _sphere_kernel(spacing_xyz: Sequence[float], radius_mm: float) -> NDArray[np.float64]:
    sx, sy, sz = spacing_xyz
    half = [int(np.ceil(radius_mm / s + 0.5)) for s in (sz, sy, sx)]
    sub = (np.arange(5) + 0.5) / 5.0 - 0.5
    offsets = [np.arange(-h, h + 1) for h in half]
    zz, yy, xx = np.meshgrid(*offsets, indexing="ij")
    weight = np.zeros(zz.shape)
    for dz in sub:
        for dy in sub:
            dist2 = ((zz + dz) * sz) ** 2 + ((yy + dy) * sy) ** 2
            for dx in sub:
                weight += (dist2 + ((xx + dx) * sx) ** 2) <= radius_mm**2
    return weight / 125.0


def _sphere_means(
    values: NDArray[np.float64], kernel: NDArray[np.float64], device: str
) -> NDArray[np.float64]:
    """Sphere-weighted means around every voxel of ``values`` (NaN: outside the data);
    the kernel is point-symmetric, so its convolution is the correlation."""
    # imported here: the GPU helpers live beside the dose convolution (dosimetry imports
    # imaging, not the reverse, at module level)
    from theratrial.gpu import fft_convolve_gpu, resolve_device

    use = resolve_device(device)

    def smooth(array: NDArray[np.float64]) -> NDArray[np.float64]:
        if use == "gpu":
            return np.asarray(fft_convolve_gpu(array, kernel, np.float64), dtype=np.float64)
        return np.asarray(fftconvolve(array, kernel, mode="same"), dtype=np.float64)

    valid = np.isfinite(values).astype(np.float64)
    numerator = smooth(values if valid.all() else np.nan_to_num(values, nan=0.0) * valid)
    denominator = smooth(valid)
    with np.errstate(invalid="ignore", divide="ignore"):
        return numerator / denominator


def suv_peak(
    image: Volume,
    mask: Mask,
    *,
    radius_mm: float = PEAK_RADIUS_MM,
    device: Literal["cpu", "gpu", "auto"] = "auto",
) -> tuple[float, tuple[int, int, int]]:
    """Highest mean in a sphere of ``radius_mm`` centred on a VOI voxel (PERCIST SUVpeak).

    Returns the peak value and the ``(z, y, x)`` index of the sphere centre. ``device``:
    where the sphere correlation runs, ``"cpu"``, ``"gpu"`` (CuPy and a CUDA device
    required, else a :class:`~theratrial.errors.ParameterError` naming ``device``) or
    ``"auto"`` (the GPU only when one is usable).
    """
    voi = _check_mask(image, mask)
    kernel = _sphere_kernel(image.spacing_mm, radius_mm)
    half = [k // 2 for k in kernel.shape]
    spans = [np.flatnonzero(voi.any(axis=axes)) for axes in ((1, 2), (0, 2), (0, 1))]
    lo = [max(int(c[0]) - h, 0) for c, h in zip(spans, half, strict=True)]
    hi = [min(int(c[-1]) + h + 1, n) for c, h, n in zip(spans, half, voi.shape, strict=True)]
    box = tuple(slice(a, b) for a, b in zip(lo, hi, strict=True))
    local = _sphere_means(np.asarray(image.array[box], dtype=np.float64), kernel, device)
    local = np.where(voi[box], local, -np.inf)
    flat = int(np.argmax(local))
    where = np.unravel_index(flat, local.shape)
    index = (int(where[0] + lo[0]), int(where[1] + lo[1]), int(where[2] + lo[2]))
    return float(local[where]), index


def _check_mask(image: Volume, mask: Mask) -> NDArray[np.bool_]:
    if not mask.grid.matches(image.grid):
        raise MaskError(
            f"mask {mask.name!r} is not on the image grid",
            file=mask.source,
            hint="load it with load_mask(..., reference=image) or resample_mask",
        )
    if not mask.array.any():
        raise MaskError(f"mask {mask.name!r} is empty", file=mask.source)
    return np.asarray(mask.array, dtype=bool)


def _activity_mbq(
    image: Volume, voi: NDArray[np.bool_], bqml_per_unit: float | NDArray[np.float64] | None
) -> float | None:
    if image.units == "BQML":
        scale = np.ones(image.shape[0])
    elif bqml_per_unit is None:
        return None
    else:
        scale = np.broadcast_to(np.asarray(bqml_per_unit, dtype=np.float64), (image.shape[0],))
    per_slice = np.where(voi, image.array, 0.0).sum(axis=(1, 2))
    return float(np.sum(per_slice * scale) * image.voxel_volume_ml / 1e6)


def voi_statistics(
    image: Volume,
    mask: Mask,
    *,
    mtv: MtvThreshold | None = None,
    injected_activity_mbq: float | None = None,
    bqml_per_unit: float | NDArray[np.float64] | None = None,
    peak_radius_mm: float = PEAK_RADIUS_MM,
    device: Literal["cpu", "gpu", "auto"] = "auto",
) -> VoiStatistics:
    """Statistics of ``image`` inside ``mask`` (which must lie on the image grid).

    Parameters
    ----------
    image
        SUV, Bq/mL, HU or any other quantitative volume.
    mask
        The VOI, on the image's grid (:func:`load_mask` puts it there).
    mtv
        Threshold for MTV and TLU; none computed without it.
    injected_activity_mbq
        Activity that 100 %IA refers to (for PET: the injected activity decayed to the
        reference time, :attr:`SuvResult.decayed_activity_bq`; for SPECT: the administered
        activity, or decayed to scan time for decay-corrected %IA).
    bqml_per_unit
        Bq/mL per image unit (scalar or per slice) for images not in Bq/mL, e.g.
        :meth:`SuvResult.bqml_per_suv`.
    peak_radius_mm
        Sphere radius for the peak (6.2 mm: 1 cm^3).
    device
        Where the peak's sphere correlation runs (see :func:`suv_peak`).
    """
    voi = _check_mask(image, mask)
    values = image.array[voi]
    finite = values[np.isfinite(values)]
    notes: list[str] = list(mask.notes)
    if finite.size == 0:
        raise MaskError(f"mask {mask.name!r} covers no finite image value", file=mask.source)
    if finite.size < values.size:
        notes.append(f"{values.size - finite.size} non-finite voxels ignored")
    peak, peak_index = suv_peak(image, mask, radius_mm=peak_radius_mm, device=device)
    vmax = float(finite.max())
    volume_ml = finite.size * image.voxel_volume_ml
    threshold = mtv_ml = mtv_mean = tlu = None
    rule = None
    if mtv is not None:
        threshold = mtv.resolve(vmax)
        rule = mtv.describe()
        above = finite[finite >= threshold]
        mtv_ml = above.size * image.voxel_volume_ml
        mtv_mean = float(above.mean()) if above.size else 0.0
        tlu = mtv_mean * mtv_ml
    activity = _activity_mbq(image, voi, bqml_per_unit)
    percent = None
    if activity is not None and injected_activity_mbq is not None:
        if not injected_activity_mbq > 0:
            raise ParameterError(f"injected activity must be positive, got {injected_activity_mbq}")
        percent = 100.0 * activity / injected_activity_mbq
    if finite.size * image.voxel_volume_ml < 1.0:
        notes.append("VOI smaller than 1 mL: the peak sphere reaches outside it")
    return VoiStatistics(
        name=mask.name,
        kind=mask.kind,
        units=display_units(image.units),
        n_voxels=int(finite.size),
        volume_ml=float(volume_ml),
        min=float(finite.min()),
        max=vmax,
        mean=float(finite.mean()),
        median=float(np.median(finite)),
        sd=float(finite.std(ddof=1)) if finite.size > 1 else 0.0,
        peak=peak,
        peak_index=peak_index,
        mtv_threshold=threshold,
        mtv_rule=rule,
        mtv_ml=mtv_ml,
        mtv_mean=mtv_mean,
        tlu=tlu,
        total_activity_mbq=activity,
        percent_injected_activity=percent,
        notes=tuple(notes),
    )
