"""Tables of clinical records the service stores: patient records and RECIST assessments.

A patient record (the JSON ``theratrial screen`` reads) is kept as numbered versions: each
change adds a row with the next ``version``, its canonical-JSON SHA-256 and the actor, so
the history stays complete (21 CFR Part 11 §11.10(e); the audit trail records every change
too, with the reason when stored data change). A RECIST assessment row holds the
assessments as given and the evaluation (RECIST 1.1, Eisenhauer et al. 2009) computed from
them; a re-evaluation adds a row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Integer, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from theratrial.store.models import Base

__all__ = ["PatientRecordRow", "RecistAssessmentRow"]


class PatientRecordRow(Base):
    """One version of one patient's record (its content, SHA-256, time and actor)."""

    __tablename__ = "patient_records"
    __table_args__ = (UniqueConstraint("patient_pk", "version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_pk: Mapped[int] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    content: Mapped[dict[str, Any]]
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    actor: Mapped[str] = mapped_column(String(128))


class RecistAssessmentRow(Base):
    """One RECIST 1.1 evaluation of a patient in a trial: the assessments and the result."""

    __tablename__ = "recist_assessments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_pk: Mapped[int] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    trial_pk: Mapped[int | None] = mapped_column(ForeignKey("trials.id"))
    content: Mapped[dict[str, Any]]
    result: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    actor: Mapped[str] = mapped_column(String(128))
