"""Issue 12's "Contract checked independently" paragraph, one test per clause."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
import yaml
from typer.testing import CliRunner

from theratrial.cli.main import app as cli_app

from .conftest import PASSWORD, ROLES, SITE_A, Server, patient_record

TRIAL = "NCT01842165"


def test_users_add_with_a_new_site_code_creates_the_site(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'users.sqlite'}"
    args = ["users", "add", "coord1", "--role", "coordinator", "--site", "NEW-SITE-9"]
    added = CliRunner().invoke(cli_app, [*args, "--password-stdin", "--db", db], input=PASSWORD)
    assert added.exit_code == 0, added.output
    listed = CliRunner().invoke(cli_app, ["users", "list", "--json", "--db", db])
    assert "NEW-SITE-9" in listed.output


def test_login_json_sets_the_cookie_and_returns_the_csrf_token(sqlite_server: Server) -> None:
    with httpx.Client(base_url=sqlite_server.base_url, timeout=30) as c:
        r = c.post("/api/v1/auth/login", json={"username": "admin-a", "password": PASSWORD})
        assert r.status_code == 200
        assert set(r.json()) >= {"csrf_token"}
        assert c.cookies
        body = patient_record("PT-A-CTR1", SITE_A)
        refused = c.post("/api/v1/patients", json=body)
        ok = c.post("/api/v1/patients", json=body, headers={"X-CSRF-Token": r.json()["csrf_token"]})
    assert refused.status_code == 403
    assert ok.status_code == 201


def test_five_failed_logins_lock_even_the_right_password(sqlite_server: Server) -> None:
    with httpx.Client(base_url=sqlite_server.base_url, timeout=30) as c:
        codes = [
            c.post("/api/v1/auth/login", json={"username": "statistician-b", "password": "x"})
            for _ in range(5)
        ]
        right = c.post(
            "/api/v1/auth/login", json={"username": "statistician-b", "password": PASSWORD}
        )
    assert [r.status_code for r in codes] == [401] * 5
    assert right.status_code == 401


def test_token_from_name_and_bearer_without_csrf(sqlite_server: Server) -> None:
    with httpx.Client(base_url=sqlite_server.base_url, timeout=30) as c:
        login = c.post("/api/v1/auth/login", json={"username": "physician-a", "password": PASSWORD})
        csrf = {"X-CSRF-Token": login.json()["csrf_token"]}
        made = c.post("/api/v1/auth/tokens", json={"name": "script"}, headers=csrf)
    assert made.status_code in (200, 201)
    token = made.json()["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=sqlite_server.base_url, headers=bearer, timeout=30) as c:
        assert c.get("/api/v1/patients").status_code == 200
        assert c.post("/api/v1/auth/tokens", json={"name": "again"}).status_code in (200, 201)


def test_patients_post_json_or_yaml_then_get_one_and_list(sqlite_server: Server) -> None:
    with sqlite_server.client("coordinator-a") as c:
        as_json = c.post("/api/v1/patients", json=patient_record("PT-A-CTR2", SITE_A))
        as_yaml = c.post(
            "/api/v1/patients",
            content=yaml.safe_dump(patient_record("PT-A-CTR3", SITE_A)),
            headers={"Content-Type": "application/yaml"},
        )
        one = c.get("/api/v1/patients/PT-A-CTR3")
        ids = [
            p["patient_id"]
            for p in c.get("/api/v1/patients", params={"limit": 500}).json()["items"]
        ]
    assert (as_json.status_code, as_yaml.status_code, one.status_code) == (201, 201, 200)
    assert {"PT-A-CTR2", "PT-A-CTR3"} <= set(ids)


def test_screening_returns_what_screen_json_prints(sqlite_server: Server, tmp_path: Path) -> None:
    record = {**patient_record("PT-A-CTR4", SITE_A), "screening_date": "2025-01-15"}
    with sqlite_server.client("coordinator-a") as c:
        assert c.post("/api/v1/patients", json=record).status_code == 201
        r = c.post("/api/v1/patients/PT-A-CTR4/screenings", json={"trial_id": TRIAL})
    assert r.status_code == 201
    file = tmp_path / "p.json"
    file.write_text(json.dumps(record))
    db = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    cli = CliRunner().invoke(cli_app, ["screen", str(file), "--trial", TRIAL, "--json", "--db", db])
    assert cli.exit_code == 0, cli.output
    printed = json.loads(cli.output)
    assert r.json() == (printed[0] if isinstance(printed, list) else printed)


@pytest.mark.parametrize("role", ROLES)
def test_audit_is_for_admin_and_monitor_only(sqlite_server: Server, role: str) -> None:
    with sqlite_server.client(f"{role}-a") as c:
        r = c.get("/api/v1/audit")
    if role in ("admin", "monitor"):
        assert r.status_code == 200
        item = r.json()["items"][0]
        assert {"user", "action", "entity", "at"} <= set(item)
    else:
        assert r.status_code == 403
