"""A real server process for the API tests: uvicorn on a free loopback port, its own store.

Users are created through the accounts API (:func:`theratrial.api.accounts.add_user`) with
a low argon2 cost (``THERATRIAL_ARGON2_TIME_COST=1``, passed to the server too). The server
log is kept, so tests can check that no patient id reaches it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from ..conftest import wait_until_ready

os.environ.setdefault("THERATRIAL_ARGON2_TIME_COST", "1")
os.environ.setdefault("THERATRIAL_ARGON2_MEMORY_KIB", "1024")

PASSWORD = "correct horse battery staple"
SITE_A, SITE_B = "SITE-A", "SITE-B"
PATIENT_A, PATIENT_B = "PT-A-001", "PT-B-001"
ROLES = (
    "admin", "investigator", "physician", "physicist",
    "coordinator", "statistician", "monitor", "sponsor",
)  # fmt: skip

_SERVER = """
import logging, sys, uvicorn
from theratrial.api.app import create_app
logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(name)s %(message)s")
uvicorn.run(create_app(sys.argv[1]), host="127.0.0.1", port=int(sys.argv[2]),
            access_log=False, log_level="info")
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """A running server: its base URL, store URL, log file and one token per user."""

    base_url: str
    db_url: str
    log: Path
    tokens: dict[str, str] = field(default_factory=dict)

    def client(self, user: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.tokens[user]}"} if user else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=30)


def patient_record(patient_id: str, site: str) -> dict[str, object]:
    return {
        "patient_id": patient_id,
        "site": site,
        "screening_date": "2025-01-15",
        "demographics": {"age_years": 61, "sex": "female"},
        "ecog": 1,
        "diagnosis": {"histology": "NET", "grade": "G2", "ki67_pct": 8, "primary_site": "pancreas"},
    }


def start_server(db_url: str, tmp: Path) -> Iterator[Server]:
    """Create the users, start uvicorn, wait for /readyz, yield, stop it by its pid."""
    from theratrial.api import accounts
    from theratrial.store import connect, session_scope

    engine = connect(db_url)
    tokens: dict[str, str] = {}
    with session_scope(engine) as session:
        for role in ROLES:
            for site in (SITE_A, SITE_B):
                name = f"{role}-{site[-1].lower()}"
                p = accounts.add_user(session, name, role=role, sites=[site], password=PASSWORD)
                tokens[name] = accounts.create_token(session, p, "tests")
    engine.dispose()
    port = _free_port()
    log = tmp / "server.log"
    env = {**os.environ, "THERATRIAL_ARGON2_TIME_COST": "1", "THERATRIAL_ARGON2_MEMORY_KIB": "1024"}
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", _SERVER, db_url, str(port)], stdout=out, stderr=out, env=env
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(base, proc, log, timeout_s=60, what="the server")
        server = Server(base, db_url, log, tokens)
        with server.client("admin-a") as admin:
            for pid, site in ((PATIENT_A, SITE_A), (PATIENT_B, SITE_B)):
                r = admin.post("/api/v1/patients", json=patient_record(pid, site))
                assert r.status_code == 201, r.text
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def sqlite_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("api-sqlite")
    yield from start_server(f"sqlite:///{tmp / 'store.sqlite'}", tmp)


@pytest.fixture(scope="session")
def postgres_server(
    postgres_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("api-postgres")
    yield from start_server(postgres_url, tmp)


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def server(request: pytest.FixtureRequest) -> Server:
    """The server on SQLite, then on PostgreSQL."""
    name = "sqlite_server" if request.param == "sqlite" else "postgres_server"
    result: Server = request.getfixturevalue(name)
    return result
