"""The trial protocol schema: what theratrial's software needs to know about a trial.

A protocol is written in YAML (see the bundled seed trials in ``protocol/trials/``) and
validated by these pydantic models. Activities are in GBq (fixed) or kBq/kg (per body
weight), intervals in weeks, dose limits in Gy (absorbed dose) or Gy (BED).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from theratrial.protocol.rules import Rule

__all__ = [
    "Cohort",
    "Criterion",
    "DoseLevel",
    "Dosing",
    "Endpoint",
    "ImagingTimepoint",
    "OrganLimit",
    "Protocol",
    "Radiopharmaceutical",
    "Schedule",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Radiopharmaceutical(_Model):
    """The investigational or diagnostic radiopharmaceutical."""

    name: str
    nuclide: str
    role: Literal["therapy", "diagnostic"]
    target: str | None = None


class DoseLevel(_Model):
    """One dose level: a fixed activity (GBq) or an activity per body weight (kBq/kg)."""

    id: str
    activity_gbq: float | None = Field(default=None, gt=0)
    activity_kbq_per_kg: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _one_amount(self) -> DoseLevel:
        if (self.activity_gbq is None) == (self.activity_kbq_per_kg is None):
            raise ValueError("give exactly one of 'activity_gbq' or 'activity_kbq_per_kg'")
        return self


class Dosing(_Model):
    """How much activity each cycle gets, and how dose escalation proceeds.

    ``cohort_size`` (patients per escalation cohort) and ``dlt_window_days`` (the DLT
    observation window after each administration, days) let an escalation decision wait
    for a complete cohort whose windows have ended. ``design`` and ``target_dlt_rate`` are
    the dose-finding rule the protocol states; every escalation decision, signature,
    dashboard and report uses them unless a statistician asks for another.
    """

    rule: Literal["fixed", "per_weight"]
    levels: list[DoseLevel] = Field(min_length=1)
    start_level: str | None = None
    cohort_size: int | None = Field(default=None, ge=1)
    dlt_window_days: int | None = Field(default=None, ge=1)
    design: Literal["3+3", "boin", "crm", "mtpi2", "i3+3"] | None = None
    """The dose-finding design the protocol states (None: not stated)."""
    target_dlt_rate: float | None = Field(default=None, gt=0, lt=1)
    """The target DLT probability it states (None: not stated; the 3+3 has none)."""
    note: str | None = None

    @field_validator("design", mode="before")
    @classmethod
    def _design_spelling(cls, value: object) -> object:
        # "BOIN", "3 + 3", "i3+3": one spelling per design
        return value.strip().lower().replace(" ", "") if isinstance(value, str) else value

    @model_validator(mode="after")
    def _levels_match_rule(self) -> Dosing:
        for level in self.levels:
            fixed = level.activity_gbq is not None
            if fixed != (self.rule == "fixed"):
                want = "activity_gbq" if self.rule == "fixed" else "activity_kbq_per_kg"
                raise ValueError(f"dose level {level.id!r}: a '{self.rule}' rule needs {want}")
        ids = [lv.id for lv in self.levels]
        if len(set(ids)) != len(ids):
            raise ValueError("dose level ids must be unique")
        if self.start_level is not None and self.start_level not in ids:
            raise ValueError(f"start_level {self.start_level!r} is not one of {ids}")
        return self


class Schedule(_Model):
    """Cycle timing: nominal interval and the allowed window, in weeks."""

    interval_weeks: float = Field(gt=0)
    window_min_weeks: float = Field(gt=0)
    window_max_weeks: float = Field(gt=0)
    max_cycles: int = Field(ge=1)
    note: str | None = None

    @model_validator(mode="after")
    def _window_holds_interval(self) -> Schedule:
        if not self.window_min_weeks <= self.interval_weeks <= self.window_max_weeks:
            raise ValueError("need window_min_weeks <= interval_weeks <= window_max_weeks")
        return self


class OrganLimit(_Model):
    """A cumulative dose limit for an organ at risk.

    ``quantity`` is ``absorbed_dose_gy`` or ``bed_gy``; ``applies_if`` names a risk
    factor condition (e.g. ``renal_risk_factors``) under which this limit replaces the
    default one for the organ.
    """

    organ: str
    quantity: Literal["absorbed_dose_gy", "bed_gy", "rbe_weighted_dose_gy"]
    limit: float = Field(gt=0)
    applies_if: str | None = None
    action: Literal["stop", "reduce"] = "stop"
    source: str


class Cohort(_Model):
    """A cohort or arm, with the rule that assigns a patient to it."""

    id: str
    label: str
    phase: Literal["escalation", "expansion", "single_arm", "randomised"]
    assign_if: Rule | None = None
    dose_levels: list[str] = Field(default_factory=list)
    escalated_independently: bool = False
    note: str | None = None


class ImagingTimepoint(_Model):
    """One scheduled imaging study."""

    id: str
    modality: Literal["PET", "SPECT", "CT", "MR", "PET/CT", "SPECT/CT", "PET/MR"]
    tracer: str | None = None
    when: Literal["screening", "baseline", "after_each_cycle", "follow_up", "repeat"]
    hours_after_administration: list[float] = Field(default_factory=list)
    minutes_after_injection: float | None = None
    purpose: str
    note: str | None = None


class Endpoint(_Model):
    """A primary, secondary or exploratory endpoint."""

    id: str
    level: Literal["primary", "secondary", "exploratory"]
    unit_of_analysis: Literal["lesion", "patient", "scan"]
    description: str
    measure: str


class Criterion(_Model):
    """One eligibility criterion, phrased as a requirement (met = fine for the trial).

    ``source`` cites the registry id and the item number of the registry text.
    """

    id: str
    section: Literal["inclusion", "exclusion"]
    label: str = Field(max_length=120)
    source: str
    rule: Rule
    note: str | None = None


class Protocol(_Model):
    """A trial protocol as data."""

    schema_version: Literal[1]
    id: str
    registry_ids: list[str] = Field(min_length=1)
    title: str
    short_title: str
    sponsor: str
    phase: Literal["0", "1", "1/2", "2", "3", "4", "feasibility"]
    status: str | None = None
    target_enrolment: int | None = Field(default=None, ge=1)
    radiopharmaceuticals: list[Radiopharmaceutical] = Field(min_length=1)
    dosing: Dosing | None = None
    schedule: Schedule | None = None
    cohorts: list[Cohort] = Field(default_factory=list)
    organ_limits: list[OrganLimit] = Field(default_factory=list)
    imaging: list[ImagingTimepoint] = Field(default_factory=list)
    endpoints: list[Endpoint] = Field(default_factory=list)
    lab_max_age_days: int = Field(default=28, ge=1)
    criteria: list[Criterion] = Field(min_length=1)
    notes: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> Protocol:
        ids = [c.id for c in self.criteria]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"criterion ids must be unique, repeated: {dupes}")
        level_ids = {lv.id for lv in self.dosing.levels} if self.dosing else set()
        for cohort in self.cohorts:
            unknown = [lv for lv in cohort.dose_levels if lv not in level_ids]
            if unknown:
                raise ValueError(f"cohort {cohort.id!r} names unknown dose levels {unknown}")
        therapy = [r for r in self.radiopharmaceuticals if r.role == "therapy"]
        if therapy and (self.dosing is None or self.schedule is None):
            raise ValueError("a therapy trial needs 'dosing' and 'schedule'")
        return self

    @property
    def inclusion(self) -> list[Criterion]:
        """The inclusion criteria, in protocol order."""
        return [c for c in self.criteria if c.section == "inclusion"]

    @property
    def exclusion(self) -> list[Criterion]:
        """The exclusion criteria (phrased as requirements), in protocol order."""
        return [c for c in self.criteria if c.section == "exclusion"]

    def therapy_nuclide(self) -> str | None:
        """The nuclide of the therapeutic radiopharmaceutical, if any."""
        for r in self.radiopharmaceuticals:
            if r.role == "therapy":
                return r.nuclide
        return None
