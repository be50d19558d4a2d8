"""Voxel-level part of the patient dosimetry pipeline: Ã maps and mean voxel doses.

- :func:`tia_map_mbq_h`: a voxel Ã map of one cycle, trapezoid over the time points (linear
  from zero at injection) and an exponential tail per voxel at the decay rate of its last
  two points, never slower than physical decay (MIRD Pamphlet No. 16, Siegel et al.,
  J. Nucl. Med. 40 (1999) 37S; Sjögreen Gleisner et al., EJNMMI Phys. 2022, voxel-level Ã).
- :func:`voxel_cycle_doses`: the mean dose of each region per cycle by local energy
  deposition and by dose-voxel-kernel convolution with density correction, after removing
  what is left of earlier cycles (their last image decayed at their own tail rate).

Public through :mod:`theratrial.dosimetry.spect_series` and
:mod:`theratrial.dosimetry.pipeline`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from theratrial.dosimetry.voxel import kernel_dose_gy, local_deposition_dose_gy
from theratrial.dosimetry.voxel_kernel import VoxelKernel
from theratrial.errors import ParameterError
from theratrial.gpu import Device
from theratrial.imaging import Mask
from theratrial.nuclides import nuclide as _nuclide

if TYPE_CHECKING:
    from theratrial.dosimetry.spect_series import SpectTimePoint

__all__ = ["VoxelRegionDose", "tia_map_mbq_h", "voxel_cycle_doses"]


@dataclass(frozen=True, slots=True)
class VoxelRegionDose:
    """Mean voxel dose of a region in one cycle by the two voxel methods (Gy).

    Examples
    --------
    >>> VoxelRegionDose("liver", 4.1, 4.0).kernel_gy
    4.0
    """

    region: str
    local_deposition_gy: float
    kernel_gy: float


def tia_map_mbq_h(
    points: Sequence[SpectTimePoint],
    *,
    nuclide: str,
    residue_mbq_per_ml: Sequence[NDArray[np.float64]] | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Voxel Ã (MBq h per voxel) of one cycle, and the tail decay rate per voxel (1/h).

    Parameters
    ----------
    points
        The time points of one cycle (same grid), in time order.
    nuclide
        The imaged nuclide (physical decay bounds the tail).
    residue_mbq_per_ml
        Activity concentration left from earlier cycles at each time point, subtracted.
    """
    if not points:
        raise ParameterError("no time points", field="points")
    lam_p = math.log(2.0) / _nuclide(nuclide).half_life_h
    ml = points[0].volume.voxel_volume_ml
    times = np.array([p.hours_post_injection for p in points])
    images = []
    for i, p in enumerate(points):
        mbq = p.volume.array * (ml / 1e6)
        if residue_mbq_per_ml is not None:
            mbq = mbq - residue_mbq_per_ml[i] * ml
        images.append(np.clip(mbq, 0.0, None))
    area = 0.5 * times[0] * images[0]
    for i in range(1, len(images)):
        area = area + 0.5 * (times[i] - times[i - 1]) * (images[i] + images[i - 1])
    rate = np.full(images[-1].shape, lam_p)
    if len(images) >= 2:
        with np.errstate(divide="ignore", invalid="ignore"):
            observed = np.log(images[-2] / images[-1]) / (times[-1] - times[-2])
        rate = np.where(np.isfinite(observed) & (observed > lam_p), observed, lam_p)
    return np.asarray(area + images[-1] / rate, dtype=np.float64), np.asarray(rate)


def voxel_cycle_doses(
    cycles: Sequence[Sequence[SpectTimePoint]],
    regions: Sequence[Mask],
    *,
    nuclide: str,
    kernel: VoxelKernel | None,
    density: NDArray[np.float64] | None,
    workers: int,
    device: Device = "auto",
) -> list[tuple[VoxelRegionDose, ...]]:
    """Mean voxel doses of each region, one tuple per cycle (cycles in order).

    The kernel convolution runs its FFTs on ``workers`` threads; without a kernel the
    kernel dose is the local-deposition dose. Without a density map 1.04 g/mL is used.
    ``device`` (``"cpu"``, ``"gpu"`` or ``"auto"``) is where the convolution runs, as in
    :func:`theratrial.dosimetry.voxel.kernel_dose_gy`.
    """
    history: list[tuple[datetime, SpectTimePoint, NDArray[np.float64]]] = []
    rho = density if density is not None else 1.04
    out = []
    for own in cycles:
        injection = own[0].injection_datetime
        residue_maps = []
        for p in own:
            total = np.zeros(p.volume.shape)
            for earlier, last, rate in history:
                shift = (injection - earlier).total_seconds() / 3600.0
                elapsed = p.hours_post_injection + shift - last.hours_post_injection
                total = total + last.volume.array / 1e6 * np.exp(-rate * elapsed)
            residue_maps.append(total)
        tia, rate = tia_map_mbq_h(own, nuclide=nuclide, residue_mbq_per_ml=residue_maps)
        history.append((injection, own[-1], rate))
        led = local_deposition_dose_gy(tia, voxel_size_mm=own[0].voxel_size_mm, nuclide=nuclide,
                                       density_g_per_ml=rho)  # fmt: skip
        conv = (
            kernel_dose_gy(tia, kernel, density_g_per_ml=rho, workers=workers, device=device)
            if kernel is not None else led
        )  # fmt: skip
        out.append(
            tuple(
                VoxelRegionDose(m.name, float(led[m.array].mean()), float(conv[m.array].mean()))
                for m in regions
            )
        )
    return out
