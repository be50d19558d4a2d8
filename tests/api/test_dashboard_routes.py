"""The trial dashboard, the operating characteristics, and the analyses routes.

The server is shared by every API test of a session, so the dashboard's numbers are checked
as the change the arranged data make (before and after), never as absolute counts.
"""

from __future__ import annotations

import csv
import io
import random
from typing import Any

import httpx
import pytest

from ..conftest import demo_record
from .conftest import SITE_A, SITE_B, Server

TRIAL = "NCT06732505"
COHORT = "escalation-prrt-naive"
RECIST = {
    "time_points": [
        {
            "date": "2026-03-01",
            "lesions": [{"id": "L1", "organ": "liver", "measurement_mm": 40, "target": True}],
        },
        {"date": "2026-05-01", "lesions": [{"id": "L1", "measurement_mm": 22}]},
    ]
}


def _dashboard(c: httpx.Client) -> dict[str, Any]:
    r = c.get(f"/api/v1/trials/{TRIAL}/dashboard")
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


def _reasons(dash: dict[str, Any]) -> dict[str, int]:
    return {r["criterion_id"]: r["patients"] for r in dash["funnel"]["reasons"]}


def _count(items: list[dict[str, Any]], key: str, name: str) -> int:
    return next((i["patients"] for i in items if i[key] == name), 0)


def _arrange(c: httpx.Client, demo: str, pid: str, site: str) -> str:
    r = c.post("/api/v1/patients", json=demo_record(demo, pid, site))
    assert r.status_code == 201, r.text
    s = c.post(f"/api/v1/patients/{pid}/screenings", json={"trial_id": TRIAL})
    assert s.status_code == 201, s.text
    verdict: str = s.json()["verdict"]
    return verdict


def test_dashboard_counts_screenings_enrolment_and_cycles(sqlite_server: Server) -> None:
    with sqlite_server.client("coordinator-a") as a, sqlite_server.client("coordinator-b") as b:
        before, before_b = _dashboard(a), _dashboard(b)
        assert _arrange(a, "DEMO-006", "DASH-A-ELIG", SITE_A) == "eligible"
        assert _arrange(a, "DEMO-002", "DASH-A-INEL", SITE_A) == "ineligible"
        assert _arrange(a, "DEMO-001", "DASH-A-INCO", SITE_A) == "incomplete"
        assert _arrange(b, "DEMO-006", "DASH-B-ELIG", SITE_B) == "eligible"
        enrol = a.post(
            "/api/v1/patients/DASH-A-ELIG/enrolments",
            json={"trial_id": TRIAL, "consent_date": "2026-03-10", "cohort": COHORT},
        )
        assert enrol.status_code == 201, enrol.text
    with sqlite_server.client("physician-a") as p:
        cycle = {"trial_id": TRIAL, "cycle": 1, "activity_mbq": 7.0, "weight_kg": 78.0,
                 "level": "DL1", "date": "2026-03-16"}  # fmt: skip
        added = p.post("/api/v1/patients/DASH-A-ELIG/cycles", json=cycle)
        assert added.status_code == 201, added.text
    with sqlite_server.client("coordinator-a") as a:
        after = _dashboard(a)
    f0, f1 = before["funnel"], after["funnel"]
    assert f1["screened"] - f0["screened"] == 3
    assert (f1["eligible"] - f0["eligible"], f1["ineligible"] - f0["ineligible"]) == (1, 1)
    assert f1["incomplete"] - f0["incomplete"] == 1
    assert _reasons(after).get("IN07", 0) - _reasons(before).get("IN07", 0) == 1
    reason = next(r for r in f1["reasons"] if r["criterion_id"] == "IN07")
    assert reason["label"]
    e0, e1 = before["enrolment"], after["enrolment"]
    assert (
        _count(e1["by_cohort"], "cohort", "escalation-prrt-naive")
        - _count(e0["by_cohort"], "cohort", "escalation-prrt-naive")
        == 1
    )
    assert _count(e1["by_site"], "site", SITE_A) - _count(e0["by_site"], "site", SITE_A) == 1
    mine = next(c for c in after["cycles"] if c["patient_id"] == "DASH-A-ELIG")
    assert mine["cycles_given"] == 1
    assert mine["activity_mbq"] == [7.0]
    first, second = mine["windows"][0], mine["windows"][1]
    assert (first["given"], first["state"]) == ("2026-03-16", "given")
    assert second["nominal"] == "2026-05-11"  # 8 weeks after the first infusion
    assert mine["next"]["cycle"] == 2
    assert len(mine["windows"]) == after["schedule"]["max_cycles"] == 4
    treated = {(t["cohort_id"], t["dose_level"]): t["patients"] for t in after["treated"]}
    treated0 = {(t["cohort_id"], t["dose_level"]): t["patients"] for t in before["treated"]}
    key = ("escalation-prrt-naive", "DL1")
    assert treated[key] - treated0.get(key, 0) == 1
    doses = next(d for d in after["organ_doses"] if d["patient_id"] == "DASH-A-ELIG")
    assert doses["limits"] == []  # NCT06732505 states no organ limit
    assert after["trial_totals"]["screened"] - before["trial_totals"]["screened"] == 4
    states = {c["cohort"] for c in after["escalation"]["cohorts"]}
    assert states == {"escalation-prior-prrt", "escalation-prrt-naive"}
    # the registry states no design: BOIN at 0.25, said to be assumed
    rule = after["escalation"]
    assert (rule["design"], rule["target"], rule["design_source"]) == ("boin", 0.25, "assumed")
    # SITE-B sees its own patient's screening and the totals, and no SITE-A patient
    with sqlite_server.client("coordinator-b") as b:
        after_b = _dashboard(b)
    assert after_b["funnel"]["screened"] - before_b["funnel"]["screened"] == 1
    assert after_b["trial_totals"] == after["trial_totals"]
    assert "DASH-A-" not in str(after_b)
    assert "DASH-A-ELIG" in str(after)


