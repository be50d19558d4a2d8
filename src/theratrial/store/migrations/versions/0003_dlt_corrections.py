"""DLT records: administration date, explicit corrections with their reason

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("dlt_records", sa.Column("administered_date", sa.Date(), nullable=True))
    op.add_column("dlt_records", sa.Column("correction_reason", sa.Text(), nullable=True))
    op.add_column("dlt_records", sa.Column("corrections", sa.JSON(), nullable=True))
    op.create_index(
        "ix_dlt_records_trial_patient_cycle",
        "dlt_records",
        ["trial_pk", "patient_pk", "cycle"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_dlt_records_trial_patient_cycle", table_name="dlt_records")
    with op.batch_alter_table("dlt_records") as batch:
        batch.drop_column("corrections")
        batch.drop_column("correction_reason")
        batch.drop_column("administered_date")
