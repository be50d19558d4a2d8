"""The patient record used for screening (validated with pydantic, read from JSON or YAML).

Every date is ISO 8601 (``2026-03-14``). Lab values carry their unit and, when a criterion
uses multiples of the normal range, the lab's own reference range. Identifiers are
pseudonymous: a record must never hold a name or a hospital number; ``patient_id`` follows
the one rule of :mod:`theratrial.ids` (1-64 ASCII letters, digits, ``-``, ``_``, ``.``,
starting with a letter or digit).

A minimal record::

    patient_id: PSEUDO-001
    screening_date: 2026-03-02
    demographics: {birth_date: 1961-05-04, sex: male, weight_kg: 72, height_cm: 176}
    ecog: 1
    diagnosis: {histology: NET, grade: G2, ki67_pct: 8, primary_site: pancreas,
                histology_confirmed: true, extent: metastatic, resectable: false}
    labs:
      - {name: creatinine, value: 1.0, unit: mg/dL, ref_high: 1.2, date: 2026-02-25}
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from theratrial.eligibility.units import parse_unit
from theratrial.errors import InputError, PatientRecordError, UnitError
from theratrial.ids import PSEUDONYM_HINT, check_pseudonym, is_pseudonym

__all__ = [
    "GEP_SITES",
    "LAB_ALIASES",
    "SITE_CODE",
    "SITE_CODE_HINT",
    "Consent",
    "Demographics",
    "Diagnosis",
    "EventRecord",
    "ImagingStudy",
    "LabResult",
    "LesionRecord",
    "MedicalCondition",
    "Patient",
    "TherapyRecord",
    "lab_key",
    "load_patient",
    "parse_patient",
]

SITE_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
"""The one site-code rule (accounts, and the ``site`` of a record the service stores).

