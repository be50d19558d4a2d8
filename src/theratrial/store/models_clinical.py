"""Tables for imaging results, treatment cycles, dosimetry and dose-limiting toxicities.

Imaging: a study holds series; a series holds VOIs (organ or lesion masks); each VOI holds
measurements in long form (quantity, value, unit), so new statistics need no migration.
The SUV conventions used (type, assumptions) are stored with the series.
Treatment: a cycle is one administration (activity, dose level, date) of one patient in one
trial; time-activity points and absorbed-dose results hang off the cycle.
Dose finding: one row per DLT-evaluable observation (patient, cycle, dose level, event).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from theratrial.store.models import Base

__all__ = [
    "CycleRow",
    "DltRow",
    "DoseResultRow",
    "ImagingSeriesRow",
    "ImagingStudyRow",
    "MeasurementRow",
    "TimeActivityRow",
    "VoiRow",
]


class ImagingStudyRow(Base):
    """A DICOM study (StudyInstanceUID) of a patient."""

    __tablename__ = "imaging_studies"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_pk: Mapped[int | None] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    study_uid: Mapped[str] = mapped_column(String(128), unique=True)
    study_date: Mapped[date | None] = mapped_column(Date)
    description: Mapped[str | None] = mapped_column(Text)
    archive_path: Mapped[str | None] = mapped_column(String(512))
    """Folder of the uploaded study, relative to the image archive (None: not archived)."""
    series: Mapped[list[ImagingSeriesRow]] = relationship(
        back_populates="study", cascade="all, delete-orphan"
    )


class ImagingSeriesRow(Base):
    """A DICOM series with the quantification conventions used on it."""

    __tablename__ = "imaging_series"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    study_pk: Mapped[int] = mapped_column(ForeignKey("imaging_studies.id", ondelete="CASCADE"))
    series_uid: Mapped[str] = mapped_column(String(128), unique=True)
    modality: Mapped[str] = mapped_column(String(16))
    description: Mapped[str | None] = mapped_column(Text)
    frame_of_reference_uid: Mapped[str | None] = mapped_column(String(128))
    units: Mapped[str | None] = mapped_column(String(32))
    quantity: Mapped[str | None] = mapped_column(String(32))
    conventions: Mapped[list[Any]]
    study: Mapped[ImagingStudyRow] = relationship(back_populates="series")
    vois: Mapped[list[VoiRow]] = relationship(back_populates="series", cascade="all, delete-orphan")


class VoiRow(Base):
    """A volume of interest (organ or lesion) on a series."""

    __tablename__ = "vois"
    __table_args__ = (UniqueConstraint("series_pk", "name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    series_pk: Mapped[int] = mapped_column(ForeignKey("imaging_series.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))
    source: Mapped[str | None] = mapped_column(Text)
    series: Mapped[ImagingSeriesRow] = relationship(back_populates="vois")
    measurements: Mapped[list[MeasurementRow]] = relationship(
        back_populates="voi", cascade="all, delete-orphan"
    )


class MeasurementRow(Base):
    """One number measured in a VOI: quantity (e.g. ``suv_max``), value and unit."""

    __tablename__ = "measurements"
    __table_args__ = (UniqueConstraint("voi_pk", "quantity"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    voi_pk: Mapped[int] = mapped_column(ForeignKey("vois.id", ondelete="CASCADE"))
    quantity: Mapped[str] = mapped_column(String(64))
    value: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str | None] = mapped_column(String(32))
    voi: Mapped[VoiRow] = relationship(back_populates="measurements")


class CycleRow(Base):
    """One therapy administration of a patient in a trial."""

    __tablename__ = "treatment_cycles"
    __table_args__ = (UniqueConstraint("patient_pk", "trial_pk", "cycle_number"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_pk: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    trial_pk: Mapped[int] = mapped_column(ForeignKey("trials.id"))
    cycle_number: Mapped[int] = mapped_column(Integer)
    administered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    nuclide: Mapped[str] = mapped_column(String(16))
    activity_mbq: Mapped[float] = mapped_column(Float)
    dose_level: Mapped[str | None] = mapped_column(String(32))
    weight_kg: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    tac: Mapped[list[TimeActivityRow]] = relationship(cascade="all, delete-orphan")
    doses: Mapped[list[DoseResultRow]] = relationship(cascade="all, delete-orphan")


class TimeActivityRow(Base):
    """One time-activity point of a region after a cycle."""

    __tablename__ = "time_activity_points"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cycle_pk: Mapped[int] = mapped_column(ForeignKey("treatment_cycles.id", ondelete="CASCADE"))
    region: Mapped[str] = mapped_column(String(128))
    time_h: Mapped[float] = mapped_column(Float)
    activity_mbq: Mapped[float] = mapped_column(Float)


class DoseResultRow(Base):
    """The dosimetry result of one region for one cycle (fit, Ã, absorbed dose, BED)."""

    __tablename__ = "dose_results"
    __table_args__ = (UniqueConstraint("cycle_pk", "region"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cycle_pk: Mapped[int] = mapped_column(ForeignKey("treatment_cycles.id", ondelete="CASCADE"))
    region: Mapped[str] = mapped_column(String(128))
    model: Mapped[str] = mapped_column(String(64))
    parameters: Mapped[dict[str, Any]]
    tia_mbq_h: Mapped[float | None] = mapped_column(Float)
    mass_g: Mapped[float | None] = mapped_column(Float)
    dose_gy: Mapped[float | None] = mapped_column(Float)
    rbe_weighted_dose_gy: Mapped[float | None] = mapped_column(Float)
    bed_gy: Mapped[float | None] = mapped_column(Float)
    eqd2_gy: Mapped[float | None] = mapped_column(Float)
    alpha_beta_gy: Mapped[float | None] = mapped_column(Float)
    repair_half_time_h: Mapped[float | None] = mapped_column(Float)
    effective_half_life_h: Mapped[float | None] = mapped_column(Float)
    s_value_mgy_per_mbq_h: Mapped[float | None] = mapped_column(Float)
    s_value_source: Mapped[str | None] = mapped_column(Text)
    fit_report: Mapped[dict[str, Any]]
    warnings: Mapped[list[Any]]


class DltRow(Base):
    """A DLT-evaluable observation: patient, cycle, dose level, and the event if any.

    One row per patient and cycle of a trial (the repository refuses a second one). An
    explicit correction replaces the values in place: ``correction_reason`` holds the
    latest reason and ``corrections`` every earlier version (``{"at", "reason",
    "previous": {...}}``, oldest first). ``administered_date`` dates the DLT window.
    """

    __tablename__ = "dlt_records"
    __table_args__ = (
        Index("ix_dlt_records_trial_patient_cycle", "trial_pk", "patient_pk", "cycle"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_pk: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    trial_pk: Mapped[int] = mapped_column(ForeignKey("trials.id"))
    cohort_id: Mapped[str] = mapped_column(String(64))
    cycle: Mapped[int] = mapped_column(Integer)
    dose_level: Mapped[str] = mapped_column(String(32))
    dlt: Mapped[bool] = mapped_column(Boolean)
    event: Mapped[str | None] = mapped_column(Text)
    grade: Mapped[int | None] = mapped_column(Integer)
    onset_date: Mapped[date | None] = mapped_column(Date)
    within_dlt_window: Mapped[bool] = mapped_column(Boolean)
    administered_date: Mapped[date | None] = mapped_column(Date)
    correction_reason: Mapped[str | None] = mapped_column(Text)
    corrections: Mapped[list[Any] | None] = mapped_column(JSON)
