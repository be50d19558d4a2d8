"""The same jobs on a cluster started as users start one (scheduler + one worker process)."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from theratrial.errors import ParameterError
from theratrial.jobs import JobView, cancel_job, submit_job
from theratrial.jobs.executor import SCHEDULER_ENV, resolve_scheduler

Wait = Callable[..., JobView]
BOIN = {"truth": [0.05, 0.1, 0.25, 0.4], "target": 0.25, "n_trials": 1000, "seed": 11}


def test_submit_poll_done_on_an_external_scheduler(
    db_url: str, external_scheduler: str, wait: Wait
) -> None:
    job_id = submit_job(
        db_url, kind="design_simulation", params=BOIN, actor="ann", scheduler=external_scheduler
    )
    view = wait(db_url, job_id)
    assert view.state == "done", view.error
    assert view.result is not None
    assert view.result["seed"] == 11


def test_the_environment_names_the_scheduler(
    db_url: str, external_scheduler: str, wait: Wait, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SCHEDULER_ENV, external_scheduler)
    assert resolve_scheduler() == external_scheduler
    view = wait(db_url, submit_job(db_url, kind="design_simulation", params=BOIN, actor="ben"))
    assert view.state == "done", view.error


def test_failure_on_an_external_scheduler_keeps_the_error(
    tmp_path: Path, db_url: str, external_scheduler: str, wait: Wait
) -> None:
    params = {"patient_dir": str(tmp_path)}  # no SPECT series in it
    job_id = submit_job(
        db_url, kind="dosimetry", params=params, actor="cat", scheduler=external_scheduler
    )
    view = wait(db_url, job_id)
    assert view.state == "failed"
    assert view.error
    assert view.result is None


def test_cancel_frees_the_single_worker(db_url: str, external_scheduler: str, wait: Wait) -> None:
    """One worker thread: a follow-up job finishes soon only if the cancelled one stopped."""
    long = {**BOIN, "n_trials": 5_000_000}  # about 17 s to the end
    job_id = submit_job(
        db_url, kind="design_simulation", params=long, actor="dan", scheduler=external_scheduler
    )
    assert wait(db_url, job_id, states=("running", "done", "failed")).state == "running"
    assert cancel_job(db_url, job_id, scheduler=external_scheduler).state == "cancelled"
    started = time.monotonic()
    follow = submit_job(
        db_url, kind="design_simulation", params=BOIN, actor="dan", scheduler=external_scheduler
    )
    view = wait(db_url, follow, timeout_s=30)
    assert view.state == "done", view.error
    assert time.monotonic() - started < 8.0
    assert wait(db_url, job_id).state == "cancelled"


def test_a_queued_job_cancelled_never_runs(
    db_url: str, external_scheduler: str, wait: Wait
) -> None:
    long = {**BOIN, "n_trials": 300_000}
    first = submit_job(
        db_url, kind="design_simulation", params=long, actor="eve", scheduler=external_scheduler
    )
    queued = submit_job(
        db_url, kind="design_simulation", params=BOIN, actor="eve", scheduler=external_scheduler
    )
    assert cancel_job(db_url, queued, scheduler=external_scheduler).state == "cancelled"
    assert wait(db_url, first).state == "done"
    view = wait(db_url, queued)
    assert view.state == "cancelled"
    assert view.started_at is None
    assert view.result is None


@pytest.mark.parametrize("address", ["127.0.0.1:8786", "http://127.0.0.1:8786", "tcp://"])
def test_a_malformed_scheduler_address_is_refused(address: str) -> None:
    with pytest.raises(ParameterError) as info:
        resolve_scheduler(address)
    assert info.value.field == "--scheduler"
    gc.collect()  # distributed's refused connection leaves a socket to the collector


@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_an_unreachable_scheduler_fails_the_job_with_its_error(db_url: str) -> None:
    with pytest.raises(ParameterError) as info:
        submit_job(
            db_url,
            kind="design_simulation",
            params=BOIN,
            actor="fay",
            scheduler="tcp://127.0.0.1:9",
        )
    assert info.value.field == "--scheduler"
    gc.collect()  # distributed's refused connection leaves a socket to the collector
