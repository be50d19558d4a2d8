"""The application shell: health, OpenAPI, problem details, headers, limits, no PHI in logs."""

from __future__ import annotations

import pytest

from .conftest import PATIENT_A, PATIENT_B, SITE_A, Server, patient_record


def test_health_and_openapi(sqlite_server: Server) -> None:
    with sqlite_server.client() as c:
        assert c.get("/healthz").json() == {"status": "ok"}
        assert c.get("/readyz").json()["status"] == "ready"
        spec = c.get("/api/v1/openapi.json").json()
    assert "/api/v1/patients" in spec["paths"]
    assert "/api/v1/auth/login" in spec["paths"]


def test_security_headers_and_cors_closed(sqlite_server: Server) -> None:
    with sqlite_server.client() as c:
        r = c.get("/healthz", headers={"Origin": "https://evil.example"})
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert "default-src 'none'" in r.headers["content-security-policy"]
    assert "access-control-allow-origin" not in r.headers


def test_validation_error_is_problem_json_naming_the_field(sqlite_server: Server) -> None:
    with sqlite_server.client("coordinator-a") as c:
        r = c.post(f"/api/v1/patients/{PATIENT_A}/screenings", json={"trial": "x"})
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert {"type", "title", "status", "detail", "instance", "errors"} <= set(body)
    assert {e["field"] for e in body["errors"]} >= {"trial_id", "trial"}


def test_bad_patient_record_names_the_field(sqlite_server: Server) -> None:
    record = patient_record("PT-A-900", SITE_A) | {"ecog": 9}
    with sqlite_server.client("coordinator-a") as c:
        r = c.post("/api/v1/patients", json=record)
        missing = c.get("/api/v1/patients/PT-A-900")
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "ecog"
    assert missing.status_code == 404  # nothing half-written


def test_yaml_patient_record(sqlite_server: Server) -> None:
    text = (
        "patient_id: PT-A-YAML\nsite: SITE-A\nscreening_date: 2025-01-15\n"
        "demographics: {age_years: 55, sex: male}\n"
    )
    with sqlite_server.client("coordinator-a") as c:
        r = c.post("/api/v1/patients", content=text, headers={"Content-Type": "application/yaml"})
        got = c.get("/api/v1/patients/PT-A-YAML")
    assert r.status_code == 201, r.text
    assert got.json()["record"]["demographics"]["sex"] == "male"


def test_body_size_limit(sqlite_server: Server) -> None:
    with sqlite_server.client("coordinator-a") as c:
        r = c.post("/api/v1/patients", content=b"x" * 2_000_000,
                   headers={"Content-Type": "application/json"})  # fmt: skip
    assert r.status_code == 413
    assert r.headers["content-type"] == "application/problem+json"


def test_changing_a_stored_record_needs_a_reason(sqlite_server: Server) -> None:
    record = patient_record("PT-A-777", SITE_A)
    with sqlite_server.client("coordinator-a") as c:
        assert c.post("/api/v1/patients", json=record).status_code == 201
        changed = record | {"ecog": 2}
        refused = c.post("/api/v1/patients", json=changed)
        accepted = c.post("/api/v1/patients", params={"reason": "ECOG re-assessed"}, json=changed)
    assert refused.status_code == 409
    assert refused.json()["errors"][0]["field"] == "reason"
    assert accepted.status_code == 201
    assert accepted.json()["changed"] is True


def test_screening_returns_the_screen_json_object(sqlite_server: Server) -> None:
    with sqlite_server.client("coordinator-a") as c:
        r = c.post(f"/api/v1/patients/{PATIENT_A}/screenings", json={"trial_id": "NCT01842165"})
        listed = c.get(f"/api/v1/patients/{PATIENT_A}/screenings")
    assert r.status_code == 201, r.text
    body = r.json()
    assert set(body) == {
        "patient_id", "trial_id", "screening_date", "verdict", "cohorts", "counts",
        "assumptions", "criteria",
    }  # fmt: skip
    assert body["patient_id"] == PATIENT_A
    assert listed.json()["items"][-1]["verdict"] == body["verdict"]


def test_list_pages_with_cursor(sqlite_server: Server) -> None:
    with sqlite_server.client("admin-a") as c:
        first = c.get("/api/v1/patients", params={"limit": 1}).json()
        second = c.get("/api/v1/patients", params={"limit": 1, "cursor": first["next_cursor"]})
    assert len(first["items"]) == 1
    assert first["next_cursor"] is not None
    assert second.json()["items"][0]["patient_id"] != first["items"][0]["patient_id"]


@pytest.mark.parametrize("patient", [PATIENT_A, PATIENT_B])
def test_no_patient_id_in_the_server_log(sqlite_server: Server, patient: str) -> None:
    with sqlite_server.client("admin-a") as c:
        c.get(f"/api/v1/patients/{patient}")
        c.post(f"/api/v1/patients/{patient}/screenings", json={"trial_id": "NCT01842165"})
        c.post("/api/v1/patients", json=patient_record(patient, "nope site"))
    log = sqlite_server.log.read_text()
    assert "/patients/{patient_id}" in log  # requests are logged, by route template
    assert patient not in log
