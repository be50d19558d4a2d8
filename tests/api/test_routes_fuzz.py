"""Hypothesis-generated JSON bodies for every write endpoint: never a 500."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import PATIENT_A, Server

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = st.sampled_from([
    "trial_id", "cycle", "activity_mbq", "date", "level", "weight_kg", "dosimetry", "reason",
    "patient_id", "cohort", "dlt", "grade", "onset", "password", "meaning", "name", "kind",
    "params", "assessments", "site", "demographics", "code", "username", "role", "sites",
])  # fmt: skip
BODIES = st.one_of(JSON, st.dictionaries(FIELDS, JSON, max_size=8))
PATHS = [
    "/api/v1/patients",
    f"/api/v1/patients/{PATIENT_A}/screenings",
    f"/api/v1/patients/{PATIENT_A}/cycles",
    f"/api/v1/patients/{PATIENT_A}/recist",
    f"/api/v1/patients/{PATIENT_A}/enrolments",
    f"/api/v1/patients/{PATIENT_A}/enrolments/NCT06732505/withdrawal",
    "/api/v1/trials/NCT06732505/dlts",
    "/api/v1/auth/tokens",
    "/api/v1/sites",
    "/api/v1/jobs",
]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(path=st.sampled_from(PATHS), body=BODIES)
def test_no_500(sqlite_server: Server, path: str, body: Any) -> None:
    with sqlite_server.client("admin-a") as c:
        r = c.post(path, json=body)
    assert r.status_code < 500, (path, body, r.text[:300])
    if r.status_code >= 400:
        assert r.headers["content-type"] == "application/problem+json"
