"""Patient body size, injected activity and half-life for SUV, with unit checks (private).

Magnitude rules (reference sheet, section 3): a dose below 1e5 is read as MBq, a weight
above 500 as grams, a height above 3 as centimetres; each choice is noted. An injected
activity above ``MAX_INJECTED_BQ`` (1e11 Bq = 100 GBq) is refused: diagnostic PET uses at
most a few GBq (82Rb up to about 2.2 GBq per injection), and even the largest therapeutic
administrations (high-dose 131I-MIBG at about 0.67 GBq/kg) stay below about 50 GBq.
"""

from __future__ import annotations

from theratrial.errors import DicomHeaderError, NuclideError, ParameterError
from theratrial.imaging._dicomio import tag_label
from theratrial.imaging.bodysize import (
    body_surface_area_m2,
    ideal_body_weight_kg,
    lean_body_mass_james_kg,
    lean_body_mass_janmahasatian_kg,
    sex_is_known,
)
from theratrial.imaging.petheader import PetHeader
from theratrial.imaging.suvtype import SuvType
from theratrial.nuclides import nuclide

__all__ = ["MAX_INJECTED_BQ", "Patient", "dose_bq", "half_life_s"]

MAX_INJECTED_BQ = 1.0e11
"""Largest injected activity accepted (Bq): 100 GBq, above any patient administration."""


class Patient:
    """Weight, height and sex with unit checks, computed once and explained."""

    def __init__(
        self,
        pet: PetHeader,
        file: str,
        notes: list[str],
        weight_kg: float | None,
        height_m: float | None,
        sex: str | None,
    ) -> None:
        self.pet, self.file, self.notes = pet, file, notes
        self._weight = weight_kg
        self._height = height_m
        self.sex = sex if sex is not None else pet.patient_sex
        self._weight_ok = weight_kg is not None
        self._height_ok = height_m is not None
        for given, text in (
            (weight_kg, f"body weight {weight_kg} kg"),
            (height_m, f"height {height_m} m"),
            (sex, f"Patient's Sex {sex!r}"),
        ):
            if given is not None:
                notes.append(f"{text} given by the caller")

    def weight_kg(self) -> float:
        if not self._weight_ok:
            raw = self.pet.patient_weight_raw
            if raw is None or not raw > 0:
                raise DicomHeaderError(
                    "patient weight is missing" if raw is None else f"patient weight is {raw}",
                    file=self.file,
                    field=tag_label("PatientWeight"),
                    hint="add the weight in kg to the header, or pass weight_kg (--weight-kg)",
                )
            if raw > 500:
                self.notes.append(f"{tag_label('PatientWeight')} = {raw:g} read as grams")
                raw /= 1000.0
            self._weight, self._weight_ok = raw, True
            self.notes.append(f"body weight {raw:g} kg from {tag_label('PatientWeight')}")
        assert self._weight is not None
        return self._weight

    def height_m(self) -> float:
        if not self._height_ok:
            raw = self.pet.patient_size_raw
            if raw is None or not raw > 0:
                raise DicomHeaderError(
                    "patient height is missing" if raw is None else f"patient height is {raw}",
                    file=self.file,
                    field=tag_label("PatientSize"),
                    hint="add the height in m to the header, or pass height_m (--height-m)",
                )
            if raw > 3:
                self.notes.append(f"{tag_label('PatientSize')} = {raw:g} read as centimetres")
                raw /= 100.0
            self._height, self._height_ok = raw, True
            self.notes.append(f"height {raw:g} m from {tag_label('PatientSize')}")
        assert self._height is not None
        return self._height

    def size(self, kind: SuvType) -> float:
        """Body-size normaliser in g (mass types) or cm^2 (BSA)."""
        if kind is SuvType.BW:
            return 1000.0 * self.weight_kg()
        if kind is SuvType.BSA:
            bsa = body_surface_area_m2(self.weight_kg(), self.height_m())
            self.notes.append(f"body surface area {bsa:.4f} m2 (Du Bois)")
            return 1.0e4 * bsa
        if not sex_is_known(self.sex):
            self.notes.append(
                f"Patient's Sex (0010,0040) is {self.sex!r}: mean of the male and female "
                f"formulas used for {kind.value}"
            )
        if kind is SuvType.IBW:
            value = ideal_body_weight_kg(self.height_m(), self.sex)
            self.notes.append(f"ideal body weight {value:.3f} kg (Sugawara 1999)")
        elif kind is SuvType.LBM_JANMA:
            value = lean_body_mass_janmahasatian_kg(self.weight_kg(), self.height_m(), self.sex)
            self.notes.append(f"lean body mass {value:.3f} kg (Janmahasatian 2005)")
        else:
            value = lean_body_mass_james_kg(self.weight_kg(), self.height_m(), self.sex)
            self.notes.append(f"lean body mass {value:.3f} kg (James 1976, 128 form)")
        return 1000.0 * value


