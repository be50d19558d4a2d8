"""Cohort processing on Dask: one task per patient, idempotent, resumable, one writer.

:func:`run_batch` reads a manifest (:mod:`~theratrial.jobs._batch_manifest`), gives each
patient a key from its inputs and skips every task whose key is stored ``done`` in the
``batch_tasks`` table; the others run on Dask ``distributed`` (the executor of
:mod:`theratrial.jobs.executor`: the in-process LocalCluster, a LocalCluster of
``workers`` processes, or an existing scheduler), one task a patient, one thread a worker
so that a worker holds one patient's volumes at a time. A task that fails with an
unexpected error (a worker lost, a full disk) is resubmitted up to ``retries`` times; a
task that fails with the project's own error (bad input) is not; either way the others go
on. This process is the only writer: as each task returns, its rows (a quantification,
recorded cycles) and its ``batch_tasks`` row are stored in one transaction, so concurrent
tasks never interleave a patient's rows. ``plan`` reads the store, so it runs here, in the
writer. References: Dask ``distributed`` "Futures" and ``as_completed``
(https://distributed.dask.org).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from theratrial import __version__
from theratrial.errors import ParameterError, TheratrialError
from theratrial.gpu import DEVICES, resolve_device
from theratrial.jobs import executor
from theratrial.jobs._base import jsonable
from theratrial.jobs._batch_manifest import TASKS, BatchItem, read_manifest, task_key
from theratrial.jobs._batch_tasks import TaskOutcome, run_item
from theratrial.store.db import connect, session_scope
from theratrial.store.models_batch import BatchTaskRow

__all__ = ["TASKS", "BatchReport", "TaskReport", "run_batch"]

Progress = Callable[[int, int, int, int], None]
"""``progress(done_or_skipped, failed, running, total)``."""


@dataclass(frozen=True, slots=True)
class TaskReport:
    """One patient's task: ``state`` is ``done``, ``skipped`` or ``failed``; time in s."""

    patient_id: str
    state: str
    seconds: float
    error: str | None = None
    attempts: int = 0
    key: str = ""
    peak_rss_mb: float | None = None


@dataclass(frozen=True, slots=True)
class BatchReport:
    """What a batch did: one :class:`TaskReport` per manifest row, in manifest order."""

    task: str
    tasks: tuple[TaskReport, ...]
    wall_s: float = 0.0

    def count(self, state: str) -> int:
        """Tasks in ``state``."""
        return sum(t.state == state for t in self.tasks)

    def as_json(self) -> dict[str, Any]:
        """``{"done", "skipped", "failed", "tasks": [{"patient_id", "state", ...}]}``.

        Examples
        --------
        >>> BatchReport("plan", (TaskReport("VP-000001", "skipped", 0.0),)).as_json()["skipped"]
        1
        """
        return {
            "done": self.count("done"),
            "skipped": self.count("skipped"),
            "failed": self.count("failed"),
            "tasks": [
                {
                    "patient_id": t.patient_id,
                    "state": t.state,
                    "seconds": round(t.seconds, 3),
                    "error": t.error,
                }
                for t in self.tasks
            ],
        }


def _now() -> datetime:
    return datetime.now(UTC)


def _store_rows(session: Session, task: str, item: BatchItem, stored: Any) -> None:
    """The task's own rows, in the writer's transaction."""
    if task == "quantify":
        from theratrial.store.imaging_results import save_quantification

        result, masks = stored
        save_quantification(session, result, patient_id=item.patient_id, masks_source=masks)
    elif task == "dosimetry" and "trial" in item.options:
        _record_cycles(session, item, stored)


def _record_cycles(session: Session, item: BatchItem, stored: dict[str, Any]) -> None:
    from theratrial.protocol import find_protocol
    from theratrial.store import register_protocol
    from theratrial.store.clinical import record_cycle, save_dose_results, save_time_activity

    protocol = find_protocol(item.options["trial"])
    register_protocol(session, protocol)
    for cycle in stored["cycles"]:
        when = cycle["injection_datetime"]
        at = None if when is None else datetime.fromisoformat(when)
        if at is not None and at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
        row = record_cycle(
            session,
            patient_id=item.patient_id,
            trial_id=protocol.id,
            cycle_number=int(cycle["cycle"]),
            nuclide=stored["nuclide"],
            activity_mbq=float(cycle["administered_activity_mbq"]),
            administered_at=at,
        )
        save_dose_results(session, row, cycle["regions"])
        points = [
            (str(r["region"]), float(t), float(a))
            for r in cycle["regions"]
            if len(r.get("activity_mbq") or []) == len(cycle["times_h"])
            for t, a in zip(cycle["times_h"], r["activity_mbq"], strict=True)
        ]
        save_time_activity(session, row, points)


