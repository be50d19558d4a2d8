"""The job table: long work run on Dask, with its state, progress and result.

A job is created ``queued`` by :func:`theratrial.jobs.submit_job`; its Dask task moves it to
``running``, reports ``progress`` (0..1) and ``step`` through short transactions of its own,
and ends it ``done`` (with ``result``, in the same transaction as any rows the job stores),
``failed`` (with ``error``, nothing else stored) or ``cancelled``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, DateTime, Float, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from theratrial.store.models import Base

__all__ = ["JOB_STATES", "JobRow"]

JOB_STATES = ("queued", "running", "done", "failed", "cancelled")


class JobRow(Base):
    """One job: what to do (kind, params), who asked, and how it went."""

    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint(
            "state IN ('queued', 'running', 'done', 'failed', 'cancelled')", name="state"
        ),
        CheckConstraint("progress >= 0 AND progress <= 1", name="progress"),
        Index("ix_jobs_state_created_at", "state", "created_at"),
    )
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16), default="queued")
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    step: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    actor: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
