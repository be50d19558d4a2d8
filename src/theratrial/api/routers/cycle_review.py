"""``/patients/{patient_id}/cycles/{cycle}/review``: a cycle's dosimetry review."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["router"]

router = APIRouter(tags=["cycle_review"])