def test_site_b_does_not_see_site_a_dlts_but_the_counts(sqlite_server: Server) -> None:
    with sqlite_server.client("admin-a") as admin:
        r = admin.post("/api/v1/patients", json=demo_record("DEMO-006", "DASH-A-DLT", SITE_A))
        assert r.status_code == 201, r.text
    with sqlite_server.client("physician-a") as p:
        obs = {"patient_id": "DASH-A-DLT", "cohort": "escalation-prior-prrt", "level": "DL1",
               "dlt": True, "event": "thrombocytopenia", "grade": 4,
               "administered": "2026-01-05", "onset": "2026-01-20"}  # fmt: skip
        assert p.post(f"/api/v1/trials/{TRIAL}/dlts", json=obs).status_code == 201
    with sqlite_server.client("investigator-a") as a, sqlite_server.client("investigator-b") as b:
        seen_a, seen_b = _dashboard(a), _dashboard(b)
    assert any(e["patient_id"] == "DASH-A-DLT" for e in seen_a["dlt_events"])
    assert all(e["patient_id"] != "DASH-A-DLT" for e in seen_b["dlt_events"])
    assert seen_a["dlt_counts"] == seen_b["dlt_counts"]
    counted = {(c["cohort_id"], c["dose_level"]): c for c in seen_b["dlt_counts"]}
    assert counted[("escalation-prior-prrt", "DL1")]["dlt"] >= 1


