"""Image-based dosimetry of a patient folder: SPECT time points + masks (+ CT) -> doses.

For every cycle found in the folder (quantitative SPECT series grouped by administration,
:mod:`theratrial.dosimetry.spect_series`), the activity in each region mask at each time
point makes a time-activity curve; activity left from earlier cycles is removed by
extrapolating their curves; each curve gives Ã, absorbed dose, dose per GBq and BED
(:func:`theratrial.dosimetry.dose.region_dose`) with the region mass from CT densities.
On request (``pvc="sphere"``) the activity of each region is divided by the recovery
coefficient of its volume (:mod:`theratrial.dosimetry.recovery`: a measured sphere-phantom
curve, or the analytic curve for the given resolution); every region reports the
recovery applied, and VOIs smaller than three resolution volumes are flagged either way.
A region holding more than the administered activity is an error
(:func:`theratrial.dosimetry.spect_series.check_region_activity`).
Optionally (``voxel=True``) a voxel Ã map per cycle gives the mean dose of each region by
local energy deposition and by dose-voxel-kernel convolution with density correction
(:mod:`theratrial.dosimetry._pipeline_voxel`).

Parallel work. After one scan of the folder, each SPECT time point is one task for
``workers`` processes (default: every CPU this process may run on): the task gets the
series' file list, reads and quantifies it, loads the masks on its grid (once per process,
kept while the mask files are unchanged) and returns only the header facts and the activity
(MBq) of each region; the region masses (masks and CT) are one more task. A region's curves
over the cycles form one chain (each cycle subtracts what is left of the region's earlier
cycles), and chains of different regions are independent, so each chain is one task. With
``voxel=True`` the series are read in this process (the voxel doses need the images). The
tasks run the same code as ``workers=1`` (everything in this process, in order), and the
results are identical.

Examples
--------
>>> summary = RegionCumulative("kidney_left", (1, 2), 6.0, 6.5, None)
>>> summary.dose_gy
6.0
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from theratrial.dosimetry._pipeline_read import PointTask, by_time_point, in_this_process
from theratrial.dosimetry._pipeline_voxel import VoxelRegionDose, voxel_cycle_doses
from theratrial.dosimetry._pvc import (
    CycleFacts,
    RegionCycle,
    activity_checks,
    fit_chain,
    pvc_recoveries,
    region_chains,
)
from theratrial.dosimetry.dose import RegionDose
from theratrial.dosimetry.radiobiology import KIDNEY, Radiobiology
from theratrial.dosimetry.recovery import (
    RecoveryCurve,
    RegionRecovery,
    correction_curve,
)
from theratrial.dosimetry.spect_series import RegionMass
from theratrial.dosimetry.svalues import Phantom
from theratrial.dosimetry.tac import TimeActivityCurve
from theratrial.dosimetry.voxel_kernel import voxel_kernel
from theratrial.errors import InputError, ParameterError
from theratrial.gpu import Device, resolve_device
from theratrial.imaging import SeriesRef, scan_folder
from theratrial.nuclides import nuclide as _nuclide

__all__ = [
    "CycleDosimetry",
    "PatientDosimetry",
    "RegionCumulative",
    "VoxelRegionDose",
    "patient_dosimetry",
]

_RESIDUE_WARN = 0.05


@dataclass(frozen=True, slots=True)
class CycleDosimetry:
    """Dosimetry of one cycle.

    Attributes
    ----------
    cycle, injection_datetime, administered_activity_mbq
        The administration.
    times_h
        Imaging times after administration (h).
    tacs
        Region time-activity curves (residue of earlier cycles removed).
    regions
        Dose of each region.
    voxel
        Voxel-level mean doses (empty unless asked for).
    residue_fraction
        ``(region, fraction)``: share of the first image's activity left from earlier cycles.
    warnings
        Cautions about this cycle.
    """

    cycle: int
    injection_datetime: datetime
    administered_activity_mbq: float | None
    times_h: tuple[float, ...]
    tacs: tuple[TimeActivityCurve, ...]
    regions: tuple[RegionDose, ...]
    voxel: tuple[VoxelRegionDose, ...]
    residue_fraction: tuple[tuple[str, float], ...]
    warnings: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RegionCumulative:
    """Cumulative dose of a region over the cycles analysed (Gy); BED None if unknown."""

    region: str
    cycles: tuple[int, ...]
    dose_gy: float
    bed_gy: float | None
    rbe_weighted_dose_gy: float | None


@dataclass(frozen=True, slots=True)
class PatientDosimetry:
    """Dosimetry of every cycle in a patient folder.

    Attributes
    ----------
    root
        The folder.
    nuclide
        Therapy nuclide.
    masses
        Region masses used.
    recovery
        Partial-volume facts of each region (recovery applied, small-VOI flag).
    cycles
        One entry per cycle, in order.
    warnings
        Cautions about the whole analysis.
    """

    root: Path
    nuclide: str
    masses: tuple[RegionMass, ...]
    cycles: tuple[CycleDosimetry, ...]
    warnings: tuple[str, ...]
    recovery: tuple[RegionRecovery, ...] = ()

    def cumulative(self) -> tuple[RegionCumulative, ...]:
        """Per region: summed absorbed dose, BED (sum over cycles) and RBE-weighted dose."""
        per: dict[str, list[RegionDose]] = {}
        cycles: dict[str, list[int]] = {}
        for cycle in self.cycles:
            for dose in cycle.regions:
                per.setdefault(dose.region, []).append(dose)
                cycles.setdefault(dose.region, []).append(cycle.cycle)
        out = []
        for region, doses in per.items():
            beds = [d.bed_gy for d in doses]
            rbes = [d.alpha.rbe_weighted_dose_gy if d.alpha else None for d in doses]
            out.append(
                RegionCumulative(
                    region,
                    tuple(cycles[region]),
                    sum(d.dose_gy for d in doses),
                    None if None in beds else sum(b for b in beds if b is not None),
                    None if None in rbes else sum(r for r in rbes if r is not None),
                )
            )
        return tuple(out)


def _worker_count(workers: int | None) -> int:
    if workers is None:
        if hasattr(os, "sched_getaffinity"):
            return max(1, len(os.sched_getaffinity(0)))
        return max(1, os.cpu_count() or 1)  # pragma: no cover - no affinity on this platform
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ParameterError(
            f"workers must be a whole number >= 1, got {workers!r}", field="workers",
            hint="give 1 to work in this process only, or leave it unset to use every CPU",
        )  # fmt: skip
    return workers


@contextmanager
def _process_pool(workers: int) -> Iterator[Executor | None]:
    """A pool of ``workers`` processes, or None (work here) for one; cancelled on error."""
    if workers <= 1:
        yield None
        return
    pool = ProcessPoolExecutor(max_workers=workers)
    try:
        yield pool
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def patient_dosimetry(
    root: str | Path,
    *,
    nuclide: str = "Lu-177",
    masks: str | Path | None = None,
    ct: str | Path | None = None,
    method: str = "auto",
    voxel: bool = False,
    phantom: Phantom = "adult_male",
    radiobiology: Mapping[str, Radiobiology] | None = None,
    default_radiobiology: Radiobiology = KIDNEY,
    calibration_cps_per_mbq: float | None = None,
    exclude: Iterable[str] = ("body",),
    activity_margin_mm: float = 0.0,
    s_values: str = "auto",
    pvc: str = "none",
    resolution_mm: float | None = None,
    recovery: RecoveryCurve | None = None,
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
    device: Device = "auto",
) -> PatientDosimetry:
    """Dosimetry of every cycle imaged in a patient folder.

    Parameters
    ----------
    root
        Folder holding the SPECT series (any layout), the masks and the CT.
    nuclide
        Therapy nuclide; checked against the SPECT headers' half-life.
    masks
        Mask file or folder (NIfTI, RTSTRUCT, SEG); default ``root/masks`` if present,
        else every mask object under ``root``.
    ct
        CT series folder for densities; default the CT under ``root`` nearest in date to
        the first administration. Without CT, 1.04 g/mL is assumed (with a warning).
    method
        Ã method (:func:`theratrial.dosimetry.tia.time_integrated_activity`).
    voxel
        Also compute voxel dose maps (local deposition and kernel convolution).
    phantom, radiobiology, default_radiobiology
        As in :func:`theratrial.dosimetry.dose.regions_dose`.
    calibration_cps_per_mbq
        Camera sensitivity for SPECT stored in counts.
    exclude
        Region names left out (default the body outline).
    activity_margin_mm
        Grow each region by this margin (into voxels of no other region) when summing its
        activity, to recover partial-volume spill-out; masses stay those of the masks.
    pvc, resolution_mm, recovery
        ``pvc="sphere"`` divides each region's activity by the recovery coefficient of its
        volume, from the measured curve ``recovery`` if given, else the analytic curve for
        ``resolution_mm`` (FWHM, mm), which also sets the small-VOI check (VOI below
        3 x FWHM^3; a typical value for the nuclide without it).
    progress
        Called as ``progress(done, total)`` while series are read.
    workers
        Processes that read the series and fit the regions (and FFT threads of the voxel
        kernel); None uses every CPU this process may run on, 1 works in this process
        only. The results do not depend on it.
    device
        Where the voxel kernel convolution runs (``voxel=True`` only): ``"cpu"``,
        ``"gpu"`` (CuPy and a CUDA device required) or ``"auto"`` (default: the GPU when
        CuPy imports and a device is present), as in
        :func:`theratrial.dosimetry.voxel.kernel_dose_gy`.

    Raises
    ------
    InputError, DicomHeaderError, SeriesGeometryError
        No SPECT, headers that cannot place a SPECT in time, SPECT on different grids, a
        region holding more than the administered activity.
    ParameterError
        An unknown ``pvc``, ``"sphere"`` without a resolution or curve, or with a margin;
        ``workers`` below 1; an unknown ``device``, or ``"gpu"`` without a usable GPU
        (checked before any file is read).
    """
    base = Path(root)
    name = _nuclide(nuclide).name
    count = _worker_count(workers)
    if device != "auto":
        resolve_device(device)  # an unknown device, or "gpu" without one: before any reading
    curve = correction_curve(
        pvc, resolution_mm=resolution_mm, recovery=recovery, margin_mm=activity_margin_mm
    )
    images = scan_folder(base, pixels=False).images()  # pixels read only where loaded
    nm = [s for s in images if s.modality == "NM"]
    mask_path = Path(masks) if masks is not None else base / "masks"
    if masks is None and not mask_path.is_dir():
        mask_path = base
    _no_spect(nm, base)
    task = PointTask(
        nm[0], name, calibration_cps_per_mbq, mask_path, tuple(exclude), activity_margin_mm
    )
    warnings: list[str] = []
    with _process_pool(count) as pool:
        if voxel:
            voxel_part = in_this_process(nm, images, base, task, ct, warnings, progress)
            facts, names, measured, masses, volumes_ml, own, region_list, density = voxel_part
        else:
            facts, names, measured, masses, volumes_ml = by_time_point(
                nm, images, base, task, ct, warnings, progress, pool
            )
        recoveries, pv_warnings = pvc_recoveries(
            volumes_ml, nuclide=name, curve=curve, resolution_mm=resolution_mm
        )
        warnings.extend(pv_warnings)
        if curve is not None and voxel:
            warnings.append("voxel doses are not partial-volume corrected")
        checks = activity_checks(facts, names, measured, nuclide=name)
        jobs = region_chains(
            facts, names, measured, nuclide=name, recoveries=recoveries, masses=masses,
            method=method, phantom=phantom, radiobiology=radiobiology or {},
            default_radiobiology=default_radiobiology, s_values=s_values,
        )  # fmt: skip
        chains = list(map(fit_chain, jobs) if pool is None else pool.map(fit_chain, jobs))
    voxel_doses: list[tuple[VoxelRegionDose, ...]] = [() for _ in facts]
    if voxel:
        kernel = None
        if name == "Lu-177":
            kernel = voxel_kernel(name, voxel_size_mm=own[0][0].voxel_size_mm)
        else:
            warnings.append(f"no voxel kernel for {name}: voxel dose by local deposition only")
        voxel_doses = voxel_cycle_doses(own, region_list, nuclide=name, kernel=kernel,
                                        density=density, workers=count, device=device)  # fmt: skip
    cycles = [
        _cycle(c, [chain[k] for chain in chains], checks[k], voxel_doses[k])
        for k, c in enumerate(facts)
    ]
    return PatientDosimetry(
        base, name, tuple(masses.values()), tuple(cycles), tuple(warnings),
        tuple(recoveries.values()),
    )  # fmt: skip


def _no_spect(nm: Sequence[SeriesRef], base: Path) -> None:
    if not nm:
        raise InputError(
            "no SPECT (NM) series found", file=base,
            hint="put the quantitative SPECT series of each time point under the folder",
        )  # fmt: skip


def _cycle(
    facts: CycleFacts,
    regions: Sequence[RegionCycle],
    checks: Sequence[list[str]],
    voxel: tuple[VoxelRegionDose, ...],
) -> CycleDosimetry:
    administered = facts.administered_mbq
    warnings: list[str] = []
    if administered is None:
        warnings.append("no administered activity in the headers: dose per GBq not given")
    residues: list[tuple[str, float]] = []
    for found, notes in zip(regions, checks, strict=True):
        warnings += notes
        region = found.tac.region
        if found.residue_fraction is not None:
            residues.append((region, found.residue_fraction))
        if found.clipped:
            warnings.append(f"{region}: earlier-cycle residue exceeds the measurement; set to 0")
    for region, fraction in residues:
        if fraction > _RESIDUE_WARN:
            warnings.append(
                f"{region}: {100 * fraction:.0f} % of the first image is earlier cycles'"
            )
    return CycleDosimetry(
        facts.cycle, facts.injection, administered, facts.times_h,
        tuple(r.tac for r in regions), tuple(r.dose for r in regions), voxel, tuple(residues),
        tuple(warnings),
    )  # fmt: skip
