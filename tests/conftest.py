"""Shared test fixtures: the real reference data beside the project, temporary stores."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def _shared_dir() -> Path:
    override = os.environ.get("THERATRIAL_SHARED_DIR")
    return Path(override) if override else REPO_ROOT.parent / "shared"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data``: real DICOM (suv-dro, sts-petct), read in place, never copied."""
    path = _shared_dir() / "data"
    if not path.is_dir():
        pytest.skip(f"reference data folder {path} is absent (set THERATRIAL_SHARED_DIR)")
    return path


@pytest.fixture(scope="session")
def shared_trials() -> Path:
    """``../shared/trials``: the registry pages of the three seed trials."""
    path = _shared_dir() / "trials"
    if not path.is_dir():
        pytest.skip(f"trial registry folder {path} is absent (set THERATRIAL_SHARED_DIR)")
    return path
