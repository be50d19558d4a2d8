"""The patient timeline, record validation, the trial finder and the patient summaries.

The server is shared by every API test of a session: each test arranges its own patients
(ids prefixed ``TL-``) and checks only what it arranged.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from sqlalchemy import select

from theratrial.api import audit
from theratrial.store import connect, session_scope
from theratrial.store.models import PatientRow

from ..conftest import demo_record
from .conftest import PATIENT_B, SITE_A, SITE_B, Server, patient_record

TRIAL = "NCT06732505"
RECIST = {
    "time_points": [
        {
            "date": "2026-03-01",
            "lesions": [{"id": "L1", "organ": "liver", "measurement_mm": 40, "target": True}],
        },
        {"date": "2026-05-01", "lesions": [{"id": "L1", "measurement_mm": 22}]},
    ]
}


def _stored(server: Server, patient_id: str) -> bool:
    engine = connect(server.db_url)
    try:
        with session_scope(engine) as session:
            found = session.scalar(select(PatientRow).where(PatientRow.pseudonym == patient_id))
            return found is not None
    finally:
        engine.dispose()


def _audited(server: Server, entity_id: str) -> list[audit.AuditView]:
    engine = connect(server.db_url)
    try:
        with session_scope(engine) as session:
            return audit.list_records(session, limit=1000, entity_id=entity_id)
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"ecog": 7}, "ecog", "less than or equal to 5"),
        ({"demographics": {"sex": "male"}}, "demographics", "birth_date"),
        ({"patient_id": "Jane Doe"}, "patient_id", ""),
        ({"site": "SITE-B"}, "site", "your own sites"),
        ({"site": "not a code!"}, "site", "not a site code"),
        (
            {
                "labs": [
                    {"name": "platelets", "value": 150, "unit": "bananas", "date": "2025-01-10"}
                ]
            },
            "labs[0].unit",
            "",
        ),
    ],
)
def test_validate_returns_the_field_errors_of_a_store_and_stores_nothing(
    sqlite_server: Server, change: dict[str, Any], field: str, words: str
) -> None:
    pid = f"TL-VAL-{abs(hash(field)) % 10_000}"
    body = {**patient_record(pid, SITE_A), **change}
    with sqlite_server.client("coordinator-a") as c:
        checked = c.post("/api/v1/patients/validate", json=body)
        stored = c.post("/api/v1/patients", json=body)
    assert checked.status_code == stored.status_code, checked.text
    assert checked.status_code in (404, 422)
    assert checked.headers["content-type"] == "application/problem+json"
    assert checked.json()["errors"] == stored.json()["errors"]
    assert checked.json()["errors"][0]["field"] == field
    assert words in checked.json()["errors"][0]["message"]
    assert not _stored(sqlite_server, body["patient_id"])


def test_validate_accepts_yaml_and_a_good_record_without_storing_it(sqlite_server: Server) -> None:
    pid = "TL-VAL-OK"
    text = yaml.safe_dump(demo_record("DEMO-009", pid, SITE_A))
    with sqlite_server.client("coordinator-a") as c:
        r = c.post(
            "/api/v1/patients/validate",
            content=text.encode(),
            headers={"Content-Type": "application/yaml"},
        )
        wrong = c.post(
            "/api/v1/patients/validate", content=b"x", headers={"Content-Type": "image/png"}
        )
    assert r.status_code == 200, r.text
    doc = r.json()
    assert (doc["valid"], doc["patient_id"], doc["site"]) == (True, pid, SITE_A)
    assert doc["record"]["labs"][0]["unit"] == "mg/dL"
    assert wrong.status_code == 415
    assert not _stored(sqlite_server, pid)
    assert _audited(sqlite_server, pid) == []


def test_validate_needs_the_right_to_write_patients(sqlite_server: Server) -> None:
    body = patient_record("TL-VAL-MON", SITE_A)
    with sqlite_server.client("monitor-a") as m, sqlite_server.client() as anon:
        assert m.post("/api/v1/patients/validate", json=body).status_code == 403
        assert anon.post("/api/v1/patients/validate", json=body).status_code == 401


def _arrange_treated(server: Server, pid: str) -> None:
    with server.client("coordinator-a") as c:
        r = c.post("/api/v1/patients", json=demo_record("DEMO-006", pid, SITE_A))
        assert r.status_code == 201, r.text
        s = c.post(f"/api/v1/patients/{pid}/screenings", json={"trial_id": TRIAL})
        assert s.json()["verdict"] == "eligible", s.text
        e = c.post(
            f"/api/v1/patients/{pid}/enrolments",
            json={
                "trial_id": TRIAL,
                "consent_date": "2026-03-10",
                "cohort": "escalation-prrt-naive",
            },
        )
        assert e.status_code == 201, e.text
    with server.client("physician-a") as p:
        for cycle, day, kidney_gy in ((1, "2026-03-16", 0.4), (2, "2026-05-18", 0.5)):
            body = {
                "trial_id": TRIAL,
                "cycle": cycle,
                "activity_mbq": 7.0,
                "weight_kg": 78.0,
                "level": "DL1",
                "date": day,
                "dosimetry": [{"region": "kidneys", "dose_gy": kidney_gy, "mass_g": 300.0}],
            }
            r = p.post(f"/api/v1/patients/{pid}/cycles", json=body)
            assert r.status_code == 201, r.text
        assert p.post(
            f"/api/v1/patients/{pid}/recist", json={"assessments": RECIST, "trial_id": TRIAL}
        ).status_code in (200, 201)


def test_timeline_assembles_screenings_enrolment_cycles_doses_and_recist(
    sqlite_server: Server,
) -> None:
    pid = "TL-TIME-1"
    _arrange_treated(sqlite_server, pid)
    with sqlite_server.client("monitor-a") as m:
        r = m.get(f"/api/v1/patients/{pid}/timeline")
        doses = m.get(f"/api/v1/patients/{pid}/timeline/organ-doses", params={"trial": TRIAL})
        svg = m.get(f"/api/v1/patients/{pid}/timeline/organ-doses.svg", params={"trial": TRIAL})
    assert r.status_code == 200, r.text
    doc = r.json()
    assert (doc["patient_id"], doc["site"], doc["has_record"]) == (pid, SITE_A, True)
    assert [(s["trial_id"], s["verdict"]) for s in doc["screenings"]] == [(TRIAL, "eligible")]
    assert [(e["trial_id"], e["cohort"]) for e in doc["enrolments"]] == [
        (TRIAL, "escalation-prrt-naive")
    ]
    assert {lab["name"] for lab in doc["labs"]} >= {"creatinine", "platelets"}
    (trial,) = doc["trials"]
    assert trial["trial_id"] == TRIAL
    c1, c2 = trial["cycles"]
    assert (c1["cycle"], c1["date"], c1["activity_mbq"], c1["window"]) == (
        1,
        "2026-03-16",
        7.0,
        None,
    )
    # 8-week interval, no tolerance in this protocol: due 2026-05-11, given a week late
    assert c2["window"] == {
        "nominal": "2026-05-11",
        "earliest": "2026-05-11",
        "latest": "2026-05-11",
    }
    assert c2["in_window"] is False
    assert trial["next"] == {
        "cycle": 3,
        "window": {"nominal": "2026-07-13", "earliest": "2026-07-13", "latest": "2026-07-13"},
    }
    (kidneys,) = trial["organ_doses"]["organs"]
    assert kidneys["organ"] == "kidneys"
    assert [round(c["absorbed_dose_gy"], 6) for c in kidneys["cycles"]] == [0.4, 0.9]
    assert doc["recist"]["best_overall_response"] == "PR"
    assert len(doc["recist"]["time_points"]) == 2
    assert doses.status_code == 200
    assert doses.json()["organs"] == trial["organ_doses"]["organs"]
    assert svg.status_code == 200
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.content.lstrip().startswith(b"<?xml")
    assert b"<svg" in svg.content
    with sqlite_server.client("monitor-a") as m:
        unknown = m.get(f"/api/v1/patients/{pid}/timeline/organ-doses", params={"trial": "NOPE"})
    assert unknown.status_code == 404
    assert unknown.json()["errors"][0]["field"] == "trial"


def test_the_figure_of_a_patient_without_doses_is_a_conflict_not_a_500(
    sqlite_server: Server,
) -> None:
    pid = "TL-NODOSE"
    with sqlite_server.client("coordinator-a") as c:
        assert c.post("/api/v1/patients", json=patient_record(pid, SITE_A)).status_code == 201
        svg = c.get(f"/api/v1/patients/{pid}/timeline/organ-doses.svg", params={"trial": TRIAL})
        doc = c.get(f"/api/v1/patients/{pid}/timeline").json()
    assert svg.status_code == 409
    assert svg.json()["errors"][0]["field"] == "trial"
    assert doc["trials"] == []
    assert doc["recist"] is None
    assert doc["screenings"] == []


def test_another_sites_patient_is_404_everywhere(sqlite_server: Server) -> None:
    with sqlite_server.client("coordinator-a") as c:
        paths = [
            f"/api/v1/patients/{PATIENT_B}/timeline",
            f"/api/v1/patients/{PATIENT_B}/timeline/organ-doses?trial={TRIAL}",
            f"/api/v1/patients/{PATIENT_B}/timeline/organ-doses.svg?trial={TRIAL}",
        ]
        for path in paths:
            r = c.get(path)
            assert r.status_code == 404, path
            assert r.json()["errors"][0]["field"] == "patient_id"
        finder = c.post(f"/api/v1/patients/{PATIENT_B}/trial-finder")
        assert finder.status_code == 404
        unknown = c.get("/api/v1/patients/TL-NOBODY/timeline")
        assert unknown.status_code == 404
    with sqlite_server.client("sponsor-a") as s:  # the sponsor sees every site
        assert s.get(f"/api/v1/patients/{PATIENT_B}/timeline").status_code == 200


def test_trial_finder_ranks_every_trial_and_stores_audited_screenings(
    sqlite_server: Server,
) -> None:
    pid = "TL-FIND-1"
    with sqlite_server.client("coordinator-a") as c:
        stored = c.post("/api/v1/patients", json=demo_record("DEMO-009", pid, SITE_A))
        assert stored.status_code == 201, stored.text
        r = c.post(f"/api/v1/patients/{pid}/trial-finder")
        trials = c.get("/api/v1/trials").json()["items"]
        stored = c.get(f"/api/v1/patients/{pid}/screenings").json()["items"]
    with sqlite_server.client("monitor-a") as m:
        refused = m.post(f"/api/v1/patients/{pid}/trial-finder")
    assert r.status_code == 201, r.text
    items = r.json()["items"]
    assert {i["trial_id"] for i in items} == {t["trial_id"] for t in trials}
    assert [i["rank"] for i in items] == list(range(1, len(items) + 1))
    order = {"eligible": 0, "incomplete": 1, "ineligible": 2}
    assert [order[i["verdict"]] for i in items] == sorted(order[i["verdict"]] for i in items)
    by_trial = {i["trial_id"]: i for i in items}
    assert by_trial[TRIAL]["verdict"] == "eligible"  # DEMO-009's comment
    assert by_trial["NCT01842165"]["verdict"] == "ineligible"
    assert all(i["criteria"] and "evidence" in i["criteria"][0] for i in items)
    assert sorted(s["trial_id"] for s in stored) == sorted(by_trial)
    assert refused.status_code == 403
    for screening in stored:  # each stored screening has its audit record
        entries = _audited(sqlite_server, str(screening["id"]))
        (entry,) = [e for e in entries if e.entity == "screening"]
        assert entry.action == "create"
        assert entry.user == "coordinator-a (token)"


def test_patient_summaries_show_last_screening_and_enrolments_of_own_sites(
    sqlite_server: Server,
) -> None:
    _arrange_treated(sqlite_server, "TL-SUM-1")
    with sqlite_server.client("coordinator-a") as a, sqlite_server.client("coordinator-b") as b:
        mine = a.get("/api/v1/patient-summaries", params={"id_prefix": "TL-SUM-"}).json()
        theirs = b.get("/api/v1/patient-summaries", params={"id_prefix": "TL-SUM-"}).json()
        first = a.get("/api/v1/patient-summaries", params={"limit": 1}).json()
    (row,) = mine["items"]
    assert (row["patient_id"], row["site"]) == ("TL-SUM-1", SITE_A)
    assert row["last_screening"]["verdict"] == "eligible"
    assert [(s["trial_id"], s["verdict"]) for s in row["screenings"]] == [(TRIAL, "eligible")]
    assert row["enrolments"] == [
        {"trial_id": TRIAL, "cohort": "escalation-prrt-naive", "withdrawn": False}
    ]
    assert theirs["items"] == []
    assert len(first["items"]) == 1
    assert first["next_cursor"] is not None
    assert SITE_B not in {i["site"] for i in mine["items"]}


def test_timeline_is_the_same_on_postgres(server: Server) -> None:
    """The main read runs on both stores (the ``server`` fixture is SQLite, then PostgreSQL)."""
    pid = f"TL-PG-{'x' if 'sqlite' in server.db_url else 'p'}"
    with server.client("coordinator-a") as c:
        r = c.post("/api/v1/patients", json=demo_record("DEMO-006", pid, SITE_A))
        assert r.status_code == 201, r.text
        assert c.post(f"/api/v1/patients/{pid}/trial-finder").status_code == 201
        doc = c.get(f"/api/v1/patients/{pid}/timeline").json()
        summary = c.get("/api/v1/patient-summaries", params={"id_prefix": pid}).json()
    assert len(doc["screenings"]) >= 3
    assert summary["items"][0]["last_screening"] is not None


def test_responses_are_json_or_problems(sqlite_server: Server) -> None:
    with sqlite_server.client("coordinator-a") as c:
        r = c.post(
            "/api/v1/patients/validate",
            content=b"{not yaml: [",
            headers={"Content-Type": "application/json"},
        )
    assert r.status_code == 422
    assert isinstance(r.json()["errors"], list)
    assert "JSON or YAML" in r.json()["detail"]
