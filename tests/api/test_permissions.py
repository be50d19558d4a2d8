"""THE permission table, enumerated role by role: a change to it is a visible change here."""

from __future__ import annotations

import pytest

from theratrial.api import permissions
from theratrial.api.permissions import (
    PERMISSIONS,
    READ_ACTIONS,
    Action,
    Role,
    allowed,
    read_only,
    sees_all_sites,
)

EVERY_ROLE = {"read_trials", "read_patients", "read_imaging", "create_token"}

EXPECTED: dict[str, set[str]] = {
    "admin": {a.value for a in Action},
    "investigator": EVERY_ROLE
    | {
        "write_patients",
        "screen",
        "enrol",
        "write_imaging",
        "record_cycle",
        "approve_dosimetry",
        "prescribe",
        "record_dlt",
        "run_escalation",
        "sign_escalation",
        "write_recist",
        "run_analyses",
        "read_pseudonym_map",
        "run_jobs",
    },
    "physician": EVERY_ROLE
    | {"record_cycle", "prescribe", "record_dlt", "write_recist", "read_pseudonym_map"},
    "physicist": EVERY_ROLE | {"write_imaging", "approve_dosimetry", "run_jobs"},
    "coordinator": EVERY_ROLE
    | {"write_patients", "screen", "enrol", "record_cycle", "read_pseudonym_map"},
    "statistician": EVERY_ROLE | {"run_escalation", "run_analyses", "run_jobs"},
    "monitor": EVERY_ROLE | {"read_audit", "read_pseudonym_map"},
    "sponsor": EVERY_ROLE,
}


def test_public_api_is_pinned() -> None:
    assert sorted(permissions.__all__) == sorted(
        ["PERMISSIONS", "READ_ACTIONS", "Action", "Role", "allowed", "read_only", "sees_all_sites"]
    )


def test_the_roles_and_actions_of_the_contract() -> None:
    assert [r.value for r in Role] == [
        "admin",
        "investigator",
        "physician",
        "physicist",
        "coordinator",
        "statistician",
        "monitor",
        "sponsor",
    ]
    assert len(Action) == 21
    assert set(PERMISSIONS) == set(Action), "every action has a row in the one table"


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_table_role_by_role(role: str) -> None:
    granted = {a.value for a in Action if allowed(role, a)}
    assert granted == EXPECTED[role]


@pytest.mark.parametrize("role", list(Role))
def test_every_role_reads_trials_and_makes_its_own_token(role: Role) -> None:
    assert allowed(role, Action.READ_TRIALS)
    assert allowed(role, Action.CREATE_TOKEN)


@pytest.mark.parametrize("role", list(Role))
def test_audit_is_admin_and_monitor_only(role: Role) -> None:
    assert allowed(role, Action.READ_AUDIT) == (role in {Role.ADMIN, Role.MONITOR})


@pytest.mark.parametrize("role", list(Role))
def test_read_only_roles_are_granted_reads_only(role: Role) -> None:
    granted = {a for a in Action if allowed(role, a)}
    assert read_only(role) == (role in {Role.MONITOR, Role.SPONSOR})
    if read_only(role):
        assert granted <= READ_ACTIONS


def test_sponsor_reads_everything_but_the_pseudonym_map() -> None:
    assert sees_all_sites(Role.SPONSOR)
    assert not allowed(Role.SPONSOR, Action.READ_PSEUDONYM_MAP)


@pytest.mark.parametrize(
    ("role", "expected"), [(r.value, r in {Role.ADMIN, Role.SPONSOR}) for r in Role]
)
def test_sees_all_sites(role: str, expected: bool) -> None:
    assert sees_all_sites(role) is expected


@pytest.mark.parametrize("role", ["root", "", "ADMINISTRATOR", "Admin "])
def test_unknown_role_is_denied_everything(role: str) -> None:
    assert not any(allowed(role, a) for a in Action)
    assert not sees_all_sites(role)
    assert not read_only(role)


def test_table_cannot_be_changed_at_run_time() -> None:
    with pytest.raises(TypeError):
        PERMISSIONS[Action.READ_AUDIT] = frozenset(Role)  # type: ignore[index]
