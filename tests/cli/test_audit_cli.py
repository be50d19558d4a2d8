"""``theratrial audit verify`` (0 sound, 1 broken naming the record) and ``audit export``."""

from __future__ import annotations

import csv
import io
import sqlite3
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from theratrial.api.audit import CSV_COLUMNS, record
from theratrial.cli import audit as audit_cli
from theratrial.store import connect, session_scope

runner = CliRunner()
app = typer.Typer()
audit_cli.register(app)
app.command("noop", hidden=True)(lambda: None)  # keeps `audit` a sub-command, as in main


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "audit.sqlite"
    engine = connect(f"sqlite:///{path}")
    with session_scope(engine) as session:
        for i in range(1, 7):
            record(
                session,
                actor="coord1",
                action="create",
                entity="dlt",
                entity_id=f"D-{i}",
                changes=[("grade", None, i % 4)],
            )
    engine.dispose()
    return path


def test_public_api_is_pinned() -> None:
    assert sorted(audit_cli.__all__) == ["audit_app", "register"]


def test_verify_sound_chain_exits_0(store: Path) -> None:
    result = runner.invoke(app, ["audit", "verify", "--db", str(store)])
    assert result.exit_code == 0, result.output
    assert "sound: 6 records" in result.output


@pytest.mark.parametrize(
    ("sql", "seq"),
    [
        ("update audit_records set changes = '[[\"grade\",null,4]]' where seq = 4", 4),
        ("update audit_records set actor = 'x' where seq = 6", 6),
        ("delete from audit_records where seq = 2", 2),
    ],
)
def test_verify_broken_chain_exits_1_naming_the_record(store: Path, sql: str, seq: int) -> None:
    with sqlite3.connect(store) as conn:
        conn.execute(sql)
    result = runner.invoke(app, ["audit", "verify", "--db", f"sqlite:///{store}"])
    assert result.exit_code == 1
    assert f"broken at record {seq}" in result.output


def test_export_csv_to_stdout_and_to_a_file(store: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["audit", "export", "--csv", "--db", str(store)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["entity_id"] for r in rows] == [f"D-{i}" for i in range(1, 7)]
    out = tmp_path / "trail.csv"
    result = runner.invoke(app, ["audit", "export", "--csv", "--out", str(out), "--db", str(store)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert text.splitlines()[0] == ",".join(CSV_COLUMNS)
    assert len(text.splitlines()) == 7
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".trail")] == []


@pytest.mark.parametrize(
    ("args", "message"),
    [([], "--csv"), (["--csv", "--out", "no/such/folder/x.csv"], "does not exist")],
)
def test_export_bad_options_exit_2(store: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["audit", "export", *args, "--db", str(store)])
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
