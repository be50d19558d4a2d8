"""The database adapter: SQLAlchemy models, Alembic migrations and repositories.

SQLite by default; any SQLAlchemy URL through ``THERATRIAL_DATABASE_URL`` or ``--db``.
"""

from theratrial.store import models, models_clinical
from theratrial.store.db import connect, database_url, migrate, session_scope
from theratrial.store.repository import (
    count_rows,
    enrolment_of,
    find_patient,
    get_or_create_patient,
    get_or_create_site,
    register_protocol,
    save_screening,
    save_screenings,
    screening_summary,
    stored_protocol,
)

__all__ = [
    "connect",
    "count_rows",
    "database_url",
    "enrolment_of",
    "find_patient",
    "get_or_create_patient",
    "get_or_create_site",
    "migrate",
    "models",
    "models_clinical",
    "register_protocol",
    "save_screening",
    "save_screenings",
    "screening_summary",
    "session_scope",
    "stored_protocol",
]
