"""Submitting, following and cancelling jobs: the functions the API's job routes call.

:func:`submit_job` checks the parameters, writes the job row (``queued``) and submits
:func:`theratrial.jobs.runner.run_job` to Dask under the key ``theratrial-job-<id>``, then
returns the id at once. The task runs in a worker process and records its own progress and
outcome in the job row (see :mod:`theratrial.jobs.runner`), so any process sharing the
database can follow it with :func:`get_job`. :func:`cancel_job` marks the row
``cancelled`` (the running task stops at its next progress report) and cancels the Dask
task (a queued one never starts).

These functions block (a database round trip and, the first time, starting the
LocalCluster, about 3.5 s): call them from a worker thread, not an event loop.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from theratrial.errors import ParameterError, TheratrialError
from theratrial.jobs import executor
from theratrial.jobs.kinds import JOB_KINDS, check_params
from theratrial.jobs.runner import error_text, run_job
from theratrial.store.db import connect, database_url, session_scope
from theratrial.store.models_jobs import JobRow

__all__ = [
    "JOB_KINDS",
    "JobNotFoundError",
    "JobView",
    "cancel_job",
    "get_job",
    "job_key",
    "list_jobs",
    "shutdown",
    "submit_job",
]

_FINAL = ("done", "failed", "cancelled")


class JobNotFoundError(ParameterError):
    """No job has this id (the API answers 404)."""


@dataclass(frozen=True, slots=True)
class JobView:
    """A job as clients see it; ``progress`` is the fraction done (0..1), times UTC."""

    id: str
    kind: str
    state: str
    progress: float
    step: str
    error: str | None
    result: dict[str, Any] | None
    created_at: datetime
    finished_at: datetime | None
    actor: str
    started_at: datetime | None = None
    params: dict[str, Any] | None = None


def _utc(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)  # SQLite keeps no zone; we store UTC


def _view(row: JobRow) -> JobView:
    created = _utc(row.created_at)
    assert created is not None
    return JobView(
        id=row.id,
        kind=row.kind,
        state=row.state,
        progress=float(row.progress),
        step=row.step,
        error=row.error,
        result=row.result,
        created_at=created,
        finished_at=_utc(row.finished_at),
        actor=row.actor,
        started_at=_utc(row.started_at),
        params=row.params,
    )


def job_key(job_id: str) -> str:
    """The Dask key of a job's task.

    Examples
    --------
    >>> job_key("0" * 32)
    'theratrial-job-00000000000000000000000000000000'
    """
    return f"theratrial-job-{job_id}"


def _absolute_url(engine_url: str) -> str:
    """The URL with an SQLite path made absolute (workers may run in another folder)."""
    from sqlalchemy.engine import make_url

    url = make_url(database_url(engine_url))
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        from pathlib import Path

        url = url.set(database=str(Path(url.database).resolve()))
    elif url.get_backend_name() == "sqlite":
        raise ParameterError(
            "jobs run in other processes and cannot use an in-memory SQLite database",
            field="--db",
            hint="give an SQLite file or a PostgreSQL URL",
        )
    return url.render_as_string(hide_password=False)


_engines: dict[str, Engine] = {}


def _engine(url: str) -> Engine:
    engine = _engines.get(url)
    if engine is None:
        engine = _engines[url] = connect(url)
    return engine


def submit_job(
    engine_url: str,
    *,
    kind: str,
    params: Mapping[str, Any],
    actor: str,
    scheduler: str | None = None,
) -> str:
    """Queue a job of ``kind`` and start it on Dask; return its id (uuid4 hex) at once.

    Parameters
    ----------
    engine_url
        The database the job row and its results go to (the workers open it too).
    kind
        One of :data:`JOB_KINDS`.
    params
        The kind's parameters (see :mod:`theratrial.jobs.kinds`); checked here.
    actor
        Who asked (a username, ``cli:<user>``).
    scheduler
        A Dask scheduler address; default ``THERATRIAL_DASK_SCHEDULER``, else the
        in-process LocalCluster.

    Raises
    ------
    ParameterError
        Bad kind or parameters (``field`` names ``kind`` or ``params.FIELD``), or a
        scheduler that cannot be reached (the job is then stored ``failed``).
    """
    checked = check_params(kind, params)
    executor.resolve_scheduler(scheduler)
    url = _absolute_url(engine_url)
    engine = _engine(url)
    job_id = uuid.uuid4().hex
    with session_scope(engine) as session:
        session.add(
            JobRow(
                id=job_id,
                kind=kind,
                params=checked,
                state="queued",
                progress=0.0,
                step="queued",
                actor=actor,
                created_at=datetime.now(UTC),
            )
        )
    try:
        executor.submit_task(run_job, url, job_id, key=job_key(job_id), scheduler=scheduler)
    except (TheratrialError, OSError, RuntimeError) as exc:
        with session_scope(engine) as session:
            session.execute(
                update(JobRow)
                .where(JobRow.id == job_id, JobRow.state == "queued")
                .values(state="failed", error=error_text(exc), finished_at=datetime.now(UTC))
            )
        raise
    return job_id


def get_job(session: Session, job_id: str) -> JobView:
    """The job ``job_id`` as it stands now.

    Raises
    ------
    JobNotFoundError
        When no job has this id.
    """
    row = session.execute(select(JobRow).where(JobRow.id == str(job_id))).scalar_one_or_none()
    if row is None:
        raise JobNotFoundError(
            f"no job {job_id!r}", field="job_id", hint="use the id submit returned"
        )
    return _view(row)


def list_jobs(
    session: Session, *, actors: tuple[str, ...] | None = None, limit: int = 50
) -> list[JobView]:
    """The newest ``limit`` jobs (1-500), newest first; only those of ``actors`` when given."""
    if not 1 <= limit <= 500:
        raise ParameterError(f"limit {limit} is out of range", field="limit", hint="use 1 to 500")
    query = select(JobRow).order_by(JobRow.created_at.desc(), JobRow.id).limit(limit)
    if actors is not None:
        query = query.where(JobRow.actor.in_(actors))
    return [_view(row) for row in session.scalars(query)]


def cancel_job(engine_url: str, job_id: str, *, scheduler: str | None = None) -> JobView:
    """Cancel a queued or running job; a finished job is returned unchanged.

    The row is marked ``cancelled`` first (so the task, queued or running, stores
    nothing), then the Dask task is cancelled.
    """
    engine = _engine(_absolute_url(engine_url))
    with session_scope(engine) as session:
        view = get_job(session, job_id)
        if view.state in _FINAL:
            return view
        session.execute(
            update(JobRow)
            .where(JobRow.id == view.id, JobRow.state.in_(("queued", "running")))
            .values(state="cancelled", step="cancelled", finished_at=datetime.now(UTC))
        )
    # the row says cancelled: the task checks it before storing anything, so a scheduler
    # that cannot be reached now does not undo the cancellation
    with contextlib.suppress(TheratrialError, OSError, RuntimeError):
        executor.cancel_task(job_key(view.id), scheduler=scheduler)
    with session_scope(engine) as session:
        return get_job(session, view.id)


def shutdown() -> None:
    """Close the Dask clients and the in-process LocalCluster, and the engines."""
    executor.shutdown()
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()
