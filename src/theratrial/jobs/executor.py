"""Where long work runs: a Dask ``distributed`` client, shared by service jobs and batches.

One executor for every kind of long work (the trial service's jobs, and later the cohort
``batch`` command): :func:`get_client` gives a :class:`distributed.Client` connected to

- an existing scheduler, when one is named: the ``scheduler`` argument (``--scheduler``)
  or else the environment variable ``THERATRIAL_DASK_SCHEDULER`` (``tcp://HOST:8786``);
- otherwise an in-process :class:`distributed.LocalCluster`, started on first use and
  reused: ``processes=True``, ``min(os.cpu_count(), 2)`` workers of one thread each, on
  ``127.0.0.1``, no dashboard. Its workers get ``OMP_NUM_THREADS=1`` (and the OpenBLAS /
  MKL equivalents), so one task uses one core and the workers do not oversubscribe.

Dask's overhead is a few milliseconds per task (measured 3-10 ms on this machine), so a
task is a whole unit of work (one job, one patient), never a voxel. Tasks are submitted
under a chosen key, so any process can cancel one by its key (:func:`cancel_task`).
References: Dask ``distributed`` documentation, "LocalCluster" and "Futures"
(https://distributed.dask.org).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from theratrial.errors import ParameterError

__all__ = [
    "SCHEDULER_ENV",
    "WORKER_ENV",
    "cancel_task",
    "get_client",
    "local_client",
    "local_workers",
    "resolve_scheduler",
    "shutdown",
    "submit_task",
]

SCHEDULER_ENV = "THERATRIAL_DASK_SCHEDULER"
WORKER_ENV: dict[str, str] = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}
"""Environment of the local workers: one thread per BLAS/FFT library (one core a task)."""

_MAX_LOCAL_WORKERS = 2
_lock = threading.Lock()
_cluster: Any = None
_clients: dict[str, Any] = {}


def resolve_scheduler(scheduler: str | None = None) -> str | None:
    """The scheduler address to use: the argument, else the environment, else ``None``.

    ``None`` means the in-process LocalCluster.

    Raises
    ------
    ParameterError
        When the address is not a ``tcp://``, ``tls://``, ``ws://``, ``wss://`` or
        ``inproc://`` URL.

    Examples
    --------
    >>> resolve_scheduler("tcp://127.0.0.1:8786")
    'tcp://127.0.0.1:8786'
    """
    address = scheduler if scheduler is not None else os.environ.get(SCHEDULER_ENV)
    if address is None or not address.strip():
        return None
    address = address.strip()
    scheme, sep, rest = address.partition("://")
    if not sep or scheme not in ("tcp", "tls", "ws", "wss", "inproc") or not rest:
        field = "--scheduler" if scheduler is not None else SCHEDULER_ENV
        raise ParameterError(
            f"cannot use Dask scheduler address {address!r}",
            field=field,
            hint="give the address the scheduler prints, e.g. tcp://127.0.0.1:8786",
        )
    return address


def local_workers() -> int:
    """Workers of the in-process cluster: the CPU count, at most 2 (one thread each).

    Examples
    --------
    >>> 1 <= local_workers() <= 2
    True
    """
    return max(1, min(os.cpu_count() or 1, _MAX_LOCAL_WORKERS))


def _start_local(n_workers: int | None = None) -> Any:
    from distributed import LocalCluster

    return LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=local_workers() if n_workers is None else n_workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        # no dashboard; the scheduler's health endpoints on a free port, never 8787
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
        env=dict(WORKER_ENV),
    )


def get_client(scheduler: str | None = None) -> Any:
    """A :class:`distributed.Client` for ``scheduler`` (see :func:`resolve_scheduler`).

    Clients are cached per address; the LocalCluster is started once, lazily, and kept
    until :func:`shutdown`.

    Raises
    ------
    ParameterError
        When the scheduler address is malformed or cannot be reached.
    """
    from distributed import Client

    address = resolve_scheduler(scheduler)
    key = address or "local"
    with _lock:
        client = _clients.get(key)
        if client is not None and client.status == "running":
            return client
        try:
            if address is None:
                global _cluster
                if _cluster is None:
                    _cluster = _start_local()
                client = Client(_cluster, set_as_default=False)  # type: ignore[no-untyped-call]
            else:
                client = Client(  # type: ignore[no-untyped-call]
                    address, timeout="10s", set_as_default=False
                )
        except (OSError, TimeoutError) as exc:
            raise ParameterError(
                f"cannot reach Dask scheduler {address}: {exc}",
                field="--scheduler" if scheduler is not None else SCHEDULER_ENV,
                hint="start it with `dask scheduler --host HOST --port PORT` and a worker with "
                "`dask worker tcp://HOST:PORT`, or leave the option out for a local cluster",
            ) from exc
        _clients[key] = client
        return client


@contextmanager
def local_client(n_workers: int) -> Iterator[Any]:
    """A client on a LocalCluster of its own: ``n_workers`` processes of one thread each.

    Same settings as the shared cluster (loopback, no dashboard, :data:`WORKER_ENV`); the
    cluster is closed on exit. Used by ``theratrial batch --workers N``.
    """
    from distributed import Client

    cluster = _start_local(n_workers)
    client = Client(cluster, set_as_default=False)  # type: ignore[no-untyped-call]
    try:
        yield client
    finally:
        client.close()  # type: ignore[no-untyped-call]
        cluster.close()


def submit_task(fn: Callable[..., Any], *args: Any, key: str, scheduler: str | None = None) -> Any:
    """Run ``fn(*args)`` on the cluster under ``key``; it runs even if nobody waits for it.

    Returns the :class:`distributed.Future` (keep it to wait or cancel).
    """
    from distributed import fire_and_forget

    future = get_client(scheduler).submit(fn, *args, key=key, pure=False)
    fire_and_forget(future)  # type: ignore[no-untyped-call]
    return future


def cancel_task(key: str, *, scheduler: str | None = None) -> None:
    """Cancel the task ``key``: dropped if still queued; a running one keeps its thread.

    A running task stops itself at its next check of the cancel flag (see
    :mod:`theratrial.jobs.runner`).
    """
    from distributed import Future

    client = get_client(scheduler)
    client.cancel([Future(key, client=client)], force=True)


def shutdown() -> None:
    """Close every client and the in-process LocalCluster, if one was started."""
    global _cluster
    with _lock:
        for client in _clients.values():
            client.close()
        _clients.clear()
        if _cluster is not None:
            _cluster.close()
            _cluster = None
