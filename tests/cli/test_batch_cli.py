"""``theratrial batch`` through a local app with ``register()``: JSON, exit codes, CSV."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from theratrial.cli.batch import register
from theratrial.jobs import shutdown

app = typer.Typer()
register(app)
app.command("noop")(lambda: None)  # two commands: typer keeps the subcommand name
runner = CliRunner()


@pytest.fixture(scope="module", autouse=True)
def _cluster_closed() -> Iterator[None]:
    yield
    shutdown()


def test_batch_json_contract_and_rerun(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'b.sqlite'}"
    m = tmp_path / "m.csv"
    m.write_text(f"patient_id,source\nVP-000001,{tmp_path / 'absent'}\n")
    args = ["batch", str(m), "--task", "dosimetry", "--db", db, "--json"]
    first = runner.invoke(app, [*args, "--summary", str(tmp_path / "s.csv")])
    assert first.exit_code == 1, first.output
    out = json.loads(first.stdout)
    assert set(out) == {"done", "skipped", "failed", "tasks"}
    assert (out["done"], out["skipped"], out["failed"]) == (0, 0, 1)
    (task,) = out["tasks"]
    assert set(task) == {"patient_id", "state", "seconds", "error"}
    assert task["state"] == "failed"
    assert "absent" in task["error"]
    rows = list(csv.DictReader((tmp_path / "s.csv").read_text().splitlines()))
    assert rows[0]["patient_id"] == "VP-000001"
    assert rows[0]["state"] == "failed"


def test_batch_bad_input_exits_2(tmp_path: Path) -> None:
    m = tmp_path / "m.csv"
    m.write_text("patient_id,source\nVP-000001,x\n")
    bad_task = runner.invoke(app, ["batch", str(m), "--task", "dance"])
    assert bad_task.exit_code == 2
    assert "--task" in bad_task.output
    bad_seed = runner.invoke(app, ["batch", str(m), "--task", "phantom", "--json"])
    assert bad_seed.exit_code == 2
    assert "source" in bad_seed.output
    missing = runner.invoke(app, ["batch", str(tmp_path / "none.csv"), "--task", "plan"])
    assert missing.exit_code == 2


@pytest.mark.parametrize("device", ["gpu", "tpu"])
def test_batch_device_without_a_gpu_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, device: str
) -> None:
    from theratrial.gpu import gpu_available

    monkeypatch.setitem(sys.modules, "cupy", None)  # CuPy absent, wherever this runs
    gpu_available.cache_clear()
    m = tmp_path / "m.csv"
    m.write_text(f"patient_id,source\nVP-000001,{tmp_path}\n")
    db = f"sqlite:///{tmp_path / 'b.sqlite'}"
    try:
        result = runner.invoke(app, ["batch", str(m), "--task", "dosimetry", "--db", db,
                                     "--device", device])  # fmt: skip
    finally:
        gpu_available.cache_clear()
    assert result.exit_code == 2, result.output
    assert "--device" in result.output
    assert "device" in result.output.lower()
