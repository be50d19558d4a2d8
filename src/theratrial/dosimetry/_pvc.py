"""Region part of the patient dosimetry pipeline: masks and densities, VOI activities,
partial-volume recovery, and each region's chain of curve fits over the cycles.

- :func:`region_masks`: the region masks (less the excluded ones) on the SPECT grid, and
  :func:`find_ct`: the CT nearest in date to the first administration;
- :func:`pvc_recoveries`: the recovery coefficient divided into each region's activity
  (:mod:`theratrial.dosimetry.recovery`; Soret, Bacharach & Buvat, J Nucl Med
  2007;48:932), with the resolution behind the small-VOI check;
- :func:`region_activities`: activity (MBq) of each region at each time point, as
  :func:`theratrial.dosimetry.spect_series.region_activity_mbq` sums it, and
  :func:`activity_checks` against the administered activity;
- :func:`region_chains` and :func:`fit_chain`: a region over the cycles. Each cycle's
  measured curve minus what is left of the region's earlier cycles (their fitted curves
  extrapolated, MIRD Pamphlet No. 16, Siegel et al., J Nucl Med 1999;40:37S) makes the
  cycle's time-activity curve, fitted into Ã and dose
  (:func:`theratrial.dosimetry.dose.region_dose`). Chains of different regions share
  nothing, so each is one task of the pipeline's process pool.

Reading the time points and the region masses: :mod:`theratrial.dosimetry._pipeline_read`.

Examples
--------
>>> import numpy as np
>>> from datetime import datetime
>>> from theratrial.dosimetry.radiobiology import KIDNEY
>>> t = np.array([4.0, 24.0, 96.0, 168.0])
>>> chain = RegionChain("kidney_left", "Lu-177", (t,), (datetime(2026, 1, 5, 10),),
...                     (7400.0,), (60.0 * np.exp(-0.0161 * t),), 150.0, "auto",
...                     "adult_male", KIDNEY, "auto")
>>> (cycle,) = fit_chain(chain)
>>> cycle.residue_fraction, round(cycle.dose.tia.tia_mbq_h / (60 / 0.0161), 2)
(0.0, 1.0)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from theratrial.dosimetry.dose import RegionDose, region_dose
from theratrial.dosimetry.radiobiology import Radiobiology
from theratrial.dosimetry.recovery import (
    TYPICAL_SPECT_FWHM_MM,
    RecoveryCurve,
    RegionRecovery,
    region_recoveries,
)
from theratrial.dosimetry.spect_series import (
    RegionMass,
    SpectTimePoint,
    check_region_activity,
)
from theratrial.dosimetry.svalues import Phantom
from theratrial.dosimetry.tac import TimeActivityCurve, time_activity_curve
from theratrial.dosimetry.tia import TiaResult
from theratrial.errors import InputError
from theratrial.imaging import Mask, SeriesRef, Volume, load_masks

__all__ = [
    "CycleFacts",
    "RegionChain",
    "RegionCycle",
    "activity_checks",
    "find_ct",
    "fit_chain",
    "pvc_recoveries",
    "region_activities",
    "region_chains",
    "region_masks",
]


def find_ct(images: Sequence[SeriesRef], first_injection: datetime) -> SeriesRef | None:
    """The CT series nearest in study date to the first administration (None without CT)."""
    cts = [s for s in images if s.modality == "CT"]
    if not cts:
        return None
    target = first_injection.strftime("%Y%m%d")

    def distance(date: str) -> float:
        try:
            return abs(
                (datetime.strptime(date, "%Y%m%d") - datetime.strptime(target, "%Y%m%d")).days
            )
        except ValueError:
            return math.inf

    return min(cts, key=lambda s: distance(s.study_date))


def region_masks(path: Path, reference: Volume, *, exclude: Iterable[str]) -> list[Mask]:
    """The masks under ``path`` on the grid of ``reference``, less the ``exclude`` names
    (case-blind).

    Raises
    ------
    InputError
        No mask left after the exclusions (and the errors of loading the masks).
    """
    skip = {e.lower() for e in exclude}
    found = [m for m in load_masks(path, reference=reference) if m.name.lower() not in skip]
    if not found:
        raise InputError("no region masks left after exclusions", file=path)
    return found


def pvc_recoveries(
    volumes_ml: Mapping[str, float],
    *,
    nuclide: str,
    curve: RecoveryCurve | None,
    resolution_mm: float | None,
) -> tuple[dict[str, RegionRecovery], list[str]]:
    """Recovery of each region and the partial-volume warnings.

    The small-VOI check uses ``resolution_mm``, else the curve's resolution, else the
    nuclide's typical SPECT resolution (said to be assumed).
    """
    fwhm = resolution_mm if resolution_mm is not None else (
        curve.resolution_mm if curve is not None else None
    )  # fmt: skip
    assumed = fwhm is None and nuclide in TYPICAL_SPECT_FWHM_MM
    return region_recoveries(
        dict(volumes_ml), curve=curve,
        resolution_mm=TYPICAL_SPECT_FWHM_MM[nuclide] if assumed else fwhm, assumed=assumed,
    )  # fmt: skip


def region_activities(
    cycles: Sequence[Sequence[SpectTimePoint]],
    region_list: Sequence[Mask],
    vois: Mapping[str, NDArray[np.bool_]],
) -> list[list[NDArray[np.float64]]]:
    """Activity (MBq) of each region at each time point: ``[cycle][region][time]``.

    The sum of Bq/mL x voxel volume over the VOI's voxels in C order, the same sum as
    :func:`~theratrial.dosimetry.spect_series.region_activity_mbq`, through flat voxel
    indices found once per region.
    """
    flat = [np.flatnonzero(vois[m.name]) for m in region_list]

    def mbq(point: SpectTimePoint, idx: NDArray[np.intp]) -> float:
        volume = point.volume
        return float(volume.array.ravel()[idx].sum() * volume.voxel_volume_ml / 1e6)

    return [[np.array([mbq(p, idx) for p in cycle]) for idx in flat] for cycle in cycles]


@dataclass(frozen=True, slots=True)
class CycleFacts:
    """A cycle's administration and imaging times (h), from its first series' header."""

    cycle: int
    injection: datetime
    administered_mbq: float | None
    times_h: tuple[float, ...]
    source: Path | None


def activity_checks(
    cycles: Sequence[CycleFacts],
    names: Sequence[str],
    measured: Sequence[Sequence[NDArray[np.float64]]],
    *,
    nuclide: str,
) -> list[list[list[str]]]:
    """Warnings of :func:`~theratrial.dosimetry.spect_series.check_region_activity`,
    ``[cycle][region]``, checked cycle by cycle and region by region (the first region
    above the administered activity raises its :class:`~theratrial.errors.InputError`).
    """
    return [
        [
            check_region_activity(
                name,
                list(cycle.times_h),
                measured[k][i].tolist(),
                administered_mbq=cycle.administered_mbq,
                nuclide=nuclide,
                source=cycle.source,
            )
            for i, name in enumerate(names)
        ]
        for k, cycle in enumerate(cycles)
    ]


@dataclass(frozen=True, slots=True)
class RegionChain:
    """One region over the cycles: what its fits need.

    Attributes
    ----------
    region, nuclide
        Region name and therapy nuclide.
    times_h, injections, administered_mbq
        Per cycle: imaging times after administration (h), the administration, the
        administered activity (MBq, None if unknown).
    measured_mbq
        Per cycle: the region's activity at each time (MBq), partial-volume corrected.
    mass_g, method, phantom, radiobiology, s_values
        As in :func:`theratrial.dosimetry.dose.region_dose`.
    """

    region: str
    nuclide: str
    times_h: tuple[NDArray[np.float64], ...]
    injections: tuple[datetime, ...]
    administered_mbq: tuple[float | None, ...]
    measured_mbq: tuple[NDArray[np.float64], ...]
    mass_g: float
    method: str
    phantom: Phantom
    radiobiology: Radiobiology
    s_values: str


@dataclass(frozen=True, slots=True)
class RegionCycle:
    """A region in one cycle: its curve, its dose, the residue share, whether clipped."""

    tac: TimeActivityCurve
    dose: RegionDose
    residue_fraction: float | None
    clipped: bool


def region_chains(
    cycles: Sequence[CycleFacts],
    names: Sequence[str],
    measured: Sequence[Sequence[NDArray[np.float64]]],
    *,
    nuclide: str,
    recoveries: Mapping[str, RegionRecovery],
    masses: Mapping[str, RegionMass],
    method: str,
    phantom: Phantom,
    radiobiology: Mapping[str, Radiobiology],
    default_radiobiology: Radiobiology,
    s_values: str,
) -> list[RegionChain]:
    """One :class:`RegionChain` per region, activities divided by the region's RC."""
    times = tuple(np.array(c.times_h) for c in cycles)
    injections = tuple(c.injection for c in cycles)
    administered = tuple(c.administered_mbq for c in cycles)
    chains = []
    for i, name in enumerate(names):
        rc = recoveries[name].recovery_coefficient
        chain = RegionChain(
            name, nuclide, times, injections, administered,
            tuple(measured[k][i] / rc for k in range(len(cycles))),
            masses[name].mass_g, method, phantom,
            radiobiology.get(name, default_radiobiology), s_values,
        )  # fmt: skip
        chains.append(chain)
    return chains


