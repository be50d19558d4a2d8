"""Patient records, RECIST assessments and enrolments in their own tables, audited.

Also: the ``site`` of a record follows the one site-code rule, and the API's next-cycle
plan is the very object ``theratrial plan --json`` prints.
"""

from __future__ import annotations

import json

from sqlalchemy import select
from typer.testing import CliRunner

from theratrial.api import audit
from theratrial.api.signatures import content_hash
from theratrial.cli.main import app as cli_app
from theratrial.store import connect, session_scope
from theratrial.store.models import PatientRow
from theratrial.store.models_records import PatientRecordRow, RecistAssessmentRow

from .conftest import SITE_A, SITE_B, Server, patient_record

TRIAL = "NCT06732505"
RECIST = {
    "time_points": [
        {
            "date": "2025-01-10",
            "lesions": [{"id": "L1", "organ": "liver", "measurement_mm": 40, "target": True}],
        },
        {"date": "2025-03-10", "lesions": [{"id": "L1", "measurement_mm": 20}]},
    ]
}


def _rows(server: Server, model: type, patient_id: str) -> list[object]:
    engine = connect(server.db_url)
    try:
        with session_scope(engine) as session:
            pk = session.scalar(select(PatientRow.id).where(PatientRow.pseudonym == patient_id))
            rows = session.scalars(
                select(model).where(model.patient_pk == pk).order_by(model.id)  # type: ignore[attr-defined]
            ).all()
            return list(rows)
    finally:
        engine.dispose()


def _audit(server: Server, entity: str, entity_id: str) -> list[audit.AuditView]:
    engine = connect(server.db_url)
    try:
        with session_scope(engine) as session:
            views = audit.list_records(session, limit=1000, entity=entity)
            return [v for v in views if v.entity_id == entity_id]
    finally:
        engine.dispose()


def test_record_versions_are_rows_with_hash_and_actor(sqlite_server: Server) -> None:
    pid = "PT-A-REC1"
    first = patient_record(pid, SITE_A)
    changed = {**first, "ecog": 2}
    with sqlite_server.client("coordinator-a") as c:
        assert c.post("/api/v1/patients", json=first).status_code == 201
        same = c.post("/api/v1/patients", json=first).json()
        refused = c.post("/api/v1/patients", json=changed)
        ok = c.post("/api/v1/patients", params={"reason": "CRF query 7"}, json=changed)
        read = c.get(f"/api/v1/patients/{pid}").json()
    assert same["changed"] is False
    assert refused.status_code == 409
    assert refused.json()["errors"][0]["field"] == "reason"
    assert ok.status_code == 201
    assert read["record"]["ecog"] == 2
    rows = _rows(sqlite_server, PatientRecordRow, pid)
    assert [r.version for r in rows] == [1, 2]  # type: ignore[attr-defined]
    assert rows[1].sha256 == content_hash(rows[1].content)  # type: ignore[attr-defined]
    assert {r.actor for r in rows} == {"coordinator-a (token)"}  # type: ignore[attr-defined]
    trail = _audit(sqlite_server, "patient_record", pid)
    assert [v.action for v in trail] == ["create", "update"]
    assert trail[-1].reason == "CRF query 7"


def test_recist_is_stored_in_its_table_and_a_change_needs_a_reason(sqlite_server: Server) -> None:
    pid = "PT-A-REC2"
    changed = json.loads(json.dumps(RECIST))
    changed["time_points"][1]["lesions"][0]["measurement_mm"] = 50
    with sqlite_server.client("investigator-a") as c:
        assert c.post("/api/v1/patients", json=patient_record(pid, SITE_A)).status_code == 201
        url = f"/api/v1/patients/{pid}/recist"
        first = c.post(url, json={"assessments": RECIST})
        refused = c.post(url, json={"assessments": changed})
        second = c.post(url, json={"assessments": changed, "reason": "re-read"})
        stored = c.get(url).json()["recist"]
    assert first.json()["best_overall_response"] == "PR"
    assert refused.status_code == 409
    assert second.json()["best_overall_response"] == "PD"
    assert stored["evaluation"]["best_overall_response"] == "PD"
    rows = _rows(sqlite_server, RecistAssessmentRow, pid)
    assert len(rows) == 2
    assert [v.reason for v in _audit(sqlite_server, "recist", pid)] == [None, "re-read"]


def test_enrolment_assigns_the_cohort_and_withdrawal_keeps_the_reason(
    sqlite_server: Server,
) -> None:
    pid = "PT-A-ENR1"
    with sqlite_server.client("coordinator-a") as c:
        assert c.post("/api/v1/patients", json=patient_record(pid, SITE_A)).status_code == 201
        base = f"/api/v1/patients/{pid}/enrolments"
        not_screened = c.post(base, json={"trial_id": TRIAL, "consent_date": "2025-01-20"})
        future = c.post(base, json={"trial_id": TRIAL, "consent_date": "2999-01-01"})
    assert not_screened.status_code == 422
    assert future.status_code == 422
    assert future.json()["errors"][0]["field"] == "consent_date"
    with sqlite_server.client("monitor-a") as c:
        assert c.get(base).json() == {"items": []}


def test_site_of_a_record_follows_the_site_code_rule(sqlite_server: Server) -> None:
    with sqlite_server.client("admin-a") as c:
        bad = c.post("/api/v1/patients", json=patient_record("PT-A-SITE", "bad site!"))
    assert bad.status_code == 422
    assert any(e["field"].endswith("site") for e in bad.json()["errors"])


def test_a_patient_belongs_to_the_site_its_record_names(sqlite_server: Server) -> None:
    pid = "PT-B-OWN1"
    with sqlite_server.client("admin-a") as c:
        assert c.post("/api/v1/patients", json=patient_record(pid, SITE_B)).status_code == 201
        assert c.get(f"/api/v1/patients/{pid}").json()["site"] == SITE_B
    with sqlite_server.client("coordinator-b") as c:
        assert c.get(f"/api/v1/patients/{pid}").status_code == 200
    with sqlite_server.client("coordinator-a") as c:
        assert c.get(f"/api/v1/patients/{pid}").status_code == 404
        moved = c.post("/api/v1/patients", json=patient_record(pid, SITE_A))
    assert moved.status_code == 404


def test_the_plan_is_the_object_plan_json_prints(sqlite_server: Server) -> None:
    pid = "PT-A-PLAN"
    with sqlite_server.client("coordinator-a") as c:
        assert c.post("/api/v1/patients", json=patient_record(pid, SITE_A)).status_code == 201
    with sqlite_server.client("physician-a") as c:
        cycle = {"trial_id": TRIAL, "cycle": 1, "activity_mbq": 8.0, "weight_kg": 70.0,
                 "level": "DL2", "date": "2025-02-01"}  # fmt: skip
        added = c.post(f"/api/v1/patients/{pid}/cycles", json=cycle)
        assert added.status_code == 201, added.text
        plan = c.get(f"/api/v1/patients/{pid}/plan", params={"trial_id": TRIAL})
    assert plan.status_code == 200, plan.text
    api = plan.json()
    result = CliRunner().invoke(
        cli_app, ["plan", pid, "--trial", TRIAL, "--json", "--db", sqlite_server.db_url]
    )
    assert result.exit_code == 0, result.output
    cli = json.loads(result.output)
    assert {k: v for k, v in api.items() if k != "signatures"} == {
        k: v for k, v in cli.items() if k != "plot"
    }
    assert "organs" in api
    assert "limits" in api
