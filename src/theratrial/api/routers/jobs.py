"""``/jobs``: long work on Dask (:mod:`theratrial.jobs.service`).

``POST`` returns the job id at once (202); ``GET /jobs/{id}`` gives state, progress (fraction
done) and the current step; ``DELETE`` cancels.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from starlette.concurrency import run_in_threadpool

from theratrial.api.deps import Context, engine_of, require, tx
from theratrial.api.permissions import Action, Role, allowed
from theratrial.api.problems import ProblemError
from theratrial.api.routers._common import jsonable, record
from theratrial.api.schemas import JobIn

__all__ = ["router"]

router = APIRouter(prefix="/jobs", tags=["jobs"])


def _url(ctx: Context) -> str:
    return engine_of(ctx.request).url.render_as_string(hide_password=False)


def _view(session: Any, job_id: str) -> dict[str, Any]:
    from theratrial.jobs import service

    try:
        view = service.get_job(session, job_id)
    except LookupError:
        raise ProblemError(404, "no such job", field="job_id") from None
    if view is None:
        raise ProblemError(404, "no such job", field="job_id")
    return jsonable(view)  # type: ignore[no-any-return]


@router.post("", status_code=202)
async def submit(body: JobIn, ctx: Context = Depends(require(Action.RUN_JOBS))) -> dict[str, Any]:
    """Queue a job; returns ``{"id", "state"}`` at once."""
    from theratrial.jobs import service

    if body.kind not in service.JOB_KINDS:
        raise ProblemError(
            422,
            f"unknown job kind {body.kind!r}",
            field="kind",
            hint=f"use one of {', '.join(service.JOB_KINDS)}",
        )
    if body.kind == "pacs_import" and not allowed(ctx.principal.role, Action.READ_PSEUDONYM_MAP):
        # importing de-identifies under a pseudonym: it writes the pseudonym map
        raise ProblemError(
            403,
            "importing from the PACS writes the pseudonym map, which this role may not use",
            field="kind",
        )
    scheduler = ctx.request.app.state.settings.scheduler

    def go() -> str:
        job_id = service.submit_job(
            _url(ctx), kind=body.kind, params=body.params, actor=ctx.actor, scheduler=scheduler
        )
        with tx(ctx.request) as session:
            record(
                session,
                ctx,
                action="create",
                entity="job",
                entity_id=job_id,
                changes=[("kind", None, body.kind)],
            )
        return job_id

    job_id = await run_in_threadpool(go)
    return {"id": job_id, "state": "queued"}


@router.get("")
def list_jobs(
    ctx: Context = Depends(require(Action.RUN_JOBS)),
    limit: int = Query(50, ge=1, le=500),
) -> dict[str, Any]:
    """The newest jobs, newest first: the principal's own (an admin sees everyone's)."""
    from theratrial.jobs import service

    name = ctx.principal.username
    mine = None if ctx.principal.role == Role.ADMIN else (name, f"{name} (token)")
    with tx(ctx.request) as session:
        items = [jsonable(v) for v in service.list_jobs(session, actors=mine, limit=limit)]
    return {"items": items, "kinds": list(service.JOB_KINDS)}


@router.get("/{job_id}")
def get(job_id: str, ctx: Context = Depends(require(Action.RUN_JOBS))) -> dict[str, Any]:
    """State, progress (0..1), current step, error or result."""
    with tx(ctx.request) as session:
        return _view(session, job_id)


@router.delete("/{job_id}")
def cancel(job_id: str, ctx: Context = Depends(require(Action.RUN_JOBS))) -> dict[str, Any]:
    """Cancel a queued or running job."""
    from theratrial.jobs import service

    with tx(ctx.request) as session:
        _view(session, job_id)
    view = service.cancel_job(_url(ctx), job_id)
    with tx(ctx.request) as session:
        record(
            session,
            ctx,
            action="update",
            entity="job",
            entity_id=job_id,
            changes=[("state", None, "cancelled")],
        )
    return jsonable(view)  # type: ignore[no-any-return]