def _write(
    engine: Engine, task: str, item: BatchItem, out: TaskOutcome, attempts: int
) -> TaskOutcome:
    """Store the task's rows and its batch row in one transaction.

    Returns the outcome as stored: ``failed`` with the store's error when its rows were
    refused (the task itself may have run fine).
    """

    def row(state: str, error: str | None) -> BatchTaskRow:
        return BatchTaskRow(
            key=out.key, task=task, patient_id=item.patient_id, source=item.source,
            options=dict(item.options), state=state, attempts=attempts,
            seconds=float(out.seconds), error=error,
            result=None if out.result is None else jsonable(out.result),
            software_version=__version__, finished_at=_now(),
        )  # fmt: skip

    error = out.error
    if out.state == "done":
        try:
            with session_scope(engine) as session:
                _store_rows(session, task, item, out.stored)
                session.merge(row("done", None))
            return out
        except TheratrialError as exc:
            error = f"storing the results was refused: {exc}"
    error = (error or "failed")[:4000]
    with session_scope(engine) as session:
        session.merge(row("failed", error))
    return replace(out, state="failed", error=error)


def _plan(engine: Engine, item: BatchItem, key: str) -> TaskOutcome:
    """Plan the next cycle from the stored cycles (runs in the writer)."""
    from theratrial.protocol import find_protocol
    from theratrial.store import register_protocol
    from theratrial.store.clinical import cycles_of
    from theratrial.store.treatment_plans import next_cycle_plan

    start = time.perf_counter()
    try:
        if "trial" not in item.options:
            raise ParameterError(
                "--task plan needs the trial", field="trial", hint="add a trial column"
            )
        weight = item.options.get("weight_kg")
        protocol = find_protocol(item.options["trial"])
        with session_scope(engine) as session:
            register_protocol(session, protocol)
            cycles = cycles_of(session, patient_id=item.patient_id, trial_id=protocol.id)
            plan = next_cycle_plan(
                protocol, item.patient_id, cycles,
                weight_kg=None if weight is None else float(weight),
            )  # fmt: skip
            payload = jsonable(plan.payload)
    except (TheratrialError, ValueError) as exc:
        return TaskOutcome(item.patient_id, key, "failed", time.perf_counter() - start,
                           error=str(exc)[:4000])  # fmt: skip
    return TaskOutcome(item.patient_id, key, "done", time.perf_counter() - start, result=payload)


def _cycles_digest(engine: Engine, item: BatchItem) -> str:
    """What a plan reads: the patient's stored cycles and doses (part of its key)."""
    from theratrial.store.models_clinical import CycleRow
    from theratrial.store.repository import find_patient

    with session_scope(engine) as session:
        patient = find_patient(session, item.patient_id)
        if patient is None:
            return ""
        rows = session.scalars(select(CycleRow).where(CycleRow.patient_pk == patient.id)).all()
        ids = sorted((r.id, r.cycle_number, r.activity_mbq, str(r.created_at)) for r in rows)
    return hashlib.sha256(json.dumps(ids, default=str).encode()).hexdigest()


@contextmanager
def _client(scheduler: str | None, workers: int | None) -> Iterator[Any]:
    if scheduler is None and workers is not None:
        with executor.local_client(workers) as client:
            yield client
        return
    client = executor.get_client(scheduler)
    if workers is not None:
        client.wait_for_workers(workers, timeout=120)
    yield client