def test_cumulative_organ_doses_are_checked_against_the_protocols_limits(
    sqlite_server: Server,
) -> None:
    trial = "NCT01842165"  # kidneys 23 Gy absorbed dose and 40 Gy BED, marrow 2 Gy
    pid = "DASH-A-LIMIT"
    dosimetry = [{"region": "kidneys", "dose_gy": 6.0, "bed_gy": 7.2, "mass_g": 300.0}]
    with sqlite_server.client("admin-a") as admin:
        r = admin.post("/api/v1/patients", json=demo_record("DEMO-006", pid, SITE_A))
        assert r.status_code == 201, r.text
    with sqlite_server.client("physician-a") as p:
        for n, day in ((1, "2026-03-02"), (2, "2026-05-25")):
            cycle = {"trial_id": trial, "cycle": n, "activity_mbq": 7400.0, "date": day,
                     "dosimetry": dosimetry}  # fmt: skip
            r = p.post(f"/api/v1/patients/{pid}/cycles", json=cycle)
            assert r.status_code == 201, r.text
        dash = p.get(f"/api/v1/trials/{trial}/dashboard").json()
    doses = next(d for d in dash["organ_doses"] if d["patient_id"] == pid)
    limits = {(x["organ"], x["quantity"]): x for x in doses["limits"]}
    kidney = limits[("kidneys", "absorbed_dose_gy")]
    assert kidney["cumulative"] == pytest.approx(12.0)
    assert kidney["limit"] == 23.0
    assert not kidney["reached"]
    assert limits[("kidneys", "bed_gy")]["cumulative"] == pytest.approx(14.4, rel=1e-3)
    cycles = next(c for c in dash["cycles"] if c["patient_id"] == pid)
    assert cycles["next"]["cycle"] == 3
    assert (cycles["next"]["earliest"], cycles["next"]["latest"]) == ("2026-08-10", "2026-08-24")
    assert cycles["next"]["state"] == "overdue"  # today is past the window's end
    assert dash["escalation"]["available"] is False  # no escalation cohort in this trial


def test_dashboard_of_an_unknown_trial_is_404(sqlite_server: Server) -> None:
    with sqlite_server.client("monitor-a") as c:
        r = c.get("/api/v1/trials/NCT00000000/dashboard")
    assert r.status_code == 404
    assert r.json()["errors"][0]["field"] == "trial_id"


def test_operating_characteristics_json_and_svg(sqlite_server: Server) -> None:
    url = f"/api/v1/trials/{TRIAL}/escalation/operating-characteristics"
    params = {"n_trials": 300, "seed": 7, "cohort": "escalation-prrt-naive"}
    with sqlite_server.client("coordinator-a") as c:
        one = c.get(url, params=params)
        two = c.get(url, params=params)
        svg = c.get(f"{url}.svg", params=params)
        with_figure = c.get(url, params={**params, "figure": "true"})
        bad = c.get(url, params={**params, "truth": "0.1,0.2,0.3"})
        unknown = c.get(url, params={**params, "cohort": "nope"})
        anonymous = httpx.get(f"{sqlite_server.base_url}{url}")
    assert one.status_code == 200, one.text
    doc = one.json()
    assert doc == two.json()  # the seed makes the run repeatable
    assert doc["levels"] == [90.0, 120.0]
    assert doc["level_unit"] == "kBq/kg"
    assert doc["n_trials"] == 300
    assert sum(doc["selection_pct"]) + doc["stop_pct"] == pytest.approx(100.0)
    assert doc["scenario"].startswith("assumed")
    assert (doc["design"], doc["target"], doc["design_source"]) == ("boin", 0.25, "assumed")
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in svg.content[:400]
    both = with_figure.json()
    assert "<svg" in both.pop("figure_svg")[:400]  # one simulation gives table and figure
    assert both == doc
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "truth"
    assert unknown.status_code == 404
    assert anonymous.status_code == 401


def test_recist_table_and_plots_are_scoped_to_the_readers_sites(sqlite_server: Server) -> None:
    with sqlite_server.client("admin-a") as admin:
        for pid, site in (("DASH-A-RECIST", SITE_A), ("DASH-B-RECIST", SITE_B)):
            r = admin.post("/api/v1/patients", json=demo_record("DEMO-006", pid, site))
            assert r.status_code == 201, r.text
            ev = admin.post(
                f"/api/v1/patients/{pid}/recist", json={"assessments": RECIST, "trial_id": TRIAL}
            )
            assert ev.status_code == 201, ev.text
    with sqlite_server.client("monitor-b") as c:
        table = c.get("/api/v1/analyses/recist", params={"trial_id": TRIAL})
        waterfall = c.get("/api/v1/analyses/waterfall.svg", params={"trial_id": TRIAL})
        spider = c.get("/api/v1/analyses/spider.svg")
    assert table.status_code == 200, table.text
    ids = {i["patient_id"] for i in table.json()["items"]}
    assert "DASH-B-RECIST" in ids
    assert "DASH-A-RECIST" not in ids
    row = next(i for i in table.json()["items"] if i["patient_id"] == "DASH-B-RECIST")
    assert row["best_overall_response"] == "PR"
    assert row["best_change_from_baseline_pct"] == pytest.approx(-45.0)
    assert [tp["sum_mm"] for tp in row["time_points"]] == [40.0, 22.0]
    assert waterfall.headers["content-type"].startswith("image/svg+xml")
    assert b"DASH-B-RECIST" in waterfall.content
    assert b"DASH-A-RECIST" not in waterfall.content
    assert spider.status_code == 200


