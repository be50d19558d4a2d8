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
local energy deposition and by dose-voxel-kernel convolution with density correction.

Examples
--------
>>> summary = RegionCumulative("kidney_left", (1, 2), 6.0, 6.5, None)
>>> summary.dose_gy
6.0
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from theratrial.dosimetry.dose import RegionDose, region_dose
from theratrial.dosimetry.radiobiology import KIDNEY, Radiobiology
from theratrial.dosimetry.recovery import (
    TYPICAL_SPECT_FWHM_MM,
    RecoveryCurve,
    RegionRecovery,
    correction_curve,
    region_recoveries,
)
from theratrial.dosimetry.spect_series import (
    RegionMass,
    SpectTimePoint,
    activity_regions,
    check_region_activity,
    ct_density_map,
    region_activity_mbq,
    region_masses,
    spect_time_points,
    tia_map_mbq_h,
)
from theratrial.dosimetry.svalues import Phantom
from theratrial.dosimetry.tac import TimeActivityCurve, time_activity_curve
from theratrial.dosimetry.tia import TiaResult
from theratrial.dosimetry.voxel import kernel_dose_gy, local_deposition_dose_gy
from theratrial.dosimetry.voxel_kernel import VoxelKernel, voxel_kernel
from theratrial.errors import InputError, SeriesGeometryError
from theratrial.imaging import Mask, Volume, load_masks, load_volume, scan_folder
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
class VoxelRegionDose:
    """Mean voxel dose of a region in one cycle by the two voxel methods (Gy)."""

    region: str
    local_deposition_gy: float
    kernel_gy: float


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


def _masks(path: Path, reference: Volume, exclude: Iterable[str]) -> list[Mask]:
    skip = {e.lower() for e in exclude}
    masks = [m for m in load_masks(path, reference=reference) if m.name.lower() not in skip]
    if not masks:
        raise InputError("no region masks left after exclusions", file=path)
    return masks


def _find_ct(root: Path, first_injection: datetime) -> Path | None:
    cts = [s for s in scan_folder(root).images() if s.modality == "CT"]
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

    return min(cts, key=lambda s: distance(s.study_date)).folder


