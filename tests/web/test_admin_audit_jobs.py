"""Admin (users and sites), the audit trail (monitor reads it and changes nothing), and jobs."""

from __future__ import annotations

import uuid

import pytest

pytestmark = pytest.mark.browser


def test_admin_creates_a_site_and_an_account_and_a_bad_one_is_marked(web) -> None:  # type: ignore[no-untyped-def]
    page = web.page
    web.login("admin")
    web.visit("/admin")
    page.locator("#users-table").wait_for()
    web.a11y("admin")
    code = f"SITE-{uuid.uuid4().hex[:6].upper()}"
    site_form = page.locator("#new-site")
    site_form.get_by_label("Site code").fill("not a code!")
    site_form.get_by_role("button", name="Create site").click()
    error = site_form.locator(".field[data-field=code] .error")
    error.wait_for(state="attached")
    page.wait_for_function("(el) => el.textContent.length > 0", arg=error.element_handle())
    assert "pattern" in error.inner_text().lower() or "match" in error.inner_text().lower()
    assert site_form.get_by_label("Site code").get_attribute("aria-invalid") == "true"
    site_form.get_by_label("Site code").fill(code)
    site_form.get_by_label("Name").fill("Test hospital")
    site_form.get_by_role("button", name="Create site").click()
    page.locator("#sites-table").get_by_role("cell", name=code, exact=True).wait_for()

    form = page.locator("#new-user")
    name = f"coord-{uuid.uuid4().hex[:6]}"
    form.get_by_label("User name").fill(name)
    form.get_by_label("Role").select_option("coordinator")
    form.get_by_label("Sites (comma-separated codes)").fill(code)
    form.get_by_label("Initial password").fill("a long enough password 1")
    form.get_by_role("button", name="Create account").click()
    row = page.locator("#users-table tr", has_text=name)
    row.wait_for()
    assert code in row.inner_text()
    web.shot("admin")
    page.once("dialog", lambda d: d.accept())
    row.get_by_role("button", name=f"Disable {name}").click()
    page.locator("#users-table tr", has_text=name).filter(has_text="disabled").wait_for()
    with web.server.client("admin") as api:
        users = {u["username"]: u for u in api.get("/users").json()["items"]}
    assert users[name]["disabled"] is True
    assert users[name]["sites"] == [code]


def test_monitor_reads_and_filters_the_audit_trail_and_cannot_change_anything(web) -> None:  # type: ignore[no-untyped-def]
    page = web.page
    marker = f"SITE-AUD{uuid.uuid4().hex[:4].upper()}"
    with web.server.client("admin") as api:
        assert api.post("/sites", json={"code": marker, "name": "audited"}).status_code == 201
    web.login("monitor")
    nav = page.get_by_role("navigation", name="Main")
    assert nav.get_by_role("link", name="Admin").count() == 0
    web.visit("/audit")
    page.locator("#audit-table").wait_for()
    form = page.locator("#audit-filters")
    form.get_by_label("Record type").fill("site")
    form.get_by_label("Record id").fill(marker)
    form.get_by_role("button", name="Apply filters").click()
    rows = page.locator("#audit-table tbody tr")
    page.wait_for_function(
        "(m) => [...document.querySelectorAll('#audit-table tbody tr')].length === 1"
        " && document.querySelector('#audit-table tbody').textContent.includes(m)",
        arg=marker,
    )
    text = rows.first.inner_text()
    assert "create" in text
    assert "admin" in text
    web.a11y("audit")
    web.shot("audit")
    # no control to change anything on the page
    assert page.locator("#audit-table button").count() == 0
    # the admin page is refused to the monitor by the server, not just hidden
    web.visit("/admin")
    page.locator("main .alert").wait_for()
    assert "may not" in page.locator("main .alert").inner_text()
    # and a write from the monitor's own signed-in session is refused
    status = page.evaluate(
        """async () => {
            const m = await import('/static/js/api.js');
            try { await m.post('sites', {code: 'MONITOR-SITE'}); return 200; }
            catch (e) { return e.status; }
        }"""
    )
    assert status == 403
    with web.server.client("admin") as api:
        codes = {s["code"] for s in api.get("/sites").json()["items"]}
    assert "MONITOR-SITE" not in codes


def test_audit_filter_with_a_reversed_period_is_refused_with_the_field(web) -> None:  # type: ignore[no-untyped-def]
    with web.server.client("monitor") as api:
        r = api.get(
            "/audit", params={"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"}
        )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "since"


def test_statistician_starts_a_simulation_job_and_sees_it_finish(web) -> None:  # type: ignore[no-untyped-def]
    page = web.page
    web.login("statistician")
    web.visit("/jobs")
    form = page.locator("#new-job")
    form.get_by_label("Parameters (JSON)").fill("{not json")
    form.get_by_role("button", name="Start").click()
    assert "not JSON" in form.locator(".form-error").inner_text()
    form.get_by_label("Parameters (JSON)").fill(
        '{"design": "boin", "truth": [0.05, 0.15, 0.3], "target": 0.3, "n_trials": 200, "seed": 7}'
    )
    form.get_by_role("button", name="Start").click()
    row = page.locator("#jobs-table tbody tr").first
    row.filter(has_text="done").wait_for(timeout=120_000)
    assert "design_simulation" in row.inner_text()
    assert row.locator("progress").get_attribute("value") == "100"
    web.a11y("jobs")
    web.shot("jobs")
    # another user's jobs are not listed
    with web.server.client("physicist") as api:
        assert all(j["actor"] != "statistician" for j in api.get("/jobs").json()["items"])
