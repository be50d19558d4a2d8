"""Reading part of the patient dosimetry pipeline: the SPECT time points, read and
measured where they run (a worker process or this one), and the region masses.

- :class:`PointTask` / :func:`measure_point`: one SPECT series read, quantified and summed
  in each region VOI (:func:`theratrial.dosimetry._pvc.region_activities`' sums); only the
  header facts and region activities (MBq) come back (:class:`PointReading`), never voxels;
- :func:`cached_regions`: the masks on a SPECT grid and their VOIs' flat voxel indices,
  kept per process while the mask files are unchanged;
- :class:`MassTask` / :func:`measure_masses`: each region's mass from CT densities
  (Schneider et al., Phys Med Biol 2000;45:459 through
  :func:`theratrial.dosimetry.spect_series.ct_density_map`) or 1.04 g/mL without CT;
- :func:`by_time_point`: every time point as one task of the pipeline's pool (or in
  order here); :func:`in_this_process`: every time point read here with its voxels kept
  (for the voxel doses).

Examples
--------
The mask cache is keyed by the name, modification time and size of each mask file:

>>> import tempfile
>>> with tempfile.TemporaryDirectory() as tmp:
...     _ = (Path(tmp) / "liver.nii.gz").write_bytes(b"x")
...     [(Path(name).name, size) for name, _, size in _stamp(Path(tmp))]
[('liver.nii.gz', 1)]
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from theratrial.dosimetry._pvc import (
    CycleFacts,
    find_ct,
    region_activities,
    region_masks,
)
from theratrial.dosimetry.spect_series import (
    RegionMass,
    SpectTimePoint,
    _in_cycles,
    _read_time_points,
    _time_point,
    activity_regions,
    ct_density_map,
    region_masses,
)
from theratrial.errors import ParameterError, SeriesGeometryError, TheratrialError
from theratrial.imaging import Grid, Mask, SeriesRef, Volume, load_volume

__all__ = [
    "MassTask",
    "PointReading",
    "PointTask",
    "by_time_point",
    "cached_regions",
    "in_this_process",
    "measure_masses",
    "measure_point",
]


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

    grid: Grid | None
    masks: Path
    exclude: tuple[str, ...]
    margin_mm: float
    ct: SeriesRef | Path | None
    spect: SeriesRef | None = None
    """Without ``grid``: the SPECT series whose grid is used (read where the task runs)."""


def measure_masses(
    task: MassTask, cache: dict[tuple[object, ...], _Regions] | None = None
) -> tuple[dict[str, RegionMass], dict[str, float]]:
    """Mass (CT densities, or 1.04 g/mL without CT) and volume (mL) of each region."""
    grid = task.grid
    if grid is None:
        if task.spect is None:
            raise ParameterError("a mass task needs a grid or a SPECT series", field="grid")
        grid = load_volume(task.spect).grid
    reference = Volume(np.zeros(grid.shape), grid)
    regions = cached_regions(task.masks, reference, exclude=task.exclude,
                             margin_mm=task.margin_mm,
                             cache=_CACHE if cache is None else cache)  # fmt: skip
    density = None
    if task.ct is not None:
        density = ct_density_map(load_volume(task.ct), reference)
    masses = region_masses(regions.masks, density_map=density)
    return masses, {m.name: m.volume_ml for m in regions.masks}


_Measured = tuple[
    list[CycleFacts], list[str], list[list[NDArray[np.float64]]], dict[str, RegionMass],
    dict[str, float],
]  # fmt: skip


def by_time_point(
    nm: Sequence[SeriesRef], images: Sequence[SeriesRef], base: Path, task: PointTask,
    ct: str | Path | None, warnings: list[str], progress: Callable[[int, int], None] | None,
    pool: Executor | None,
) -> _Measured:  # fmt: skip
    """Each time point read and measured where it runs (worker or here): only its header
    facts and region activities come back, never its voxels.

    With a pool, the region masses start first, on the grid of the first series found,
    alongside the time points (when the CT does not depend on the administration date:
    given, or at most one CT); they are used only when that grid is the reference grid
    exactly, else computed again on it, so the results are those of working in order.
    """
    cache: dict[tuple[object, ...], Any] = {}
    tasks = [replace(task, series=ref if pool is None else replace(ref, datasets=()))
             for ref in nm]  # fmt: skip
    early = None
    cts = [s for s in images if s.modality == "CT"]
    if pool is not None and (ct is not None or len(cts) <= 1):
        early_ct = Path(ct) if ct is not None else (_bare(cts[0]) if cts else None)
        early = pool.submit(measure_masses, MassTask(
            None, task.masks, task.exclude, task.margin_mm, early_ct, tasks[0].series))  # fmt: skip
    found = (
        (measure_point(t, cache) for t in tasks)
        if pool is None else pool.map(measure_point, tasks)
    )  # fmt: skip
    readings: list[PointReading] = []
    for reading in found:
        readings.append(reading)
        if progress is not None:
            progress(len(readings), len(tasks))
    numbered = _in_cycles(readings, base)
    first = numbered[0][1]
    for cycle, r in numbered[1:]:
        if not r.grid.matches(first.grid):
            raise SeriesGeometryError(
                f"SPECT of cycle {cycle} at {r.hours:g} h is on another grid",
                file=r.source or base,
                hint="register the time points onto one grid before dosimetry",
            )  # fmt: skip
    if first.mask_error is not None:
        raise first.mask_error
    ct_source = Path(ct) if ct is not None else find_ct(images, first.injection)
    if ct_source is None:
        warnings.append("no CT found: masses use 1.04 g/mL and voxel dose no density correction")
    mass_task = MassTask(first.grid, task.masks, task.exclude, task.margin_mm,
                         None if ct_source is None else _bare(ct_source))  # fmt: skip
    if pool is None:
        masses, volumes_ml = measure_masses(mass_task, cache)
    elif early is not None and readings[0].grid == first.grid:
        masses, volumes_ml = early.result()
    else:
        masses, volumes_ml = pool.submit(measure_masses, mass_task).result()
    own = [[r for c, r in numbered if c == n] for n in sorted({c for c, _ in numbered})]
    facts = [
        CycleFacts(
            k + 1,
            c[0].injection,
            c[0].administered_mbq,
            tuple(float(r.hours) for r in c),
            c[0].source,
        )
        for k, c in enumerate(own)
    ]
    names = list(first.regions)
    measured = [[np.array([r.activity_mbq[i] for r in c]) for i in range(len(names))]
                for c in own]  # fmt: skip
    return facts, names, measured, masses, volumes_ml


def _bare(source: SeriesRef | Path) -> SeriesRef | Path:
    return replace(source, datasets=()) if isinstance(source, SeriesRef) else source


def in_this_process(
    nm: Sequence[SeriesRef], images: Sequence[SeriesRef], base: Path, task: PointTask,
    ct: str | Path | None, warnings: list[str], progress: Callable[[int, int], None] | None,
) -> tuple[
    list[CycleFacts], list[str], list[list[NDArray[np.float64]]], dict[str, RegionMass],
    dict[str, float], list[list[SpectTimePoint]], list[Mask], NDArray[np.float64] | None,
]:  # fmt: skip
    """Every time point read here, voxels kept (for the voxel doses)."""
    points = _read_time_points(
        nm, base, nuclide=task.nuclide, calibration_cps_per_mbq=task.calibration_cps_per_mbq,
        progress=progress,
    )  # fmt: skip
    reference = points[0].volume
    for p in points[1:]:
        if not p.volume.grid.matches(reference.grid):
            raise SeriesGeometryError(
                f"SPECT of cycle {p.cycle} at {p.hours_post_injection:g} h is on another grid",
                file=p.volume.source_files[0] if p.volume.source_files else base,
                hint="register the time points onto one grid before dosimetry",
            )  # fmt: skip
    region_list = region_masks(task.masks, reference, exclude=task.exclude)
    ct_source = Path(ct) if ct is not None else find_ct(images, points[0].injection_datetime)
    density = None
    if ct_source is not None:
        density = ct_density_map(load_volume(ct_source), reference)
    else:
        warnings.append("no CT found: masses use 1.04 g/mL and voxel dose no density correction")
    masses = region_masses(region_list, density_map=density)
    own = [[p for p in points if p.cycle == n] for n in sorted({p.cycle for p in points})]
    vois = activity_regions(region_list, margin_mm=task.margin_mm)
    measured = region_activities(own, region_list, vois)
    facts = [
        CycleFacts(
            c[0].cycle,
            c[0].injection_datetime,
            c[0].administered_activity_mbq,
            tuple(float(p.hours_post_injection) for p in c),
            next(iter(c[0].volume.source_files), None),
        )
        for c in own
    ]
    return (facts, [m.name for m in region_list], measured, masses,
            {m.name: m.volume_ml for m in region_list}, own, region_list, density)  # fmt: skip
