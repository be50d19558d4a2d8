"""Apparent diffusion coefficient: statistics in a VOI and the mono-exponential fit.

The mono-exponential model S(b) = S0 exp(-b ADC) is fitted per voxel by linear least
squares on ln S against b (two b-values give ADC = ln(S1/S2) / (b2 - b1)); Le Bihan et al.,
Radiology 1986;161:401-407; Padhani et al., Neoplasia 2009;11:102-125 (consensus on DWI as
a cancer biomarker). Voxels with a non-positive signal at any b-value are left NaN and
counted as failed: a fit that fails says so instead of raising.

ADC maps written by scanners are usually scaled to 1e-6 mm^2/s; :func:`adc_statistics`
reports the units it assumed.

Examples
--------
>>> import numpy as np
>>> from theratrial.imaging.dwi import DwiSeries
>>> from theratrial.imaging.grid import Grid
>>> from theratrial.imaging.volume import Volume
>>> grid = Grid((1, 1, 2), (0.0, 0.0, 0.0), (2.0, 2.0, 2.0), (1, 0, 0, 0, 1, 0, 0, 0, 1))
>>> s0 = Volume(np.full((1, 1, 2), 1000.0), grid, "MR")
>>> s800 = s0.with_array(1000.0 * np.exp(-800 * np.array([[[1.0e-3, 2.0e-3]]])))
>>> fit = fit_adc(DwiSeries((0.0, 800.0), (s0, s800)))
>>> np.round(fit.volume.array * 1e3, 6).tolist(), fit.n_failed
([[[1.0, 2.0]]], 0)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from theratrial.errors import MaskError, ParameterError
from theratrial.imaging.dwi import DwiSeries
from theratrial.imaging.mask import Mask
from theratrial.imaging.volume import Volume

__all__ = ["AdcFit", "AdcStatistics", "adc_statistics", "fit_adc"]


@dataclass(frozen=True, slots=True, eq=False)
class AdcFit:
    """Result of the voxel-wise mono-exponential fit.

    ``volume`` holds ADC in mm^2/s (NaN where the fit failed), ``s0`` the fitted signal at
    b = 0, ``n_failed`` the number of voxels without a fit.
    """

    volume: Volume
    s0: Volume
    b_values_s_per_mm2: tuple[float, ...]
    n_failed: int
    notes: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class AdcStatistics:
    """ADC statistics in one VOI (``units``: ``mm2/s`` or ``1e-6 mm2/s``)."""

    name: str
    units: str
    n_voxels: int
    volume_ml: float
    mean: float
    median: float
    min: float
    max: float
    sd: float
    percentiles: tuple[tuple[float, float], ...]
    notes: tuple[str, ...] = field(default_factory=tuple)


def fit_adc(dwi: DwiSeries, *, min_signal: float = 0.0) -> AdcFit:
    """Voxel-wise ADC (mm^2/s) from two or more b-values by log-linear least squares."""
    b = np.asarray(dwi.b_values_s_per_mm2, dtype=np.float64)
    if b.size < 2 or np.ptp(b) <= 0:
        raise ParameterError("ADC needs at least two different b-values", field="b_values")
    signals = np.stack([v.array for v in dwi.volumes]).reshape(b.size, -1)
    valid = np.all(np.isfinite(signals) & (signals > min_signal), axis=0)
    logs = np.log(np.where(valid, signals, 1.0))
    design = np.column_stack([np.ones_like(b), -b])
    coefficients = np.linalg.pinv(design) @ logs
    shape = dwi.volumes[0].shape
    adc = np.where(valid, coefficients[1], np.nan).reshape(shape)
    s0 = np.where(valid, np.exp(coefficients[0]), np.nan).reshape(shape)
    failed = int(valid.size - np.count_nonzero(valid))
    notes = [*dwi.notes, f"mono-exponential fit on b = {', '.join(f'{x:g}' for x in b)} s/mm2"]
    if failed:
        notes.append(f"{failed} voxels with non-positive signal: no fit (NaN)")
    first = dwi.volumes[0]
    return AdcFit(
        first.with_array(adc, units="mm2/s"),
        first.with_array(s0, units=first.units),
        tuple(float(x) for x in b),
        failed,
        tuple(notes),
    )


def adc_statistics(
    adc_map: Volume, mask: Mask, *, percentiles: Sequence[float] = (10.0, 25.0, 75.0, 90.0)
) -> AdcStatistics:
    """Mean, median, min, max, SD and percentiles of an ADC map inside a VOI.

    Units: the map's own when set (``mm2/s`` from :func:`fit_adc`); otherwise a median
    above 0.1 is taken as a scanner map scaled to 1e-6 mm^2/s, and said so.
    """
    if not mask.grid.matches(adc_map.grid):
        raise MaskError(f"mask {mask.name!r} is not on the ADC map grid", file=mask.source)
    values = adc_map.array[mask.array]
    values = values[np.isfinite(values)]
    if values.size == 0:
        raise MaskError(f"mask {mask.name!r} holds no finite ADC value", file=mask.source)
    notes: list[str] = []
    units = adc_map.units
    if units not in ("mm2/s", "1e-6 mm2/s"):
        units = "1e-6 mm2/s" if float(np.median(values)) > 0.1 else "mm2/s"
        notes.append(f"ADC map units not stored: {units} assumed from the value range")
    ranks = tuple((float(p), float(np.percentile(values, p))) for p in percentiles)
    return AdcStatistics(
        name=mask.name,
        units=units,
        n_voxels=int(values.size),
        volume_ml=float(values.size * adc_map.voxel_volume_ml),
        mean=float(values.mean()),
        median=float(np.median(values)),
        min=float(values.min()),
        max=float(values.max()),
        sd=float(values.std(ddof=1)) if values.size > 1 else 0.0,
        percentiles=ranks,
        notes=tuple(notes),
    )
