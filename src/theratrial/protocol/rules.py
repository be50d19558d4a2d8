"""Eligibility rules: the structured, machine-checkable form of a trial criterion.

A rule is a small tree. Leaves test one kind of patient fact; ``all_of``, ``any_of`` and
``if`` combine them. Every criterion of a protocol is phrased as a *requirement the patient
must satisfy* — an exclusion "pregnant or lactating" becomes the requirement "not pregnant
and not lactating" — so that *met* always means "fine for this trial".

Leaf rules (the ``rule`` field selects one):

``compare``     a patient fact (``age_years``, ``ecog``, ``diagnosis.grade``, ``flags.X``,
                ``crcl_cockcroft_gault``, ...) compared with a value, units converted by pint.
``lab``         a laboratory value against an absolute threshold (with unit) or a multiple
                of the lab's own upper/lower limit of normal, not older than ``max_age_days``.
``therapy``     prior (or planned) therapies of given categories inside a time window, with
                optional minimum duration and progression on that therapy.
``condition``   a medical condition that must be absent (optionally: unless controlled, or
                unless stable for some weeks, or up to a toxicity grade) or present.
``event``       a dated event (progression, a negative pregnancy test) inside a window.
``lesion``      at least N lesions meeting size / modality / measurability / uptake rules.
``imaging``     an imaging study of a modality or tracer inside a window, optionally with a
                finding (SSTR-positive) and no interval therapy since.
``attestation`` a judgement only the investigator can make; screening reports it as
                *needs_review* unless the record carries the investigator's answer.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "DIAGNOSIS_FACTS",
    "FACT_NAMES",
    "FACT_PREFIXES",
    "AllOf",
    "AnyOf",
    "Attestation",
    "Compare",
    "Condition",
    "Event",
    "IfThen",
    "Imaging",
    "Lab",
    "Lesion",
    "Op",
    "ReferencePoint",
    "Rule",
    "Therapy",
]

Op = Literal["<", "<=", ">", ">=", "==", "!=", "in", "not_in"]
ReferencePoint = Literal["screening", "treatment_start", "consent"]
"""The date a time window is counted back from.

