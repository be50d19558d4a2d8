"""Request bodies of the API (pydantic models at the edge).

Every model forbids unknown keys, so a misspelt field is named in the 422 problem instead
of being ignored. Numbers carry their unit in the field name (``activity_mbq``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "CycleIn",
    "DltIn",
    "EnrolmentIn",
    "EscalationSignIn",
    "JobIn",
    "LoginIn",
    "RecistIn",
    "RegionDoseIn",
    "ScreeningIn",
    "SignIn",
    "SiteIn",
    "TokenIn",
    "UserIn",
    "WithdrawalIn",
]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LoginIn(_Body):
    """``POST /auth/login``."""

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class TokenIn(_Body):
    """``POST /auth/tokens``: a name for a personal API token."""

    name: str = Field(min_length=1, max_length=100)


class UserIn(_Body):
    """``POST /users`` (admin)."""

    username: str = Field(min_length=1, max_length=64)
    role: str = Field(min_length=1, max_length=32)
    sites: list[str] = Field(default_factory=list, max_length=100)
    password: str = Field(min_length=1, max_length=1024)


class SiteIn(_Body):
    """``POST /sites`` (admin)."""

    code: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    name: str | None = Field(default=None, max_length=200)


class ScreeningIn(_Body):
    """``POST /patients/{id}/screenings``."""

    trial_id: str = Field(min_length=1, max_length=64)
    date: dt.date | None = None


class RegionDoseIn(_Body):
    """One region of a cycle's dosimetry, as ``theratrial dosimetry --json`` prints it."""

    model_config = ConfigDict(extra="allow", frozen=True)
    region: str = Field(min_length=1, max_length=128)
    dose_gy: float = Field(ge=0, allow_inf_nan=False)
    mass_g: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    tia_mbq_h: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    bed_gy: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    times_h: list[float] | None = None
    activity_mbq: list[float] | None = None


class CycleIn(_Body):
    """``POST /patients/{id}/cycles``: one administration (``theratrial cycle record``)."""

    trial_id: str = Field(min_length=1, max_length=64)
    cycle: int = Field(ge=1, le=100)
    activity_mbq: float = Field(gt=0, allow_inf_nan=False)
    date: dt.date | None = None
    level: str | None = Field(default=None, max_length=32)
    weight_kg: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    dosimetry: list[RegionDoseIn] = Field(default_factory=list, max_length=200)
    times_h: list[float] = Field(default_factory=list, max_length=100)
    reason: str | None = Field(default=None, max_length=2000)


class DltIn(_Body):
    """``POST /trials/{trial_id}/dlts``: one DLT-evaluable observation (``theratrial dlt add``)."""

    patient_id: str = Field(min_length=1, max_length=64)
    cohort: str = Field(min_length=1, max_length=64)
    cycle: int = Field(default=1, ge=1, le=100)
    level: str = Field(min_length=1, max_length=32)
    dlt: bool = False
    event: str | None = Field(default=None, max_length=500)
    grade: int | None = Field(default=None, ge=1, le=5)
    onset: dt.date | None = None
    administered: dt.date | None = None
    outside_window: bool = False
    correct: bool = False
    reason: str | None = Field(default=None, max_length=2000)


class SignIn(_Body):
    """``POST .../sign``: the password again and what the signature means (21 CFR 11.50)."""

    password: str = Field(min_length=1, max_length=1024)
    meaning: str = Field(min_length=1, max_length=32)


class EscalationSignIn(SignIn):
    """``POST /trials/{trial_id}/escalation``: a signed decision, with its inputs."""

    design: str | None = Field(default=None, max_length=16)
    """Default: the protocol's design (dosing.design), else BOIN."""
    target: float | None = Field(default=None, gt=0, lt=1)
    """Default: the protocol's target DLT probability, else 0.25."""
    as_of: dt.date | None = None


class RecistIn(_Body):
    """``POST /patients/{id}/recist``: the assessments as ``theratrial recist`` reads them."""

    assessments: dict[str, Any] | list[Any]
    trial_id: str | None = Field(default=None, min_length=1, max_length=64)
    reason: str | None = Field(default=None, max_length=2000)


class EnrolmentIn(_Body):
    """``POST /patients/{id}/enrolments``: enrol in a trial after an eligible screening."""

    trial_id: str = Field(min_length=1, max_length=64)
    consent_date: dt.date
    cohort: str | None = Field(default=None, min_length=1, max_length=64)
    reason: str | None = Field(default=None, max_length=2000)


class WithdrawalIn(_Body):
    """``POST /patients/{id}/enrolments/{trial_id}/withdrawal``: the date and why."""

    date: dt.date
    reason: str = Field(min_length=1, max_length=2000)


class JobIn(_Body):
    """``POST /jobs``."""

    kind: str = Field(min_length=1, max_length=32)
    params: dict[str, Any] = Field(default_factory=dict)