def _retest_csv() -> bytes:
    rng = random.Random(3)
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["subject", "region", "scan", "value"])
    for s in range(12):
        for region, level in (("kidney", 6.0), ("liver", 9.0)):
            true = level + rng.gauss(0, 2.0)
            for scan in (1, 2):
                w.writerow([f"S{s:02d}", region, scan, f"{true + rng.gauss(0, 0.4):.3f}"])
    return out.getvalue().encode()


def test_repeatability_of_an_uploaded_csv(sqlite_server: Server) -> None:
    headers = {"Content-Type": "text/csv"}
    url = "/api/v1/analyses/repeatability"
    with sqlite_server.client("statistician-a") as c:
        r = c.post(url, content=_retest_csv(), headers=headers, params={"unit": "SUV"})
        empty = c.post(url, content=b"", headers=headers)
        wrong = c.post(url, content=b"a,b\n1,2\n", headers=headers)
    with sqlite_server.client("coordinator-a") as c:
        refused = c.post(url, content=_retest_csv(), headers=headers)
    assert r.status_code == 200, r.text
    doc = r.json()
    assert (doc["n_targets"], doc["k_repeats"]) == (24, 2)
    groups = [g["group"] for g in doc["results"]]
    assert groups == ["all", "kidney", "liver"]
    overall = doc["results"][0]
    icc = {e["form"]: e["value"] for e in overall["icc"]}
    assert 0.8 < icc["ICC(3,1)"] <= 1.0  # between-subject SD 2, within 0.4
    assert 0.2 < overall["wsd"] < 0.8
    assert len(doc["figures"]) == 3
    assert doc["figures"][0]["src"].startswith("data:image/png;base64,")
    assert doc["units"]["mean, wsd, rc, bias, loa"] == "SUV"
    assert empty.status_code == 422
    assert empty.json()["errors"][0]["field"] == "file"
    assert wrong.status_code == 422
    assert refused.status_code == 403


def test_outcome_model_of_an_uploaded_csv(sqlite_server: Server) -> None:
    rng = random.Random(5)
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["patient", "tumour_dose_gy", "response"])
    for i in range(60):
        dose = rng.uniform(5, 60)
        w.writerow([f"P{i:02d}", f"{dose:.1f}", "PR" if dose + rng.gauss(0, 12) > 30 else "PD"])
    params = {"predictors": "tumour_dose_gy", "outcome": "response", "positive": "PR",
              "bootstrap": 50}  # fmt: skip
    with sqlite_server.client("statistician-a") as c:
        r = c.post(
            "/api/v1/analyses/outcome-model",
            content=out.getvalue().encode(),
            headers={"Content-Type": "text/csv"},
            params=params,
        )
        missing = c.post(
            "/api/v1/analyses/outcome-model",
            content=out.getvalue().encode(),
            headers={"Content-Type": "text/csv"},
            params={**params, "predictors": "no_such_column"},
        )
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["family"] == "binomial"
    effect = next(e for e in doc["effects"] if e["model"] == "univariable")
    assert effect["term"] == "tumour_dose_gy"
    assert effect["value"] > 1.0  # more dose, higher odds of response
    assert doc["auc"]["auc"] > 0.7
    assert [f["name"] for f in doc["figures"]] == ["effects", "roc"]
    assert missing.status_code == 422