def _residue_curve(
    history: Sequence[tuple[datetime, dict[str, TiaResult]]],
    region: str,
    injection: datetime,
    times_h: NDArray[np.float64],
) -> NDArray[np.float64]:
    total = np.zeros_like(times_h)
    for earlier, results in history:
        if region in results:
            shift = (injection - earlier).total_seconds() / 3600.0
            total = total + results[region].activity_mbq(times_h + shift)
    return total


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

    Raises
    ------
    InputError, DicomHeaderError, SeriesGeometryError
        No SPECT, headers that cannot place a SPECT in time, SPECT on different grids, a
        region holding more than the administered activity.
    ParameterError
        An unknown ``pvc``, ``"sphere"`` without a resolution or curve, or with a margin.
    """
    base = Path(root)
    name = _nuclide(nuclide).name
    curve = correction_curve(
        pvc, resolution_mm=resolution_mm, recovery=recovery, margin_mm=activity_margin_mm
    )
    points = spect_time_points(
        base, nuclide=name, calibration_cps_per_mbq=calibration_cps_per_mbq, progress=progress
    )
    reference = points[0].volume
    for p in points[1:]:
        if not p.volume.grid.matches(reference.grid):
            raise SeriesGeometryError(
                f"SPECT of cycle {p.cycle} at {p.hours_post_injection:g} h is on another grid",
                file=p.volume.source_files[0] if p.volume.source_files else base,
                hint="register the time points onto one grid before dosimetry",
            )
    warnings: list[str] = []
    mask_path = Path(masks) if masks is not None else base / "masks"
    if masks is None and not mask_path.is_dir():
        mask_path = base
    region_list = _masks(mask_path, reference, exclude)
    ct_path = Path(ct) if ct is not None else _find_ct(base, points[0].injection_datetime)
    density = None
    if ct_path is not None:
        density = ct_density_map(load_volume(ct_path), reference)
    else:
        warnings.append("no CT found: masses use 1.04 g/mL and voxel dose no density correction")
    masses = region_masses(region_list, density_map=density)
    vois = activity_regions(region_list, margin_mm=activity_margin_mm)
    fwhm = resolution_mm if resolution_mm is not None else (
        curve.resolution_mm if curve is not None else None
    )  # fmt: skip
    assumed = fwhm is None and name in TYPICAL_SPECT_FWHM_MM
    recoveries, pv_warnings = region_recoveries(
        {m.name: m.volume_ml for m in region_list}, curve=curve,
        resolution_mm=TYPICAL_SPECT_FWHM_MM[name] if assumed else fwhm, assumed=assumed,
    )  # fmt: skip
    warnings.extend(pv_warnings)
    if curve is not None and voxel:
        warnings.append("voxel doses are not partial-volume corrected")
    kernel = None
    if voxel and name == "Lu-177":
        kernel = voxel_kernel(name, voxel_size_mm=points[0].voxel_size_mm)
    elif voxel:
        warnings.append(f"no voxel kernel for {name}: voxel dose by local deposition only")
    history: list[tuple[datetime, dict[str, TiaResult]]] = []
    voxel_history: list[tuple[datetime, SpectTimePoint, NDArray[np.float64]]] = []
    cycles: list[CycleDosimetry] = []
    for number in sorted({p.cycle for p in points}):
        own = [p for p in points if p.cycle == number]
        cycle = _cycle(
            own, region_list, vois, masses, history, voxel_history, name, method, phantom,
            radiobiology or {}, default_radiobiology, voxel, kernel, density, s_values,
            {k: r.recovery_coefficient for k, r in recoveries.items()},
        )  # fmt: skip
        cycles.append(cycle)
    return PatientDosimetry(
        base, name, tuple(masses.values()), tuple(cycles), tuple(warnings),
        tuple(recoveries.values()),
    )  # fmt: skip


def _cycle(
    own: list[SpectTimePoint],
    region_list: list[Mask],
    vois: Mapping[str, NDArray[np.bool_]],
    masses: dict[str, RegionMass],
    history: list[tuple[datetime, dict[str, TiaResult]]],
    voxel_history: list[tuple[datetime, SpectTimePoint, NDArray[np.float64]]],
    name: str,
    method: str,
    phantom: Phantom,
    radiobiology: Mapping[str, Radiobiology],
    default_radiobiology: Radiobiology,
    voxel: bool,
    kernel: VoxelKernel | None,
    density: NDArray[np.float64] | None,
    s_values: str,
    recovery: Mapping[str, float],
) -> CycleDosimetry:
    injection = own[0].injection_datetime
    times = np.array([p.hours_post_injection for p in own])
    administered = own[0].administered_activity_mbq
    source = own[0].volume.source_files[0] if own[0].volume.source_files else None
    warnings: list[str] = []
    if administered is None:
        warnings.append("no administered activity in the headers: dose per GBq not given")
    tacs, doses, residues = [], [], []
    results: dict[str, TiaResult] = {}
    for mask in region_list:
        measured = np.array([region_activity_mbq(p.volume, vois[mask.name]) for p in own])
        warnings += check_region_activity(mask.name, times.tolist(), measured.tolist(),
                                          administered_mbq=administered, nuclide=name,
                                          source=source)  # fmt: skip
        measured = measured / recovery[mask.name]
        residue = _residue_curve(history, mask.name, injection, times)
        if measured[0] > 0:
            residues.append((mask.name, float(residue[0] / measured[0])))
        activity = measured - residue
        if np.any(activity < 0):
            warnings.append(f"{mask.name}: earlier-cycle residue exceeds the measurement; set to 0")
            activity = np.clip(activity, 0.0, None)
        tac = time_activity_curve(times, activity, region=mask.name, nuclide=name)
        dose = region_dose(
            tac, mass_g=masses[mask.name].mass_g, administered_activity_mbq=administered,
            method=method, phantom=phantom,
            radiobiology=radiobiology.get(mask.name, default_radiobiology), s_values=s_values,
        )  # fmt: skip
        tacs.append(tac)
        doses.append(dose)
        results[mask.name] = dose.tia
    for region, fraction in residues:
        if fraction > _RESIDUE_WARN:
            warnings.append(
                f"{region}: {100 * fraction:.0f} % of the first image is earlier cycles'"
            )
    voxel_doses: tuple[VoxelRegionDose, ...] = ()
    if voxel:
        voxel_doses = _voxel_doses(own, region_list, voxel_history, name, kernel, density)
    history.append((injection, results))
    return CycleDosimetry(
        own[0].cycle, injection, administered, tuple(float(t) for t in times), tuple(tacs),
        tuple(doses), voxel_doses, tuple(residues), tuple(warnings),
    )  # fmt: skip


def _voxel_doses(
    own: list[SpectTimePoint],
    region_list: list[Mask],
    voxel_history: list[tuple[datetime, SpectTimePoint, NDArray[np.float64]]],
    name: str,
    kernel: VoxelKernel | None,
    density: NDArray[np.float64] | None,
) -> tuple[VoxelRegionDose, ...]:
    injection = own[0].injection_datetime
    residue_maps = []
    for p in own:
        total = np.zeros(p.volume.shape)
        for earlier, last, rate in voxel_history:
            shift = (injection - earlier).total_seconds() / 3600.0
            elapsed = p.hours_post_injection + shift - last.hours_post_injection
            total = total + last.volume.array / 1e6 * np.exp(-rate * elapsed)
        residue_maps.append(total)
    tia, rate = tia_map_mbq_h(own, nuclide=name, residue_mbq_per_ml=residue_maps)
    voxel_history.append((injection, own[-1], rate))
    rho = density if density is not None else 1.04
    led = local_deposition_dose_gy(tia, voxel_size_mm=own[0].voxel_size_mm, nuclide=name,
                                   density_g_per_ml=rho)  # fmt: skip
    conv = kernel_dose_gy(tia, kernel, density_g_per_ml=rho) if kernel is not None else led
    return tuple(
        VoxelRegionDose(m.name, float(led[m.array].mean()), float(conv[m.array].mean()))
        for m in region_list
    )
