"""Job routes: who may start a PACS import (it writes the pseudonym map)."""

from __future__ import annotations

import pytest

from theratrial.api.permissions import Action, allowed

from .conftest import ROLES, Server


@pytest.mark.parametrize("role", ROLES)
def test_pacs_import_needs_the_pseudonym_map_permission(sqlite_server: Server, role: str) -> None:
    with sqlite_server.client(f"{role}-a") as c:
        r = c.post("/api/v1/jobs", json={"kind": "pacs_import", "params": {}})
    if not allowed(role, Action.RUN_JOBS):
        assert r.status_code == 403
    elif not allowed(role, Action.READ_PSEUDONYM_MAP):
        assert r.status_code == 403
        assert r.json()["errors"][0]["field"] == "kind"
    else:  # allowed: the empty parameters are refused, naming the field
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
