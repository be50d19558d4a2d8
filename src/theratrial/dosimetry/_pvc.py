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
import os
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
    _time_point,
    activity_regions,
    check_region_activity,
    ct_density_map,
    region_masses,
)
from theratrial.dosimetry.svalues import Phantom
from theratrial.dosimetry.tac import TimeActivityCurve, time_activity_curve
from theratrial.dosimetry.tia import TiaResult
from theratrial.errors import InputError, TheratrialError
from theratrial.imaging import Grid, Mask, SeriesRef, Volume, load_masks, load_volume

__all__ = [
    "CycleFacts",
    "MassTask",
    "PointReading",
    "PointTask",
    "RegionChain",
    "RegionCycle",
    "activity_checks",
    "cached_regions",
    "find_ct",
    "fit_chain",
    "measure_masses",
    "measure_point",
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


@dataclass(frozen=True, slots=True)
class PointTask:
    """One SPECT time point to read and measure where it runs: paths and options only."""

    series: SeriesRef
    nuclide: str
    calibration_cps_per_mbq: float | None
    masks: Path
    exclude: tuple[str, ...]
    margin_mm: float


@dataclass(frozen=True, slots=True)
class PointReading:
    """What the pipeline keeps of a time point: header facts and region activities (MBq).

    ``mask_error`` holds a failure to load the masks, raised by the pipeline once every
    series is read (the order of errors of reading everything in one process).
    """

    injection: datetime
    acquisition: datetime
    hours: float
    administered_mbq: float | None
    notes: tuple[str, ...]
    grid: Grid
    source: Path | None
    voxel_size_mm: tuple[float, float, float]
    regions: tuple[str, ...]
    activity_mbq: tuple[float, ...]
    mask_error: TheratrialError | None


@dataclass(frozen=True, slots=True, eq=False)
class _Regions:
    masks: tuple[Mask, ...]
    flat: tuple[NDArray[np.intp], ...]


_CACHE: dict[tuple[object, ...], _Regions] = {}


def _stamp(path: Path) -> tuple[tuple[str, int, int], ...]:
    """Name, modification time and size of every file under ``path`` (the cache key)."""
    files = [path] if not path.is_dir() else [
        Path(folder) / f for folder, _, names in os.walk(path) for f in names
    ]  # fmt: skip
    out = []
    for f in sorted(files):
        stat = f.stat()
        out.append((str(f), stat.st_mtime_ns, stat.st_size))
    return tuple(out)


def cached_regions(
    path: Path, reference: Volume, *, exclude: Sequence[str], margin_mm: float,
    cache: dict[tuple[object, ...], _Regions],
) -> _Regions:  # fmt: skip
    """The masks on the reference grid and their activity VOIs' flat voxel indices, from
    ``cache`` when the mask files, the grid and the options are unchanged (one entry)."""
    key = (str(path), _stamp(path), reference.grid, tuple(exclude), margin_mm)
    found = cache.get(key)
    if found is None:
        masks = region_masks(path, reference, exclude=exclude)
        vois = activity_regions(masks, margin_mm=margin_mm)
        found = _Regions(tuple(masks), tuple(np.flatnonzero(vois[m.name]) for m in masks))
        cache.clear()
        cache[key] = found
    return found


def measure_point(
    task: PointTask, cache: dict[tuple[object, ...], _Regions] | None = None
) -> PointReading:
    """Read one SPECT series, quantify it and sum its activity in each region VOI.

    The sums are those of :func:`region_activities`. Without ``cache`` the masks are kept
    in this process (a worker process reads them once per patient).
    """
    read = _time_point(load_volume(task.series), task.nuclide, task.calibration_cps_per_mbq)
    volume = read.volume
    sz, sy, sx = volume.spacing_mm[::-1]
    names: tuple[str, ...] = ()
    activity: tuple[float, ...] = ()
    error: TheratrialError | None = None
    try:
        regions = cached_regions(task.masks, volume, exclude=task.exclude,
                                 margin_mm=task.margin_mm,
                                 cache=_CACHE if cache is None else cache)  # fmt: skip
    except TheratrialError as err:
        error = err
    else:
        names = tuple(m.name for m in regions.masks)
        values = volume.array.ravel()
        activity = tuple(
            float(values[idx].sum() * volume.voxel_volume_ml / 1e6) for idx in regions.flat
        )
    return PointReading(
        read.injection, read.acquisition, read.hours, read.activity_mbq, read.notes,
        volume.grid, volume.source_files[0] if volume.source_files else None,
        (sz, sy, sx), names, activity, error,
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class MassTask:
    """The region masses on a SPECT grid: masks (as the time points read them) and CT."""

    grid: Grid
    masks: Path
    exclude: tuple[str, ...]
    margin_mm: float
    ct: SeriesRef | Path | None


def measure_masses(
    task: MassTask, cache: dict[tuple[object, ...], _Regions] | None = None
) -> tuple[dict[str, RegionMass], dict[str, float]]:
    """Mass (CT densities, or 1.04 g/mL without CT) and volume (mL) of each region."""
    reference = Volume(np.zeros(task.grid.shape), task.grid)
    regions = cached_regions(task.masks, reference, exclude=task.exclude,
                             margin_mm=task.margin_mm,
                             cache=_CACHE if cache is None else cache)  # fmt: skip
    density = None
    if task.ct is not None:
        density = ct_density_map(load_volume(task.ct), reference)
    masses = region_masses(regions.masks, density_map=density)
    return masses, {m.name: m.volume_ml for m in regions.masks}