def _residue_curve(
    history: Sequence[tuple[datetime, TiaResult]], injection: datetime, times_h: NDArray[np.float64]
) -> NDArray[np.float64]:
    total = np.zeros_like(times_h)
    for earlier, result in history:
        shift = (injection - earlier).total_seconds() / 3600.0
        total = total + result.activity_mbq(times_h + shift)
    return total


def fit_chain(chain: RegionChain) -> tuple[RegionCycle, ...]:
    """Fit a region cycle by cycle, removing the residue of its earlier cycles.

    A residue above the measurement is clipped to zero activity (``clipped``).
    """
    history: list[tuple[datetime, TiaResult]] = []
    out = []
    for times, injection, administered, measured in zip(
        chain.times_h, chain.injections, chain.administered_mbq, chain.measured_mbq, strict=True
    ):
        residue = _residue_curve(history, injection, times)
        fraction = float(residue[0] / measured[0]) if measured[0] > 0 else None
        activity = measured - residue
        clipped = bool(np.any(activity < 0))
        if clipped:
            activity = np.clip(activity, 0.0, None)
        tac = time_activity_curve(times, activity, region=chain.region, nuclide=chain.nuclide)
        dose = region_dose(
            tac, mass_g=chain.mass_g, administered_activity_mbq=administered,
            method=chain.method, phantom=chain.phantom, radiobiology=chain.radiobiology,
            s_values=chain.s_values,
        )  # fmt: skip
        history.append((injection, dose.tia))
        out.append(RegionCycle(tac, dose, fraction, clipped))
    return tuple(out)
