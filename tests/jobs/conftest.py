"""Fixtures of the job tests: a database per test, the LocalCluster once, a real cluster.

The in-process LocalCluster is the executor's own (started on first use, closed when the
session ends). The external cluster is started as users start one: ``dask scheduler`` and
one ``dask worker`` process on loopback, stopped by their process ids at the end.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from theratrial.errors import ParameterError
from theratrial.jobs import JobView, executor, get_job, shutdown
from theratrial.store import connect, session_scope

FINAL = ("done", "failed", "cancelled")


@pytest.fixture(scope="session", autouse=True)
def _local_cluster_closed_at_end() -> Iterator[None]:
    saved = os.environ.pop(executor.SCHEDULER_ENV, None)
    yield
    shutdown()
    if saved is not None:
        os.environ[executor.SCHEDULER_ENV] = saved


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """A new SQLite file, migrated (the workers open it by its absolute path)."""
    url = f"sqlite:///{tmp_path / 'jobs.sqlite'}"
    connect(url).dispose()
    return url


@pytest.fixture(scope="session")
def wait() -> Callable[..., JobView]:
    """``wait(url, job_id, states=..., timeout_s=...)``: the job once in one of ``states``."""
    return wait_for


def wait_for(
    url: str, job_id: str, *, states: tuple[str, ...] = FINAL, timeout_s: float = 60.0
) -> JobView:
    """Poll the job row until its state is one of ``states``."""
    engine = connect(url)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            with session_scope(engine) as session:
                view = get_job(session, job_id)
            if view.state in states or time.monotonic() > deadline:
                return view
            time.sleep(0.05)
    finally:
        engine.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


@pytest.fixture(scope="session")
def external_scheduler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``dask scheduler`` + one single-thread ``dask worker`` on loopback; their address."""
    dask = Path(sys.executable).with_name("dask")
    if not dask.exists():
        found = shutil.which("dask")
        if found is None:
            pytest.skip("the `dask` command is not installed (pip install 'dask[distributed]')")
        dask = Path(found)
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    logs = tmp_path_factory.mktemp("dask-cluster")
    env = {**os.environ, **executor.WORKER_ENV}
    scheduler_log = (logs / "scheduler.log").open("wb")
    worker_log = (logs / "worker.log").open("wb")
    scheduler = subprocess.Popen(
        [str(dask), "scheduler", "--host", "127.0.0.1", "--port", str(port),
         "--no-dashboard", "--dashboard-address", "127.0.0.1:0"],
        stdout=scheduler_log,
        stderr=subprocess.STDOUT,
        env=env,
    )  # fmt: skip
    worker = subprocess.Popen(
        [str(dask), "worker", address, "--nthreads", "1", "--nworkers", "1",
         "--no-dashboard", "--local-directory", str(logs)],
        stdout=worker_log,
        stderr=subprocess.STDOUT,
        env=env,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:  # the scheduler takes a second or two to listen
            try:
                client = executor.get_client(address)
                break
            except ParameterError:
                if time.monotonic() > deadline or scheduler.poll() is not None:
                    raise
                time.sleep(0.5)
        client.wait_for_workers(1, timeout=90)
        yield address
    finally:
        _stop(worker)
        _stop(scheduler)
        scheduler_log.close()
        worker_log.close()
