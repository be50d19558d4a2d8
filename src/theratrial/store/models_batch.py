"""The batch table: one row per cohort task, keyed by a hash of the task's inputs.

``theratrial batch`` (:mod:`theratrial.jobs.batch`) stores each patient's task here, in the
same transaction as the rows the task writes (a quantification, recorded cycles), so a
rerun can tell what is already done: a task whose ``key`` has a ``done`` row is skipped, a
``failed`` one is run again and its row updated.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, DateTime, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from theratrial.store.models import Base

__all__ = ["BATCH_STATES", "BatchTaskRow"]

BATCH_STATES = ("done", "failed")


class BatchTaskRow(Base):
    """One patient's task of a batch: its key, what it was, how it went."""

    __tablename__ = "batch_tasks"
    __table_args__ = (
        CheckConstraint("state IN ('done', 'failed')", name="state"),
        CheckConstraint("attempts >= 1", name="attempts"),
        Index("ix_batch_tasks_task_patient", "task", "patient_id"),
    )
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    task: Mapped[str] = mapped_column(String(16))
    patient_id: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(Text)
    options: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    software_version: Mapped[str] = mapped_column(String(32))
    finished_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