``screening`` is the screening date; ``treatment_start`` the planned first administration
(falls back to the screening date, and the evidence says so); ``consent`` the date of
informed consent (falls back likewise).
"""

Scalar = float | int | str | bool

FACT_NAMES = frozenset(
    {
        "age_years",
        "sex",
        "weight_kg",
        "height_cm",
        "ecog",
        "life_expectancy_weeks",
        "consent.signed",
        "bmi_kg_m2",
        "bsa_m2",
        "crcl_cockcroft_gault",
        "egfr_ckd_epi_2021",
        "has_liver_metastases",
    }
)
"""The patient facts a ``compare`` rule may name, besides the prefixed ones below."""

DIAGNOSIS_FACTS = frozenset(
    {
        "histology",
        "histology_confirmed",
        "grade",
        "ki67_pct",
        "differentiation",
        "primary_site",
        "extent",
        "resectable",
        "diagnosis_date",
        "gep",
    }
)
"""The ``diagnosis.X`` facts (``gep``: the primary site is gastroenteropancreatic)."""

FACT_PREFIXES = ("diagnosis.", "flags.", "lab.")
"""``diagnosis.X`` (X in :data:`DIAGNOSIS_FACTS`), ``flags.NAME``, ``lab.NAME``."""


def _check_fact(fact: str) -> str:
    if fact in FACT_NAMES:
        return fact
    prefix, _, rest = fact.partition(".")
    if prefix == "diagnosis" and rest in DIAGNOSIS_FACTS:
        return fact
    if prefix in {"flags", "lab"} and rest:
        return fact
    raise ValueError(
        f"unknown fact {fact!r}; use one of {sorted(FACT_NAMES)}, "
        f"diagnosis.<{'|'.join(sorted(DIAGNOSIS_FACTS))}>, flags.<name> or lab.<name>"
    )


def _check_unit(unit: str | None) -> str | None:
    """Reject a unit that screening could not read (the same reader as patient records)."""
    if unit is None:
        return None
    from theratrial.eligibility.units import parse_unit  # here: eligibility imports this module
    from theratrial.errors import UnitError

    try:
        parse_unit(unit)
    except UnitError as exc:
        raise ValueError(f"{exc.message}; use a unit such as mg/dL, g/L, 10^9/L or mL/min") from exc
    return unit


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Compare(_Rule):
    """Compare a patient fact with a value: ``fact op value [unit]``."""

    rule: Literal["compare"]
    fact: str
    op: Op
    value: Scalar | list[Scalar]
    unit: str | None = None

    _fact_known = field_validator("fact")(_check_fact)
    _unit_known = field_validator("unit")(_check_unit)

    @model_validator(mode="after")
    def _list_for_membership(self) -> Compare:
        if (self.op in ("in", "not_in")) != isinstance(self.value, list):
            raise ValueError("ops 'in'/'not_in' take a list value, the others a single value")
        ordered = self.op in ("<", "<=", ">", ">=")
        if ordered and (isinstance(self.value, bool) or not isinstance(self.value, int | float)):
            raise ValueError(f"op {self.op!r} compares numbers; {self.value!r} is not a number")
        return self


class Lab(_Rule):
    """A laboratory value against a threshold.

    Exactly one of ``value`` (with ``unit``), ``uln`` (multiple of the lab's upper limit of
    normal) or ``lln`` (multiple of its lower limit) is given.
    """

    rule: Literal["lab"]
    lab: str
    op: Literal["<", "<=", ">", ">="]
    value: float | None = None
    unit: str | None = None
    uln: float | None = Field(default=None, gt=0)
    lln: float | None = Field(default=None, gt=0)
    max_age_days: int | None = Field(default=None, ge=0)

    _unit_known = field_validator("unit")(_check_unit)

    @model_validator(mode="after")
    def _one_threshold(self) -> Lab:
        given = [x is not None for x in (self.value, self.uln, self.lln)]
        if sum(given) != 1:
            raise ValueError("give exactly one of 'value' (with 'unit'), 'uln' or 'lln'")
        if self.value is not None and not self.unit:
            raise ValueError("an absolute lab threshold needs its 'unit'")
        return self


class Therapy(_Rule):
    """Therapies of some categories inside a window before the reference date.

    ``require: absent`` — none may fall inside the window (the usual wash-out exclusion).
    ``require: present`` — at least one must (a required prior line), optionally lasting
    ``min_duration_weeks`` and with disease progression on it. Categories ``["*"]`` mean
    any therapy; ``except_categories`` removes some. ``planned: true`` looks at planned
    therapies instead of past ones. A therapy is inside the window when any part of
    [start, end] (end = reference date when ongoing) lies in
    (reference - within, reference]: one that ended exactly ``within`` days before the
    reference date has completed its wash-out ("no chemotherapy within 4 weeks" admits a
    last dose 28 days before). Without ``within_days``/``within_weeks`` the window is the
    whole history.
    """

    rule: Literal["therapy"]
    categories: list[str]
    except_categories: list[str] = Field(default_factory=list)
    require: Literal["absent", "present"]
    within_days: int | None = Field(default=None, ge=0)
    within_weeks: float | None = Field(default=None, ge=0)
    reference: ReferencePoint = "screening"
    min_duration_weeks: float | None = Field(default=None, ge=0)
    with_progression: bool | None = None
    planned: bool = False

    @property
    def window_days(self) -> float | None:
        """Length of the look-back window in days, or ``None`` for all history."""
        if self.within_days is not None:
            return float(self.within_days)
        if self.within_weeks is not None:
            return 7.0 * self.within_weeks
        return None


class Condition(_Rule):
    """A medical condition: ``require: absent`` (default) or ``present``.

    For ``absent``, the condition may still be tolerated when ``unless_controlled`` and the
    record says it is controlled, when ``unless_stable_weeks`` and it has been stable or
    treated for at least that long at the reference date, or when its grade is at most
    ``max_grade`` (CTCAE).
    """

    rule: Literal["condition"]
    condition: str
    require: Literal["absent", "present"] = "absent"
    unless_controlled: bool = False
    unless_stable_weeks: float | None = Field(default=None, ge=0)
    max_grade: int | None = Field(default=None, ge=0, le=5)
    reference: ReferencePoint = "screening"


class Event(_Rule):
    """A dated event of one of ``types`` inside the window (``require: present``) or none."""

    rule: Literal["event"]
    types: list[str]
    require: Literal["absent", "present"] = "present"
    within_days: int | None = Field(default=None, ge=0)
    reference: ReferencePoint = "screening"


class Lesion(_Rule):
    """At least ``min_count`` lesions that meet every stated property.

    ``min_diameter_mm`` applies to the longest diameter (``axis: long``), the short axis
    (``axis: short``) or the largest of both (``axis: any``). ``measurable: true`` applies
    RECIST 1.1 measurability (>= 10 mm long axis on CT/MR, lymph nodes >= 15 mm short
    axis, 20 mm on chest X-ray) unless the record states it. ``min_krenning`` is the
    minimum Krenning (Rotterdam) uptake score on SSTR imaging (3 = above liver).
    """

    rule: Literal["lesion"]
    min_count: int = Field(default=1, ge=1)
    min_diameter_mm: float | None = Field(default=None, gt=0)
    axis: Literal["long", "short", "any"] = "long"
    modalities: list[str] = Field(default_factory=list)
    within_days: int | None = Field(default=None, ge=0)
    reference: ReferencePoint = "screening"
    measurable: bool | None = None
    min_krenning: int | None = Field(default=None, ge=0, le=4)
    progressive: bool | None = None
    previously_irradiated: bool | None = None


class Imaging(_Rule):
    """An imaging study of given modalities/tracers inside a window.

    ``finding`` names a boolean finding of the study (``sstr_positive``) that must be true.
    ``no_interval_therapy_except`` requires no therapy between the study and the reference
    date other than the listed categories (e.g. somatostatin analogues).
    """

    rule: Literal["imaging"]
    modalities: list[str] = Field(default_factory=list)
    tracers: list[str] = Field(default_factory=list)
    within_days: int | None = Field(default=None, ge=0)
    reference: ReferencePoint = "screening"
    finding: str | None = None
    no_interval_therapy_except: list[str] | None = None


class Attestation(_Rule):
    """A judgement only the investigator can make; ``question`` is what they answer."""

    rule: Literal["attestation"]
    question: str


class AllOf(_Rule):
    """Met when every sub-rule is met."""

    rule: Literal["all_of"]
    rules: list[Rule] = Field(min_length=1)


class AnyOf(_Rule):
    """Met when at least one sub-rule is met ("A or B")."""

    rule: Literal["any_of"]
    rules: list[Rule] = Field(min_length=1)


class IfThen(_Rule):
    """``then`` applies when ``condition`` is met, ``otherwise`` when it is not.

    Without ``otherwise`` the rule is met when the condition is not.
    """

    rule: Literal["if"]
    condition: Rule
    then: Rule
    otherwise: Rule | None = None


Rule = Annotated[
    Compare
    | Lab
    | Therapy
    | Condition
    | Event
    | Lesion
    | Imaging
    | Attestation
    | AllOf
    | AnyOf
    | IfThen,
    Field(discriminator="rule"),
]

AllOf.model_rebuild()
AnyOf.model_rebuild()
IfThen.model_rebuild()
