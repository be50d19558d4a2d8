"""The shell: sign-in and sign-out, the navigation of each role, the security headers."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.browser


def test_sign_in_page_is_accessible_and_rejects_a_wrong_password(web) -> None:  # type: ignore[no-untyped-def]
    page = web.page
    page.goto(f"{web.server.base_url}/")
    page.get_by_role("heading", name="Sign in").wait_for()
    web.a11y("sign-in")
    web.shot("sign-in")
    page.get_by_label("User name").fill("coordinator")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    alert = page.locator(".form-error")
    alert.wait_for()
    assert "password" in alert.inner_text().lower()
    assert page.locator("#sign-out").count() == 0


@pytest.mark.parametrize(
    ("user", "sees", "hidden"),
    [
        ("coordinator", ["Trials", "Screening", "Patients"], ["Audit trail", "Admin"]),
        ("monitor", ["Trials", "Patients", "Audit trail"], ["Screening", "Admin"]),
        ("admin", ["Admin", "Audit trail", "Screening"], []),
        ("sponsor", ["Trials", "Patients"], ["Audit trail", "Screening", "Admin"]),
    ],
)
def test_each_role_sees_the_pages_of_its_work(web, user, sees, hidden) -> None:  # type: ignore[no-untyped-def]
    web.login(user)
    nav = web.page.get_by_role("navigation", name="Main")
    for label in sees:
        assert nav.get_by_role("link", name=label, exact=True).count() == 1, label
    for label in hidden:
        assert nav.get_by_role("link", name=label, exact=True).count() == 0, label
    who = web.page.locator("#who").inner_text()
    assert user in who
    assert "SITE-A" in who or user in ("admin", "sponsor")


def test_home_lists_the_trials_and_sign_out_ends_the_session(web) -> None:  # type: ignore[no-untyped-def]
    page = web.page
    web.login("investigator")
    page.get_by_role("link", name="NCT06732505", exact=True).wait_for()
    web.a11y("trials")
    web.shot("trials")
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    page.locator("#sign-out").click()
    page.get_by_role("heading", name="Sign in").wait_for()
    r = httpx.get(f"{web.server.base_url}/api/v1/auth/me", cookies=cookies)
    assert r.status_code == 401


def test_a_reloaded_page_can_still_write(web) -> None:  # type: ignore[no-untyped-def]
    web.login("coordinator")
    web.page.reload()
    web.page.locator("#sign-out").wait_for()
    status = web.page.evaluate(
        """async () => {
            const m = await import('/static/js/api.js');
            const app = await import('/static/js/app.js');
            try { await m.post('auth/tokens', {name: 'reloaded'}); return 201; }
            catch (e) { return e.status; }
        }"""
    )
    assert status == 201


def test_pages_carry_a_strict_content_security_policy(web_server) -> None:  # type: ignore[no-untyped-def]
    r = httpx.get(f"{web_server.base_url}/")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert r.headers["x-frame-options"] == "DENY"
    assert httpx.get(f"{web_server.base_url}/static/js/app.js").status_code == 200
