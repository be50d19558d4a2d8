"""Quantify one study: the per-organ / per-lesion table that ``theratrial quantify`` prints.

The quantitative series of the study folder is chosen (PET, else SPECT/NM, else the only
image series); PET becomes SUV (:func:`compute_suv`), SPECT Bq/mL
(:func:`spect_activity_concentration`). Every mask in the masks folder is put on that
grid (:func:`load_masks`) and measured (:func:`biodistribution`).

%IA refers to the injected activity decayed to the time the image values refer to: the
decay reference time for PET, the acquisition start for SPECT (decay-corrected %IA).

Examples
--------
>>> import tempfile
>>> with tempfile.TemporaryDirectory() as tmp:  # doctest: +ELLIPSIS
...     pick_quantitative_series(tmp)
Traceback (most recent call last):
...
theratrial.errors.DicomError: ...: no DICOM image series found (fix: check the study folder)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from theratrial.errors import DicomError, DicomHeaderError
from theratrial.imaging._suvinputs import dose_bq, half_life_s
from theratrial.imaging._suvtime import injection_time
from theratrial.imaging.biodistribution import Biodistribution, biodistribution
from theratrial.imaging.mask import load_masks
from theratrial.imaging.series import SeriesRef, scan_folder
from theratrial.imaging.spect import spect_activity_concentration
from theratrial.imaging.suv import SuvType, compute_suv
from theratrial.imaging.voi import MtvThreshold
from theratrial.imaging.volume import Volume, load_volume

__all__ = ["StudyQuantification", "pick_quantitative_series", "quantify_study"]


@dataclass(frozen=True, slots=True)
class StudyQuantification:
    """The biodistribution of one series with the conventions used.

    ``quantity`` names what the table's values are: ``SUVbw`` (or another SUV type),
    ``activity concentration`` (Bq/mL) or the modality's native quantity.
    """

    study_uid: str
    series_uid: str
    modality: str
    quantity: str
    units: str
    suv_type: str | None
    table: Biodistribution
    assumptions: tuple[str, ...] = field(default_factory=tuple)


def pick_quantitative_series(root: str | Path) -> SeriesRef:
    """The PET series under ``root``, else the NM series, else the only image series."""
    images = scan_folder(root).images()
    if not images:
        raise DicomError("no DICOM image series found", file=root, hint="check the study folder")
    for modality in ("PT", "NM"):
        hits = [s for s in images if s.modality == modality]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            names = ", ".join(f"'{s.description}' ({s.folder})" for s in hits)
            raise DicomError(
                f"{len(hits)} {modality} series found: {names}",
                file=root,
                hint="point to the folder of one series",
            )
    if len(images) == 1:
        return images[0]
    raise DicomError(
        f"{len(images)} image series and no PET or SPECT", file=root, hint="point to one series"
    )


def _spect_reference_activity(volume: Volume, notes: list[str]) -> float | None:
    pet = volume.pet
    if pet is None or volume.acquisition_datetime is None:
        return None
    file = str(volume.source_files[0]) if volume.source_files else ""
    try:
        scratch: list[str] = []
        dose = dose_bq(pet, file, scratch, None)
        half_life = half_life_s(pet, file, scratch)
        injected = injection_time(pet, file=file, notes=scratch)
    except DicomHeaderError as exc:
        notes.append(f"%IA not available: {exc.message}")
        return None
    elapsed = (volume.acquisition_datetime - injected).total_seconds()
    notes.extend(scratch)
    notes.append("%IA relative to the injected activity decayed to the acquisition start")
    return dose * math.exp(-math.log(2.0) * elapsed / half_life) / 1e6


def quantify_study(
    study: str | Path | SeriesRef,
    masks: str | Path,
    *,
    suv_type: SuvType | str | None = None,
    mtv: MtvThreshold | None = None,
    calibration_cps_per_mbq: float | None = None,
    duration_s: float | None = None,
    lesion_metric: str = "max",
    progress: Callable[[int, int], None] | None = None,
) -> StudyQuantification:
    """Biodistribution table of a study's quantitative series over a folder of masks.

    Parameters
    ----------
    study
        Study folder (or one series folder, or a :class:`SeriesRef`).
    masks
        Folder (or file) of masks: NIfTI files named by region, RTSTRUCT ROIs, SEG
        segments; lesions are recognised by name (see :func:`region_kind`).
    suv_type
        SUV normalisation for PET (default: SUVbw, or the stored type for GML data).
    mtv
        MTV threshold for lesions.
    calibration_cps_per_mbq, duration_s
        For SPECT stored in counts.
    lesion_metric
        Lesion statistic for ratios and Krenning scores: ``max``, ``peak`` or ``mean``.
    progress
        Called as ``progress(done, total)`` while the series is read.
    """
    ref = study if isinstance(study, SeriesRef) else pick_quantitative_series(study)
    volume = load_volume(ref, progress=progress)
    notes: list[str] = []
    bqml: NDArray[np.float64] | None = None
    injected_mbq: float | None = None
    chosen_type: str | None = None
    if volume.modality == "PT":
        suv = compute_suv(volume, suv_type=suv_type)
        image, notes = suv.volume, list(suv.assumptions)
        bqml = suv.bqml_per_suv()
        if suv.decayed_activity_bq is not None:
            injected_mbq = float(np.median(suv.decayed_activity_bq)) / 1e6
            notes.append("%IA relative to the injected activity decayed to the reference time")
        chosen_type = suv.suv_type.value
        quantity = f"SUV{suv.suv_type.value}"
    elif volume.modality == "NM":
        activity = spect_activity_concentration(
            volume, calibration_cps_per_mbq=calibration_cps_per_mbq, duration_s=duration_s
        )
        image, notes = activity.volume, list(activity.assumptions)
        injected_mbq = _spect_reference_activity(volume, notes)
        quantity = "activity concentration"
    else:
        image, notes = volume, list(volume.notes)
        quantity = volume.modality or "value"
    regions = load_masks(masks, reference=image)
    table = biodistribution(
        image,
        regions,
        mtv=mtv,
        injected_activity_mbq=injected_mbq,
        bqml_per_unit=bqml,
        lesion_metric=lesion_metric,
    )
    return StudyQuantification(
        study_uid=volume.study_uid,
        series_uid=volume.series_uid,
        modality=volume.modality,
        quantity=quantity,
        units=table.units,
        suv_type=chosen_type,
        table=table,
        assumptions=(*notes, *table.notes),
    )
