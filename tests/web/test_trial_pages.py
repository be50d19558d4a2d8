"""Trial dashboard, escalation board and analyses pages, in a real browser.

The main flow: a physician records DLT observations (through the API), the statistician
runs the escalation decision on the board and the investigator signs it with the password
again; it runs on SQLite and on PostgreSQL. The server is shared by the browser tests, so
each test makes its own patients (prefix ``TRIALPG``) and compares with what the API says.
"""

from __future__ import annotations

import csv
import io
import random
import uuid
from typing import Any

import pytest

from ..conftest import demo_record

pytestmark = pytest.mark.browser

TRIAL = "NCT06732505"
COHORT = "escalation-prrt-naive"


def _pid(tag: str) -> str:
    return f"TRIALPG-{tag}-{uuid.uuid4().hex[:6].upper()}"


def _add_patients(web: Any, demo: str, n: int, tag: str) -> list[str]:
    ids = [_pid(tag) for _ in range(n)]
    with web.server.client("coordinator") as c:
        for pid in ids:
            r = c.post("/patients", json=demo_record(demo, pid))
            assert r.status_code == 201, r.text
    return ids


def _arrange_dlts(web: Any) -> list[str]:
    """Three DLT-evaluable patients at DL1 without a DLT, windows closed (as a physician)."""
    ids = _add_patients(web, "DEMO-006", 3, "DLT")
    with web.server.client("physician") as c:
        for pid in ids:
            obs = {"patient_id": pid, "cohort": COHORT, "level": "DL1", "cycle": 1,
                   "dlt": False, "administered": "2026-01-05"}  # fmt: skip
            r = c.post(f"/trials/{TRIAL}/dlts", json=obs)
            assert r.status_code == 201, r.text
    return ids


def _sign_out(web: Any) -> None:
    web.page.locator("#sign-out").click()
    web.page.get_by_role("heading", name="Sign in").wait_for()


def _escalation_flow(web: Any, name: str) -> None:
    page = web.page
    _arrange_dlts(web)
    with web.server.client("statistician") as c:
        expected = c.get(f"/trials/{TRIAL}/escalation").json()
    want = {co["cohort"]: co for co in expected["cohorts"]}

    web.login("statistician")
    web.visit(f"/trials/{TRIAL}/escalation")
    page.locator("#oc-figure img").wait_for()
    page.wait_for_function(  # the figure comes with the numbers, as an SVG blob
        "() => { const i = document.querySelector('#oc-figure img');"
        " return i.complete && i.naturalWidth > 0 && i.src.startsWith('blob:'); }"
    )
    page.get_by_role("button", name="Run decision").click()
    section = page.locator(f".decision[data-cohort='{COHORT}']")
    section.wait_for()
    assert want[COHORT]["decision"] in section.locator(".decision-line").inner_text()
    assert want[COHORT]["reason"] in section.locator(".why").inner_text()
    # the form starts from the protocol's rule, and the page says where it comes from
    assert page.locator("#run-form select[name=design]").input_value() == expected["design"]
    assert "assumed: the protocol states none" in page.locator("#decision-out").inner_text()
    assert page.locator("#sign-form").count() == 0  # the statistician runs, does not sign
    web.a11y(f"{name}-statistician")
    web.shot(f"{name}-statistician")
    _sign_out(web)

    web.login("investigator")
    web.visit(f"/trials/{TRIAL}/escalation")
    page.get_by_role("button", name="Run decision").click()
    form = page.locator("#sign-form")
    form.wait_for()
    form.get_by_label("Password").fill("not my password")
    form.get_by_role("button", name="Sign decision").click()
    error = form.locator(".field[data-field='password'] .error")
    error.wait_for(state="visible")
    page.wait_for_function(
        "() => document.querySelector(\"#sign-form .field[data-field='password'] .error\")"
        ".textContent.length > 0"
    )
    assert "signature refused" in error.inner_text()
    assert form.locator("input[name=password]").get_attribute("aria-invalid") == "true"
    form.get_by_label("Password").fill(web.password)
    form.get_by_label("Meaning of the signature").select_option("decided")
    form.get_by_role("button", name="Sign decision").click()
    signed = page.locator("#signatures tbody tr", has_text="investigator")
    signed.first.wait_for()
    assert "valid" in signed.first.inner_text()
    web.a11y(f"{name}-signed")
    web.shot(f"{name}-signed")
    with web.server.client("statistician") as c:
        now = c.get(f"/trials/{TRIAL}/escalation").json()
    mine = [s for s in now["signatures"] if s["username"] == "investigator" and s["valid"]]
    assert mine
    assert mine[-1]["meaning"] == "decided"


