"""Cycles in the store and next-cycle planning against the protocol's organ limits."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from theratrial.cli.main import app

runner = CliRunner()


def _dosimetry(path: Path, kidney_gy: float, marrow_gy: float = 0.2) -> Path:
    rows = [
        {
            "region": "kidneys",
            "dose_gy": kidney_gy,
            "effective_half_life_h": 50.0,
            "alpha_beta_gy": 2.6,
            "repair_half_time_h": 2.8,
            "model": "mono_exponential",
        },
        {"region": "red marrow", "dose_gy": marrow_gy, "effective_half_life_h": 60.0},
    ]
    path.write_text(json.dumps(rows))
    return path


def _record(tmp_path: Path, db: Path, cycle: int, kidney_gy: float) -> None:
    dosi = _dosimetry(tmp_path / f"c{cycle}.json", kidney_gy)
    result = runner.invoke(
        app,
        [
            "cycle",
            "record",
            "--patient",
            "PLAN-1",
            "--trial",
            "NCT01842165",
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


def _plan(db: Path) -> dict[str, Any]:
    result = runner.invoke(
        app, ["plan", "PLAN-1", "--trial", "NCT01842165", "--db", str(db), "--json"]
    )
    assert result.exit_code == 0, result.output
    plan: dict[str, Any] = json.loads(result.output)
    return plan


def test_full_activity_while_far_from_limits(tmp_path: Path) -> None:
    db = tmp_path / "p.sqlite"
    _record(tmp_path, db, 1, 3.0)
    plan = _plan(db)
    assert plan["next_cycle"] == 2
    assert plan["stop"] is False
    assert plan["reduced"] is False
    assert plan["recommended_activity_mbq"] == pytest.approx(7400.0)
    kidneys = next(o for o in plan["organs"] if o["organ"] == "kidneys")
    assert kidneys["absorbed_dose_gy"] == pytest.approx(3.0)


def test_reduced_activity_keeps_the_kidneys_under_23_gy(tmp_path: Path) -> None:
    db = tmp_path / "p.sqlite"
    for cycle in (1, 2, 3):
        _record(tmp_path, db, cycle, 6.0)  # 18 Gy so far, 0.81 Gy/GBq
    plan = _plan(db)
    assert plan["reduced"] is True
    assert plan["stop"] is False
    limit = next(
        ch
        for ch in plan["limits"]
        if ch["organ"] == "kidneys" and ch["quantity"] == "absorbed_dose_gy"
    )
    expected = (23.0 - 18.0) / (6.0 / 7.4) * 1000.0  # MBq that keep the kidneys at 23 Gy
    assert limit["max_activity_mbq"] == pytest.approx(expected, rel=1e-6)
    assert plan["recommended_activity_mbq"] <= expected + 1e-6


def test_stop_when_the_limit_is_reached(tmp_path: Path) -> None:
    db = tmp_path / "p.sqlite"
    for cycle in (1, 2):
        _record(tmp_path, db, cycle, 11.5)  # 23 Gy after two cycles
    plan = _plan(db)
    assert plan["stop"] is True
    assert any("kidneys" in reason for reason in plan["reasons"])


def test_bad_dosimetry_file_is_rejected(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"region": "kidneys"}]))
    result = runner.invoke(
        app,
        [
            "cycle",
            "record",
            "--patient",
            "P",
            "--trial",
            "NCT01842165",
            "--cycle",
            "1",
            "--activity-mbq",
            "7400",
            "--dosimetry",
            str(bad),
            "--db",
            str(tmp_path / "x.sqlite"),
        ],
    )
    assert result.exit_code == 2
    assert "dose_gy" in result.output


def _record_rows(tmp_path: Path, db: Path, trial: str, rows: list[dict], **extra: str) -> None:  # type: ignore[type-arg]
    path = tmp_path / "rows.json"
    path.write_text(json.dumps(rows))
    args = ["cycle", "record", "--patient", "BED-1", "--trial", trial, "--cycle", "1"]
    args += ["--activity-mbq", extra.get("activity", "7400"), "--dosimetry", str(path)]
    args += ["--db", str(db)] + (["--weight-kg", "70"] if "activity" in extra else [])
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output


def test_cumulative_bed_is_the_stored_bed_of_the_fitted_curve(tmp_path: Path) -> None:
    # A bi-exponential kidney curve: the dosimetry's BED used the G-factor of both phases
    # (larger than the mono-exponential G of the slow phase); the plan must add that BED,
    # not recompute it from the slow half-life alone.
    db = tmp_path / "p.sqlite"
    row = {
        "region": "kidneys",
        "dose_gy": 5.16292426827596,
        "bed_gy": 5.669662186816635,
        "effective_half_life_h": 60.0,
        "alpha_beta_gy": 2.6,
        "repair_half_time_h": 2.8,
        "model": "bi_exponential",
    }
    _record_rows(tmp_path, db, "NCT01842165", [row])
    result = runner.invoke(
        app, ["plan", "BED-1", "--trial", "NCT01842165", "--db", str(db), "--json"]
    )
    assert result.exit_code == 0, result.output
    kidneys = next(o for o in json.loads(result.output)["organs"] if o["organ"] == "kidneys")
    assert kidneys["bed_gy"] == pytest.approx(5.669662186816635, rel=1e-9)


def test_alpha_emitter_gets_no_bed_in_the_plan(tmp_path: Path) -> None:
    db = tmp_path / "p.sqlite"
    row = {
        "region": "kidneys",
        "dose_gy": 2.0,
        "bed_gy": None,
        "rbe_weighted_dose_gy": 9.8,
        "effective_half_life_h": 60.0,
        "model": "mono_exponential",
    }
    _record_rows(tmp_path, db, "NCT06732505", [row], activity="6.3")
    result = runner.invoke(
        app, ["plan", "BED-1", "--trial", "NCT06732505", "--db", str(db), "--json"]
    )
    assert result.exit_code == 0, result.output
    kidneys = next(o for o in json.loads(result.output)["organs"] if o["organ"] == "kidneys")
    assert kidneys["bed_gy"] is None
    assert kidneys["rbe_weighted_dose_gy"] == pytest.approx(9.8)


@pytest.mark.parametrize(
    ("content", "extra", "needle"),
    [
        ("nope", [], "invalid JSON"),
        ('[{"region": "kidneys", "dose_gy": "x"}]', [], "[0].dose_gy"),
        ('[{"region": "kidneys", "dose_gy": -3}]', [], "[0].dose_gy"),
        ('[{"region": "kidneys", "dose_gy": 3, "alpha_beta_gy": 0}]', [], "[0].alpha_beta_gy"),
        ("[]", ["--weight-kg", "-70"], "--weight-kg"),
        ("[]", ["--level", "DL9"], "DL9"),
    ],
)
def test_cycle_record_refuses_what_plan_could_not_read(
    tmp_path: Path, content: str, extra: list[str], needle: str
) -> None:
    path = tmp_path / "dosimetry.json"
    path.write_text(content)
    db = tmp_path / "x.sqlite"
    args = ["cycle", "record", "--patient", "BAD-1", "--trial", "NCT01842165", "--cycle", "1"]
    args += ["--activity-mbq", "7400", "--dosimetry", str(path), "--db", str(db), *extra]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert needle in result.output
    assert "Traceback" not in result.output
    # nothing was stored: the patient is still unknown to the trial, so there is no plan
    plan = runner.invoke(
        app, ["plan", "BAD-1", "--trial", "NCT01842165", "--db", str(db), "--json"]
    )
    assert plan.exit_code == 2
    assert "not enrolled" in plan.output


def test_plan_plots_cumulative_dose_against_the_limits(tmp_path: Path) -> None:
    db = tmp_path / "p.sqlite"
    for cycle in (1, 2):
        _record(tmp_path, db, cycle, 5.0)
    figure = tmp_path / "cumulative.png"
    args = ["plan", "PLAN-1", "--trial", "NCT01842165", "--db", str(db), "--plot", str(figure)]
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["plot"] == str(figure)
    assert figure.read_bytes()[:4] == b"\x89PNG"


def test_dosimetry_table_json_records_its_time_activity_points(tmp_path: Path) -> None:
    import sqlite3

    tac = tmp_path / "tac.csv"
    tac.write_text(
        "region,time_h,activity_mbq\nkidneys,4,60\nkidneys,24,50\nkidneys,96,25\nkidneys,168,12\n"
        "spleen,24,30\nspleen,96,15\nspleen,168,8\n"
    )
    masses = tmp_path / "masses.csv"
    masses.write_text("region,mass_g\nkidneys,300\nspleen,150\n")
    table = runner.invoke(app, ["dosimetry-table", str(tac), "--masses", str(masses), "--json"])
    assert table.exit_code == 0, table.output
    rows = json.loads(table.stdout)
    assert rows[0]["times_h"] == [4.0, 24.0, 96.0, 168.0]
    assert rows[1]["activity_mbq"] == [30.0, 15.0, 8.0]
    dosimetry = tmp_path / "dosimetry.json"
    dosimetry.write_text(table.stdout)
    db = tmp_path / "t.sqlite"
    args = ["cycle", "record", "--patient", "TAC-1", "--trial", "NCT01842165", "--cycle", "1"]
    args += ["--activity-mbq", "7400", "--dosimetry", str(dosimetry), "--db", str(db)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    with sqlite3.connect(db) as conn:
        points = conn.execute(
            "select region, time_h, activity_mbq from time_activity_points order by region, time_h"
        ).fetchall()
    assert len(points) == 7
    assert points[-1] == ("spleen", 168.0, 8.0)


# -- a plan needs a known, enrolled patient ----------------------------------------------


def _patients_in(db: Path) -> list[str]:
    import sqlite3

    with sqlite3.connect(db) as conn:
        return [r[0] for r in conn.execute("select pseudonym from patients")]


def test_plan_for_an_unknown_patient_says_what_is_missing(tmp_path: Path) -> None:
    # the issue: `plan UNKNOWN_ID` prescribed "cycle 1 - give 7,400 MBq"
    db = tmp_path / "p.sqlite"
    result = runner.invoke(app, ["plan", "UNKNOWN", "--trial", "NCT01842165", "--db", str(db)])
    assert result.exit_code == 2
    assert "7,400" not in result.output
    assert "field 'PATIENT'" in result.output
    assert "'UNKNOWN' is not enrolled in NCT01842165" in result.output
    assert "cycle record --patient UNKNOWN" in result.output  # what to record
    assert "--weight-kg" in result.output  # kBq/kg trials need the weight
    assert "Traceback" not in result.output
    assert _patients_in(db) == []  # asking never creates a patient


def test_a_recorded_cycle_enrols_only_in_its_own_trial(tmp_path: Path) -> None:
    db = tmp_path / "p.sqlite"
    _record(tmp_path, db, 1, 3.0)
    other = runner.invoke(app, ["plan", "PLAN-1", "--trial", "NCT06732505", "--db", str(db)])
    assert other.exit_code == 2
    assert "not enrolled in NCT06732505" in other.output
    assert _plan(db)["next_cycle"] == 2


def _store_screening(db: Path, trial: str, verdict: str, day: str = "2026-03-02") -> None:
    from dataclasses import replace

    from theratrial.eligibility import Verdict, parse_patient, screen
    from theratrial.protocol import find_protocol
    from theratrial.store import connect, save_screenings, session_scope

    protocol = find_protocol(trial)
    record = parse_patient(
        f"patient_id: SCR-1\nscreening_date: {day}\n"
        "demographics: {age_years: 64, sex: male, weight_kg: 72, height_cm: 176}\n"
    )
    screening = replace(screen(record, protocol), verdict=Verdict(verdict))
    engine = connect(str(db))
    with session_scope(engine) as session:
        save_screenings(session, [screening], [protocol])
    engine.dispose()


@pytest.mark.parametrize("verdict", ["ineligible", "incomplete"])
def test_no_plan_on_a_screening_that_is_not_eligible(tmp_path: Path, verdict: str) -> None:
    db = tmp_path / "p.sqlite"
    _store_screening(db, "NCT01842165", verdict)
    result = runner.invoke(app, ["plan", "SCR-1", "--trial", "NCT01842165", "--db", str(db)])
    assert result.exit_code == 2
    assert f"screened {verdict} on 2026-03-02" in result.output
    assert "MBq" not in result.output.split("(fix:")[0]


def test_an_eligible_screening_enrols_and_a_kbq_per_kg_plan_needs_the_weight(
    tmp_path: Path,
) -> None:
    db = tmp_path / "p.sqlite"
    _store_screening(db, "NCT01842165", "eligible")
    result = runner.invoke(
        app, ["plan", "SCR-1", "--trial", "NCT01842165", "--db", str(db), "--json"]
    )
    assert result.exit_code == 0, result.output
    plan = json.loads(result.output)
    assert plan["next_cycle"] == 1
    assert plan["prescribed_activity_mbq"] == pytest.approx(7400.0)
    _store_screening(db, "NCT06732505", "eligible")
    no_weight = runner.invoke(app, ["plan", "SCR-1", "--trial", "NCT06732505", "--db", str(db)])
    assert no_weight.exit_code == 2
    assert "field '--weight-kg'" in no_weight.output
    weighed = ["plan", "SCR-1", "--trial", "NCT06732505", "--weight-kg", "70", "--json"]
    result = runner.invoke(app, [*weighed, "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["prescribed_activity_mbq"] == pytest.approx(6.3)


# -- physically implausible cycles are refused, never stored -----------------------------


@pytest.mark.parametrize(
    ("extra", "dose_gy", "needle"),
    [
        (["--activity-mbq", "1e12"], None, "field '--activity-mbq': administered activity 1e+12"),
        (["--activity-mbq", "7400", "--date", "2099-01-01"], None, "field '--date'"),
        (["--activity-mbq", "7400"], 1e308, "field '[0].dose_gy': absorbed dose 1e+308 Gy"),
    ],
)
def test_cycle_record_refuses_physically_implausible_values(
    tmp_path: Path, extra: list[str], dose_gy: float | None, needle: str
) -> None:
    import sqlite3

    db = tmp_path / "x.sqlite"
    args = ["cycle", "record", "--patient", "P1", "--trial", "NCT01842165", "--cycle", "1"]
    if dose_gy is not None:
        args += ["--dosimetry", str(_dosimetry(tmp_path / "d.json", dose_gy))]
    result = runner.invoke(app, [*args, *extra, "--db", str(db)])
    assert result.exit_code == 2, result.output
    assert needle in result.output
    assert (
        "at most" in result.output or "ceiling" in result.output or "after today" in result.output
    )
    assert "Traceback" not in result.output
    if db.exists():
        with sqlite3.connect(db) as conn:
            assert conn.execute("select count(*) from treatment_cycles").fetchone() == (0,)


def test_cycle_record_date_tomorrow_is_refused_today_is_kept(tmp_path: Path) -> None:
    import datetime as dt

    db = tmp_path / "x.sqlite"
    today = dt.date.today()
    args = ["cycle", "record", "--patient", "P1", "--trial", "NCT01842165", "--cycle", "1"]
    args += ["--activity-mbq", "7400", "--db", str(db), "--date"]
    late = runner.invoke(app, [*args, (today + dt.timedelta(days=1)).isoformat()])
    assert late.exit_code == 2
    assert f"after today ({today.isoformat()})" in late.output
    assert runner.invoke(app, [*args, today.isoformat()]).exit_code == 0


def test_cycle_record_before_the_eligible_screening_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "x.sqlite"
    _store_screening(db, "NCT01842165", "eligible", day="2026-03-02")
    args = ["cycle", "record", "--patient", "SCR-1", "--trial", "NCT01842165", "--cycle", "1"]
    args += ["--activity-mbq", "7400", "--db", str(db), "--date"]
    early = runner.invoke(app, [*args, "2026-02-20"])
    assert early.exit_code == 2
    assert "field '--date'" in early.output
    assert "screening for NCT01842165 on 2026-03-02" in early.output
    assert runner.invoke(app, [*args, "2026-03-16"]).exit_code == 0


def test_cycle_record_activity_at_the_dispensing_tolerance(tmp_path: Path) -> None:
    db = tmp_path / "x.sqlite"
    args = ["cycle", "record", "--patient", "P1", "--trial", "NCT06732505", "--cycle", "1"]
    args += ["--level", "DL1", "--weight-kg", "70", "--db", str(db), "--activity-mbq"]
    assert runner.invoke(app, [*args, "6.93"]).exit_code == 0  # 6.3 MBq + 10 %
    over = runner.invoke(app, [*args, "6.94"])
    assert over.exit_code == 2
    assert "at most 6.93 MBq (dose level DL1: 90 kBq/kg x 70 kg = 6.3 MBq" in over.output


# -- the one pseudonym rule (theratrial.ids), checked before the store is opened ---------


@pytest.mark.parametrize("patient", ["../x", "P1\n", "John Smith", ".hidden"])
def test_plan_refuses_what_is_not_a_pseudonym(tmp_path: Path, patient: str) -> None:
    db = tmp_path / "p.sqlite"
    result = runner.invoke(app, ["plan", patient, "--trial", "NCT01842165", "--db", str(db)])
    assert result.exit_code == 2
    assert "field 'PATIENT_ID'" in result.output
    assert "pseudonym" in result.output
    assert "Traceback" not in result.output
    assert not db.exists()  # no store access at all


@pytest.mark.parametrize("patient", ["../x", "P1\n", "John Smith"])
def test_cycle_record_refuses_what_is_not_a_pseudonym(tmp_path: Path, patient: str) -> None:
    db = tmp_path / "p.sqlite"
    dosimetry = tmp_path / "missing.json"  # never read: the id is checked first
    args = ["cycle", "record", "--patient", patient, "--trial", "NCT01842165", "--cycle", "1"]
    args += ["--activity-mbq", "7400", "--dosimetry", str(dosimetry), "--db", str(db)]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "field '--patient'" in result.output
    assert "pseudonym" in result.output
    assert not db.exists()


def test_plan_plot_into_a_missing_folder_exits_2_before_the_store(tmp_path: Path) -> None:
    db = tmp_path / "p.sqlite"
    figure = tmp_path / "figs" / "cumulative.png"
    args = ["plan", "PLAN-1", "--trial", "NCT01842165", "--db", str(db), "--plot", str(figure)]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "field '--plot'" in result.output
    assert not figure.parent.exists()
    assert not db.exists()


def test_plan_table_fits_80_columns(tmp_path: Path) -> None:
    db = tmp_path / "p.sqlite"
    _record(tmp_path, db, 1, 5.0)
    result = runner.invoke(
        app, ["plan", "PLAN-1", "--trial", "NCT01842165", "--db", str(db)], env={"COLUMNS": "80"}
    )
    assert result.exit_code == 0, result.output
    assert "…" not in result.output
    assert all(len(line) <= 80 for line in result.output.splitlines()), result.output
    limits = _plan(db)["limits"]
    shown = set(result.output.replace("│", " ").split())
    for ch in limits:
        assert f"{ch['limit']:g}" in shown
        if ch["max_activity_mbq"] is not None:
            assert f"{ch['max_activity_mbq']:,.0f}" in shown, result.output
