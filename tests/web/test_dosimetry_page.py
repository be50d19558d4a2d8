"""The cycle dosimetry review in the browser: the physicist approves, the physician prescribes.

The virtual patient is made as the CLI makes one (``theratrial phantom``, ``theratrial
dosimetry``), registered, screened eligible and enrolled in the Bordet trial (NCT01842165)
through the API, and its cycle 1 stored by ``theratrial cycle record --dosimetry`` against the
server's store. The page's numbers are checked against the API's, each state is scanned by
axe-core and photographed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from theratrial.cli.main import app as cli_app
from theratrial.phantoms import load_truth, screening_record

pytestmark = pytest.mark.browser

TRIAL = "NCT01842165"
runner = CliRunner()


@pytest.fixture(scope="module")
def virtual_patient(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    """A small virtual patient with one cycle, and its ``dosimetry --json`` file."""
    tmp = tmp_path_factory.mktemp("dosimetry-page-vp")
    folder = tmp / "vp"
    args = ["phantom", str(folder), "--seed", "7", "--cycles", "1", "--grid", "48", "--no-noise"]
    result = runner.invoke(cli_app, args)
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli_app, ["dosimetry", str(folder), "--nuclide", "Lu-177", "--json"])
    assert result.exit_code == 0, result.output
    dosimetry = tmp / "dosimetry.json"
    dosimetry.write_text(result.output)
    return screening_record(load_truth(folder)), dosimetry


def _arrange(server: Any, vp: tuple[dict[str, Any], Path], pid: str) -> None:
    """Register, screen and enrol at SITE-A (API); record cycle 1 with its dosimetry (CLI)."""
    record, dosimetry = vp
    with server.client("coordinator") as c:
        r = c.post("patients", json={**record, "patient_id": pid, "site": "SITE-A"})
        assert r.status_code == 201, r.text
        r = c.post(f"patients/{pid}/screenings", json={"trial_id": TRIAL})
        assert r.status_code == 201, r.text
        assert r.json()["verdict"] == "eligible"
        r = c.post(
            f"patients/{pid}/enrolments", json={"trial_id": TRIAL, "consent_date": "2025-01-24"}
        )
        assert r.status_code == 201, r.text
    args = ["cycle", "record", "--patient", pid, "--trial", TRIAL, "--cycle", "1"]
    args += ["--activity-mbq", "7400", "--date", "2025-02-03", "--dosimetry", str(dosimetry)]
    result = runner.invoke(cli_app, [*args, "--db", server.db_url])
    assert result.exit_code == 0, result.output


def _path(pid: str) -> str:
    return f"/patients/{pid}/cycles/1/dosimetry"


def _images_loaded(page: Any) -> None:
    page.wait_for_function(
        "() => { const imgs = [...document.querySelectorAll('figure.plot img')];"
        " return imgs.length >= 2 && imgs.every(i => i.complete && i.naturalWidth > 0); }"
    )


def _header_texts(page: Any, table_id: str) -> list[str]:
    return [t.strip() for t in page.locator(f"#{table_id} thead th").all_inner_texts()]


def _sign_out(web: Any) -> None:
    web.page.locator("#sign-out").click()
    web.page.get_by_role("heading", name="Sign in").wait_for()


@pytest.mark.parametrize("flavour", ["web", pytest.param("web_pg", marks=pytest.mark.postgres)])
def test_physicist_approves_and_physician_prescribes(  # type: ignore[no-untyped-def]
    request, virtual_patient, flavour
) -> None:
    web = request.getfixturevalue(flavour)
    pid = f"DOSI-VP-{flavour.upper().replace('_', '')}"
    _arrange(web.server, virtual_patient, pid)
    page = web.page
    with web.server.client("physicist") as c:
        review = c.get(f"patients/{pid}/cycles/1/review", params={"trial_id": TRIAL}).json()

    # the physicist reviews: curves, model table, Ã, doses and BED with units
    web.login("physicist")
    web.visit(_path(pid))
    page.get_by_role("heading", name=re.compile("Cycle 1 dosimetry")).wait_for()
    _images_loaded(page)
    assert "curves.svg" in page.locator("figure.plot img").first.get_attribute("src")
    models = page.locator("#model-table")
    assert models.locator("caption").inner_text().startswith("Model per region")
    headers = _header_texts(page, "model-table")
    assert "AICc (stored)" in headers
    assert any(h.startswith("AICc mono-exponential") for h in headers)
    assert "Fallback" in headers
    assert "Warnings" in headers
    assert models.locator("tbody tr").count() == len(review["regions"])
    dose_headers = _header_texts(page, "organ-doses")
    for label in ("Ã (MBq·h)", "Residence time (h)", "Absorbed dose (Gy)", "BED (Gy)"):
        assert label in dose_headers, dose_headers
    kidney = next(r for r in review["regions"] if r["region"] == "kidney_left")
    row = page.locator("#organ-doses tbody tr", has_text="kidney_left")
    cells = row.locator("td").all_inner_texts()
    shown_dose = float(cells[dose_headers.index("Absorbed dose (Gy)")].replace(",", ""))
    assert shown_dose == pytest.approx(kidney["dose_gy"], rel=5e-3)
    shown_bed = float(cells[dose_headers.index("BED (Gy)")].replace(",", ""))
    assert shown_bed == pytest.approx(kidney["bed_gy"], rel=5e-3)
    assert page.locator("#lesion-doses tbody tr").count() == sum(
        r["kind"] == "lesion" for r in review["regions"]
    )
    assert page.locator("#prescribe-form").count() == 0  # a physicist does not prescribe
    web.a11y("dosimetry-physicist")
    web.shot(f"dosimetry-physicist-{flavour}")

    # the single-region figure follows the choice
    page.get_by_label("Draw one region alone").select_option("kidney_left")
    page.wait_for_function(
        "() => document.querySelector('.dosi-one img').src.includes('region=kidney_left')"
    )

    # wrong password: marked on the password field with the API's message, nothing stored
    form = page.locator("#approve-form")
    form.get_by_label("Meaning of the signature").select_option("approved")
    form.get_by_label("Your password (again, to sign)").fill("not my password")
    form.get_by_role("button", name="Sign the dosimetry").click()
    pw_field = form.locator(".field[data-field=password]")
    pw_field.locator(".error:not(:empty)").wait_for()
    assert "signature refused" in pw_field.locator(".error").inner_text()
    assert pw_field.locator("input").get_attribute("aria-invalid") == "true"
    with web.server.client("physicist") as c:
        sigs = c.get(f"patients/{pid}/cycles/1/dosimetry/signatures", params={"trial_id": TRIAL})
    assert sigs.json()["items"] == []
    web.a11y("dosimetry-wrong-password")
    web.shot(f"dosimetry-wrong-password-{flavour}")

    # no meaning: marked on the meaning field
    form.get_by_label("Meaning of the signature").select_option("")
    form.get_by_label("Your password (again, to sign)").fill(web.password)
    form.get_by_role("button", name="Sign the dosimetry").click()
    meaning_field = form.locator(".field[data-field=meaning]")
    meaning_field.locator(".error:not(:empty)").wait_for()
    assert meaning_field.locator("select").get_attribute("aria-invalid") == "true"

    # the signature: name, meaning and time shown
    form.get_by_label("Meaning of the signature").select_option("approved")
    form.get_by_label("Your password (again, to sign)").fill(web.password)
    form.get_by_role("button", name="Sign the dosimetry").click()
    signed = page.locator("#dosimetry-signatures tbody tr", has_text="physicist")
    signed.wait_for()
    text = signed.inner_text()
    assert "approved" in text
    assert "valid" in text
    assert "UTC" in text
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC", text)
    assert page.locator("#approval").get_by_text("NOT APPROVED").count() == 0
    web.a11y("dosimetry-approved")
    web.shot(f"dosimetry-approved-{flavour}")

    # the physician sees the plan and prescribes
    _sign_out(web)
    web.login("physician")
    web.visit(_path(pid))
    with web.server.client("physician") as c:
        plan = c.get(f"patients/{pid}/plan", params={"trial_id": TRIAL}).json()
    assert page.locator("#approve-form").count() == 0  # a physician does not approve dosimetry
    shown_max = page.locator("#plan-max").inner_text()
    shown_protocol = page.locator("#plan-protocol").inner_text()
    assert shown_protocol.endswith("MBq")
    assert shown_max.endswith("MBq")
    assert float(shown_protocol.split()[0].replace(",", "")) == pytest.approx(
        plan["prescribed_activity_mbq"], rel=1e-3
    )
    assert float(shown_max.split()[0].replace(",", "")) == pytest.approx(
        plan["max_activity_mbq"], rel=1e-3
    )
    assert page.locator("#plan-limits tbody tr").count() == len(plan["limits"])
    assert "Cumulative (Gy)" in _header_texts(page, "plan-limits")
    row = page.locator("#dosimetry-signatures tbody tr", has_text="physicist")
    assert "approved" in row.inner_text()
    web.a11y("dosimetry-plan")
    web.shot(f"dosimetry-plan-{flavour}")
    pform = page.locator("#prescribe-form")
    pform.get_by_label("Meaning of the signature").select_option("prescribed")
    pform.get_by_label("Your password (again, to sign)").fill(web.password)
    pform.get_by_role("button", name="Sign the prescription").click()
    prescribed = page.locator("#prescription-signatures tbody tr", has_text="physician")
    prescribed.wait_for()
    assert "prescribed" in prescribed.inner_text()
    assert "UTC" in prescribed.inner_text()
    page.locator("#prescribe-form").scroll_into_view_if_needed()
    web.a11y("dosimetry-prescribed")
    web.shot(f"dosimetry-prescribed-{flavour}")
    with web.server.client("physician") as c:
        after = c.get(f"patients/{pid}/plan", params={"trial_id": TRIAL}).json()
    assert [(s["username"], s["meaning"], s["valid"]) for s in after["signatures"]] == [
        ("physician", "prescribed", True)
    ]


def test_a_coordinator_sees_no_sign_control_and_the_server_refuses(  # type: ignore[no-untyped-def]
    web, virtual_patient
) -> None:
    pid = "DOSI-VP-COORD"
    _arrange(web.server, virtual_patient, pid)
    page = web.page
    web.login("coordinator")
    web.visit(_path(pid))
    page.locator("#plan-limits").wait_for()
    _images_loaded(page)
    assert page.locator("#approve-form").count() == 0
    assert page.locator("#prescribe-form").count() == 0
    assert page.get_by_role("button", name=re.compile("^Sign the")).count() == 0
    web.a11y("dosimetry-coordinator")
    web.shot("dosimetry-coordinator")
    body = {"meaning": "approved", "password": web.password}
    status = page.evaluate(
        """async ([pid, trial, body]) => {
            const api = await import('/static/js/api.js');
            const out = [];
            for (const path of [`patients/${pid}/cycles/1/dosimetry/sign?trial_id=${trial}`,
                                `patients/${pid}/plan/sign?trial_id=${trial}`]) {
              try { await api.post(path, body); out.push(201); } catch (e) { out.push(e.status); }
            }
            return out;
        }""",
        [pid, TRIAL, body],
    )
    assert status == [403, 403]
    with web.server.client("coordinator") as c:
        r = c.post(f"patients/{pid}/cycles/1/dosimetry/sign", params={"trial_id": TRIAL}, json=body)
        assert r.status_code == 403
        assert (
            c.get(
                f"patients/{pid}/cycles/1/dosimetry/signatures", params={"trial_id": TRIAL}
            ).json()["items"]
            == []
        )


def test_a_missing_cycle_and_another_sites_patient_show_the_apis_message(
    web, virtual_patient
) -> None:  # type: ignore[no-untyped-def]
    pid = "DOSI-VP-SITE"
    _arrange(web.server, virtual_patient, pid)
    web.login("physicist")
    web.visit(f"/patients/{pid}/cycles/9/dosimetry")
    missing = web.page.locator("main .alert")
    missing.wait_for()
    assert "no cycle 9 stored" in missing.inner_text()
    assert "choose a stored cycle (1)" in missing.inner_text()
    web.a11y("dosimetry-no-such-cycle")
    web.shot("dosimetry-no-such-cycle")
    _sign_out(web)
    web.login("physicist-b")
    web.visit(_path(pid))
    alert = web.page.locator("main .alert")
    alert.wait_for()
    assert "no such patient" in alert.inner_text()
    web.a11y("dosimetry-other-site")
