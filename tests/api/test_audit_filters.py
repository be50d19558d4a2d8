"""Audit-trail filters (who, what, which record, when) and the job list's scope."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from theratrial.api.audit import list_records, record
from theratrial.errors import InputError
from theratrial.store import connect, session_scope

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def engine(tmp_path: Path):  # type: ignore[no-untyped-def]
    eng = connect(f"sqlite:///{tmp_path / 'a.sqlite'}")
    with session_scope(eng) as s:
        record(s, actor="ana", action="create", entity="patient", entity_id="P1", at=T0)
        record(s, actor="ana (token)", action="update", entity="patient", entity_id="P1",
               changes=[("ecog", 0, 1)], reason="typo", at=T0 + timedelta(hours=1))  # fmt: skip
        record(s, actor="ben", action="create", entity="site", entity_id="S1",
               at=T0 + timedelta(days=1))  # fmt: skip
    yield eng
    eng.dispose()


def _ids(views: list) -> list[tuple[str, str, str]]:  # type: ignore[type-arg]
    return [(v.user, v.action, v.entity_id) for v in views]


def test_each_filter_selects_exactly_its_records(engine) -> None:  # type: ignore[no-untyped-def]
    with session_scope(engine) as s:
        assert _ids(list_records(s, actor="ana")) == [
            ("ana", "create", "P1"),
            ("ana (token)", "update", "P1"),
        ]
        assert _ids(list_records(s, action="create")) == [
            ("ana", "create", "P1"),
            ("ben", "create", "S1"),
        ]
        assert _ids(list_records(s, entity="site")) == [("ben", "create", "S1")]
        assert _ids(list_records(s, entity_id="P1", action="update")) == [
            ("ana (token)", "update", "P1")
        ]
        assert _ids(list_records(s, since=T0 + timedelta(minutes=30))) == [
            ("ana (token)", "update", "P1"),
            ("ben", "create", "S1"),
        ]
        assert _ids(list_records(s, until=T0 + timedelta(hours=1))) == [
            ("ana", "create", "P1"),
            ("ana (token)", "update", "P1"),
        ]
        assert list_records(s, actor="nobody") == []


def test_a_reversed_period_names_the_field(engine) -> None:  # type: ignore[no-untyped-def]
    with session_scope(engine) as s, pytest.raises(InputError) as err:
        list_records(s, since=T0 + timedelta(days=2), until=T0)
    assert err.value.field == "since"


def test_the_route_filters_by_user_and_refuses_roles_without_the_right(sqlite_server) -> None:  # type: ignore[no-untyped-def]
    with sqlite_server.client("admin-a") as admin:
        r = admin.post("/api/v1/sites", json={"code": "FILTER-SITE", "name": "f"})
        assert r.status_code == 201
    with sqlite_server.client("monitor-a") as monitor:
        r = monitor.get("/api/v1/audit", params={"user": "admin-a", "entity_id": "FILTER-SITE"})
        assert r.status_code == 200
        items = r.json()["items"]
        assert [(i["action"], i["entity"]) for i in items] == [("create", "site")]
    with sqlite_server.client("coordinator-a") as coordinator:
        assert coordinator.get("/api/v1/audit", params={"user": "x"}).status_code == 403
