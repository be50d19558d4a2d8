"""``theratrial serve --host --port --db``: the service starts, answers /healthz, stops."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from typer.testing import CliRunner

from theratrial.cli.main import app


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_starts_answers_healthz_and_stops(tmp_path: Path) -> None:
    port = _free_port()
    db = f"sqlite:///{tmp_path / 'serve.sqlite'}"
    cmd = [sys.executable, "-c", "from theratrial.cli.main import main; main()", "serve"]
    proc = subprocess.Popen(
        [*cmd, "--host", "127.0.0.1", "--port", str(port), "--db", db],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "THERATRIAL_ARGON2_TIME_COST": "1"},
    )
    try:
        status, ready = None, None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                status = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code
                ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).json()
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        assert status == 200
        assert ready == {"status": "ready", "database": "sqlite"}
    finally:
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=30)
    assert code == 0


def test_serve_refuses_a_bad_scheduler_address() -> None:
    result = CliRunner().invoke(app, ["serve", "--scheduler", "localhost:8786"])
    assert result.exit_code == 2
    assert "--scheduler" in result.output
