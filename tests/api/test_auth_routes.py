"""Log-in with the session cookie and CSRF token, lock-out, personal API tokens."""

from __future__ import annotations

import httpx

from .conftest import PASSWORD, SITE_A, Server, patient_record


def _login(
    server: Server, user: str, password: str = PASSWORD
) -> tuple[httpx.Client, httpx.Response]:
    client = httpx.Client(base_url=server.base_url, timeout=30)
    return client, client.post("/api/v1/auth/login", json={"username": user, "password": password})


def test_login_sets_a_strict_httponly_cookie_and_returns_the_csrf_token(
    sqlite_server: Server,
) -> None:
    client, r = _login(sqlite_server, "coordinator-a")
    try:
        assert r.status_code == 200
        cookie = r.headers["set-cookie"].lower()
        assert "httponly" in cookie
        assert "samesite=strict" in cookie
        assert "secure" not in cookie  # plain http on loopback
        csrf = r.json()["csrf_token"]
        body = patient_record("PT-A-CSRF", SITE_A)
        without = client.post("/api/v1/patients", json=body)
        wrong = client.post("/api/v1/patients", json=body, headers={"X-CSRF-Token": "x"})
        right = client.post("/api/v1/patients", json=body, headers={"X-CSRF-Token": csrf})
        assert client.get("/api/v1/auth/me").json()["username"] == "coordinator-a"
        out = client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf})
        after = client.get("/api/v1/auth/me")
    finally:
        client.close()
    assert without.status_code == 403
    assert without.json()["errors"][0]["field"] == "X-CSRF-Token"
    assert wrong.status_code == 403
    assert right.status_code == 201
    assert out.status_code == 204
    assert after.status_code == 401


def test_five_failures_lock_the_account(sqlite_server: Server) -> None:
    for _ in range(5):
        client, r = _login(sqlite_server, "sponsor-b", "not the password")
        client.close()
        assert r.status_code == 401
    client, r = _login(sqlite_server, "sponsor-b")
    client.close()
    assert r.status_code == 401
    assert "locked" in r.json()["detail"]


def test_tokens_are_shown_once_and_revocable(sqlite_server: Server) -> None:
    with sqlite_server.client("physicist-a") as c:
        made = c.post("/api/v1/auth/tokens", json={"name": "script"})
        token = made.json()["token"]
        listed = c.get("/api/v1/auth/tokens").json()["items"]
    assert made.status_code == 201
    assert all(token not in str(t) for t in listed)
    with httpx.Client(
        base_url=sqlite_server.base_url, headers={"Authorization": f"Bearer {token}"}
    ) as s:
        assert s.get("/api/v1/auth/me").json()["via"] == "token"
        token_id = next(t["id"] for t in listed if t["name"] == "script")
        assert s.delete(f"/api/v1/auth/tokens/{token_id}").status_code == 204
        assert s.get("/api/v1/auth/me").status_code == 401


def test_bad_bearer_header_is_401(sqlite_server: Server) -> None:
    with httpx.Client(base_url=sqlite_server.base_url, headers={"Authorization": "Basic abc"}) as c:
        r = c.get("/api/v1/patients")
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith("Bearer")
