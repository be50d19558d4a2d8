"""Database tables (SQLAlchemy 2 declarative models).

Patients are stored under pseudonymous ids only. A protocol is stored as an immutable
version (its validated content and a SHA-256 of it); every screening points at the exact
protocol version it was run against.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = [
    "Base",
    "CriterionResultRow",
    "PatientRow",
    "ProtocolVersionRow",
    "ScreeningRow",
    "SiteRow",
    "TrialRow",
]

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with a constraint naming convention (stable migrations)."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}  # noqa: RUF012


class TrialRow(Base):
    """A trial, known by its primary registry id."""

    __tablename__ = "trials"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trial_id: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(Text)
    phase: Mapped[str] = mapped_column(String(16))
    versions: Mapped[list[ProtocolVersionRow]] = relationship(back_populates="trial")


class ProtocolVersionRow(Base):
    """One immutable version of a trial's protocol (content hash + validated JSON)."""

    __tablename__ = "protocol_versions"
    __table_args__ = (UniqueConstraint("trial_pk", "content_sha256"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trial_pk: Mapped[int] = mapped_column(ForeignKey("trials.id", ondelete="CASCADE"))
    content_sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[dict[str, Any]]
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    trial: Mapped[TrialRow] = relationship(back_populates="versions")


class SiteRow(Base):
    """A recruiting site."""

    __tablename__ = "sites"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str | None] = mapped_column(Text)


class PatientRow(Base):
    """A patient under a pseudonymous id (never a name or hospital number)."""

    __tablename__ = "patients"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pseudonym: Mapped[str] = mapped_column(String(64), unique=True)
    site_pk: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ScreeningRow(Base):
    """A patient screened against one protocol version on one date."""

    __tablename__ = "screenings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_pk: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    protocol_version_pk: Mapped[int] = mapped_column(ForeignKey("protocol_versions.id"))
    screening_date: Mapped[date] = mapped_column(Date)
    verdict: Mapped[str] = mapped_column(String(16))
    n_met: Mapped[int] = mapped_column(Integer)
    n_not_met: Mapped[int] = mapped_column(Integer)
    n_unknown: Mapped[int] = mapped_column(Integer)
    n_needs_review: Mapped[int] = mapped_column(Integer)
    cohorts: Mapped[list[Any]]
    assumptions: Mapped[list[Any]]
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    criteria: Mapped[list[CriterionResultRow]] = relationship(
        back_populates="screening", cascade="all, delete-orphan", order_by="CriterionResultRow.id"
    )
    patient: Mapped[PatientRow] = relationship()
    protocol_version: Mapped[ProtocolVersionRow] = relationship()


class CriterionResultRow(Base):
    """The outcome of one criterion within a screening, with its evidence (JSON)."""

    __tablename__ = "criterion_results"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    screening_pk: Mapped[int] = mapped_column(ForeignKey("screenings.id", ondelete="CASCADE"))
    criterion_id: Mapped[str] = mapped_column(String(32))
    section: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    evidence: Mapped[list[Any]]
    screening: Mapped[ScreeningRow] = relationship(back_populates="criteria")
