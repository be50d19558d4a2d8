"""Image archive: where an uploaded study's files lie

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 04:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("imaging_studies") as batch:
        batch.add_column(sa.Column("archive_path", sa.String(length=512), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("imaging_studies") as batch:
        batch.drop_column("archive_path")
