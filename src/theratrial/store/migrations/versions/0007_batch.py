"""Batch: one row per cohort task of ``theratrial batch``, keyed by its inputs

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-14 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "batch_tasks",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("task", sa.String(length=16), nullable=False),
        sa.Column("patient_id", sa.String(length=64), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("software_version", sa.String(length=32), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("state IN ('done', 'failed')", name=op.f("ck_batch_tasks_state")),
        sa.CheckConstraint("attempts >= 1", name=op.f("ck_batch_tasks_attempts")),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_batch_tasks")),
    )
    op.create_index(
        "ix_batch_tasks_task_patient", "batch_tasks", ["task", "patient_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_batch_tasks_task_patient", table_name="batch_tasks")
    op.drop_table("batch_tasks")
