"""SPECT quantification: activity concentration (Bq/mL) from counts or as stored.

A reconstructed SPECT in counts becomes an activity concentration with the camera's
calibration (sensitivity) factor, measured on a phantom in counts per second per MBq:

    C (Bq/mL) = counts / (t_acq (s) x S (cps/MBq)) x 1e6 / V_voxel (mL)

(MIRD Pamphlet No. 26, Ljungberg et al., J Nucl Med 2016;57:151-162; EANM/MIRD guideline
for quantitative 177Lu SPECT). Series already stored in Bq/mL ((0054,1001) Units BQML, as
written by quantitative reconstructions) are returned unchanged. Values are not decay
corrected: they refer to the acquisition (``Volume.acquisition_datetime``), which is what a
time-activity curve needs.

Examples
--------
>>> import numpy as np
>>> from theratrial.imaging.grid import Grid
>>> from theratrial.imaging.volume import Volume
>>> grid = Grid((1, 1, 1), (0.0, 0.0, 0.0), (4.0, 4.0, 4.0), (1, 0, 0, 0, 1, 0, 0, 0, 1))
>>> counts = Volume(np.full((1, 1, 1), 1.0e4), grid, "NM", "CNTS")
>>> result = spect_activity_concentration(counts, calibration_cps_per_mbq=10.0, duration_s=1000.0)
>>> round(float(result.volume.array[0, 0, 0]), 1)  # 1 MBq in a 0.064 mL voxel
15625000.0
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

from theratrial.errors import DicomHeaderError, ParameterError
from theratrial.imaging.volume import Volume

__all__ = ["ActivityResult", "spect_activity_concentration"]


@dataclass(frozen=True, slots=True, eq=False)
class ActivityResult:
    """A SPECT volume in Bq/mL and how it was obtained.

    Attributes
    ----------
    volume
        Activity concentration, Bq/mL (units ``BQML``), at acquisition time.
    calibration_cps_per_mbq
        Sensitivity used (``None`` when the series was already in Bq/mL).
    duration_s
        Acquisition duration used (``None`` when not needed).
    acquisition_datetime
        Start of the acquisition the values refer to.
    assumptions
        Every fact relied on.
    """

    volume: Volume
    calibration_cps_per_mbq: float | None
    duration_s: float | None
    acquisition_datetime: datetime | None
    assumptions: tuple[str, ...]


def spect_activity_concentration(
    volume: Volume,
    *,
    calibration_cps_per_mbq: float | None = None,
    duration_s: float | None = None,
) -> ActivityResult:
    """Express a SPECT volume in Bq/mL.

    Parameters
    ----------
    volume
        Reconstructed SPECT in counts (units ``CNTS``) or already in Bq/mL (``BQML``).
    calibration_cps_per_mbq
        Camera sensitivity, counts per second per MBq, for count data.
    duration_s
        Acquisition duration; defaults to the header's rotation time (frame duration x
        frames in rotation, (0054,0052)).

    Raises
    ------
    ParameterError
        Count data without a positive calibration factor or duration.
    DicomHeaderError
        Units that are neither counts nor Bq/mL.
    """
    notes = list(volume.notes)
    units = volume.units.upper()
    if units == "BQML":
        notes.append("values already in Bq/mL (Units (0054,1001) BQML)")
        if calibration_cps_per_mbq is not None:
            notes.append("calibration factor ignored: the series is already quantitative")
        return ActivityResult(volume, None, None, volume.acquisition_datetime, tuple(notes))
    if units not in ("CNTS", "COUNTS", ""):
        raise DicomHeaderError(
            f"units {volume.units} cannot be turned into Bq/mL",
            file=volume.source_files[0] if volume.source_files else None,
            field="Units (0054,1001)",
            hint="give a SPECT in counts (with a calibration factor) or in Bq/mL",
        )
    if calibration_cps_per_mbq is None or not calibration_cps_per_mbq > 0:
        raise ParameterError(
            "a SPECT in counts needs the camera calibration factor (cps/MBq)",
            field="calibration_cps_per_mbq",
            hint="pass the sensitivity measured on your camera (--calibration-cps-per-mbq)",
        )
    if duration_s is None:
        duration_s = volume.acquisition_duration_s
        if duration_s is None:
            raise DicomHeaderError(
                "acquisition duration is missing",
                file=volume.source_files[0] if volume.source_files else None,
                field="ActualFrameDuration (0018,1242)",
                hint="pass the acquisition duration in seconds (--duration-s)",
            )
        notes.append(f"acquisition duration {duration_s:g} s from the header rotation data")
    elif not duration_s > 0:
        raise ParameterError(f"duration must be positive, got {duration_s} s", field="duration_s")
    scale = 1.0e6 / (duration_s * calibration_cps_per_mbq * volume.voxel_volume_ml)
    notes.append(
        f"Bq/mL = counts / ({duration_s:g} s x {calibration_cps_per_mbq:g} cps/MBq) "
        f"x 1e6 / {volume.voxel_volume_ml:.5g} mL; no decay during acquisition"
    )
    out = volume.with_array(np.asarray(volume.array * scale, dtype=np.float64), units="BQML")
    return ActivityResult(
        out, calibration_cps_per_mbq, duration_s, volume.acquisition_datetime, tuple(notes)
    )
