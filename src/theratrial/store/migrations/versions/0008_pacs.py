"""PACS: the pseudonym map and the de-identification secret

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-12 12:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pacs_pseudonyms",
        sa.Column("pseudonym", sa.String(length=64), nullable=False),
        sa.Column("source_patient_id", sa.String(length=128), nullable=False),
        sa.Column("date_shift_days", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("pseudonym", name=op.f("pk_pacs_pseudonyms")),
    )
    op.create_index(
        op.f("ix_pacs_pseudonyms_source_patient_id"),
        "pacs_pseudonyms",
        ["source_patient_id"],
        unique=False,
    )
    op.create_table(
        "pacs_deid_secrets",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("secret_hex", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_pacs_deid_secrets")),
    )


def downgrade() -> None:
    op.drop_table("pacs_deid_secrets")
    op.drop_index(op.f("ix_pacs_pseudonyms_source_patient_id"), table_name="pacs_pseudonyms")
    op.drop_table("pacs_pseudonyms")