def test_statistician_runs_and_investigator_signs_the_escalation(web) -> None:  # type: ignore[no-untyped-def]
    _escalation_flow(web, "escalation")


@pytest.mark.postgres
def test_escalation_flow_on_postgresql(web_pg) -> None:  # type: ignore[no-untyped-def]
    _escalation_flow(web_pg, "escalation-pg")


def test_coordinator_sees_the_board_without_run_or_sign(web) -> None:  # type: ignore[no-untyped-def]
    page = web.page
    web.login("coordinator")
    web.visit(f"/trials/{TRIAL}/escalation")
    page.locator("#oc-table").wait_for()
    assert page.locator("#run-decision").count() == 0
    assert page.get_by_role("button", name="Run decision").count() == 0
    assert page.locator("#sign-form").count() == 0
    assert page.locator("#dlt-form").count() == 0  # no RECORD_DLT
    assert page.locator("#no-run").is_visible()
    assert page.locator(f"#dlt-{COHORT}").is_visible()
    page.wait_for_function("() => document.querySelector('#oc-figure img').naturalWidth > 0")
    web.a11y("escalation-coordinator")
    web.shot("escalation-coordinator")


def test_physician_records_a_dlt_and_sees_the_apis_field_error(web) -> None:  # type: ignore[no-untyped-def]
    page = web.page
    (pid,) = _add_patients(web, "DEMO-006", 1, "DLTUI")
    web.login("physician")
    web.visit(f"/trials/{TRIAL}/escalation")
    form = page.locator("#dlt-form")
    assert page.get_by_role("button", name="Run decision").count() == 0
    form.get_by_label("Patient").fill(pid)
    form.get_by_label("Cohort").select_option(COHORT)
    form.get_by_label("Dose level").select_option("DL1")
    form.get_by_label("Dose-limiting toxicity").check()
    form.get_by_label("Event (CTCAE term)").fill("neutropenia")
    form.get_by_label("CTCAE grade").fill("7")
    form.get_by_role("button", name="Record observation").click()
    grade = form.locator(".field[data-field='grade']")
    page.wait_for_function(
        "() => document.querySelector(\"#dlt-form .field[data-field='grade']\")"
        ".classList.contains('invalid')"
    )
    assert grade.locator(".error").inner_text().strip()
    web.a11y("escalation-dlt-error")
    web.shot("escalation-dlt-error")
    with web.server.client("physician") as c:
        stored = c.get(f"/trials/{TRIAL}/dlts").json()["items"]
    assert all(i["patient_id"] != pid for i in stored)  # nothing stored
    form.get_by_label("CTCAE grade").fill("4")
    form.get_by_label("Administered on").fill("2026-01-05")
    form.get_by_role("button", name="Record observation").click()
    page.locator("#toast", has_text="Observation recorded").wait_for()
    with web.server.client("physician") as c:
        stored = c.get(f"/trials/{TRIAL}/dlts").json()["items"]
    mine = [i for i in stored if i["patient_id"] == pid]
    assert len(mine) == 1
    assert mine[0]["dlt"]
    assert mine[0]["grade"] == 4


