"""Screening, the patients list and the patient timeline, driven in chromium.

The coordinator's flow (SQLite and PostgreSQL): upload a record, a bad value is marked on its
field with the API's message while typing and nothing is stored, fix it, save, screen against
NCT06732505 (criteria with evidence), the trial finder, enrol into a cohort, then the
timeline. A monitor reads the same pages without any control that writes.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import yaml

from ..conftest import demo_record

pytestmark = pytest.mark.browser

TRIAL = "NCT06732505"


def _pid(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.mark.parametrize("which", ["web", pytest.param("web_pg", marks=pytest.mark.postgres)])
def test_coordinator_screens_finds_trials_and_enrols(request, which) -> None:  # type: ignore[no-untyped-def]
    web = request.getfixturevalue(which)
    page = web.page
    pid = _pid("SCR")
    web.login("coordinator")
    web.visit("/screening")
    page.get_by_role("heading", name="Patient record").wait_for()
    web.a11y("screening-empty")
    web.shot(f"screening-empty-{which}")

    # upload a record: the server checks it, then it fills the form
    text = yaml.safe_dump(demo_record("DEMO-009", pid), sort_keys=False)
    page.set_input_files(
        "#record-file",
        files=[{"name": f"{pid}.yaml", "mimeType": "application/yaml", "buffer": text.encode()}],
    )
    page.locator(".upload-msg .ok-text").wait_for()
    assert page.get_by_label("Patient id (pseudonym)").input_value() == pid
    assert page.get_by_label("Platelets", exact=True).input_value() == "176"

    # a bad value while typing: marked on its field with the API's message, nothing stored
    ecog = page.get_by_label("ECOG performance status")
    ecog.fill("7")
    error = page.locator('.field[data-field="ecog"] .error')
    error.filter(has_text="less than or equal to 5").wait_for()
    with web.server.client("coordinator") as api:
        bad = {**demo_record("DEMO-009", pid), "ecog": 7}
        expected = api.post("/patients/validate", json=bad).json()["errors"][0]["message"]
        assert error.inner_text() == expected
        assert ecog.get_attribute("aria-invalid") == "true"
        assert page.evaluate("() => document.activeElement.name") == "ecog"  # focus kept
        web.a11y("screening-invalid")
        web.shot(f"screening-invalid-{which}")
        assert api.get(f"/patients/{pid}").status_code == 404

        # fixed: the mark goes, then saved
        ecog.fill("1")
        page.locator("#record-validity", has_text="The record is valid").wait_for()
        assert error.inner_text() == ""
        page.get_by_role("button", name="Save record").click()
        page.locator("#screen-form").wait_for(state="visible")
        assert api.get(f"/patients/{pid}").json()["record"]["ecog"] == 1

    # screen against the trial: criteria with outcome and evidence
    page.get_by_label("Trial", exact=True).select_option(TRIAL)
    page.get_by_role("button", name="Screen against this trial").click()
    table = page.locator("#criteria-table")
    table.wait_for()
    assert "eligible" in page.locator(".screening h2 .badge").inner_text()
    row = table.locator('tr[data-criterion="IN10a"]')
    assert row.get_attribute("data-status") == "met"
    toggle = row.get_by_role("button")
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    evidence = page.locator(f"#{toggle.get_attribute('aria-controls')}")
    assert evidence.is_visible()
    assert "crcl_cockcroft_gault" in evidence.inner_text()
    assert "mL/min" in evidence.inner_text()
    statuses = set(table.locator("tbody tr[data-status]").evaluate_all(
        "rows => rows.map(r => r.dataset.status)"))  # fmt: skip
    assert "needs_review" in statuses  # the attestations are still pending
    web.a11y("screening-criteria")
    web.shot(f"screening-criteria-{which}")

    # the trial finder across every trial
    page.get_by_role("button", name="Trial finder: screen against all trials").click()
    finder = page.locator("#finder-table")
    finder.wait_for()
    rows = finder.locator("tbody tr")
    assert rows.count() == 3
    assert TRIAL in rows.first.inner_text()
    assert "eligible" in rows.first.inner_text()
    finder.get_by_role("button", name="Show criteria of NCT01842165").click()
    page.locator("#finder-detail #criteria-table").wait_for()
    assert "ineligible" in page.locator("#finder-detail h2").inner_text()
    web.a11y("screening-finder")
    web.shot(f"screening-finder-{which}")

    # enrol in a cohort the rule allows, on the consent date of the record
    enrol = page.locator("#enrol-form")
    enrol.wait_for()
    assert enrol.get_by_label("Informed consent date").input_value() == "2026-05-04"
    enrol.get_by_label("Cohort").select_option("escalation-prrt-naive")
    enrol.get_by_role("button", name="Enrol").click()
    done = page.locator("#enrolled")
    done.wait_for()
    assert "escalation-prrt-naive" in done.inner_text()
    web.a11y("screening-enrolled")
    web.shot(f"screening-enrolled-{which}")

    # the timeline shows the screenings and the enrolment
    done.get_by_role("link", name="Open the patient's timeline").click()
    web.wait()
    page.get_by_role("heading", name=f"Patient {pid}").wait_for()
    screenings = page.locator("#timeline-screenings tbody")
    assert screenings.locator("tr", has_text=TRIAL).count() >= 2  # one screening, the finder's
    enrolments = page.locator("#timeline-enrolments tbody").inner_text()
    assert TRIAL in enrolments
    assert "escalation-prrt-naive" in enrolments
    assert "2026-05-04" in enrolments
    assert "platelets" in page.locator("#timeline-labs").inner_text()
    web.a11y("patient-timeline")
    web.shot(f"patient-timeline-enrolled-{which}")

    # and the patients list
    web.visit("/patients")
    page.get_by_label("Patient id starts with").fill(pid)
    page.get_by_role("button", name="Filter").click()
    row = page.locator("#patients tbody tr", has_text=pid)
    row.wait_for()
    assert "escalation-prrt-naive" in row.inner_text()
    assert f"eligible {TRIAL}" in row.inner_text()  # the newest screening of each trial
    assert "ineligible NCT01842165" in row.inner_text()
    web.a11y("patients")


def test_a_name_is_refused_as_patient_id_and_nothing_is_saved(web) -> None:  # type: ignore[no-untyped-def]
    page = web.page
    web.login("coordinator")
    web.visit("/screening")
    page.get_by_label("Patient id (pseudonym)").fill("Jane Doe")
    error = page.locator('.field[data-field="patient_id"] .error')
    error.filter(has_text="not a pseudonymous patient id").wait_for()
    web.shot("screening-bad-id")
    page.get_by_role("button", name="Save record").click()
    page.locator(".form-error").filter(has_text="pseudonymous").wait_for()
    assert page.locator("#screen-form").is_hidden()
    with web.server.client("coordinator") as api:
        assert api.get("/patients/Jane Doe").status_code == 404


def _arrange_treated(web: Any, pid: str) -> None:
    with web.server.client("coordinator") as c:
        assert c.post("/patients", json=demo_record("DEMO-006", pid)).status_code == 201
        assert c.post(f"/patients/{pid}/screenings", json={"trial_id": TRIAL}).status_code == 201
        enrol = {"trial_id": TRIAL, "consent_date": "2026-03-10", "cohort": "escalation-prrt-naive"}
        assert c.post(f"/patients/{pid}/enrolments", json=enrol).status_code == 201
    with web.server.client("physician") as p:
        for cycle, day, kidney_gy in ((1, "2026-03-16", 0.4), (2, "2026-05-11", 0.5)):
            body = {
                "trial_id": TRIAL, "cycle": cycle, "activity_mbq": 7.0, "weight_kg": 78.0,
                "level": "DL1", "date": day,
                "dosimetry": [{"region": "kidneys", "dose_gy": kidney_gy, "mass_g": 300.0},
                              {"region": "liver", "dose_gy": kidney_gy / 2, "mass_g": 1800.0}],
            }  # fmt: skip
            r = p.post(f"/patients/{pid}/cycles", json=body)
            assert r.status_code == 201, r.text
        recist = {
            "time_points": [
                {"date": "2026-03-01", "lesions": [
                    {"id": "L1", "organ": "liver", "measurement_mm": 40, "target": True}]},
                {"date": "2026-05-01", "lesions": [{"id": "L1", "measurement_mm": 22}]},
            ]
        }  # fmt: skip
        r = p.post(f"/patients/{pid}/recist", json={"assessments": recist, "trial_id": TRIAL})
        assert r.status_code in (200, 201), r.text


def test_monitor_reads_the_patient_pages_without_controls(web) -> None:  # type: ignore[no-untyped-def]
    page = web.page
    pid = _pid("MON")
    _arrange_treated(web, pid)
    web.login("monitor")
    web.visit("/patients")
    page.locator("#patients").wait_for()
    assert page.get_by_role("link", name="Enter or upload a new patient record").count() == 0
    assert (
        page.locator("#patients tbody a", has_text=pid).count() >= 1
        or page.locator("#more-patients").is_visible()
    )
    web.a11y("patients-monitor")
    web.shot("patients-monitor")

    web.visit(f"/patients/{pid}")
    page.get_by_role("heading", name=f"Patient {pid}").wait_for()
    cycles = page.locator(f"#cycles-{TRIAL} tbody tr")
    assert cycles.count() == 2
    second = cycles.nth(1).inner_text()
    assert "2026-05-11" in second
    assert "in window" in second
    assert "7" in second
    link = cycles.first.get_by_role("link")
    assert link.get_attribute("href") == f"#/patients/{pid}/cycles/1/dosimetry"
    assert "2026-07-06" in page.locator("#next-cycle").inner_text()
    doses = page.locator(f"#doses-{TRIAL}").inner_text()
    assert "kidneys" in doses
    assert "0.9" in doses  # cumulative after cycle 2: 0.4 + 0.5 Gy
    img = page.locator("figure.plot img")
    img.scroll_into_view_if_needed()
    page.wait_for_function(
        "() => { const i = document.querySelector('figure.plot img'); "
        "return i && i.complete && i.naturalWidth > 0; }"
    )
    assert "PR" in page.locator("section", has=page.locator("#sec-recist")).inner_text()
    assert page.locator("#timeline-recist tbody tr").count() == 2
    assert page.get_by_role("link", name="Screen or enter a patient").count() == 0
    assert page.locator("form button").count() == 0
    web.a11y("patient-timeline-monitor")
    web.shot("patient-timeline-monitor")

    web.visit("/screening")
    page.get_by_text("does not enter or screen").wait_for()
    assert page.locator("#record-form").count() == 0
    assert page.locator("#screen-form").count() == 0
    assert page.locator("#enrol-form").count() == 0
    web.a11y("screening-monitor")
    web.shot("screening-monitor")


def test_another_sites_patient_is_not_found(web) -> None:  # type: ignore[no-untyped-def]
    pid = _pid("OTH")
    with web.server.client("coordinator-b") as c:
        record = {**demo_record("DEMO-006", pid), "site": "SITE-B"}
        assert c.post("/patients", json=record).status_code == 201
    web.login("coordinator")
    web.visit(f"/patients/{pid}")
    alert = web.page.locator("main .alert")
    alert.wait_for()
    assert "no such patient" in alert.inner_text()
    web.a11y("patient-not-found")


def test_organ_limits_show_the_share_used_in_words_and_bars(web) -> None:  # type: ignore[no-untyped-def]
    """177Lu-DOTATATE (NCT01842165) has kidney and marrow limits: each row says how much is used."""
    page = web.page
    pid = _pid("LIM")
    lu = "NCT01842165"
    with web.server.client("coordinator") as c:
        assert c.post("/patients", json=demo_record("DEMO-005", pid)).status_code == 201
        s = c.post(f"/patients/{pid}/screenings", json={"trial_id": lu})
        assert s.json()["verdict"] == "eligible", s.text
        enrol = c.post(
            f"/patients/{pid}/enrolments", json={"trial_id": lu, "consent_date": "2026-02-23"}
        )
        assert enrol.status_code == 201, enrol.text
    with web.server.client("physician") as p:
        body = {
            "trial_id": lu, "cycle": 1, "activity_mbq": 7400.0, "weight_kg": 81.0,
            "date": "2026-03-09",
            "dosimetry": [{"region": "kidneys", "dose_gy": 4.6, "bed_gy": 5.5, "mass_g": 300.0},
                          {"region": "bone_marrow", "dose_gy": 0.3, "mass_g": 1100.0}],
        }  # fmt: skip
        r = p.post(f"/patients/{pid}/cycles", json=body)
        assert r.status_code == 201, r.text
    web.login("physician")
    web.visit(f"/patients/{pid}")
    page.locator(f"#limits-{lu}").wait_for()
    limits = page.locator(f"#limits-{lu} tbody tr")
    assert limits.count() == 3  # kidneys absorbed dose and BED (no risk factor), marrow
    kidneys = limits.filter(has_text="absorbed dose").filter(has_text="kidneys").inner_text()
    assert "23" in kidneys
    assert "20 %" in kidneys  # 4.6 of 23 Gy
    assert page.locator(f"#limits-{lu} [role=img]").first.get_attribute("aria-label") is not None
    assert "window 2026-05-25 to 2026-06-08" in page.locator("#next-cycle").inner_text()
    page.locator("figure.plot img").scroll_into_view_if_needed()
    page.wait_for_function(
        "() => { const i = document.querySelector('figure.plot img'); "
        "return i && i.complete && i.naturalWidth > 0; }"
    )
    web.a11y("patient-timeline-limits")
    web.shot("patient-timeline-limits")
