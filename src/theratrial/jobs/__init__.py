"""Long work as jobs on Dask ``distributed``: service jobs now, cohort batches later.

:mod:`~theratrial.jobs.executor` owns the Dask client (an in-process LocalCluster by
default, an existing scheduler when named); :mod:`~theratrial.jobs.service` submits,
follows and cancels jobs stored in the ``jobs`` table; :mod:`~theratrial.jobs.runner` is
the task that runs in a worker; :mod:`~theratrial.jobs.kinds` lists what a job can do.
"""

from theratrial.jobs.executor import get_client, resolve_scheduler
from theratrial.jobs.kinds import JOB_KINDS, check_params
from theratrial.jobs.service import (
    JobNotFoundError,
    JobView,
    cancel_job,
    get_job,
    shutdown,
    submit_job,
)

__all__ = [
    "JOB_KINDS",
    "JobNotFoundError",
    "JobView",
    "cancel_job",
    "check_params",
    "get_client",
    "get_job",
    "resolve_scheduler",
    "shutdown",
    "submit_job",
]
