"""The pseudonym map: one pseudonym per source patient, with its one date shift (days).

DICOM PS3.15 E.3.6 (Retain Longitudinal Temporal Information with Modified Dates) asks that
all dates of a patient move by the same offset; the offset is drawn once, when a pseudonym is
first used, and kept in :class:`~theratrial.store.models_pacs.PseudonymRow`. The trial's UID
secret is drawn once as well (:func:`uid_secret`), so replacement UIDs stay the same across
imports.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from theratrial.errors import InputError, ParameterError
from theratrial.store.models_pacs import DeidSecretRow, PseudonymRow

__all__ = ["MAX_SHIFT_DAYS", "PseudonymEntry", "draw_shift_days", "resolve_pseudonym", "uid_secret"]

MAX_SHIFT_DAYS = 3650
"""Largest date shift drawn or accepted (days, either direction)."""


@dataclass(frozen=True, slots=True)
class PseudonymEntry:
    """A pseudonym, the source patient id it stands for and its date shift (days)."""

    pseudonym: str
    source_patient_id: str
    date_shift_days: int


def draw_shift_days() -> int:
    """A random date shift, 365 to :data:`MAX_SHIFT_DAYS` days back (never zero).

    Examples
    --------
    >>> -MAX_SHIFT_DAYS <= draw_shift_days() <= -365
    True
    """
    return -(365 + secrets.randbelow(MAX_SHIFT_DAYS - 365 + 1))


def resolve_pseudonym(
    session: Session,
    pseudonym: str,
    *,
    source_patient_id: str,
    date_shift_days: int | None = None,
) -> PseudonymEntry:
    """The stored entry of ``pseudonym``, created (with a drawn shift) on first use.

    Raises
    ------
    InputError
        When the pseudonym already stands for another patient, or the patient already has
        another pseudonym, or ``date_shift_days`` differs from the stored shift.
    ParameterError
        When ``date_shift_days`` is zero or beyond :data:`MAX_SHIFT_DAYS`.
    """
    if date_shift_days is not None and not 0 < abs(date_shift_days) <= MAX_SHIFT_DAYS:
        raise ParameterError(
            f"date shift {date_shift_days} days is outside 1..{MAX_SHIFT_DAYS} (either sign)",
            field="--date-shift-days",
            hint="give a non-zero shift, or leave it out to draw one",
        )
    row = session.get(PseudonymRow, pseudonym)
    if row is None:
        other = session.scalars(
            select(PseudonymRow).where(PseudonymRow.source_patient_id == source_patient_id)
        ).first()
        if other is not None:
            raise InputError(
                f"this patient already has the pseudonym {other.pseudonym!r}",
                field="--pseudonym",
                hint=f"use --pseudonym {other.pseudonym}",
            )
        shift = date_shift_days if date_shift_days is not None else draw_shift_days()
        row = PseudonymRow(
            pseudonym=pseudonym, source_patient_id=source_patient_id, date_shift_days=shift
        )
        session.add(row)
        session.flush()
    elif row.source_patient_id != source_patient_id:
        raise InputError(
            f"pseudonym {pseudonym!r} already stands for another patient",
            field="PatientID (0010,0020)",
            hint="check the source folder, or give this patient its own pseudonym",
        )
    elif date_shift_days is not None and date_shift_days != row.date_shift_days:
        raise InputError(
            f"pseudonym {pseudonym!r} already has a date shift of {row.date_shift_days} days",
            field="--date-shift-days",
            hint="leave --date-shift-days out: one shift per pseudonym keeps time differences",
        )
    return PseudonymEntry(row.pseudonym, row.source_patient_id, row.date_shift_days)


def uid_secret(session: Session) -> bytes:
    """The trial's UID secret, drawn (32 random bytes) and stored on first use."""
    row = session.get(DeidSecretRow, "uid")
    if row is None:
        row = DeidSecretRow(name="uid", secret_hex=secrets.token_hex(32))
        session.add(row)
        session.flush()
    return bytes.fromhex(row.secret_hex)
