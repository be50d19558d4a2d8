"""Tables of the trial service: accounts, sessions, API tokens, audit trail, signatures, enrolment.

Accounts: a user has one role and belongs to one or more sites (``user_sites``); only an
argon2id hash of the password is stored. Browser sessions and API tokens are stored as the
SHA-256 of their secret, never the secret itself.

The audit trail (21 CFR Part 11 §11.10(e)) is append-only: ``audit_records`` rows are
numbered by ``seq`` and hash-chained (``hash = sha256(prev_hash + canonical JSON)``, see
:mod:`theratrial.api.audit`); on PostgreSQL migration 0004 installs a trigger that refuses
``UPDATE``, ``DELETE`` and ``TRUNCATE`` on the table. An electronic signature (§11.50,
§11.200) binds a user, a meaning and the SHA-256 of exactly what was signed.

An enrolment is one patient in one trial: cohort, consent date, enrolment time, and the
withdrawal (date and reason) when it happens, at the site the patient belongs to.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from theratrial.store.models import Base, SiteRow

__all__ = [
    "ApiTokenRow",
    "AuditRow",
    "EnrolmentRow",
    "SessionRow",
    "SignatureRow",
    "UserRow",
    "UserSiteRow",
]


class UserRow(Base):
    """A local account: username, role, argon2id password hash, lock-out state."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(Text)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    sites: Mapped[list[SiteRow]] = relationship(secondary="user_sites", order_by=SiteRow.code)


class UserSiteRow(Base):
    """Membership of a user in a site (a user sees the patients of their sites)."""

    __tablename__ = "user_sites"
    user_pk: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    site_pk: Mapped[int] = mapped_column(ForeignKey("sites.id"), primary_key=True)


class SessionRow(Base):
    """A browser session: SHA-256 of the cookie secret, CSRF token, last activity."""

    __tablename__ = "auth_sessions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    secret_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(128))
    user_pk: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ApiTokenRow(Base):
    """A personal API token: its name and the SHA-256 of the token (shown once)."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_pk: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AuditRow(Base):
    """One append-only, hash-chained audit record (who, when, what, old/new, why)."""

    __tablename__ = "audit_records"
    __table_args__ = (Index("ix_audit_records_entity", "entity", "entity_id"),)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(32))
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(128))
    changes: Mapped[list[Any]]
    reason: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class SignatureRow(Base):
    """An electronic signature: signer, meaning, time, SHA-256 of the signed content."""

    __tablename__ = "signatures"
    __table_args__ = (Index("ix_signatures_entity", "entity", "entity_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_pk: Mapped[int] = mapped_column(ForeignKey("users.id"))
    username: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(32))
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(128))
    meaning: Mapped[str] = mapped_column(String(32))
    content_sha256: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    audit_seq: Mapped[int] = mapped_column(Integer)


class EnrolmentRow(Base):
    """One patient enrolled in one trial: cohort, consent, withdrawal, site."""

    __tablename__ = "enrolments"
    __table_args__ = (UniqueConstraint("patient_pk", "trial_pk"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_pk: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    trial_pk: Mapped[int] = mapped_column(ForeignKey("trials.id"))
    site_pk: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    cohort_id: Mapped[str | None] = mapped_column(String(64))
    consent_date: Mapped[date] = mapped_column(Date)
    enrolled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    withdrawn_date: Mapped[date | None] = mapped_column(Date)
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)
