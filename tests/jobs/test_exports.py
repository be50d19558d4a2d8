"""The public names of the jobs package (a change here is an API change)."""

from __future__ import annotations

import pytest

from theratrial import jobs
from theratrial.jobs import executor, kinds, runner, service
from theratrial.store import models_jobs


@pytest.mark.parametrize(
    ("module", "names"),
    [
        (jobs, ["JOB_KINDS", "JobNotFoundError", "JobView", "cancel_job", "check_params",
                "get_client", "get_job", "resolve_scheduler", "shutdown", "submit_job"]),
        (service, ["JOB_KINDS", "JobNotFoundError", "JobView", "cancel_job", "get_job",
                   "job_key", "list_jobs", "shutdown", "submit_job"]),
        (executor, ["SCHEDULER_ENV", "WORKER_ENV", "cancel_task", "get_client", "local_client",
                    "local_workers", "resolve_scheduler", "shutdown", "submit_task"]),
        (kinds, ["JOB_KINDS", "KINDS", "JobKind", "Outcome", "check_params"]),
        (runner, ["PROGRESS_INTERVAL_S", "JobCancelledError", "Reporter", "error_text",
                  "run_job"]),
        (models_jobs, ["JOB_STATES", "JobRow"]),
    ],
)  # fmt: skip
def test_export_lists(module: object, names: list[str]) -> None:
    assert sorted(module.__all__) == sorted(names)  # type: ignore[attr-defined]


def test_the_kinds_are_the_contract() -> None:
    assert jobs.JOB_KINDS == (
        "design_simulation",
        "virtual_cohort",
        "quantify",
        "dosimetry",
        "pacs_import",
    )
    assert set(kinds.KINDS) == set(jobs.JOB_KINDS)
