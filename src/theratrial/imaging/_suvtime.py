"""Injection time, reference time and decayed dose for SUV (private).

Implements the timing rules of the QIBA vendor-neutral SUV pseudo-code (2018) and the
IBSI-SUV manual (Vácha et al. 2026), as summarised in the project's reference sheet,
section 3. Every choice is written to ``notes``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from numpy.typing import NDArray

from theratrial.errors import DicomHeaderError, ParameterError
from theratrial.imaging._dicomio import combine_date_time, parse_tm, tag_label
from theratrial.imaging.petheader import PetHeader

__all__ = [
    "MAX_MIDNIGHT_UPTAKE",
    "DecayedDose",
    "average_decay_time_s",
    "decayed_dose",
    "injection_time",
]

MAX_MIDNIGHT_UPTAKE = timedelta(hours=12)
"""Longest uptake accepted when a date-less injection time is moved to the day before.

A (0018,1072) start time later than the scan is read as an injection before midnight only
when that gives an uptake under 12 h (a PET scan follows the injection by minutes to
hours); otherwise the injection time is after the acquisition and refused."""


@dataclass(frozen=True, slots=True)
class DecayedDose:
    """Injected activity decayed to the time each slice's values refer to."""

    dose_bq: NDArray[np.float64]
    reference_datetime: datetime | None
    decay_correction: str


def average_decay_time_s(half_life_s: float, frame_duration_s: float) -> float:
    """T_ave = (1/lambda) ln(lambda T / (1 - exp(-lambda T))): decay-weighted mid-frame time.

    Examples
    --------
    >>> round(average_decay_time_s(6586.2, 603.0), 2)
    299.91
    """
    lam = math.log(2.0) / half_life_s
    if frame_duration_s <= 0:
        return 0.0
    lt = lam * frame_duration_s
    return math.log(lt / (1.0 - math.exp(-lt))) / lam


def injection_time(
    pet: PetHeader, *, file: object, notes: list[str], given: datetime | None = None
) -> datetime:
    """Injection date-time: ``given``, else (0018,1078), else (0018,1072) on the series date.

    A date-less start time later than the scan means the injection was before midnight: one
    day is taken off, and the note says so, when that gives an uptake under 12 h.

    Raises
    ------
    DicomHeaderError
        No injection time, or one after the acquisition start (tags named).
    ParameterError
        A ``given`` injection time after the acquisition start.
    """
    first = pet.earliest_acquisition or pet.series_datetime
    if given is not None:
        if first is not None and given > first:
            raise ParameterError(
                f"injection time {given.isoformat()} is after the acquisition start "
                f"{first.isoformat()}",
                field="injection_datetime",
                hint="give the time the radiopharmaceutical was injected (before the scan)",
            )
        notes.append(f"injection time {given.isoformat()} given by the caller")
        return given
    if pet.injection_datetime is not None:
        if first is not None and pet.injection_datetime > first:
            raise DicomHeaderError(
                f"injection {pet.injection_datetime.isoformat()} is after the acquisition "
                f"start {first.isoformat()} ({tag_label('AcquisitionDate')}/"
                f"{tag_label('AcquisitionTime')}, {tag_label('SeriesTime')})",
                file=str(file),
                field=tag_label("RadiopharmaceuticalStartDateTime"),
                hint="correct the injection date-time, or pass it (--injection-time)",
            )

        notes.append(
            f"injection time {pet.injection_datetime.isoformat()} from "
            f"{tag_label('RadiopharmaceuticalStartDateTime')}"
        )
        return pet.injection_datetime
    moment = parse_tm(pet.injection_time_only)
    scan = pet.series_datetime or pet.earliest_acquisition
    if moment is None or scan is None:
        raise DicomHeaderError(
            "injection time is missing",
            file=str(file),
            field=tag_label("RadiopharmaceuticalStartTime"),
            hint="add (0018,1078) or (0018,1072) to the header, or pass the injection time "
            "(injection_datetime, --injection-time)",
        )
    candidate = combine_date_time(scan.date(), moment)
    assert candidate is not None
    earliest = pet.earliest_acquisition or scan
    if candidate > earliest:
        if earliest - (candidate - timedelta(days=1)) > MAX_MIDNIGHT_UPTAKE:
            raise DicomHeaderError(
                f"injection time {moment.isoformat()} is after the acquisition start "
                f"{earliest.time().isoformat()} ({tag_label('SeriesTime')}/"
                f"{tag_label('AcquisitionTime')}), and the day before would mean an uptake "
                f"over {MAX_MIDNIGHT_UPTAKE.total_seconds() / 3600:g} h",
                file=str(file),
                field=tag_label("RadiopharmaceuticalStartTime"),
                hint="correct the injection time, or pass it (--injection-time)",
            )
        candidate -= timedelta(days=1)
        notes.append(
            f"injection time {moment.isoformat()} is after the scan start: injected the day "
            f"before, {candidate.isoformat()} (midnight between injection and scan)"
        )
    else:
        notes.append(
            f"injection time {candidate.isoformat()} from "
            f"{tag_label('RadiopharmaceuticalStartTime')} on the series date"
        )
    return candidate