def test_dashboard_shows_the_funnel_and_the_escalation_state(web) -> None:  # type: ignore[no-untyped-def]
    page = web.page
    (eligible,) = _add_patients(web, "DEMO-006", 1, "DASH")
    (ineligible,) = _add_patients(web, "DEMO-002", 1, "DASH")
    with web.server.client("coordinator") as c:
        for pid in (eligible, ineligible):
            r = c.post(f"/patients/{pid}/screenings", json={"trial_id": TRIAL})
            assert r.status_code == 201, r.text
        r = c.post(
            f"/patients/{eligible}/enrolments",
            json={"trial_id": TRIAL, "consent_date": "2026-03-10", "cohort": COHORT},
        )
        assert r.status_code == 201, r.text
    with web.server.client("physician") as c:
        cycle = {"trial_id": TRIAL, "cycle": 1, "activity_mbq": 7.0, "weight_kg": 78.0,
                 "level": "DL1", "date": "2026-03-16"}  # fmt: skip
        r = c.post(f"/patients/{eligible}/cycles", json=cycle)
        assert r.status_code == 201, r.text
        dash = c.get(f"/trials/{TRIAL}/dashboard").json()
    web.login("coordinator")
    web.visit(f"/trials/{TRIAL}")
    page.locator("#funnel").wait_for()
    assert page.locator("#funnel-0 .value").inner_text() == str(dash["funnel"]["screened"])
    assert page.locator("#funnel-1 .value").inner_text() == str(dash["funnel"]["eligible"])
    assert page.locator("#funnel-3 .value").inner_text() == str(dash["funnel"]["ineligible"])
    assert "IN07" in page.locator("#reasons").inner_text()
    assert eligible in page.locator("#enrolled").inner_text()
    assert COHORT in page.locator("#by-cohort").inner_text()
    rows = page.locator("#escalation-table tbody tr")
    assert rows.count() == 2
    rule = page.locator("#escalation-state").inner_text()
    assert "Design boin with target DLT probability 0.25 (assumed" in rule
    decisions = {c["cohort"]: c["decision"] for c in dash["escalation"]["cohorts"]}
    assert decisions[COHORT] in rows.filter(has_text=COHORT).inner_text()
    cycles = page.locator("#cycle-table tbody tr", has_text=eligible).inner_text()
    assert "C1 2026-03-16" in cycles
    assert "2026-05-11" in cycles  # C2, 8 weeks later
    web.a11y("dashboard")
    web.shot("dashboard")
    page.get_by_role("link", name="Open the escalation board").click()
    web.wait()
    page.locator("#dlt-tables").wait_for()


def test_dashboard_draws_cumulative_organ_doses_against_the_limits(web) -> None:  # type: ignore[no-untyped-def]
    page = web.page
    trial = "NCT01842165"  # kidney 23 Gy absorbed dose, 40 Gy BED; marrow 2 Gy
    (pid,) = _add_patients(web, "DEMO-006", 1, "LIMIT")
    dosimetry = [
        {"region": "kidneys", "dose_gy": 6.0, "bed_gy": 7.2, "mass_g": 300.0},
        {"region": "bone_marrow", "dose_gy": 0.5, "mass_g": 1000.0},
    ]
    with web.server.client("physician") as c:
        for n, day in ((1, "2026-03-02"), (2, "2026-05-25")):
            cycle = {"trial_id": trial, "cycle": n, "activity_mbq": 7400.0, "date": day,
                     "dosimetry": dosimetry}  # fmt: skip
            r = c.post(f"/patients/{pid}/cycles", json=cycle)
            assert r.status_code == 201, r.text
    web.login("physician")
    web.visit(f"/trials/{trial}")
    row = page.locator("#limits tbody tr", has_text=pid).filter(has_text="absorbed dose")
    kidney = row.filter(has_text="kidneys").inner_text()
    assert "12 Gy of 23 Gy" in kidney  # two cycles of 6 Gy
    marrow = row.filter(has_text="bone_marrow").inner_text()
    assert "1 Gy of 2 Gy" in marrow
    web.a11y("dashboard-limits")
    web.shot("dashboard-limits")