def run_batch(
    manifest: str | Path,
    *,
    task: str,
    db: str | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    retries: int = 2,
    progress: Progress | None = None,
    device: str = "auto",
) -> BatchReport:
    """Run ``task`` for every patient of ``manifest``; see the module docstring.

    Parameters
    ----------
    manifest
        CSV or YAML with ``patient_id``, ``source`` and option columns.
    task
        ``phantom``, ``quantify``, ``dosimetry`` or ``plan``.
    db
        Database URL (default: the configured store).
    scheduler
        Address of an existing Dask scheduler (``tcp://HOST:8786``).
    workers
        Local worker processes (without ``scheduler``); with one, wait for that many.
    retries
        Resubmissions of a task that failed unexpectedly (0 to 10).
    progress
        Called as ``progress(finished, failed, running, total)``.
    device
        Where the dosimetry task's FFTs run: ``cpu``, ``gpu`` or ``auto`` (a manifest
        ``device`` column wins); checked here for local workers, on the workers otherwise.
    """
    if task not in TASKS:
        raise ParameterError(f"unknown task {task!r}", field="--task", hint=", ".join(TASKS))
    if workers is not None and not 1 <= workers <= 256:
        raise ParameterError(f"--workers must be 1-256, got {workers}", field="--workers")
    if not 0 <= retries <= 10:
        raise ParameterError(f"--retries must be 0-10, got {retries}", field="--retries")
    if scheduler is None:
        resolve_device(device, field="--device")  # local workers see this machine's GPU
    elif device not in DEVICES:
        raise ParameterError(
            f"unknown device {device!r}", field="--device", hint="cpu, gpu or auto"
        )
    wall = time.perf_counter()
    path = Path(manifest)
    items = read_manifest(path, task=task)
    if task == "dosimetry":
        items = [replace(i, options={"device": device, **i.options}) for i in items]
    if task == "phantom":
        items = [
            replace(i, options={"out": str((path.parent / i.patient_id).resolve()), **i.options})
            for i in items
        ]
    engine = connect(db)
    try:
        keys = {
            i.patient_id: task_key(
                task, i, extra=_cycles_digest(engine, i) if task == "plan" else None
            )
            for i in items
        }
        with session_scope(engine) as session:
            stored = set(
                session.scalars(
                    select(BatchTaskRow.key).where(
                        BatchTaskRow.key.in_(list(keys.values())), BatchTaskRow.state == "done"
                    )
                ).all()
            )
        reports: dict[str, TaskReport] = {
            i.patient_id: TaskReport(i.patient_id, "skipped", 0.0, key=keys[i.patient_id])
            for i in items
            if keys[i.patient_id] in stored
        }
        pending = [i for i in items if i.patient_id not in reports]
        tick = _ticker(progress, len(items), reports)
        tick(0)
        if task == "plan":
            for item in pending:
                out = _plan(engine, item, keys[item.patient_id])
                out = _write(engine, task, item, out, 1)
                reports[item.patient_id] = _report(out, 1)
                tick(0)
        elif pending:
            _run_on_dask(engine, task, pending, keys, reports, scheduler, workers, retries, tick)
    finally:
        engine.dispose()
    ordered = tuple(reports[i.patient_id] for i in items)
    return BatchReport(task, ordered, time.perf_counter() - wall)


def _report(out: TaskOutcome, attempts: int) -> TaskReport:
    state = out.state
    error = (out.error or "failed") if state == "failed" else None
    return TaskReport(out.patient_id, state, out.seconds, error, attempts, out.key,
                      out.peak_rss_mb or None)  # fmt: skip


def _ticker(progress: Progress | None, total: int, reports: dict[str, TaskReport]) -> Any:
    def tick(running: int) -> None:
        if progress is not None:
            failed = sum(r.state == "failed" for r in reports.values())
            progress(len(reports) - failed, failed, running, total)

    return tick


def _run_on_dask(
    engine: Engine,
    task: str,
    pending: Sequence[BatchItem],
    keys: dict[str, str],
    reports: dict[str, TaskReport],
    scheduler: str | None,
    workers: int | None,
    retries: int,
    tick: Callable[[int], None],
) -> None:
    from distributed import as_completed

    by_id = {i.patient_id: i for i in pending}
    with _client(scheduler, workers) as client:
        slots = max(1, sum(client.nthreads().values()))
        attempts = dict.fromkeys(by_id, 1)

        def submit(item: BatchItem) -> Any:
            key = keys[item.patient_id]
            name = f"theratrial-batch-{key[:24]}-{attempts[item.patient_id]}"
            return client.submit(run_item, task, item, key, key=name, pure=False)

        owner: dict[str, str] = {}
        futures = []
        for item in pending:
            future = submit(item)
            owner[future.key] = item.patient_id
            futures.append(future)
        queue = as_completed(futures, loop=client.loop)  # type: ignore[no-untyped-call]
        outstanding = len(futures)
        tick(min(outstanding, slots))
        for future in queue:
            pid = owner.pop(future.key)
            item = by_id[pid]
            try:
                out: TaskOutcome = future.result()
            except Exception as exc:  # the worker died or the task could not run
                text = f"{type(exc).__name__}: {exc}"[:4000]
                out = TaskOutcome(pid, keys[pid], "failed", 0.0, error=text, transient=True)
            future.release()
            if out.state == "done" and task == "phantom":
                out = replace(out, key=task_key(task, item))  # the folder as written
            outstanding -= 1
            if out.state == "failed" and out.transient and attempts[pid] <= retries:
                attempts[pid] += 1
                again = submit(item)
                owner[again.key] = pid
                queue.add(again)  # type: ignore[no-untyped-call]
                outstanding += 1
                continue
            out = _write(engine, task, item, out, attempts[pid])
            reports[pid] = _report(out, attempts[pid])
            tick(min(outstanding, slots))
