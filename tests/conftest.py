"""Shared test fixtures: the real reference data beside the project, temporary stores."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
DEMO_PATIENTS = REPO_ROOT / "src" / "theratrial" / "data" / "patients"


def demo_record(demo: str, patient_id: str, site: str = "SITE-A") -> dict[str, Any]:
    """A bundled demo patient (``DEMO-006`` ...) as a JSON record under another id and site."""
    raw = yaml.safe_load((DEMO_PATIENTS / f"{demo}.yaml").read_text())
    content: dict[str, Any] = json.loads(json.dumps(raw, default=str))  # dates as ISO text
    return {**content, "patient_id": patient_id, "site": site}


def wait_until_ready(
    base: str, proc: subprocess.Popen[bytes], log: Path, *, timeout_s: float, what: str
) -> None:
    """Poll ``base``/readyz until it answers 200; fail with the log's tail if ``proc`` dies
    or ``timeout_s`` passes first."""
    import httpx

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"{what} did not start: {log.read_text()[-2000:]}")
        time.sleep(0.1)


def _shared_dir() -> Path:
    override = os.environ.get("THERATRIAL_SHARED_DIR")
    return Path(override) if override else REPO_ROOT.parent / "shared"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data``: real DICOM (suv-dro, sts-petct), read in place, never copied."""
    path = _shared_dir() / "data"
    if not path.is_dir():
        pytest.skip(f"reference data folder {path} is absent (set THERATRIAL_SHARED_DIR)")
    return path


@pytest.fixture(scope="session")
def shared_trials() -> Path:
    """``../shared/trials``: the registry pages of the three seed trials."""
    path = _shared_dir() / "trials"
    if not path.is_dir():
        pytest.skip(f"trial registry folder {path} is absent (set THERATRIAL_SHARED_DIR)")
    return path


# -- a real PostgreSQL server for the store tests ----------------------------------------
import contextlib  # noqa: E402
import glob  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import tempfile  # noqa: E402
from collections.abc import Iterator  # noqa: E402


def _pg_bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_postgres(cmd: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run its programs as the postgres user then."""
    if os.geteuid() == 0:
        runuser = shutil.which("runuser")
        if runuser:
            return [runuser, "-u", "postgres", "--", *cmd]
        return ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(cmd)]
    return cmd


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throw-away PostgreSQL cluster started for this test session.

    Uses ``THERATRIAL_TEST_POSTGRES_URL`` when set (an existing server); otherwise runs
    Debian's ``initdb``/``pg_ctl`` (installed by ``.ci/run``) in a temporary folder on a free
    loopback port, and stops it afterwards. Skips with the reason when no server can start.
    """
    existing = os.environ.get("THERATRIAL_TEST_POSTGRES_URL")
    if existing:
        yield existing
        return
    bindir = _pg_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql); .ci/run installs it")
    root = Path(tempfile.mkdtemp(prefix="theratrial-pg-"))
    data, sock = root / "data", root / "sock"
    sock.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(sock, "postgres")
        root.chmod(0o755)
    port = _free_port()
    log = root / "server.log"
    try:
        subprocess.run(
            _as_postgres(
                [
                    str(bindir / "initdb"),
                    "-D",
                    str(data),
                    "-A",
                    "trust",
                    "-U",
                    "postgres",
                    "--no-sync",
                    "-E",
                    "UTF8",
                ]
            ),
            check=True,
            capture_output=True,
            timeout=120,
        )
        opts = f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run(
            _as_postgres(
                [
                    str(bindir / "pg_ctl"),
                    "-D",
                    str(data),
                    "-o",
                    opts,
                    "-l",
                    str(log),
                    "-w",
                    "-t",
                    "60",
                    "start",
                ]
            ),
            check=True,
            capture_output=True,
            timeout=90,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip(f"PostgreSQL could not start: {exc}; {detail.decode(errors='replace')[-300:]}")
    subprocess.run(
        _as_postgres(
            [
                str(bindir / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                "postgres",
                "theratrial_test",
            ]
        ),
        check=True,
        capture_output=True,
        timeout=60,
    )
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/theratrial_test"
    finally:
        with contextlib.suppress(Exception):
            subprocess.run(
                _as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
                capture_output=True,
                timeout=60,
            )
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def clean_postgres_url(postgres_url: str) -> str:
    """``postgres_url`` with every theratrial table emptied, for a test that needs a clean store.

    The audit table is append-only (a trigger refuses DELETE): the clean-up runs with
    ``session_replication_role = replica``, which a superuser may set to skip user triggers,
    as a restore would. The test cluster's ``postgres`` role is a superuser.
    """
    from sqlalchemy import text

    from theratrial.store import connect
    from theratrial.store.models import Base

    engine = connect(postgres_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(table.delete())
    finally:
        engine.dispose()
    return postgres_url