def _retest_csv() -> bytes:
    rng = random.Random(11)
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["subject", "region", "scan", "value"])
    for s in range(10):
        for region, level in (("kidney", 5.0), ("tumour", 12.0)):
            true = level + rng.gauss(0, 2.5)
            for scan in (1, 2):
                w.writerow([f"S{s:02d}", region, scan, f"{true + rng.gauss(0, 0.5):.3f}"])
    return out.getvalue().encode()


def test_analyses_show_recist_waterfall_and_a_repeatability_run(web) -> None:  # type: ignore[no-untyped-def]
    page = web.page
    (pid,) = _add_patients(web, "DEMO-006", 1, "RECIST")
    assessments = {"time_points": [
        {"date": "2026-03-01",
         "lesions": [{"id": "L1", "organ": "liver", "measurement_mm": 50, "target": True}]},
        {"date": "2026-05-01", "lesions": [{"id": "L1", "measurement_mm": 30}]},
    ]}  # fmt: skip
    with web.server.client("investigator") as c:
        r = c.post(f"/patients/{pid}/recist", json={"assessments": assessments, "trial_id": TRIAL})
        assert r.status_code == 201, r.text
    web.login("investigator")
    web.visit("/analyses")
    row = page.locator("#bor-table tbody tr", has_text=pid)
    assert "PR" in row.inner_text()
    assert "-40" in row.inner_text()
    assert page.locator("#timepoint-table tbody tr", has_text=pid).count() == 2
    page.wait_for_function(
        "() => [...document.querySelectorAll('#recist figure img')]"
        ".every((i) => i.complete && i.naturalWidth > 0)"
    )
    web.a11y("analyses")
    form = page.locator("#repeatability-form")
    form.get_by_label("Test–retest table").set_input_files(
        {"name": "retest.csv", "mimeType": "text/csv", "buffer": _retest_csv()}
    )
    form.get_by_role("button", name="Run repeatability").click()
    page.locator("#repeatability-table").wait_for()
    text = page.locator("#repeatability-table").inner_text()
    for word in ("kidney", "tumour", "(SUV)"):
        assert word in text
    assert page.locator("#icc-table tbody tr").count() == 6
    page.wait_for_function(
        "() => [...document.querySelectorAll('#repeatability-out img')]"
        ".filter((i) => i.naturalWidth > 0).length === 3"
    )
    web.a11y("analyses-repeatability")
    web.shot("analyses-repeatability")
    model = page.locator("#model-form")
    model.get_by_label("Outcome table").set_input_files(
        {"name": "outcome.csv", "mimeType": "text/csv", "buffer": _outcome_csv()}
    )
    model.get_by_label("Predictors").fill("tumour_dose_gy")
    model.get_by_label("Outcome column").fill("response")
    model.get_by_label("Responder labels").fill("CR,PR")
    model.get_by_role("button", name="Run model").click()
    page.locator("#effects-table").wait_for()
    assert "tumour_dose_gy" in page.locator("#effects-table").inner_text()
    assert "ROC AUC" in page.locator("#auc").inner_text()
    page.wait_for_function(
        "() => [...document.querySelectorAll('#model-out img')]"
        ".filter((i) => i.naturalWidth > 0).length === 2"
    )
    web.a11y("analyses-model")
    web.shot("analyses-model")


def _outcome_csv() -> bytes:
    rng = random.Random(5)
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["patient", "tumour_dose_gy", "response"])
    for i in range(50):
        dose = rng.uniform(5, 60)
        w.writerow([f"P{i:02d}", f"{dose:.1f}", "PR" if dose + rng.gauss(0, 12) > 30 else "PD"])
    return out.getvalue().encode()


def test_analyses_without_run_analyses_hide_the_forms(web) -> None:  # type: ignore[no-untyped-def]
    web.login("coordinator")
    web.visit("/analyses")
    web.page.locator("#bor-table").wait_for()
    assert web.page.locator("#repeatability-form").count() == 0
    assert web.page.locator("#model-form").count() == 0
    assert web.page.locator("#no-analyses").is_visible()
    web.a11y("analyses-coordinator")