1-64 letters, digits, ``._-``, starting with a letter or digit. A record read by ``screen``
may name its site in free text (the bundled demo records name cities); the service, where
``site`` says which site's users see the patient, requires a code.
"""
SITE_CODE_HINT = "use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"

GEP_SITES = frozenset(
    {
        "pancreas",
        "stomach",
        "duodenum",
        "jejunum",
        "ileum",
        "small_intestine",
        "appendix",
        "colon",
        "caecum",
        "cecum",
        "rectum",
        "midgut",
        "hindgut",
        "foregut",
        "gastric",
        "oesophagus",
        "esophagus",
        "ampulla",
        "gallbladder",
        "liver_primary",
    }
)
"""Primary sites that make a neuroendocrine neoplasm gastroenteropancreatic (GEP)."""


_NODAL_SITE = re.compile(r"(?i)\b(lymph|nodes?|nodal|LNs?)\b")


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _modality_spelling(value: object) -> object:
    """``ct``, ``MRI``, ``PET-CT``, ``pet ct`` -> ``CT``, ``MR``, ``PET/CT``."""
    if not isinstance(value, str):
        return value
    text = re.sub(r"\s*[-/+ ]\s*", "/", value.strip().upper())
    return "/".join("MR" if part == "MRI" else part for part in text.split("/"))


class Demographics(_Record):
    """Age (or birth date), sex and body size."""

    birth_date: dt.date | None = None
    age_years: float | None = Field(default=None, ge=0, le=130)
    sex: Literal["male", "female"]
    weight_kg: float | None = Field(default=None, gt=0, le=400)
    height_cm: float | None = Field(default=None, gt=30, le=260)

    @field_validator("sex", mode="before")
    @classmethod
    def _sex_spelling(cls, value: object) -> object:
        # the (0010,0040) Patient's Sex codes M and F, and male/female in any letter case
        if isinstance(value, str):
            text = value.strip()
            return {"M": "male", "F": "female"}.get(text, text.lower())
        return value

    @model_validator(mode="after")
    def _age_given(self) -> Demographics:
        if self.birth_date is None and self.age_years is None:
            raise ValueError("give 'birth_date' or 'age_years'")
        return self


class Diagnosis(_Record):
    """The neuroendocrine neoplasm: histology, WHO grade, Ki-67, site, extent."""

    histology: Literal["NET", "NEC", "MiNEN"]
    histology_confirmed: bool | None = None
    grade: Literal["G1", "G2", "G3"] | None = None
    ki67_pct: float | None = Field(default=None, ge=0, le=100)
    differentiation: Literal["well", "poor"] | None = None
    primary_site: str | None = None
    extent: Literal["localised", "locally_advanced", "metastatic"] | None = None
    resectable: bool | None = None
    diagnosis_date: dt.date | None = None

    @field_validator("histology", "grade", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)  # grade 2 -> G2
        if not isinstance(value, str):
            return value
        text = value.strip().upper()
        if text == "MINEN":
            return "MiNEN"
        return f"G{text}" if text in {"1", "2", "3"} else text

    @property
    def gep(self) -> bool | None:
        """True when the primary site is gastroenteropancreatic, None when unknown."""
        if self.primary_site is None:
            return None
        return self.primary_site.strip().lower().replace(" ", "_") in GEP_SITES


LAB_ALIASES = {
    "be": "base_excess",
    "hemoglobin": "haemoglobin",
    "hb": "haemoglobin",
    "hgb": "haemoglobin",
    "anc": "neutrophils",
    "neutrophil_count": "neutrophils",
    "absolute_neutrophil_count": "neutrophils",
    "plt": "platelets",
    "platelet_count": "platelets",
    "bilirubin": "bilirubin_total",
    "total_bilirubin": "bilirubin_total",
    "scr": "creatinine",
    "serum_creatinine": "creatinine",
    "sgpt": "alt",
    "alat": "alt",
    "sgot": "ast",
    "asat": "ast",
    "glucose": "glucose_fasting",
    "fasting_glucose": "glucose_fasting",
    "pt_pct": "prothrombin_time_pct",
    "quick": "prothrombin_time_pct",
    "gfr": "gfr_measured",
    "cr51_edta_gfr": "gfr_measured",
}
"""Other names accepted for the canonical lab names used in protocols."""


@cache
def lab_key(name: str) -> str:
    """The canonical name of a lab test (lower case, aliases resolved)."""
    key = name.strip().lower().replace(" ", "_").replace("-", "_")
    return LAB_ALIASES.get(key, key)


_SIGNED_LABS = frozenset({"base_excess", "base_deficit", "anion_gap"})
"""Lab tests reported as differences, whose values may be below zero; every other result
(a concentration, count, activity, clearance or ratio) is zero or more."""


class LabResult(_Record):
    """One laboratory result with its unit, the lab's reference range and its date.

    The value is finite, and zero or more unless the test is a signed difference
    (:data:`_SIGNED_LABS`): a negative creatinine or platelet count is a typing error, which
    a threshold such as "creatinine <= 1.5 x ULN" would otherwise pass.
    """

    name: str
    value: float = Field(allow_inf_nan=False)
    unit: str
    date: dt.date
    ref_low: float | None = None
    ref_high: float | None = None

    @field_validator("value")
    @classmethod
    def _measurable(cls, value: float, info: ValidationInfo) -> float:
        name = lab_key(str(info.data.get("name", "")))
        if value < 0 and name not in _SIGNED_LABS:
            raise ValueError(
                f"{value:g} is below zero, which no {name or 'such'} result can be: check the "
                "sign (a minus typed by mistake) and the value"
            )
        return value


class LesionRecord(_Record):
    """A lesion as measured on one imaging study."""

    id: str
    site: str
    nodal: bool | None = None
    long_axis_mm: float | None = Field(default=None, ge=0)
    short_axis_mm: float | None = Field(default=None, ge=0)
    modality: Literal["CT", "MR", "PET", "PET/CT", "SPECT", "SPECT/CT", "XR", "US"]
    date: dt.date
    measurable: bool | None = None
    krenning_score: int | None = Field(default=None, ge=0, le=4)
    progressive: bool | None = None
    previously_irradiated: bool | None = None

    _modality = field_validator("modality", mode="before")(_modality_spelling)

    @property
    def is_nodal(self) -> bool:
        """A lymph node: ``nodal`` when stated, else read from the site ("lymph node", "LN")."""
        if self.nodal is not None:
            return self.nodal
        return _NODAL_SITE.search(self.site) is not None


class ImagingStudy(_Record):
    """An imaging study done before screening, with its findings (name -> bool)."""

    modality: Literal["PET", "SPECT", "CT", "MR", "PET/CT", "SPECT/CT", "PET/MR", "XR", "US"]
    tracer: str | None = None
    date: dt.date
    findings: dict[str, bool] = Field(default_factory=dict)

    _modality = field_validator("modality", mode="before")(_modality_spelling)


class TherapyRecord(_Record):
    """A prior (or planned) therapy. An ``end_date`` of None with ``ongoing`` means still given."""

    category: str
    agent: str | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    ongoing: bool = False
    planned: bool = False
    progression_on_therapy: bool | None = None

    @model_validator(mode="after")
    def _dated(self) -> TherapyRecord:
        if not self.planned and self.start_date is None and self.end_date is None:
            raise ValueError("a past therapy needs 'start_date' or 'end_date'")
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValueError("'end_date' is before 'start_date'")
        return self


class MedicalCondition(_Record):
    """A condition and its state (``present: false`` records that it was checked)."""

    name: str
    present: bool = True
    controlled: bool | None = None
    stable_since: dt.date | None = None
    grade: int | None = Field(default=None, ge=0, le=5)
    date: dt.date | None = None


class EventRecord(_Record):
    """A dated clinical event: progression by some criterion, a negative pregnancy test..."""

    type: str
    date: dt.date
    detail: str | None = None


class Consent(_Record):
    """Informed consent."""

    signed: bool
    date: dt.date | None = None


class Patient(_Record):
    """Everything the screening engine can use about one patient."""

    patient_id: str
    screening_date: dt.date | None = None
    planned_treatment_date: dt.date | None = None
    site: str | None = None
    demographics: Demographics
    ecog: int | None = Field(default=None, ge=0, le=5)
    life_expectancy_weeks: float | None = Field(default=None, ge=0)
    diagnosis: Diagnosis | None = None
    labs: list[LabResult] = Field(default_factory=list)
    lesions: list[LesionRecord] = Field(default_factory=list)
    imaging: list[ImagingStudy] = Field(default_factory=list)
    therapies: list[TherapyRecord] = Field(default_factory=list)
    conditions: list[MedicalCondition] = Field(default_factory=list)
    events: list[EventRecord] = Field(default_factory=list)
    consent: Consent | None = None
    flags: dict[str, bool] = Field(default_factory=dict)
    attestations: dict[str, bool] = Field(default_factory=dict)

    @field_validator("patient_id")
    @classmethod
    def _pseudonymous(cls, value: str) -> str:
        """The one id rule of :func:`theratrial.ids.check_pseudonym` (DICOM-safe)."""
        if not is_pseudonym(value):
            try:
                check_pseudonym(value)
            except InputError as exc:
                raise ValueError(exc.message) from None
        return value


class _RecordLoader(yaml.SafeLoader):
    """A safe YAML loader that leaves dates as text, so that pydantic validates them.

    PyYAML's own timestamp constructor raises a bare ``ValueError`` for an impossible date
    such as ``2026-02-30``; pydantic instead names the field at fault.
    """


def _unique_mapping(loader: _RecordLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    """A mapping whose keys are unique: a repeated key would silently overwrite a value."""
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                problem=f"the key {key!r} is repeated", problem_mark=key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node)


_RecordLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _unique_mapping)
_RecordLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_patient(path: str | Path) -> Patient:
    """Read a patient record from a JSON or YAML file.

    Raises
    ------
    PatientRecordError
        Naming the file and the field at fault (and the line for YAML syntax errors).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PatientRecordError(
            f"not a UTF-8 text file (byte {exc.start} cannot be decoded)",
            file=path,
            hint="save the record as UTF-8 JSON or YAML",
        ) from exc
    return parse_patient(text, source=str(path))


