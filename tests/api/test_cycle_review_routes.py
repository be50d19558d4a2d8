"""``GET /patients/{id}/cycles/{n}/review`` and ``.../review/curves.svg`` on a virtual patient.

The patient is a phantom (``theratrial phantom``), its dosimetry computed by ``theratrial
dosimetry`` and stored by ``theratrial cycle record --dosimetry`` against the server's store,
after it was registered, screened eligible and enrolled in the Bordet trial (NCT01842165)
through the API.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from xml.etree import ElementTree

import pytest
from typer.testing import CliRunner

from theratrial.api.signatures import content_hash
from theratrial.cli.main import app as cli_app
from theratrial.phantoms import load_truth, screening_record
from theratrial.store import connect, session_scope
from theratrial.store.clinical import cycles_of
from theratrial.store.cycle_views import cycle_view

from .conftest import SITE_A, Server

TRIAL = "NCT01842165"
SEED = 7
runner = CliRunner()


@pytest.fixture(scope="module")
def virtual_patient(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, object], Path]:
    """A small virtual patient (one cycle) and its ``dosimetry --json`` file."""
    tmp = tmp_path_factory.mktemp("review-vp")
    folder = tmp / "vp"
    args = ["phantom", str(folder), "--seed", str(SEED), "--cycles", "1", "--grid", "48"]
    result = runner.invoke(cli_app, [*args, "--no-noise"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli_app, ["dosimetry", str(folder), "--nuclide", "Lu-177", "--json"])
    assert result.exit_code == 0, result.output
    dosimetry = tmp / "dosimetry.json"
    dosimetry.write_text(result.output)
    return screening_record(load_truth(folder)), dosimetry


def _arrange(server: Server, vp: tuple[dict[str, object], Path], pid: str, site: str) -> None:
    """Register, screen, enrol (API) and record cycle 1 with its dosimetry (CLI)."""
    record, dosimetry = vp
    user = f"coordinator-{site[-1].lower()}"
    with server.client(user) as c:
        added = c.post("/api/v1/patients", json={**record, "patient_id": pid, "site": site})
        assert added.status_code == 201, added.text
        screened = c.post(f"/api/v1/patients/{pid}/screenings", json={"trial_id": TRIAL})
        assert screened.status_code == 201, screened.text
        assert screened.json()["verdict"] == "eligible"
        enrolled = c.post(
            f"/api/v1/patients/{pid}/enrolments",
            json={"trial_id": TRIAL, "consent_date": "2025-01-24"},
        )
        assert enrolled.status_code == 201, enrolled.text
    args = ["cycle", "record", "--patient", pid, "--trial", TRIAL, "--cycle", "1"]
    args += ["--activity-mbq", "7400", "--date", "2025-02-03", "--dosimetry", str(dosimetry)]
    result = runner.invoke(cli_app, [*args, "--db", server.db_url])
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def reviewed(sqlite_server: Server, virtual_patient: tuple[dict[str, object], Path]) -> str:
    pid = "PT-A-REVIEW1"
    _arrange(sqlite_server, virtual_patient, pid, SITE_A)
    return pid


def _url(pid: str, cycle: object = 1) -> str:
    return f"/api/v1/patients/{pid}/cycles/{cycle}/review"


def test_review_numbers_equal_what_the_store_holds(sqlite_server: Server, reviewed: str) -> None:
    with sqlite_server.client("physicist-a") as c:
        r = c.get(_url(reviewed), params={"trial_id": TRIAL})
        same = c.get(_url(reviewed), params={"trial": TRIAL})
    assert r.status_code == 200, r.text
    assert same.json() == r.json()
    doc = r.json()
    engine = connect(sqlite_server.db_url)
    try:
        with session_scope(engine) as session:
            row = cycles_of(session, patient_id=reviewed, trial_id=TRIAL)[0]
            view = cycle_view(row)
            doses = {d.region: d for d in row.doses}
            points: dict[str, list[tuple[float, float]]] = {}
            for p in row.tac:
                points.setdefault(p.region, []).append((p.time_h, p.activity_mbq))
    finally:
        engine.dispose()
    assert doc["trial_id"] == TRIAL
    assert doc["dosimetry"] == view["dosimetry"]
    assert doc["content_sha256"] == content_hash(view)
    assert doc["activity_mbq"] == 7400.0
    assert {r["region"] for r in doc["regions"]} == set(doses)
    assert len(doc["regions"]) > 10
    for region in doc["regions"]:
        stored = doses[region["region"]]
        assert region["model"] == stored.model
        assert region["parameters"] == stored.parameters
        assert region["tia_mbq_h"] == stored.tia_mbq_h
        assert region["dose_gy"] == stored.dose_gy
        assert region["bed_gy"] == stored.bed_gy
        assert region["mass_g"] == stored.mass_g
        assert region["warnings"] == stored.warnings
        assert region["residence_time_h"] == pytest.approx(stored.tia_mbq_h / 7400.0)
        assert [(p["time_h"], p["activity_mbq"]) for p in region["points"]] == sorted(
            points[region["region"]]
        )
        selection = region["selection"]
        assert {c["model"] for c in selection["candidates"]} >= {"mono_exponential"}
        assert selection["agrees"] is (selection["chosen"] == stored.model)
        for cand in selection["candidates"]:
            assert cand["aicc"] is None or math.isfinite(cand["aicc"])
    kinds = {r["region"]: r["kind"] for r in doc["regions"]}
    assert kinds["kidney_left"] == "organ"
    assert any(k == "lesion" for k in kinds.values())


def test_the_curves_are_an_svg_of_the_regions_asked_for(
    sqlite_server: Server, reviewed: str
) -> None:
    with sqlite_server.client("monitor-a") as c:
        full = c.get(f"{_url(reviewed)}/curves.svg", params={"trial_id": TRIAL})
        one = c.get(
            f"{_url(reviewed)}/curves.svg",
            params=[("trial_id", TRIAL), ("region", "kidney_left"), ("region", "liver")],
        )
        unknown = c.get(
            f"{_url(reviewed)}/curves.svg", params={"trial_id": TRIAL, "region": "nowhere"}
        )
    assert full.status_code == 200, full.text
    assert full.headers["content-type"].startswith("image/svg+xml")
    ElementTree.fromstring(full.content)  # well-formed SVG
    assert b"<script" not in full.content
    assert one.status_code == 200
    assert len(one.content) < len(full.content)
    assert unknown.status_code == 404
    assert unknown.json()["errors"][0]["field"] == "region"


def test_another_sites_patient_is_404(sqlite_server: Server, reviewed: str) -> None:
    with sqlite_server.client("physicist-b") as c:
        r = c.get(_url(reviewed), params={"trial_id": TRIAL})
        svg = c.get(f"{_url(reviewed)}/curves.svg", params={"trial_id": TRIAL})
    assert r.status_code == 404
    assert r.json()["errors"][0]["field"] == "patient_id"
    assert svg.status_code == 404
    with sqlite_server.client("sponsor-b") as c:  # the sponsor sees every site
        assert c.get(_url(reviewed), params={"trial_id": TRIAL}).status_code == 200


@pytest.mark.parametrize(
    ("cycle", "status", "field"),
    [(2, 404, "cycle"), (0, 422, "cycle"), ("first", 422, "cycle"), (-1, 422, "cycle")],
)
def test_a_bad_cycle_number_names_the_field(
    sqlite_server: Server, reviewed: str, cycle: object, status: int, field: str
) -> None:
    with sqlite_server.client("physicist-a") as c:
        r = c.get(_url(reviewed, cycle), params={"trial_id": TRIAL})
    assert r.status_code == status, r.text
    assert r.json()["errors"][0]["field"] == field


def test_the_trial_is_required_and_must_exist(sqlite_server: Server, reviewed: str) -> None:
    with sqlite_server.client("physicist-a") as c:
        missing = c.get(_url(reviewed))
        unknown = c.get(_url(reviewed), params={"trial_id": "NCT00000000"})
        other = c.get(_url(reviewed), params={"trial_id": "NCT06732505"})
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "trial_id"
    assert unknown.status_code == 404
    assert unknown.json()["errors"][0]["field"] == "trial_id"
    assert other.status_code == 404  # stored in the Bordet trial only
    assert other.json()["errors"][0]["field"] == "cycle"


def test_anonymous_is_401_and_the_log_names_no_patient(
    sqlite_server: Server, reviewed: str
) -> None:
    with sqlite_server.client() as c:
        assert c.get(_url(reviewed), params={"trial_id": TRIAL}).status_code == 401
    assert reviewed not in sqlite_server.log.read_text()


def test_the_review_is_what_a_signature_binds(sqlite_server: Server, reviewed: str) -> None:
    with sqlite_server.client("physicist-a") as c:
        doc = c.get(_url(reviewed), params={"trial_id": TRIAL}).json()
        signed = c.post(
            f"/api/v1/patients/{reviewed}/cycles/1/dosimetry/sign",
            params={"trial_id": TRIAL},
            json={"password": "correct horse battery staple", "meaning": "approved"},
        )
    assert signed.status_code == 201, signed.text
    assert signed.json()["signature"]["content_sha256"] == doc["content_sha256"]
    assert json.dumps(signed.json()["content"]["dosimetry"]) == json.dumps(doc["dosimetry"])
