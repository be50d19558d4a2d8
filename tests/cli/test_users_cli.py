"""``theratrial users add/list/disable`` through a local app on which ``register`` is called."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from theratrial.api.audit import list_records
from theratrial.cli import users
from theratrial.store import connect, session_scope

runner = CliRunner()
app = typer.Typer()
users.register(app)
app.command("noop", hidden=True)(lambda: None)  # keeps `users` a sub-command, as in main


@pytest.fixture(autouse=True)
def _low_cost(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THERATRIAL_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("THERATRIAL_ARGON2_MEMORY_KIB", "1024")


def _db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'users.sqlite'}"


def test_public_api_is_pinned() -> None:
    assert sorted(users.__all__) == ["cli_actor", "register", "users_app"]


def test_add_list_disable(tmp_path: Path) -> None:
    db = _db(tmp_path)
    add = [
        "users",
        "add",
        "alice",
        "--role",
        "coordinator",
        "--site",
        "S1",
        "--site",
        "S2",
        "--password-stdin",
        "--db",
        db,
    ]
    result = runner.invoke(app, add, input="correct horse battery\n")
    assert result.exit_code == 0, result.output
    assert "added user alice (coordinator) at S1, S2" in result.output
    result = runner.invoke(app, ["users", "list", "--json", "--db", db])
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.output)
    assert (row["username"], row["role"], row["sites"], row["disabled"]) == (
        "alice",
        "coordinator",
        ["S1", "S2"],
        False,
    )
    assert "password" not in result.output
    result = runner.invoke(app, ["users", "disable", "alice", "--db", db])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["users", "list", "--db", db])
    assert "disabled" in result.output
    engine = connect(db)
    with session_scope(engine) as session:
        records = list_records(session)
    engine.dispose()
    assert [(r.action, r.entity_id) for r in records] == [("create", "alice"), ("update", "alice")]
    assert all(r.user == users.cli_actor() for r in records)
    assert users.cli_actor().startswith("cli:")


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (
            ["bob", "--role", "physician", "--site", "S1"],
            "correct horse battery\n",
            "--password-stdin",
        ),
        (
            ["bob", "--role", "physician", "--site", "S1", "--password-stdin"],
            "",
            "no password on standard input",
        ),
        (
            ["bob", "--role", "physician", "--site", "S1", "--password-stdin"],
            "short\n",
            "12 to 1024 characters",
        ),
        (
            ["b", "--role", "physician", "--site", "S1", "--password-stdin"],
            "correct horse battery\n",
            "username",
        ),
        (
            ["bob", "--role", "physician", "--password-stdin"],
            "correct horse battery\n",
            "at least one site",
        ),
    ],
)
def test_bad_add_exits_2_with_one_line_and_stores_nothing(
    tmp_path: Path, args: list[str], stdin: str, message: str
) -> None:
    db = _db(tmp_path)
    result = runner.invoke(app, ["users", "add", *args, "--db", db], input=stdin)
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
    assert "Traceback" not in result.output
    listed = runner.invoke(app, ["users", "list", "--json", "--db", db])
    assert json.loads(listed.output) == []


def test_unknown_role_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "users",
            "add",
            "bob",
            "--role",
            "root",
            "--site",
            "S1",
            "--password-stdin",
            "--db",
            _db(tmp_path),
        ],
        input="correct horse battery\n",
    )
    assert result.exit_code == 2
    assert "coordinator" in result.output


def test_disable_unknown_user_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["users", "disable", "nobody", "--db", _db(tmp_path)])
    assert result.exit_code == 2
    assert "no user 'nobody'" in result.output
