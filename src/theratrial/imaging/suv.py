"""Standardised uptake values from PET series, with every assumption reported.

SUV = C x S / D, where C is the activity concentration (Bq/mL, after each slice's
(0028,1053) Rescale Slope), D the injected activity decayed to the time C refers to (Bq),
and S the body-size normaliser: body weight (g) for SUVbw, lean body mass (g) for SUL
(Janmahasatian or James), ideal body weight (g) for SUVibw, body surface area (cm^2) for
SUVbsa (QIBA vendor-neutral SUV pseudo-code, 2018; PERCIST 1.0, Wahl et al. 2009; IBSI-SUV
manual, Vácha et al. 2026). Units handled, from (0054,1001):

- BQML: values are Bq/mL; decay handled by (0054,1102) Decay Correction START / ADMIN / NONE.
- CNTS: Philips private (7053,1000) SUV scale factor (values x factor = SUVbw) or
  (7053,1009) activity concentration scale factor (values x factor = Bq/mL).
- GML / CM2ML: values are already an SUV; its type comes from (0054,1006) SUV Type.
  Without a requested type they are returned as stored, and labelled with the stored type;
  with one, they are converted by the ratio of body-size normalisers.

Magnitudes are checked: a dose below 1e5 is read as MBq, a weight above 500 as grams, a
height above 3 as centimetres, each with a note in ``assumptions``.

Examples
--------
>>> import numpy as np
>>> from datetime import datetime
>>> from theratrial.imaging.grid import Grid
>>> from theratrial.imaging.petheader import PetHeader
>>> from theratrial.imaging.volume import Volume
>>> t = datetime(2025, 1, 1, 11, 0)
>>> pet = PetHeader("BQML", None, "START", ("DECY", "ATTN"), 70.0, 1.75, "M", 3.6808e8,
...                 6586.2, "F-18", "F-18", "FDG", datetime(2025, 1, 1, 10, 0), None, t,
...                 None, (t,), (300000.0,), (150000.0,), (None,), (None,), None)
>>> grid = Grid((1, 1, 1), (0.0, 0.0, 0.0), (4.0, 4.0, 4.0), (1, 0, 0, 0, 1, 0, 0, 0, 1))
>>> result = compute_suv(Volume(np.full((1, 1, 1), 3600.0), grid, "PT", "BQML", pet=pet))
>>> result.suv_type.value, round(float(result.volume.array[0, 0, 0]), 3)
('bw', 1.0)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
from numpy.typing import NDArray

from theratrial.errors import DicomHeaderError
from theratrial.imaging._dicomio import tag_label
from theratrial.imaging._suvinputs import Patient, dose_bq, half_life_s
from theratrial.imaging._suvtime import decayed_dose, injection_time
from theratrial.imaging.petheader import PetHeader
from theratrial.imaging.suvtype import DICOM_SUV_TYPE, SuvType
from theratrial.imaging.volume import Volume

__all__ = ["SuvResult", "SuvType", "compute_suv"]


@dataclass(frozen=True, slots=True, eq=False)
class SuvResult:
    """An SUV volume and how it was obtained.

    Attributes
    ----------
    volume
        The SUV image (units ``g/mL`` or ``cm2/mL``).
    suv_type
        The SUV normalisation of ``volume`` (the stored type when nothing was converted).
    units
        ``g/mL`` or ``cm2/mL``.
    converted
        False when GML/CM2ML values were returned as stored.
    factors
        Per slice: SUV = input volume value x factor.
    body_size
        The normaliser used, in g (mass) or cm^2 (BSA); ``None`` when not needed.
    injected_activity_bq
        Injected activity after unit checks (Bq); ``None`` when not needed.
    decayed_activity_bq
        Per slice: injected activity decayed to the time the slice refers to (Bq).
    injection_datetime, reference_datetime
        Injection time and decay reference time used.
    half_life_s
        Half-life used (s).
    decay_correction
        START, ADMIN, NONE, or "" when not applicable.
    assumptions
        Every header fact relied on and every fallback taken.
    """

    volume: Volume
    suv_type: SuvType
    units: str
    converted: bool
    factors: NDArray[np.float64]
    body_size: float | None
    injected_activity_bq: float | None
    decayed_activity_bq: NDArray[np.float64] | None
    injection_datetime: datetime | None
    reference_datetime: datetime | None
    half_life_s: float | None
    decay_correction: str
    assumptions: tuple[str, ...]

    def bqml_per_suv(self) -> NDArray[np.float64] | None:
        """Per slice, the activity concentration (Bq/mL) of one SUV unit; ``None`` if unknown.

        Bq/mL = SUV x decayed activity / body size.
        """
        if self.decayed_activity_bq is None or self.body_size is None:
            return None
        return np.asarray(self.decayed_activity_bq / self.body_size, dtype=np.float64)


def compute_suv(
    volume: Volume,
    *,
    suv_type: SuvType | str | None = None,
    weight_kg: float | None = None,
    height_m: float | None = None,
    sex: str | None = None,
    injected_activity_mbq: float | None = None,
    injection_datetime: datetime | None = None,
) -> SuvResult:
    """Convert a PET volume into SUV, reporting every assumption.

    Parameters
    ----------
    volume
        A PET (or NM) volume from :func:`load_volume`, with its header facts.
    suv_type
        ``bw``, ``lbm-janma``, ``lbm-james``, ``bsa`` or ``ibw``. ``None``: SUVbw for
        BQML/CNTS data, the stored type for GML/CM2ML data (no conversion).
    weight_kg, height_m, sex, injected_activity_mbq, injection_datetime
        Values that replace (or supply missing) header facts.

    Raises
    ------
    DicomHeaderError
        A fact the computation needs is missing or implausible; the tag is named.
    """
    pet = volume.pet
    file = str(volume.source_files[0]) if volume.source_files else volume.series_uid
    if pet is None:
        raise DicomHeaderError(
            f"series of modality {volume.modality or 'unknown'} has no PET header",
            file=file,
            field=tag_label("Modality"),
            hint="SUV needs a PET series",
        )
    wanted = None if suv_type is None else SuvType(suv_type)
    notes: list[str] = []
    patient = Patient(pet, file, notes, weight_kg, height_m, sex)
    units = pet.units
    n = volume.shape[0]
    if units in ("GML", "CM2ML"):
        return _from_stored_suv(
            volume, pet, patient, wanted, notes, file, injected_activity_mbq, injection_datetime
        )
    target = wanted or SuvType.BW
    if units == "CNTS":
        suv_factors = pet.philips_suv_factors
        act_factors = pet.philips_activity_factors
        if all(f is not None for f in suv_factors):
            factors = np.asarray(suv_factors, dtype=np.float64)
            notes.append("Units CNTS: Philips SUV scale factor (7053,1000) gives SUVbw")
            if target is not SuvType.BW:
                ratio = patient.size(target) / patient.size(SuvType.BW)
                factors = factors * ratio
                notes.append(f"SUVbw converted to SUV{target.value} (body-size ratio {ratio:.5f})")
            return _result(volume, factors, target, notes)
        if not all(f is not None for f in act_factors):
            raise DicomHeaderError(
                "Units CNTS without the Philips scale factors",
                file=file,
                field="Units (0054,1001)",
                hint="CNTS data need private (7053,1000) or (7053,1009); export in BQML",
            )
        to_bqml = np.asarray(act_factors, dtype=np.float64)
        notes.append(
            "Units CNTS: Philips activity concentration scale factor (7053,1009) gives Bq/mL"
        )
    elif units == "BQML":
        to_bqml = np.ones(n)
    else:
        raise DicomHeaderError(
            f"units {units or '(absent)'} cannot be converted to SUV",
            file=file,
            field="Units (0054,1001)",
            hint="SUV needs BQML, CNTS (Philips), GML or CM2ML data",
        )
    dose = dose_bq(pet, file, notes, injected_activity_mbq)
    half_life = half_life_s(pet, file, notes)
    injected_at = injection_time(pet, file=file, notes=notes, given=injection_datetime)
    decayed = decayed_dose(
        pet, dose_bq=dose, half_life_s=half_life, injected_at=injected_at, n_slices=n, notes=notes
    )
    size = patient.size(target)
    timing = _Timing(
        dose,
        decayed.dose_bq,
        injected_at,
        decayed.reference_datetime,
        half_life,
        decayed.decay_correction,
    )
    return _result(
        volume, to_bqml * size / decayed.dose_bq, target, notes, size=size, timing=timing
    )


@dataclass(frozen=True, slots=True)
class _Timing:
    dose_bq: float
    decayed_bq: NDArray[np.float64]
    injected_at: datetime
    reference: datetime | None
    half_life_s: float
    decay_correction: str


def _optional_timing(
    pet: PetHeader,
    file: str,
    n: int,
    injected_activity_mbq: float | None,
    injection_datetime: datetime | None,
) -> tuple[_Timing | None, list[str]]:
    """Dose timing for data already in SUV, when the header allows (for activity and %IA)."""
    notes: list[str] = []
    try:
        dose = dose_bq(pet, file, notes, injected_activity_mbq)
        half_life = half_life_s(pet, file, notes)
        injected_at = injection_time(pet, file=file, notes=notes, given=injection_datetime)
        decayed = decayed_dose(
            pet,
            dose_bq=dose,
            half_life_s=half_life,
            injected_at=injected_at,
            n_slices=n,
            notes=notes,
        )
    except DicomHeaderError as exc:
        return None, [f"activity (MBq, %IA) not available: {exc.message} ({exc.field})"]
    timing = _Timing(
        dose,
        decayed.dose_bq,
        injected_at,
        decayed.reference_datetime,
        half_life,
        decayed.decay_correction,
    )
    return timing, notes


def _from_stored_suv(
    volume: Volume,
    pet: PetHeader,
    patient: Patient,
    wanted: SuvType | None,
    notes: list[str],
    file: str,
    injected_activity_mbq: float | None,
    injection_datetime: datetime | None,
) -> SuvResult:
    tag = (pet.suv_type or "").upper()
    if pet.units == "CM2ML":
        stored = SuvType.BSA
        if tag and tag != "BSA":
            notes.append(f"Units CM2ML with SUV Type {tag}: SUVbsa assumed from the units")
    elif tag in DICOM_SUV_TYPE and DICOM_SUV_TYPE[tag] is not SuvType.BSA:
        stored = DICOM_SUV_TYPE[tag]
        if tag == "LBM":
            notes.append("SUV Type LBM does not name its formula: James (128) assumed")
    else:
        stored = SuvType.BW
        notes.append(f"Units GML with SUV Type {tag or '(absent)'}: SUVbw assumed")
    notes.append(f"values stored as SUV{stored.value} (Units {pet.units}, SUV Type {tag or '-'})")
    target = wanted or stored
    factors = np.ones(volume.shape[0])
    if target is not stored:
        ratio = patient.size(target) / patient.size(stored)
        factors = factors * ratio
        notes.append(
            f"converted SUV{stored.value} to SUV{target.value} (body-size ratio {ratio:.5f})"
        )
    else:
        notes.append("no conversion asked: stored SUV type reported")
    timing, timing_notes = _optional_timing(
        pet, file, volume.shape[0], injected_activity_mbq, injection_datetime
    )
    size = None
    if timing is not None:
        try:
            size = patient.size(target)
        except DicomHeaderError as exc:
            timing, timing_notes = None, [f"activity not available: {exc.message}"]
    notes.extend(timing_notes)
    return _result(
        volume, factors, target, notes, size=size, timing=timing, converted=target is not stored
    )


def _result(
    volume: Volume,
    factors: NDArray[np.float64],
    suv_type: SuvType,
    notes: list[str],
    *,
    size: float | None = None,
    timing: _Timing | None = None,
    converted: bool = True,
) -> SuvResult:
    factors = np.asarray(factors, dtype=np.float64)
    if not np.all(np.isfinite(factors)) or np.any(factors <= 0):
        raise DicomHeaderError(
            "SUV scale factor is not a positive number", field="Units (0054,1001)"
        )
    array = volume.array * factors[:, None, None]
    return SuvResult(
        volume=volume.with_array(array, units=suv_type.units),
        suv_type=suv_type,
        units=suv_type.units,
        converted=converted,
        factors=factors,
        body_size=size,
        injected_activity_bq=None if timing is None else timing.dose_bq,
        decayed_activity_bq=None if timing is None else timing.decayed_bq,
        injection_datetime=None if timing is None else timing.injected_at,
        reference_datetime=None if timing is None else timing.reference,
        half_life_s=None if timing is None else timing.half_life_s,
        decay_correction="" if timing is None else timing.decay_correction,
        assumptions=(*volume.notes, *notes),
    )
