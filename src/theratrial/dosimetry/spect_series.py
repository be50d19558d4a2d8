"""Quantitative SPECT time points of a patient, and what dosimetry reads from them.

Finds every NM (SPECT) image series under a folder, expresses it in Bq/mL
(:func:`theratrial.imaging.spect_activity_concentration`), places it on the time axis of
its own administration from the header — (0018,1078) Radiopharmaceutical Start DateTime
and the acquisition start — and groups series by administration into cycles. Then:

- :func:`region_activity_mbq`: activity in each mask (sum of Bq/mL x voxel volume);
- :func:`region_masses`: mass of each mask from CT densities
  (:mod:`theratrial.dosimetry.density`), or a fixed density without CT;
- :func:`check_region_activity`: a region holding more than the administered activity
  (decayed to the scan) is an error; within the calibration tolerance, a warning;
- :func:`tia_map_mbq_h`: a voxel Ã map, trapezoid over the time points (linear from zero
  at injection) and an exponential tail per voxel at the decay rate of its last two points,
  never slower than physical decay (MIRD Pamphlet No. 16; Sjögreen Gleisner et al.,
  EJNMMI Phys. 2022, voxel-level Ã).

Activity left from earlier cycles can be removed with ``residue`` arguments.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

import numpy as np
import SimpleITK as _SimpleITK
from numpy.typing import NDArray
from scipy import ndimage

from theratrial.dosimetry._pipeline_voxel import tia_map_mbq_h
from theratrial.dosimetry.density import DEFAULT_HU_DENSITY, HuDensityCalibration
from theratrial.errors import DicomHeaderError, InputError, ParameterError
from theratrial.imaging import (
    Mask,
    SeriesRef,
    Volume,
    load_volume,
    scan_folder,
    spect_activity_concentration,
)
from theratrial.nuclides import nuclide as _nuclide

__all__ = [
    "ACTIVITY_TOLERANCE",
    "RegionMass",
    "SpectTimePoint",
    "activity_regions",
    "check_region_activity",
    "ct_density_map",
    "region_activity_mbq",
    "region_masses",
    "spect_time_points",
    "tia_map_mbq_h",
]

_HALF_LIFE_TOLERANCE = 0.02
_DOSE_FIELD = "RadionuclideTotalDose (0018,1074)"
MAX_ADMINISTERED_BQ = 1e11
"""100 GBq: above any patient administration (the largest, high-dose 131I-MIBG at about
0.67 GBq/kg, stay below about 50 GBq; 177Lu-DOTATATE is 7.4 GBq per cycle)."""

ACTIVITY_TOLERANCE = 0.10
"""Relative excess over the administered activity still put down to SPECT calibration
(quantitative 177Lu SPECT is accurate to about 10 %: MIRD Pamphlet No. 26; EANM/MIRD
guideline, Sjögreen Gleisner et al., EJNMMI 2022;49:1778)."""
sitk: Any = _SimpleITK  # the package ships no type information


@dataclass(frozen=True, slots=True, eq=False)
class SpectTimePoint:
    """One quantitative SPECT acquisition after one administration.

    Attributes
    ----------
    cycle
        Cycle number (administrations in date order, from 1).
    hours_post_injection
        Acquisition start minus administration time (h).
    injection_datetime, acquisition_datetime
        The two times.
    administered_activity_mbq
        (0018,1074) Radionuclide Total Dose, in MBq (None when absent).
    volume
        Activity concentration (Bq/mL, not decay-corrected) on the SPECT grid.
    notes
        Assumptions taken while reading it.
    """

    cycle: int
    hours_post_injection: float
    injection_datetime: datetime
    acquisition_datetime: datetime
    administered_activity_mbq: float | None
    volume: Volume
    notes: tuple[str, ...]

    @property
    def voxel_size_mm(self) -> tuple[float, float, float]:
        """Voxel sides in array order (z, y, x), mm."""
        sx, sy, sz = self.volume.spacing_mm
        return (sz, sy, sx)


def _where(volume: Volume) -> Path | None:
    return volume.source_files[0] if volume.source_files else None


def _activity_mbq(raw: float | None, notes: list[str], source: Path | None) -> float | None:
    if raw is None or not raw > 0:
        return None
    if not raw <= MAX_ADMINISTERED_BQ:
        raise DicomHeaderError(
            f"administered activity {raw:g} Bq is above any patient administration "
            f"({MAX_ADMINISTERED_BQ:g} Bq = 100 GBq)",
            file=source, field=_DOSE_FIELD,
            hint="correct the Radionuclide Total Dose (in Bq) in the SPECT header",
        )  # fmt: skip
    if raw < 1e5:  # a therapy activity in Bq is never this small: stored in MBq
        notes.append(f"Radionuclide Total Dose {raw:g} read as MBq (too small for Bq)")
        return float(raw)
    return float(raw) / 1e6


@dataclass(frozen=True, slots=True, eq=False)
class _Read:
    injection: datetime
    acquisition: datetime
    hours: float
    activity_mbq: float | None
    volume: Volume
    notes: tuple[str, ...]


def _time_point(volume: Volume, nuclide_name: str, calibration: float | None) -> _Read:
    header = volume.pet
    source = _where(volume)
    if header is None or header.injection_datetime is None:
        raise DicomHeaderError(
            "no administration date-time: the SPECT cannot be placed on the time axis",
            file=source, field="RadiopharmaceuticalStartDateTime (0018,1078)",
            hint="the series needs its radiopharmaceutical start date-time",
        )  # fmt: skip
    if volume.acquisition_datetime is None:
        raise DicomHeaderError(
            "no acquisition date-time", file=source, field="AcquisitionDateTime (0008,002A)"
        )
    expected = _nuclide(nuclide_name).half_life_h
    if header.half_life_s is not None:
        found = header.half_life_s / 3600.0
        if abs(found - expected) > _HALF_LIFE_TOLERANCE * expected:
            raise DicomHeaderError(
                f"header half-life {found:.4g} h does not match {nuclide_name} ({expected:.4g} h)",
                file=source, field="RadionuclideHalfLife (0018,1075)",
                hint="check --nuclide against the imaged radionuclide",
            )  # fmt: skip
    quantified = spect_activity_concentration(volume, calibration_cps_per_mbq=calibration)
    hours = (volume.acquisition_datetime - header.injection_datetime).total_seconds() / 3600.0
    if not hours > 0:
        raise DicomHeaderError(
            f"acquisition {hours:.2f} h after administration: it must come after it",
            file=source, field="AcquisitionDateTime (0008,002A)",
        )  # fmt: skip
    notes = list(quantified.assumptions)
    activity = _activity_mbq(header.injected_dose_raw, notes, source)
    return _Read(
        header.injection_datetime, volume.acquisition_datetime, hours, activity,
        quantified.volume, tuple(notes),
    )  # fmt: skip


def _read_time_points(
    series: Sequence[SeriesRef],
    root: str | Path,
    *,
    nuclide: str,
    calibration_cps_per_mbq: float | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[SpectTimePoint, ...]:
    """Time points of these NM series (already found; ``root`` names the folder in errors)."""
    name = _nuclide(nuclide).name
    if not series:
        raise InputError(
            "no SPECT (NM) series found", file=root,
            hint="put the quantitative SPECT series of each time point under the folder",
        )  # fmt: skip
    rows = []
    for i, ref in enumerate(series):
        rows.append(_time_point(load_volume(ref), name, calibration_cps_per_mbq))
        if progress is not None:
            progress(i + 1, len(series))
    return tuple(
        SpectTimePoint(
            cycle, r.hours, r.injection, r.acquisition, r.activity_mbq, r.volume, r.notes
        )
        for cycle, r in _in_cycles(rows, root)
    )


class _Timed(Protocol):
    @property
    def injection(self) -> datetime: ...
    @property
    def hours(self) -> float: ...


_T = TypeVar("_T", bound=_Timed)


def _in_cycles(rows: Sequence[_T], root: str | Path) -> list[tuple[int, _T]]:
    """``(cycle, row)`` in cycle and time order; cycles are administrations in date order.

    Raises
    ------
    InputError
        Two series at the same time of one cycle.
    """
    injections = sorted({r.injection for r in rows})
    numbered = [(injections.index(r.injection) + 1, r) for r in rows]
    numbered.sort(key=lambda c: (c[0], c[1].hours))
    for (ca, a), (cb, b) in itertools.pairwise(numbered):
        if ca == cb and math.isclose(a.hours, b.hours):
            raise InputError(
                f"two SPECT series at {a.hours:g} h of cycle {ca}",
                file=root, hint="keep one series per time point",
            )  # fmt: skip
    return numbered


def spect_time_points(
    root: str | Path,
    *,
    nuclide: str = "Lu-177",
    calibration_cps_per_mbq: float | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[SpectTimePoint, ...]:
    """Every quantitative SPECT under ``root``, in cycle and time order.

    Raises
    ------
    InputError
        When no NM series is found.
    DicomHeaderError
        A series without administration or acquisition time, or whose half-life is not the
        nuclide's.
    """
    series = [s for s in scan_folder(root).images() if s.modality == "NM"]
    return _read_time_points(
        series, root, nuclide=nuclide, calibration_cps_per_mbq=calibration_cps_per_mbq,
        progress=progress,
    )  # fmt: skip


def activity_regions(masks: Sequence[Mask], *, margin_mm: float) -> dict[str, NDArray[np.bool_]]:
    """Activity VOIs: each mask grown by ``margin_mm`` into voxels of no other mask.

    A voxel outside every mask but within ``margin_mm`` of one goes to the nearest mask
    (Euclidean distance in mm), so grown VOIs never overlap. Growing the VOI recovers the
    activity that partial volume and resolution spill out of an organ, when its
    surroundings are cold (the "large VOI" approach, MIRD Pamphlet No. 23, Dewaraja et al.,
    J. Nucl. Med. 53 (2012) 1310); the mass stays that of the mask itself.
    """
    if margin_mm < 0:
        raise ParameterError(f"margin must be >= 0, got {margin_mm} mm", field="margin_mm")
    if margin_mm == 0 or not masks:
        return {m.name: m.array for m in masks}
    labels = np.zeros(masks[0].array.shape, dtype=np.int32)
    for i, mask in enumerate(masks, start=1):
        labels[mask.array & (labels == 0)] = i
    sx, sy, sz = masks[0].grid.spacing_mm
    distance, nearest = ndimage.distance_transform_edt(
        labels == 0, sampling=(sz, sy, sx), return_indices=True
    )
    owner = labels[tuple(nearest)]
    grown = np.where((labels == 0) & (distance <= margin_mm), owner, labels)
    return {m.name: (grown == i) for i, m in enumerate(masks, start=1)}


def region_activity_mbq(volume: Volume, mask: Mask | NDArray[np.bool_]) -> float:
    """Activity (MBq) inside a mask (or boolean VOI): sum of Bq/mL x voxel volume."""
    selector = mask.array if isinstance(mask, Mask) else mask
    if selector.shape != volume.array.shape:
        raise ParameterError(
            "the mask is not on the SPECT grid", field="mask",
            hint="load masks with the SPECT volume as reference",
        )  # fmt: skip
    return float(volume.array[selector].sum() * volume.voxel_volume_ml / 1e6)


def check_region_activity(
    region: str,
    times_h: Sequence[float],
    activity_mbq: Sequence[float],
    *,
    administered_mbq: float | None,
    nuclide: str,
    source: Path | None = None,
    tolerance: float = ACTIVITY_TOLERANCE,
) -> list[str]:
    """Compare a region's activity with the administered activity decayed to each scan.

    Returns a warning (``activity above administered``) for an excess within
    ``tolerance``; nothing when below; skipped without an administered activity.

    Raises
    ------
    InputError
        A region holds more than (1 + tolerance) x the administered activity at a scan:
        the SPECT calibration or (0018,1074) Radionuclide Total Dose is wrong.
    """
    if administered_mbq is None:
        return []
    lam = math.log(2.0) / _nuclide(nuclide).half_life_h
    worst_ratio, worst = 0.0, 0
    for i, (t, a) in enumerate(zip(times_h, activity_mbq, strict=True)):
        ratio = a / (administered_mbq * math.exp(-lam * t))
        if ratio > worst_ratio:
            worst_ratio, worst = ratio, i
    if worst_ratio <= 1.0:
        return []
    text = (
        f"{region}: {activity_mbq[worst]:.4g} MBq at {times_h[worst]:g} h is "
        f"{100 * (worst_ratio - 1):.1f} % above the administered {administered_mbq:.4g} MBq "
        "decayed to the scan"
    )
    if worst_ratio > 1.0 + tolerance:
        raise InputError(
            text, file=source, field=_DOSE_FIELD,
            hint="check the administered activity in the header and the SPECT calibration "
            "(--calibration-cps-per-mbq)",
        )  # fmt: skip
    return [f"activity above administered (within the {100 * tolerance:g} % calibration "
            f"tolerance): {text}"]  # fmt: skip


@dataclass(frozen=True, slots=True)
class RegionMass:
    """Volume, mean density and mass of a region mask."""

    region: str
    volume_ml: float
    density_g_per_ml: float
    mass_g: float
    source: str


def ct_density_map(
    ct: Volume, reference: Volume, *, calibration: HuDensityCalibration = DEFAULT_HU_DENSITY
) -> NDArray[np.float64]:
    """Density (g/mL) on the reference (SPECT) grid from a CT in HU, resampled linearly."""
    if ct.grid.matches(reference.grid):
        hu = ct.array
    else:
        moving = ct.grid.to_sitk(np.asarray(ct.array, dtype=np.float64))
        fixed = reference.grid.to_sitk()
        resampled = sitk.Resample(
            moving, fixed, sitk.Transform(), sitk.sitkLinear, -1000.0, sitk.sitkFloat64
        )
        hu = sitk.GetArrayFromImage(resampled)
    return calibration(hu)


def region_masses(
    masks: Sequence[Mask],
    *,
    density_map: NDArray[np.float64] | None = None,
    default_density_g_per_ml: float = 1.04,
) -> dict[str, RegionMass]:
    """Mass of each mask: sum of voxel density x voxel volume (or a fixed density).

    Raises
    ------
    ParameterError
        For an empty mask.
    """
    out: dict[str, RegionMass] = {}
    for mask in masks:
        if mask.n_voxels == 0:
            raise ParameterError(f"mask {mask.name!r} is empty", field="mask")
        volume = mask.volume_ml
        if density_map is not None:
            rho = float(density_map[mask.array].mean())
            source = "CT density"
        else:
            rho = default_density_g_per_ml
            source = f"fixed density {rho:g} g/mL (no CT)"
        out[mask.name] = RegionMass(mask.name, volume, rho, volume * rho, source)
    return out
