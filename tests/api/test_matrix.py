"""Every endpoint x every role x own site / other site / anonymous, against a real server.

The expected status is derived from the permission table (:data:`PERMISSIONS`), never
written per case: anonymous 401; a role the table refuses 403; a patient of another site
404 for a role that does not see every site; otherwise the request gets past the checks
(not 401/403/404, and never a 500).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest

from theratrial.api.permissions import PERMISSIONS, Action, sees_all_sites

from .conftest import PASSWORD, PATIENT_A, PATIENT_B, ROLES, SITE_A, SITE_B, Server, patient_record

TRIAL = "NCT06732505"
_n = itertools.count()

Body = Callable[[str, str], Any]
"""(patient id, site) -> JSON body."""

# (method, path with {pid}, action, patient-scoped, body)
ENDPOINTS: list[tuple[str, str, Action, bool, Body | None]] = [
    ("GET", "/api/v1/trials", Action.READ_TRIALS, False, None),
    ("GET", f"/api/v1/trials/{TRIAL}", Action.READ_TRIALS, False, None),
    ("GET", f"/api/v1/trials/{TRIAL}/versions", Action.READ_TRIALS, False, None),
    ("GET", "/api/v1/sites", Action.READ_TRIALS, False, None),
    ("POST", "/api/v1/sites", Action.MANAGE_SITES, False, lambda p, s: {"code": f"S{next(_n)}"}),
    ("GET", "/api/v1/users", Action.MANAGE_USERS, False, None),
    (
        "POST",
        "/api/v1/users",
        Action.MANAGE_USERS,
        False,
        lambda p, s: {
            "username": f"u{next(_n)}",
            "role": "monitor",
            "sites": [s],
            "password": "a long enough password",
        },
    ),
    ("GET", "/api/v1/auth/me", Action.READ_TRIALS, False, None),
    ("GET", "/api/v1/auth/tokens", Action.CREATE_TOKEN, False, None),
    ("POST", "/api/v1/auth/tokens", Action.CREATE_TOKEN, False, lambda p, s: {"name": "m"}),
    ("GET", "/api/v1/patients", Action.READ_PATIENTS, False, None),
    ("GET", "/api/v1/patients/{pid}", Action.READ_PATIENTS, True, None),
    ("POST", "/api/v1/patients", Action.WRITE_PATIENTS, True, patient_record),
    ("GET", "/api/v1/patients/{pid}/screenings", Action.READ_PATIENTS, True, None),
    (
        "POST",
        "/api/v1/patients/{pid}/screenings",
        Action.SCREEN,
        True,
        lambda p, s: {"trial_id": TRIAL},
    ),
    ("GET", "/api/v1/patients/{pid}/enrolments", Action.READ_PATIENTS, True, None),
    (
        "POST",
        "/api/v1/patients/{pid}/enrolments",
        Action.ENROL,
        True,
        lambda p, s: {"trial_id": TRIAL, "consent_date": "2025-01-20"},
    ),
    (
        "POST",
        f"/api/v1/patients/{{pid}}/enrolments/{TRIAL}/withdrawal",
        Action.ENROL,
        True,
        lambda p, s: {"date": "2025-02-01", "reason": "matrix"},
    ),
    ("GET", f"/api/v1/patients/{{pid}}/cycles?trial_id={TRIAL}", Action.READ_PATIENTS, True, None),
    (
        "POST",
        "/api/v1/patients/{pid}/cycles",
        Action.RECORD_CYCLE,
        True,
        lambda p, s: {"trial_id": TRIAL, "cycle": 1, "activity_mbq": 1.0, "reason": "matrix"},
    ),
    ("GET", f"/api/v1/patients/{{pid}}/plan?trial_id={TRIAL}", Action.READ_PATIENTS, True, None),
    (
        "POST",
        f"/api/v1/patients/{{pid}}/cycles/1/dosimetry/sign?trial_id={TRIAL}",
        Action.APPROVE_DOSIMETRY,
        True,
        lambda p, s: {"password": PASSWORD, "meaning": "approved"},
    ),
    (
        "POST",
        f"/api/v1/patients/{{pid}}/plan/sign?trial_id={TRIAL}",
        Action.PRESCRIBE,
        True,
        lambda p, s: {"password": PASSWORD, "meaning": "prescribed"},
    ),
    ("GET", "/api/v1/patients/{pid}/recist", Action.READ_PATIENTS, True, None),
    (
        "POST",
        "/api/v1/patients/{pid}/recist",
        Action.WRITE_RECIST,
        True,
        lambda p, s: {
            "assessments": [
                {
                    "date": "2024-01-01",
                    "lesions": [{"id": "N1", "organ": "node", "measurement_mm": 20}],
                }
            ],
            "reason": "matrix",
        },
    ),
    ("GET", f"/api/v1/trials/{TRIAL}/dlts", Action.READ_PATIENTS, False, None),
    (
        "POST",
        f"/api/v1/trials/{TRIAL}/dlts",
        Action.RECORD_DLT,
        True,
        lambda p, s: {"patient_id": p, "cohort": "nope", "level": "DL1"},
    ),
    ("GET", f"/api/v1/trials/{TRIAL}/escalation", Action.RUN_ESCALATION, False, None),
    (
        "POST",
        f"/api/v1/trials/{TRIAL}/escalation",
        Action.SIGN_ESCALATION,
        False,
        lambda p, s: {"password": PASSWORD, "meaning": "decided"},
    ),
    ("GET", "/api/v1/audit", Action.READ_AUDIT, False, None),
    ("GET", "/api/v1/jobs/0123456789abcdef0123456789abcdef", Action.RUN_JOBS, False, None),
    ("POST", "/api/v1/jobs", Action.RUN_JOBS, False, lambda p, s: {"kind": "nope"}),
    (
        "POST",
        "/api/v1/reports",
        Action.READ_PATIENTS,
        True,
        lambda p, s: {"kind": "cycle", "patient_id": p, "cycle": 1, "trial_id": TRIAL},
    ),
    (
        "POST",
        "/api/v1/reports",
        Action.RUN_ANALYSES,
        False,
        lambda p, s: {"kind": "screening", "trial_id": TRIAL, "format": "html"},
    ),
    ("GET", "/api/v1/jobs", Action.RUN_JOBS, False, None),
    # the pages' data (web application)
    ("GET", f"/api/v1/trials/{TRIAL}/dashboard", Action.READ_TRIALS, False, None),
    (
        "GET",
        f"/api/v1/trials/{TRIAL}/escalation/operating-characteristics?n_trials=20",
        Action.READ_TRIALS,
        False,
        None,
    ),
    (
        "GET",
        f"/api/v1/trials/{TRIAL}/escalation/operating-characteristics.svg?n_trials=20",
        Action.READ_TRIALS,
        False,
        None,
    ),
    ("POST", "/api/v1/patients/validate", Action.WRITE_PATIENTS, True, patient_record),
    ("GET", "/api/v1/patients/{pid}/timeline", Action.READ_PATIENTS, True, None),
    (
        "GET",
        f"/api/v1/patients/{{pid}}/timeline/organ-doses?trial={TRIAL}",
        Action.READ_PATIENTS,
        True,
        None,
    ),
    (
        "GET",
        f"/api/v1/patients/{{pid}}/timeline/organ-doses.svg?trial={TRIAL}",
        Action.READ_PATIENTS,
        True,
        None,
    ),
    ("POST", "/api/v1/patients/{pid}/trial-finder", Action.SCREEN, True, None),
    ("GET", "/api/v1/patient-summaries", Action.READ_PATIENTS, False, None),
    (
        "GET",
        f"/api/v1/patients/{{pid}}/cycles/1/review?trial_id={TRIAL}",
        Action.READ_PATIENTS,
        True,
        None,
    ),
    (
        "GET",
        f"/api/v1/patients/{{pid}}/cycles/1/review/curves.svg?trial_id={TRIAL}",
        Action.READ_PATIENTS,
        True,
        None,
    ),
    ("GET", "/api/v1/studies", Action.READ_IMAGING, False, None),
    ("POST", "/api/v1/studies?patient_id={pid}", Action.WRITE_IMAGING, True, None),
    ("GET", "/api/v1/studies/0", Action.READ_IMAGING, False, None),
    ("GET", "/api/v1/studies/0/volume?series=1.2.3", Action.READ_IMAGING, False, None),
    ("GET", "/api/v1/studies/0/labels", Action.READ_IMAGING, False, None),
    (
        "POST",
        "/api/v1/studies/0/segmentations?series=1.2.3&names=a",
        Action.WRITE_IMAGING,
        False,
        None,
    ),
    ("GET", f"/api/v1/analyses/recist?trial_id={TRIAL}", Action.READ_PATIENTS, False, None),
    ("GET", "/api/v1/analyses/waterfall.svg", Action.READ_PATIENTS, False, None),
    ("GET", "/api/v1/analyses/spider.svg", Action.READ_PATIENTS, False, None),
    ("POST", "/api/v1/analyses/repeatability", Action.RUN_ANALYSES, False, None),
    ("POST", "/api/v1/analyses/outcome-model", Action.RUN_ANALYSES, False, None),
]


def _expected_refusal(role: str | None, action: Action, scoped: bool, own: bool) -> int | None:
    """The status the permission table demands, or None when the request may pass."""
    if role is None:
        return 401
    if role not in {r.value for r in PERMISSIONS[action]}:
        return 403
    if scoped and not own and not sees_all_sites(role):
        return 404
    return None


@pytest.mark.parametrize(("method", "path", "action", "scoped", "body"), ENDPOINTS,
                         ids=[f"{m} {p}" for m, p, *_ in ENDPOINTS])  # fmt: skip
def test_matrix(
    server: Server, method: str, path: str, action: Action, scoped: bool, body: Body | None
) -> None:
    for role, own in [(None, True), *((r, o) for r in ROLES for o in (True, False))]:
        pid, site = (PATIENT_A, SITE_A) if own else (PATIENT_B, SITE_B)
        user = f"{role}-a" if role else None
        with server.client(user) as client:
            r = client.request(method, path.format(pid=pid), json=body(pid, site) if body else None)
        expected = _expected_refusal(role, action, scoped, own)
        who = f"{role or 'anonymous'} {'own' if own else 'other'} site"
        case = f"{who}: {r.status_code} {r.text[:200]}"
        assert r.status_code < 500, case
        drawn = path.split("?")[0].endswith(".svg") and r.status_code == 200
        assert (
            r.headers["content-type"].startswith(("application/json", "application/problem+json"))
            or r.status_code == 204
            or (drawn and r.headers["content-type"].startswith("image/svg+xml"))
        ), case
        if expected is not None:
            assert r.status_code == expected, case
            assert r.headers["content-type"] == "application/problem+json", case
        else:
            assert r.status_code not in (401, 403), case
            assert not (scoped and r.status_code == 404), case


def test_every_route_is_in_the_matrix(server: Server) -> None:
    with server.client() as client:
        spec = client.get("/api/v1/openapi.json").json()
    covered = {(m, p.split("?")[0].replace("{pid}", "{patient_id}")) for m, p, *_ in ENDPOINTS}
    routes = {
        (m.upper(), p)
        for p, ops in spec["paths"].items()
        for m in ops
        if p.startswith("/api/v1") and p not in {"/api/v1/auth/login", "/api/v1/auth/logout"}
    }
    normalised = {
        (
            m,
            p.replace(TRIAL, "{trial_id}")
            .replace("/1/", "/{cycle}/")
            .replace("0123456789abcdef0123456789abcdef", "{job_id}")
            .replace("/studies/0", "/studies/{study_id}"),
        )
        for m, p in covered
    }
    missing = (
        routes
        - normalised
        - {
            ("POST", "/api/v1/users/{username}/disable"),
            ("DELETE", "/api/v1/auth/tokens/{token_id}"),
            ("DELETE", "/api/v1/jobs/{job_id}"),
            ("GET", "/api/v1/patients/{patient_id}/cycles/{cycle}/dosimetry/signatures"),
        }
    )
    assert not missing, sorted(missing)
