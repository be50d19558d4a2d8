"""Tables of the PACS adapter: the pseudonym map and the de-identification secret.

The pseudonym map links a trial pseudonym to the source patient id and keeps the one date
shift drawn for it (DICOM PS3.15 E.3.6). It is the only place where the real patient id is
kept: only the admin and data-manager roles may read it (the service's permission table).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column

from theratrial.store.models import Base

__all__ = ["DeidSecretRow", "PseudonymRow"]


class PseudonymRow(Base):
    """One pseudonym: the source patient id it stands for and its date shift (days)."""

    __tablename__ = "pacs_pseudonyms"
    pseudonym: Mapped[str] = mapped_column(String(64), primary_key=True)
    source_patient_id: Mapped[str] = mapped_column(String(128), index=True)
    date_shift_days: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.current_timestamp()
    )


class DeidSecretRow(Base):
    """A named secret (hex) of the trial; ``uid`` derives the replacement UIDs."""

    __tablename__ = "pacs_deid_secrets"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    secret_hex: Mapped[str] = mapped_column(String(128))
