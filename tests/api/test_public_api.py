"""The API package's curated public names: every module's ``__all__``, pinned."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import theratrial.api

EXPORTS: dict[str, list[str]] = {
    "theratrial.api": [],
    "theratrial.api.accounts": [
        "AuthError",
        "LOCKOUT_FAILURES",
        "LOCKOUT_MINUTES",
        "MIN_PASSWORD_LENGTH",
        "Principal",
        "SESSION_IDLE_MINUTES",
        "TokenView",
        "UserView",
        "add_user",
        "authenticate",
        "close_session",
        "create_token",
        "disable_user",
        "list_tokens",
        "list_users",
        "open_session",
        "resolve_session",
        "resolve_token",
        "revoke_token",
    ],
    "theratrial.api.app": ["API_PREFIX", "create_app"],
    "theratrial.api.audit": [
        "AuditView",
        "CLINICAL_ENTITIES",
        "CSV_COLUMNS",
        "ChainCheck",
        "GENESIS_HASH",
        "as_utc",
        "canonical_json",
        "chain_hash",
        "export_csv",
        "json_data",
        "list_records",
        "record",
        "verify_chain",
    ],
    "theratrial.api.deps": [
        "CSRF_HEADER",
        "Context",
        "SAFE_METHODS",
        "SESSION_COOKIE",
        "actor_of",
        "engine_of",
        "patient_in_scope",
        "require",
        "site_in_scope",
        "tx",
        "visible_site_pks",
    ],
    "theratrial.api.permissions": [
        "Action",
        "PERMISSIONS",
        "READ_ACTIONS",
        "Role",
        "allowed",
        "read_only",
        "sees_all_sites",
    ],
    "theratrial.api.problems": [
        "PROBLEM_JSON",
        "ProblemError",
        "install_handlers",
        "problem_response",
    ],
    "theratrial.api.routers": ["ROUTERS"],
    "theratrial.api.routers._common": [
        "MAX_LIMIT",
        "jsonable",
        "load_record",
        "page",
        "protocol_for",
        "record",
        "require_reason",
        "save_record",
    ],
    "theratrial.api.routers.analyses": ["router"],
    "theratrial.api.routers.audit": ["router"],
    "theratrial.api.routers.auth": ["router"],
    "theratrial.api.routers.cycle_review": ["router"],
    "theratrial.api.routers.cycles": ["router"],
    "theratrial.api.routers.dashboard": ["router"],
    "theratrial.api.routers.dlt": ["router"],
    "theratrial.api.routers.enrolments": ["router"],
    "theratrial.api.routers.escalation": ["router"],
    "theratrial.api.routers.jobs": ["router"],
    "theratrial.api.routers.patients": ["router"],
    "theratrial.api.routers.recist": ["router"],
    "theratrial.api.routers.reports": ["router"],
    "theratrial.api.routers.screenings": ["router"],
    "theratrial.api.routers.sites": ["router"],
    "theratrial.api.routers.studies": ["router"],
    "theratrial.api.routers.timeline": ["router"],
    "theratrial.api.routers.trials": ["router"],
    "theratrial.api.routers.users": ["router"],
    "theratrial.api.schemas": [
        "CycleIn",
        "DltIn",
        "EnrolmentIn",
        "EscalationSignIn",
        "JobIn",
        "LoginIn",
        "RecistIn",
        "RegionDoseIn",
        "ScreeningIn",
        "SignIn",
        "SiteIn",
        "TokenIn",
        "UserIn",
        "WithdrawalIn",
    ],
    "theratrial.api.security": [
        "MEMORY_COST_ENV",
        "TIME_COST_ENV",
        "digest",
        "hash_password",
        "new_secret",
        "verify_password",
    ],
    "theratrial.api.settings": ["DEFAULT_MAX_BODY_BYTES", "Settings"],
    "theratrial.api.signatures": [
        "MEANINGS",
        "SignatureView",
        "content_hash",
        "sign",
        "signatures_for",
    ],
}


@pytest.mark.parametrize("module", sorted(EXPORTS))
def test_exports(module: str) -> None:
    mod = importlib.import_module(module)
    assert sorted(mod.__all__) == EXPORTS[module]
    for name in mod.__all__:
        assert hasattr(mod, name), name


def test_every_api_module_is_pinned() -> None:
    found = {"theratrial.api"} | {
        m.name for m in pkgutil.walk_packages(theratrial.api.__path__, "theratrial.api.")
    }
    assert found == set(EXPORTS)