def _code_half_life_s(name: str | None) -> float | None:
    if not name:
        return None
    try:
        return nuclide(name).half_life_h * 3600.0
    except NuclideError:
        return None


def half_life_s(pet: PetHeader, file: str, notes: list[str]) -> float:
    """Half-life (s) from (0018,1075); the radionuclide codes only as a fallback.

    The header value wins over the codes (the IBSI-SUV DRO_5_0 labels Ga-68 with the code
    of Ga-66); a disagreement is noted.
    """
    header = pet.half_life_s if pet.half_life_s is not None and pet.half_life_s > 0 else None
    for label, name in (("Code Meaning", pet.radionuclide), ("Code Value", pet.radionuclide_code)):
        from_code = _code_half_life_s(name)
        if header is not None and from_code is not None and abs(from_code / header - 1) > 0.01:
            notes.append(
                f"Radionuclide Code Sequence (0054,0300) {label} names {name} (half-life "
                f"{from_code:.1f} s) but {tag_label('RadionuclideHalfLife')} is {header:g} s; "
                "the header half-life is used"
            )
    if header is not None:
        notes.append(f"half-life {header:g} s from {tag_label('RadionuclideHalfLife')}")
        return header
    for name in (pet.radionuclide, pet.radionuclide_code):
        from_code = _code_half_life_s(name)
        if from_code is not None:
            notes.append(f"half-life {from_code:.1f} s of {name} (header value missing)")
            return from_code
    raise DicomHeaderError(
        "radionuclide half-life is missing",
        file=file,
        field=tag_label("RadionuclideHalfLife"),
        hint="add (0018,1075) or the Radionuclide Code Sequence to the header",
    )


def dose_bq(pet: PetHeader, file: str, notes: list[str], override_mbq: float | None) -> float:
    if override_mbq is not None:
        if not override_mbq > 0:
            raise ParameterError(f"injected activity must be positive, got {override_mbq} MBq")
        if not override_mbq * 1e6 <= MAX_INJECTED_BQ:
            raise ParameterError(
                f"injected activity {override_mbq:g} MBq is above any patient administration "
                f"({MAX_INJECTED_BQ / 1e6:g} MBq = 100 GBq)",
                field="injected_activity_mbq",
                hint="give the injected activity in MBq (e.g. 200 for a 68Ga PET)",
            )
        notes.append(f"injected activity {override_mbq:g} MBq given by the caller")
        return override_mbq * 1e6
    raw = pet.injected_dose_raw
    if raw is None or not raw > 0:
        raise DicomHeaderError(
            "injected dose is missing" if raw is None else f"injected dose is {raw:g}",
            file=file,
            field=tag_label("RadionuclideTotalDose"),
            hint="add the injected activity (Bq) to the header, or pass it in MBq "
            "(injected_activity_mbq, --activity-mbq)",
        )
    if raw < 1e5:
        notes.append(
            f"{tag_label('RadionuclideTotalDose')} = {raw:g} is implausible in Bq; read as MBq"
        )
        return raw * 1e6
    if not raw <= MAX_INJECTED_BQ:
        raise DicomHeaderError(
            f"injected dose {raw:g} Bq is above any patient administration "
            f"({MAX_INJECTED_BQ:g} Bq = 100 GBq)",
            file=file,
            field=tag_label("RadionuclideTotalDose"),
            hint="correct the injected activity (Bq) in the header, or pass it in MBq "
            "(injected_activity_mbq, --activity-mbq)",
        )
    notes.append(f"injected activity {raw:g} Bq from {tag_label('RadionuclideTotalDose')}")
    return raw
