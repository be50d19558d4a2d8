"""The Dask task of a job: claim it, run its kind, report progress, store the result once.

How progress and cancellation cross processes: the task writes its own progress row
through a short transaction of its own (``UPDATE jobs SET progress, step WHERE id AND
state = 'running'``), at most every :data:`PROGRESS_INTERVAL_S` seconds or when the step
changes. The job row is therefore readable by any process sharing the database (the API
server, a CLI, a worker on another machine), and the same update is the cancel check: when
:func:`theratrial.jobs.cancel_job` has set the row to ``cancelled``, the update matches no
row and the task stops there, between steps, without storing anything.

The end is one transaction: the rows the job stores (a quantification, say) and the job's
``done`` state with its ``result`` commit together, and only while the row still says
``running`` (a cancel that came first wins, and the transaction is rolled back). A failure
stores nothing but the job's ``failed`` state and its error.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from theratrial.errors import TheratrialError
from theratrial.jobs.kinds import KINDS, Outcome
from theratrial.store.db import connect, session_scope
from theratrial.store.models_jobs import JobRow

__all__ = ["PROGRESS_INTERVAL_S", "JobCancelledError", "Reporter", "error_text", "run_job"]

PROGRESS_INTERVAL_S = 0.25
"""Least time between two progress writes of one job (a step change is written at once)."""

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


class JobCancelledError(Exception):
    """Raised inside a running job when its row says it was cancelled (internal)."""


def _engine(url: str) -> Engine:
    """One engine per database per worker process (connecting migrates; do it once)."""
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            engine = connect(url)
            _engines[url] = engine
        return engine


def _now() -> datetime:
    return datetime.now(UTC)


class Reporter:
    """Progress of one running job, written to its row; raises when it was cancelled.

    Call it as ``report(fraction, step)``; :meth:`callback` adapts a science function's
    ``progress(done, total)`` to a fraction between ``start`` and ``stop``.
    """

    def __init__(self, engine: Engine, job_id: str) -> None:
        self._engine = engine
        self._job_id = job_id
        self._step = ""
        self._last = 0.0

    def __call__(self, fraction: float, step: str, *, force: bool = False) -> None:
        """Record ``fraction`` (0..1) done, now at ``step``; raise if cancelled."""
        now = time.monotonic()
        if not force and step == self._step and now - self._last < PROGRESS_INTERVAL_S:
            return
        self._step, self._last = step, now
        value = min(max(float(fraction), 0.0), 1.0)
        with session_scope(self._engine) as session:
            hit = session.execute(
                update(JobRow)
                .where(JobRow.id == self._job_id, JobRow.state == "running")
                .values(progress=value, step=step[:200])
            )
            if getattr(hit, "rowcount", 1) == 0:
                raise JobCancelledError(self._job_id)

    def callback(self, step: str, start: float, stop: float) -> Callable[[int, int], None]:
        """A ``progress(done, total)`` callback mapping onto ``start..stop``."""

        def tick(done: int, total: int) -> None:
            share = done / total if total else 0.0
            self(start + (stop - start) * min(max(share, 0.0), 1.0), step)

        return tick


def error_text(exc: BaseException) -> str:
    """The error kept with a failed job: the project's one-line message, else type: text."""
    if isinstance(exc, TheratrialError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def _claim(engine: Engine, job_id: str) -> tuple[str, dict[str, Any]] | None:
    """Move the job to ``running``; ``None`` when it was cancelled or is unknown."""
    with session_scope(engine) as session:
        row = session.execute(
            select(JobRow.kind, JobRow.params).where(JobRow.id == job_id)
        ).one_or_none()
        hit = session.execute(
            update(JobRow)
            .where(JobRow.id == job_id, JobRow.state.in_(("queued", "running")))
            .values(state="running", started_at=_now(), progress=0.0, step="starting")
        )
        if row is None or getattr(hit, "rowcount", 1) == 0:
            return None
        return str(row.kind), dict(row.params)


def _finish(engine: Engine, job_id: str, outcome: Outcome) -> None:
    """Store the job's rows and its result in one transaction, unless it was cancelled."""
    with session_scope(engine) as session:
        result = dict(outcome.result)
        if outcome.store is not None:
            result.update(outcome.store(session))
        _set_final(session, job_id, state="done", result=result, progress=1.0, step="done")


def _set_final(session: Session, job_id: str, *, state: str, **values: Any) -> None:
    hit = session.execute(
        update(JobRow)
        .where(JobRow.id == job_id, JobRow.state == "running")
        .values(state=state, finished_at=_now(), **values)
    )
    if getattr(hit, "rowcount", 1) == 0:
        raise JobCancelledError(job_id)


def run_job(engine_url: str, job_id: str) -> str:
    """Run job ``job_id`` of the database at ``engine_url``; return its final state.

    This is the function submitted to Dask. It never raises for a failure of the job
    itself (the error is stored with the job); it raises only when the database cannot
    record the outcome.
    """
    engine = _engine(engine_url)
    claimed = _claim(engine, job_id)
    if claimed is None:
        return "cancelled"
    kind, params = claimed
    report = Reporter(engine, job_id)
    try:
        spec = KINDS[kind].parse(params)
        outcome = KINDS[kind].run(spec, report=report, job_id=job_id)
        try:
            report(0.99, "storing results", force=True)
            _finish(engine, job_id, outcome)
        except BaseException:
            if outcome.undo is not None:
                outcome.undo()
            raise
    except JobCancelledError:
        return "cancelled"
    except Exception as exc:  # the job failed: keep its error, store nothing else
        try:
            with session_scope(engine) as session:
                _set_final(session, job_id, state="failed", error=error_text(exc)[:4000])
                # progress and step stay where the job stopped: they tell where it failed
        except JobCancelledError:
            return "cancelled"
        return "failed"
    return "done"
