"""The store's export lists, pinned (a new public name is a deliberate change)."""

from __future__ import annotations

import theratrial.store as store
from theratrial.store import clinical, dlt, repository


def test_store_package_exports() -> None:
    assert sorted(store.__all__) == [
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
    for name in store.__all__:
        assert hasattr(store, name), name


def test_repository_public_names_are_exported_by_the_package() -> None:
    assert set(repository.__all__) <= set(store.__all__)


def test_dlt_module_and_its_names_kept_in_clinical() -> None:
    assert dlt.__all__ == ["DltCount", "DltImport", "add_dlt", "add_dlts", "dlt_counts", "dlt_rows"]
    for name in dlt.__all__:  # moved out of clinical.py; old imports keep working
        assert name in clinical.__all__
        assert getattr(clinical, name) is getattr(dlt, name)
