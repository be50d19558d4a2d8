"""``/studies``: DICOM studies for the image viewer."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["router"]

router = APIRouter(tags=["studies"])
