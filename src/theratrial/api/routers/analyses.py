"""``/analyses``: response, repeatability and outcome-model analyses for the pages."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["router"]

router = APIRouter(tags=["analyses"])
