"""``/trials/{trial_id}/dashboard``: the trial dashboard and escalation board data."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["router"]

router = APIRouter(tags=["dashboard"])