def parse_patient(text: str, *, source: str = "<patient>") -> Patient:
    """Validate a patient record given as JSON or YAML text.

    Examples
    --------
    >>> p = parse_patient('{"patient_id": "P1", "demographics": {"age_years": 60, "sex": "male"}}')
    >>> p.demographics.age_years
    60.0
    >>> parse_patient('{"patient_id": "P1", "demographics": {"sex": "male"}, "ecog": 9}')
    Traceback (most recent call last):
    ...
    theratrial.errors.PatientRecordError: <patient>: field 'demographics': Value error, ...
    """
    try:
        data: Any = yaml.load(text, Loader=_RecordLoader)  # JSON is a subset of YAML 1.2
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = str(getattr(exc, "problem", exc))
        raise PatientRecordError(
            f"not valid JSON or YAML: {problem}",
            file=source,
            line=mark.line + 1 if mark is not None else None,
            hint="keep one value per key"
            if "repeated" in problem
            else "check the brackets, commas and quotes on that line",
        ) from exc
    if not isinstance(data, dict):
        raise PatientRecordError("a patient record must be a JSON/YAML object", file=source)
    try:
        patient = Patient.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = _dotted(first["loc"])
        raise PatientRecordError(
            f"{first['msg']}",
            file=source,
            field=field,
            hint=_hint(first["type"], field),
        ) from exc
    return _check_units(patient, source)


def _dotted(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _hint(error_type: str, field: str) -> str:
    if field == "patient_id" and error_type == "value_error":
        return PSEUDONYM_HINT
    if "date" in error_type:
        return f"write '{field}' as an ISO date, e.g. 2026-03-14"
    hints = {
        "missing": f"add '{field}' to the record",
        "extra_forbidden": f"remove '{field}' or correct its spelling",
        "literal_error": "use one of the values listed in the message",
        "float_parsing": f"'{field}' must be a number",
        "int_parsing": f"'{field}' must be a whole number",
    }
    return hints.get(error_type, "see the patient record format in theratrial.eligibility.patient")


def _check_units(patient: Patient, source: str) -> Patient:
    """Reject unknown lab units at load time, naming the file and the field."""
    for i, lab in enumerate(patient.labs):
        try:
            parse_unit(lab.unit, field=f"labs[{i}].unit")
        except UnitError as exc:
            raise PatientRecordError(
                exc.message, file=source, field=exc.field, hint=exc.hint
            ) from exc
    return patient
