"""``theratrial report KIND``: each kind as PDF, its text holding the CLI JSON numbers."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from theratrial.cli.main import app
from theratrial.cli.report import register

runner = CliRunner()
report_app = typer.Typer()
register(report_app)

needs_pdftotext = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed"
)
TRIAL = "NCT01842165"


def _report(*args: str) -> Any:
    return runner.invoke(report_app, ["report", *args])


def _text(pdf: Path) -> str:
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True)
    return " ".join(out.stdout.decode("utf-8").split())


def _shown(value: float, digits: int = 4) -> str:
    """The number to the 4 significant digits the report shows (no exponent below 1e9)."""
    text = f"{value:.{digits}g}"
    return f"{float(text):.0f}" if "e+" in text else text


def _record_cycle(tmp_path: Path, db: Path, cycle: int, kidney_gy: float) -> None:
    rows = [
        {
            "region": "kidneys",
            "dose_gy": kidney_gy,
            "effective_half_life_h": 50.0,
            "alpha_beta_gy": 2.6,
            "repair_half_time_h": 2.8,
            "model": "mono_exponential",
            "mass_g": 310.0,
        },
        {"region": "red marrow", "dose_gy": 0.2, "effective_half_life_h": 60.0},
    ]
    dosi = tmp_path / f"c{cycle}.json"
    dosi.write_text(json.dumps(rows))
    result = runner.invoke(
        app,
        [
            "cycle",
            "record",
            "--patient",
            "REP-1",
            "--trial",
            TRIAL,
            "--cycle",
            str(cycle),
            "--activity-mbq",
            "7400",
            "--date",
            f"2026-0{cycle}-01",
            "--dosimetry",
            str(dosi),
            "--db",
            str(db),
        ],
    )
    assert result.exit_code == 0, result.output


@needs_pdftotext
def test_cycle_report_numbers_equal_plan_json_and_says_not_signed(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    _record_cycle(tmp_path, db, 1, 4.123456)
    _record_cycle(tmp_path, db, 2, 5.98765)
    plan = json.loads(
        runner.invoke(app, ["plan", "REP-1", "--trial", TRIAL, "--db", str(db), "--json"]).stdout
    )
    pdf = tmp_path / "cycle.pdf"
    result = _report(
        "cycle", "--patient", "REP-1", "--cycle", "2", "--db", str(db), "--out", str(pdf)
    )
    assert result.exit_code == 0, result.output
    text = _text(pdf)
    first = subprocess.run(
        ["pdftotext", "-l", "1", str(pdf), "-"], capture_output=True, check=True
    ).stdout.decode()
    assert "NOT SIGNED" in first
    assert f"recommended activity {_shown(plan['recommended_activity_mbq'])} MBq" in text
    for organ in plan["organs"]:
        assert _shown(organ["absorbed_dose_gy"]) in text
        if organ["bed_gy"] is not None:
            assert _shown(organ["bed_gy"]) in text
    for check in plan["limits"]:
        assert _shown(check["cumulative"]) in text
    assert "theratrial 0.1.0" in text
    assert "SHA-256" in text


def test_cycle_report_of_a_missing_cycle_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    _record_cycle(tmp_path, db, 1, 4.0)
    out = tmp_path / "c.html"
    result = _report(
        "cycle",
        "--patient",
        "REP-1",
        "--cycle",
        "3",
        "--trial",
        TRIAL,
        "--db",
        str(db),
        "--out",
        str(out),
    )
    assert result.exit_code == 2
    assert "no cycle 3" in result.output
    assert not out.exists()


@pytest.mark.parametrize("name", ["report.docx", "report"])
def test_unknown_suffix_is_refused(tmp_path: Path, name: str) -> None:
    result = _report(
        "screening", "--trial", TRIAL, "--db", str(tmp_path / "x.db"), "--out", str(tmp_path / name)
    )
    assert result.exit_code == 2
    assert "--out" in result.output
    assert ".html or .pdf" in " ".join(result.output.split())


ESCALATION_CSV = """patient_id,cohort,cycle,dose_level,dlt,event,grade,onset_date
E01,escalation-prrt-naive,1,DL1,no,,,
E02,escalation-prrt-naive,1,DL1,no,,,
E03,escalation-prrt-naive,1,DL1,no,,,
E04,escalation-prior-prrt,1,DL1,yes,thrombocytopenia,4,2026-02-01
E05,escalation-prior-prrt,1,DL1,no,,,
E06,escalation-prior-prrt,1,DL1,no,,,
"""


@needs_pdftotext
def test_escalation_report_holds_the_escalation_json(tmp_path: Path) -> None:
    db, csv = tmp_path / "e.db", tmp_path / "dlt.csv"
    csv.write_text(ESCALATION_CSV)
    args = ["--trial", "NCT06732505", "--db", str(db)]
    assert runner.invoke(app, ["dlt", "import", str(csv), *args]).exit_code == 0
    out = json.loads(
        runner.invoke(app, ["escalation", *args, "--json", "--as-of", "2026-06-01"]).stdout
    )
    pdf = tmp_path / "esc.pdf"
    result = _report("escalation", *args, "--as-of", "2026-06-01", "--out", str(pdf))
    assert result.exit_code == 0, result.output
    text = _text(pdf)
    for cohort in out["cohorts"]:
        assert f"Cohort {cohort['cohort']}" in text
        assert f"Decision: {cohort['decision']}" in text
        if cohort["next_level"] is not None:
            assert f"next level {_shown(cohort['next_level'])}" in text
    assert "thrombocytopenia" in text


@needs_pdftotext
def test_screening_report_counts_the_flow(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    patients = Path(__file__).parents[2] / "src/theratrial/data/patients"
    result = runner.invoke(app, ["screen", str(patients), "--trial", TRIAL, "--db", str(db)])
    assert result.exit_code == 0, result.output
    pdf = tmp_path / "screen.pdf"
    result = _report("screening", "--trial", TRIAL, "--db", str(db), "--out", str(pdf))
    assert result.exit_code == 0, result.output
    text = _text(pdf)
    n = len(list(patients.glob("*.yaml")))
    assert f"screened {n}" in text
    assert "Reasons for exclusion" in text


def _measurements(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    rows = []
    for s in range(12):
        for region, base in (("liver", 8.0), ("lesion", 30.0)):
            true = base * rng.lognormal(0, 0.3)
            for scan in (1, 2):
                rows.append((f"S{s}", region, scan, round(true * rng.lognormal(0, 0.1), 3)))
    path = tmp_path / "m.csv"
    pd.DataFrame(rows, columns=["subject", "region", "scan", "value"]).to_csv(path, index=False)
    return path


@needs_pdftotext
def test_repeatability_report_holds_the_repeatability_json(tmp_path: Path) -> None:
    csv = _measurements(tmp_path)
    out = json.loads(runner.invoke(app, ["repeatability", str(csv), "--json"]).stdout)
    pdf = tmp_path / "rep.pdf"
    result = _report("repeatability", str(csv), "--out", str(pdf))
    assert result.exit_code == 0, result.output
    text = _text(pdf)
    for block in [out["overall"], *out["groups"]]:
        for key in ("wsd", "wcv_pct", "rc"):
            assert _shown(block[key]) in text, key
        icc = block["icc"]["ICC(3,1)"]
        assert _shown(icc["ci_low"]) in text
        assert _shown(icc["ci_high"]) in text


ASSESSMENTS = {
    "patients": [
        {
            "id": "R1",
            "time_points": [
                {
                    "date": "2025-01-01",
                    "lesions": [
                        {"id": "L1", "organ": "liver", "measurement_mm": 40, "target": True},
                        {"id": "L2", "organ": "lymph node", "measurement_mm": 22, "target": True},
                    ],
                },
                {
                    "date": "2025-03-01",
                    "lesions": [
                        {"id": "L1", "measurement_mm": 27},
                        {"id": "L2", "measurement_mm": 14},
                    ],
                },
            ],
        },
        {
            "id": "R2",
            "time_points": [
                {
                    "date": "2025-01-05",
                    "lesions": [
                        {"id": "L1", "organ": "liver", "measurement_mm": 33, "target": True}
                    ],
                },
                {"date": "2025-03-07", "lesions": [{"id": "L1", "measurement_mm": 41}]},
            ],
        },
    ]
}


@needs_pdftotext
def test_response_report_holds_the_recist_json(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text(json.dumps(ASSESSMENTS))
    out = json.loads(runner.invoke(app, ["recist", str(path), "--json"]).stdout)
    pdf = tmp_path / "resp.pdf"
    result = _report("response", str(path), "--out", str(pdf))
    assert result.exit_code == 0, result.output
    text = _text(pdf)
    for patient in out["patients"]:
        assert f"{patient['patient_id']} {patient['best_overall_response']}" in text
        for tp in patient["time_points"]:
            assert _shown(tp["sum_mm"]) in text
            if tp["change_from_baseline_pct"] is not None:
                assert _shown(tp["change_from_baseline_pct"]) in text


@needs_pdftotext
def test_response_report_with_lesion_doses_shows_dose_and_rank_correlation(tmp_path: Path) -> None:
    path, doses = tmp_path / "a.json", tmp_path / "d.csv"
    path.write_text(json.dumps(ASSESSMENTS))
    doses.write_text("lesion_id,dose_gy,patient_id\nL1,61.5,R1\nL2,18.25,R1\nL1,7.75,R2\n")
    pdf = tmp_path / "resp.pdf"
    result = _report("response", str(path), "--doses", str(doses), "--out", str(pdf))
    assert result.exit_code == 0, result.output
    text = _text(pdf)
    for dose in ("61.5", "18.25", "7.75"):
        assert dose in text
    assert "absorbed dose (Gy)" in text
    assert "3 of 3 lesions have an absorbed dose" in text
    assert "Spearman rho" in text


def test_cycle_study_without_masks_exits_2(tmp_path: Path) -> None:
    result = _report(
        "cycle", "--patient", "REP-1", "--cycle", "1", "--study", str(tmp_path),
        "--db", str(tmp_path / "x.db"), "--out", str(tmp_path / "c.html"),
    )  # fmt: skip
    assert result.exit_code == 2
    assert "--study and --masks go together" in result.output
