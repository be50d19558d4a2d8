"""The task itself, run in this process: one final transaction, cancel checks, errors."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from theratrial.errors import ComputationError
from theratrial.jobs import runner
from theratrial.jobs._base import JobKind, Outcome
from theratrial.store import connect, session_scope
from theratrial.store.models import SiteRow
from theratrial.store.models_jobs import JobRow


def _new_job(url: str, kind: str) -> str:
    job_id = uuid.uuid4().hex
    engine = connect(url)
    with session_scope(engine) as session:
        session.add(
            JobRow(id=job_id, kind=kind, params={}, state="queued", progress=0.0, step="",
                   actor="t", created_at=datetime.now(UTC))
        )  # fmt: skip
    engine.dispose()
    return job_id


def _row(url: str, job_id: str) -> tuple[JobRow, int]:
    engine = connect(url)
    with session_scope(engine) as session:
        row = session.get_one(JobRow, job_id)
        sites = int(session.scalar(select(func.count()).select_from(SiteRow)) or 0)
    engine.dispose()
    return row, sites


def _kind(store_then: str) -> JobKind:
    def run(spec: Any, *, report: Any, job_id: str) -> Outcome:
        report(0.5, "half way", force=True)

        def store(session: Session) -> Mapping[str, Any]:
            session.add(SiteRow(code="SITE-A"))
            session.flush()  # the row is written inside the transaction
            if store_then == "fail":
                raise ComputationError("the second half failed", field="fit")
            return {"site": "SITE-A"}

        return Outcome(result={"answer": 42}, store=store)

    return JobKind("fake", lambda params: None, run)


@pytest.mark.parametrize("then", ["commit", "fail"])
def test_the_final_transaction_is_all_or_nothing(
    db_url: str, monkeypatch: pytest.MonkeyPatch, then: str
) -> None:
    monkeypatch.setattr(runner, "KINDS", {"fake": _kind(then)})
    job_id = _new_job(db_url, "fake")
    state = runner.run_job(db_url, job_id)
    row, sites = _row(db_url, job_id)
    if then == "commit":
        assert (state, row.state, sites) == ("done", "done", 1)
        assert row.result == {"answer": 42, "site": "SITE-A"}
    else:
        assert (state, row.state, sites) == ("failed", "failed", 0)
        assert row.result is None
        assert row.error is not None
        assert "the second half failed" in row.error
        assert row.step == "storing results"  # where it stopped


def test_a_job_cancelled_before_it_starts_never_runs(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "KINDS", {"fake": _kind("commit")})
    job_id = _new_job(db_url, "fake")
    engine = connect(db_url)
    with session_scope(engine) as session:
        session.execute(update(JobRow).where(JobRow.id == job_id).values(state="cancelled"))
    engine.dispose()
    assert runner.run_job(db_url, job_id) == "cancelled"
    row, sites = _row(db_url, job_id)
    assert (row.state, row.started_at, sites) == ("cancelled", None, 0)


def test_the_progress_report_is_the_cancel_check(db_url: str) -> None:
    job_id = _new_job(db_url, "fake")
    engine = connect(db_url)
    with session_scope(engine) as session:
        session.execute(update(JobRow).where(JobRow.id == job_id).values(state="running"))
    report = runner.Reporter(engine, job_id)
    report.callback("reading", 0.2, 0.6)(1, 2)
    with session_scope(engine) as session:
        row = session.get_one(JobRow, job_id)
        assert (row.progress, row.step) == (pytest.approx(0.4), "reading")
        row.state = "cancelled"
    with pytest.raises(runner.JobCancelledError):
        report(0.9, "next step")
    engine.dispose()


def test_an_error_is_kept_in_one_line() -> None:
    error = ComputationError("no fit", field="kidney_left", hint="add a late time point")
    assert runner.error_text(error) == "field 'kidney_left': no fit (fix: add a late time point)"
    assert runner.error_text(ValueError("bad")) == "ValueError: bad"