def _reference_time(pet: PetHeader, half_life_s: float, notes: list[str]) -> datetime:
    earliest = pet.earliest_acquisition
    series = pet.series_datetime
    if series is not None and (earliest is None or series <= earliest + timedelta(seconds=1)):
        notes.append(f"decay reference time = Series Date/Time {series.isoformat()}")
        return series
    if pet.ge_scan_datetime is not None:
        notes.append(
            "Series Date/Time is after the acquisition; reference time = GE private scan "
            f"date-time (0009,100D) {pet.ge_scan_datetime.isoformat()}"
        )
        return pet.ge_scan_datetime
    estimates: list[tuple[datetime, datetime]] = []
    for acq, dur_ms, frt_ms in zip(
        pet.acquisition_datetimes,
        pet.frame_durations_ms,
        pet.frame_reference_times_ms,
        strict=True,
    ):
        if acq is not None and dur_ms is not None and frt_ms is not None:
            t_ave = average_decay_time_s(half_life_s, dur_ms / 1000.0)
            estimates.append((acq, acq + timedelta(seconds=t_ave - frt_ms / 1000.0)))
    if estimates:
        estimates.sort()
        chosen = estimates[0][1]
        spread = max(abs((e[1] - chosen).total_seconds()) for e in estimates)
        notes.append(
            "Series Date/Time is after the acquisition; reference time back-computed from "
            "the earliest slice as acquisition time + T_ave - Frame Reference Time (0054,1300): "
            f"{chosen.isoformat(timespec='seconds')}"
            + (f" (slices disagree by up to {spread:.1f} s)" if spread > 1.0 else "")
        )
        return chosen
    if earliest is None:
        raise DicomHeaderError(
            "no usable scan time (Series and Acquisition Date/Time are missing)",
            field=tag_label("AcquisitionTime"),
            hint="add the acquisition times to the header",
        )
    notes.append(
        "Series Date/Time unusable and no frame timing; reference time = earliest "
        f"acquisition {earliest.isoformat()}"
    )
    return earliest


def decayed_dose(
    pet: PetHeader,
    *,
    dose_bq: float,
    half_life_s: float,
    injected_at: datetime,
    n_slices: int,
    notes: list[str],
) -> DecayedDose:
    """The injected activity at the time each slice refers to, by Decay Correction (0054,1102)."""
    mode = (pet.decay_correction or "").upper()
    if not mode:
        mode = "START" if "DECY" in pet.corrected_image else "NONE"
        notes.append(f"Decay Correction (0054,1102) absent; {mode} assumed from Corrected Image")
    elif mode == "START" and pet.corrected_image and "DECY" not in pet.corrected_image:
        notes.append("Decay Correction is START but Corrected Image (0028,0051) lacks DECY")
    lam = math.log(2.0) / half_life_s
    if mode == "ADMIN":
        notes.append("Decay Correction ADMIN: values decay-corrected to the injection time")
        return DecayedDose(np.full(n_slices, dose_bq), injected_at, mode)
    if mode == "START":
        ref = _reference_time(pet, half_life_s, notes)
        elapsed = (ref - injected_at).total_seconds()
        if elapsed < 0:
            notes.append(f"reference time is {-elapsed:.0f} s before the injection; check dates")
        return DecayedDose(np.full(n_slices, dose_bq * math.exp(-lam * elapsed)), ref, mode)
    if mode == "NONE":
        doses = np.empty(n_slices)
        for z in range(n_slices):
            acq = pet.acquisition_datetimes[z]
            if acq is None:
                raise DicomHeaderError(
                    f"slice {z} has no acquisition time, needed for Decay Correction NONE",
                    field=tag_label("AcquisitionTime"),
                )
            duration_ms = pet.frame_durations_ms[z]
            duration_s = (duration_ms or 0.0) / 1000.0
            lt = lam * duration_s
            frame_average = (1.0 - math.exp(-lt)) / lt if lt > 0 else 1.0
            elapsed = (acq - injected_at).total_seconds()
            doses[z] = dose_bq * math.exp(-lam * elapsed) * frame_average
        if any(d is None for d in pet.frame_durations_ms):
            notes.append(
                "Actual Frame Duration (0018,1242) missing on some slices: no frame averaging"
            )
        notes.append(
            "Decay Correction NONE: each slice decay-corrected from its own acquisition time "
            "and frame duration"
        )
        return DecayedDose(doses, pet.earliest_acquisition, mode)
    raise DicomHeaderError(
        f"unknown Decay Correction {mode!r}",
        field=tag_label("DecayCorrection"),
        hint="expected START, ADMIN or NONE",
    )
