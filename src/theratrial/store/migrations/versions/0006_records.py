"""Records: versioned patient records and RECIST assessments

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-12 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "patient_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_pk", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_pk"],
            ["patients.id"],
            name=op.f("fk_patient_records_patient_pk_patients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patient_records")),
        sa.UniqueConstraint("patient_pk", "version", name=op.f("uq_patient_records_patient_pk")),
    )
    op.create_index(
        op.f("ix_patient_records_patient_pk"), "patient_records", ["patient_pk"], unique=False
    )
    op.create_table(
        "recist_assessments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_pk", sa.Integer(), nullable=False),
        sa.Column("trial_pk", sa.Integer(), nullable=True),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_pk"],
            ["patients.id"],
            name=op.f("fk_recist_assessments_patient_pk_patients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["trial_pk"], ["trials.id"], name=op.f("fk_recist_assessments_trial_pk_trials")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recist_assessments")),
    )
    op.create_index(
        op.f("ix_recist_assessments_patient_pk"),
        "recist_assessments",
        ["patient_pk"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_recist_assessments_patient_pk"), table_name="recist_assessments")
    op.drop_table("recist_assessments")
    op.drop_index(op.f("ix_patient_records_patient_pk"), table_name="patient_records")
    op.drop_table("patient_records")
