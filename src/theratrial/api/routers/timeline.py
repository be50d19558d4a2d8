"""``/patients/{patient_id}/timeline``: a patient's screening, scans, cycles, labs and response."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["router"]

router = APIRouter(tags=["timeline"])
