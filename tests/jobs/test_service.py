"""Jobs on a real Dask LocalCluster: submit -> poll -> done, failure, cancel, bad input."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, inspect, select

from theratrial.design import create_design, simulate
from theratrial.errors import ParameterError
from theratrial.jobs import JobNotFoundError, JobView, cancel_job, get_job, submit_job
from theratrial.store import connect, session_scope
from theratrial.store.models_clinical import ImagingSeriesRow
from theratrial.store.models_jobs import JobRow

Wait = Callable[..., JobView]
BOIN = {"truth": [0.05, 0.1, 0.25, 0.4], "design": "boin", "target": 0.25, "n_trials": 2000}


def _count(url: str, model: Any) -> int:
    engine = connect(url)
    try:
        with session_scope(engine) as session:
            return int(session.scalar(select(func.count()).select_from(model)) or 0)
    finally:
        engine.dispose()


def test_migration_creates_the_job_table(db_url: str) -> None:
    engine = connect(db_url)
    try:
        columns = {c["name"] for c in inspect(engine).get_columns("jobs")}
    finally:
        engine.dispose()
    assert columns == {
        "id", "kind", "params", "state", "progress", "step", "error", "result", "actor",
        "created_at", "started_at", "finished_at",
    }  # fmt: skip


def test_design_simulation_runs_to_done_with_the_result_stored(db_url: str, wait: Wait) -> None:
    started = time.perf_counter()
    job_id = submit_job(db_url, kind="design_simulation", params=BOIN, actor="alice")
    assert len(job_id) == 32
    assert int(job_id, 16) >= 0
    view = wait(db_url, job_id)
    print(f"design_simulation job: {time.perf_counter() - started:.2f} s submit -> done")
    assert view.state == "done", view.error
    assert view.progress == 1.0
    assert view.error is None
    assert view.actor == "alice"
    assert view.kind == "design_simulation"
    assert view.finished_at is not None
    assert view.finished_at >= view.created_at
    assert view.created_at.tzinfo is not None
    # the same numbers as the design package gives in process (same seed, same answer)
    oc = simulate(
        create_design("boin", target=0.25), BOIN["truth"], max_n=30, n_trials=2000, seed=1
    )
    assert view.result is not None
    assert view.result["selection_pct"] == pytest.approx(list(oc.selection_pct))
    assert view.result["n_mean"] == pytest.approx(oc.n_mean)
    assert view.result["units"]["selection_pct"] == "% of trials"


def test_virtual_cohort_is_written_whole(tmp_path: Path, db_url: str, wait: Wait) -> None:
    out = tmp_path / "cohort"
    params = {"out_dir": str(out), "n": 1, "seed": 7, "grid": 16, "cycles": 1}
    view = wait(db_url, submit_job(db_url, kind="virtual_cohort", params=params, actor="bob"))
    assert view.state == "done", view.error
    assert view.result is not None
    assert view.result["cohort_dir"] == str(out)
    assert (out / "cohort.json").is_file()
    assert (out / "lesions.csv").is_file()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no staging


def test_a_failed_job_keeps_its_error_and_stores_nothing(
    tmp_path: Path, db_url: str, wait: Wait
) -> None:
    empty = tmp_path / "study"
    empty.mkdir()
    masks = tmp_path / "masks"
    masks.mkdir()
    params = {"study_dir": str(empty), "masks": str(masks)}
    view = wait(db_url, submit_job(db_url, kind="quantify", params=params, actor="carol"))
    assert view.state == "failed"
    assert view.error is not None
    assert "no DICOM image series" in view.error
    assert view.result is None
    assert view.finished_at is not None
    assert _count(db_url, ImagingSeriesRow) == 0


def test_cancel_stops_a_running_job_and_it_stores_nothing(db_url: str, wait: Wait) -> None:
    params = {**BOIN, "n_trials": 5_000_000}  # about 17 s if it ran to the end
    job_id = submit_job(db_url, kind="design_simulation", params=params, actor="dave")
    running = wait(db_url, job_id, states=("running", "done", "failed"))
    assert running.state == "running"
    view = cancel_job(db_url, job_id)
    assert view.state == "cancelled"
    assert view.finished_at is not None
    time.sleep(1.0)  # a task that did not stop would now overwrite the row
    engine = connect(db_url)
    try:
        with session_scope(engine) as session:
            after = get_job(session, job_id)
    finally:
        engine.dispose()
    assert after.state == "cancelled"
    assert after.result is None
    assert cancel_job(db_url, job_id).state == "cancelled"  # idempotent


def test_cancelling_a_finished_job_changes_nothing(db_url: str, wait: Wait) -> None:
    job_id = submit_job(db_url, kind="design_simulation", params=BOIN, actor="erin")
    assert wait(db_url, job_id).state == "done"
    view = cancel_job(db_url, job_id)
    assert view.state == "done"
    assert view.result is not None


@pytest.mark.parametrize(
    ("kind", "params", "field"),
    [
        ("simulate", {}, "kind"),
        ("design_simulation", {"target": 0.25}, "params.truth"),
        ("design_simulation", {**BOIN, "truth": "0.1,x"}, "params.truth"),
        ("design_simulation", {**BOIN, "n_trials": 0}, "params.n_trials"),
        ("design_simulation", {**BOIN, "n_trial": 10}, "params.n_trial"),
        ("design_simulation", {**BOIN, "levels": [1.0, 2.0]}, "params.truth"),
        ("design_simulation", {**BOIN, "seed": -1}, "params.seed"),
        ("design_simulation", {**BOIN, "design": "nope"}, "params.design"),
        ("virtual_cohort", {"out_dir": "/nonexistent/x/y", "seed": 1}, "params.out_dir"),
        ("virtual_cohort", {"out_dir": "/tmp/x", "seed": 1, "grid": "4"}, "params.grid"),
        ("quantify", {"study_dir": "/nonexistent", "masks": "/tmp"}, "params.study_dir"),
        ("quantify", {"study_dir": "/tmp", "masks": "/tmp", "suv": "xx"}, "params.suv"),
        ("quantify", {"study_dir": "/tmp", "masks": "/tmp", "mtv": "200%"}, "params.mtv"),
        ("dosimetry", {"patient_dir": "/tmp", "method": "magic"}, "params.method"),
        ("dosimetry", {"patient_dir": "/tmp", "alpha_beta_gy": -1}, "params.alpha_beta_gy"),
    ],
)
def test_bad_parameters_are_refused_before_anything_is_stored(
    db_url: str, kind: str, params: dict[str, Any], field: str
) -> None:
    with pytest.raises(ParameterError) as info:
        submit_job(db_url, kind=kind, params=params, actor="frank")
    assert info.value.field == field
    assert _count(db_url, JobRow) == 0


def test_an_unknown_job_id_is_not_found(db_url: str) -> None:
    engine = connect(db_url)
    try:
        with session_scope(engine) as session, pytest.raises(JobNotFoundError) as info:
            get_job(session, "0" * 32)
    finally:
        engine.dispose()
    assert info.value.field == "job_id"
    with pytest.raises(JobNotFoundError):
        cancel_job(db_url, "f" * 32)


def test_an_in_memory_database_is_refused() -> None:
    with pytest.raises(ParameterError) as info:
        submit_job("sqlite://", kind="design_simulation", params=BOIN, actor="gina")
    assert info.value.field == "--db"


@pytest.mark.postgres
def test_a_job_on_postgresql(postgres_url: str, wait: Wait) -> None:
    job_id = submit_job(postgres_url, kind="design_simulation", params=BOIN, actor="hugo")
    view = wait(postgres_url, job_id)
    assert view.state == "done", view.error
    assert view.result is not None
    assert len(view.result["selection_pct"]) == 4
