"""One router per resource; :data:`ROUTERS` is the order the app mounts them in."""

from __future__ import annotations

from fastapi import APIRouter

from theratrial.api.routers import (
    analyses,
    audit,
    auth,
    cycle_review,
    cycles,
    dashboard,
    dlt,
    enrolments,
    escalation,
    jobs,
    patients,
    recist,
    reports,
    screenings,
    sites,
    studies,
    timeline,
    trials,
    users,
)

__all__ = ["ROUTERS"]

ROUTERS: tuple[APIRouter, ...] = (
    auth.router,
    users.router,
    sites.router,
    trials.router,
    patients.router,
    screenings.router,
    enrolments.router,
    cycles.router,
    dlt.router,
    escalation.router,
    recist.router,
    audit.router,
    jobs.router,
    reports.router,
    dashboard.router,
    timeline.router,
    cycle_review.router,
    studies.router,
    analyses.router,
)
