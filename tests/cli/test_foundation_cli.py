"""The foundation commands: trials, protocol validate, screen, demo."""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path

import pytest
from rich.console import Console
from rich.table import Table
from typer.testing import CliRunner

from theratrial.cli._common import console, fit_table
from theratrial.cli.main import app

runner = CliRunner()

PATIENT = {
    "patient_id": "CLI-001",
    "screening_date": "2026-03-02",
    "planned_treatment_date": "2026-03-16",
    "demographics": {"birth_date": "1961-05-04", "sex": "male", "weight_kg": 72, "height_cm": 176},
    "ecog": 1,
    "diagnosis": {
        "histology": "NET",
        "grade": "G2",
        "ki67_pct": 8,
        "primary_site": "pancreas",
        "histology_confirmed": True,
        "extent": "metastatic",
        "resectable": False,
    },
    "labs": [
        {
            "name": "creatinine",
            "value": 140,
            "unit": "umol/L",
            "ref_high": 110,
            "date": "2026-02-25",
        },
        {"name": "alt", "value": 90, "unit": "U/L", "ref_high": 40, "date": "2026-02-25"},
    ],
    "lesions": [
        {"id": "L1", "site": "liver", "long_axis_mm": 34, "modality": "CT", "date": "2026-02-20"}
    ],
    "consent": {"signed": True, "date": "2026-03-01"},
}


@pytest.fixture
def patient_file(tmp_path: Path) -> Path:
    path = tmp_path / "patient.json"
    path.write_text(json.dumps(PATIENT))
    return path


def test_trials_lists_the_three_seed_trials() -> None:
    result = runner.invoke(app, ["trials", "--json"])
    assert result.exit_code == 0, result.output
    ids = {t["id"] for t in json.loads(result.output)}
    assert ids == {"NCT03335670", "NCT01842165", "NCT06732505"}


def test_screen_json_contract(patient_file: Path) -> None:
    result = runner.invoke(app, ["screen", str(patient_file), "--trial", "NCT06732505", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {"patient_id", "trial_id", "verdict", "criteria"} <= data.keys()
    assert data["patient_id"] == "CLI-001"
    assert data["verdict"] in {"eligible", "ineligible", "incomplete"}
    for c in data["criteria"]:
        assert {"id", "kind", "label", "status", "reason", "evidence"} <= c.keys()
        assert c["status"] in {"met", "not_met", "unknown", "needs_review"}
    by_id = {c["id"]: c for c in data["criteria"]}
    # 140 umol/L with ULN 110 umol/L = 1.27 x ULN -> the OR criterion is met
    assert by_id["IN10a"]["status"] == "met"
    # ALT 2.25 x ULN with a liver lesion -> the 5 x ULN branch applies
    assert by_id["IN10g"]["status"] in {"met", "unknown"}  # AST missing -> unknown
    assert by_id["EX16"]["kind"] == "attestation"
    assert by_id["EX16"]["status"] == "needs_review"


def test_screen_all_ranks_every_trial(patient_file: Path) -> None:
    result = runner.invoke(app, ["screen", str(patient_file), "--all", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert len(data) == 3
    order = {"eligible": 0, "incomplete": 1, "ineligible": 2}
    ranks = [order[d["verdict"]] for d in data]
    assert ranks == sorted(ranks)


def test_screen_stores_in_the_database(patient_file: Path, tmp_path: Path) -> None:
    db = tmp_path / "screen.sqlite"
    result = runner.invoke(app, ["screen", str(patient_file), "--all", "--db", f"sqlite:///{db}"])
    assert result.exit_code == 0, result.output
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from screenings").fetchone()[0] == 3
        assert conn.execute("select pseudonym from patients").fetchall() == [("CLI-001",)]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda p: p["labs"][0].update(unit="mg/dq"), "labs[0].unit"),
        (lambda p: p["labs"][0].update(date="2026-13-01"), "labs[0].date"),
        (lambda p: p["demographics"].pop("sex"), "demographics.sex"),
        (lambda p: p.update(ecog="one"), "ecog"),
    ],
)
def test_bad_patient_input_is_one_clear_line(tmp_path: Path, mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    record = json.loads(json.dumps(PATIENT))
    mutate(record)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(record))
    result = runner.invoke(app, ["screen", str(path), "--trial", "NCT06732505", "--json"])
    assert result.exit_code == 2
    assert message in result.output
    assert str(path) in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("lab", "message"),
    [
        # both are found only while screening: the unit cannot become the criterion's unit,
        # and Cockcroft-Gault needs a positive creatinine
        ({"name": "haemoglobin", "value": 12, "unit": "U/L", "date": "2026-02-25"}, "unit"),
        ({"name": "creatinine", "value": 0, "unit": "mg/dL", "date": "2026-02-27"}, "value"),
    ],
)
def test_input_errors_found_while_screening_name_the_file_and_store_nothing(
    tmp_path: Path, lab: dict[str, object], message: str
) -> None:
    good = tmp_path / "records" / "a.json"
    good.parent.mkdir()
    good.write_text(json.dumps(PATIENT))
    bad = tmp_path / "records" / "b.json"
    labs = [*PATIENT["labs"], lab]  # type: ignore[misc]
    bad.write_text(json.dumps({**PATIENT, "patient_id": "CLI-002", "labs": labs}))
    db = tmp_path / "screen.sqlite"
    result = runner.invoke(app, ["screen", str(good.parent), "--all", "--db", str(db)])
    assert result.exit_code == 2
    assert f"{bad}: field 'labs[2].{message}'" in result.output
    assert "Traceback" not in result.output
    assert not db.exists()


def test_invalid_json_and_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "broken.json"
    bad.write_text('{"patient_id": ')
    result = runner.invoke(app, ["screen", str(bad), "--all"])
    assert result.exit_code == 2
    assert "broken.json" in result.output
    result = runner.invoke(app, ["screen", str(tmp_path / "missing.json"), "--all"])
    assert result.exit_code == 2
    assert "file not found" in result.output


def test_unknown_trial_and_bad_date(patient_file: Path) -> None:
    result = runner.invoke(app, ["screen", str(patient_file), "--trial", "NCT00000000"])
    assert result.exit_code == 2
    assert "NCT06732505" in result.output  # the message lists the known trials
    result = runner.invoke(app, ["screen", str(patient_file), "--all", "--date", "03/02/2026"])
    assert result.exit_code == 2
    assert "YYYY-MM-DD" in result.output


def test_protocol_validate_accepts_bundled_and_rejects_malformed(tmp_path: Path) -> None:
    from importlib import resources

    good = resources.files("theratrial.protocol") / "trials" / "NCT06732505.yaml"
    path = tmp_path / "good.yaml"
    path.write_text(good.read_text())
    result = runner.invoke(app, ["protocol", "validate", str(path), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["valid"] is True

    text = path.read_text().replace(
        'op: "<=", uln: 1.5}', 'op: "<=", uln: 1.5, unit: x, typo: 1}', 1
    )
    broken = tmp_path / "broken.yaml"
    broken.write_text(text)
    line = next(i for i, row in enumerate(text.splitlines(), start=1) if "typo: 1" in row)
    result = runner.invoke(app, ["protocol", "validate", str(broken)])
    assert result.exit_code == 2
    assert f"broken.yaml:{line}" in result.output
    assert "criteria[" in result.output


def test_demo_runs_and_stores(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = runner.invoke(app, ["demo", "--out", str(out), "--virtual", "2", "--grid", "64"])
    assert result.exit_code == 0, result.output
    with sqlite3.connect(out / "theratrial.sqlite") as conn:
        n_patients = conn.execute("select count(*) from patients").fetchone()[0]
        n_screenings = conn.execute("select count(*) from screenings").fetchone()[0]
        liver = conn.execute(
            "select m.value, m.unit from measurements m join vois v on v.id = m.voi_pk "
            "where v.name = 'liver' and m.quantity = 'mean'"
        ).fetchall()
    assert n_patients >= 12 + 2
    assert n_screenings == 3 * n_patients
    assert len(liver) == 2  # one liver SUVmean per virtual patient
    assert all(unit == "g/mL" and 1.0 < value < 30.0 for value, unit in liver)
    # running again starts from a clean output folder
    again = runner.invoke(app, ["demo", "--out", str(out), "--virtual", "1", "--grid", "48"])
    assert again.exit_code == 0, again.output


def test_missing_screening_date_is_stated(tmp_path: Path) -> None:
    record = {k: v for k, v in PATIENT.items() if k != "screening_date"}
    path = tmp_path / "nodate.json"
    path.write_text(json.dumps(record))
    result = runner.invoke(app, ["screen", str(path), "--trial", "NCT06732505", "--json"])
    assert result.exit_code == 0, result.output
    assert any("no screening_date" in a for a in json.loads(result.output)["assumptions"])


def test_pseudonym_characters_are_accepted_by_the_store(tmp_path: Path) -> None:
    record = dict(PATIENT, patient_id="SITE-01_P.007")
    path = tmp_path / "p.json"
    path.write_text(json.dumps(record))
    db = tmp_path / "p.sqlite"
    assert runner.invoke(app, ["screen", str(path), "--all", "--db", str(db)]).exit_code == 0


def test_unreadable_encoding_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("patient_id: \xe9\n".encode("latin-1"))
    result = runner.invoke(app, ["screen", str(path), "--all"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


# -- one pseudonym rule: screen refuses what dlt and cycle refuse --------------------------

BAD_IDS = ["../../etc/passwd", "Pé-01", "患者1", "SMITH^JOHN", ".hidden"]


@pytest.mark.parametrize("bad", BAD_IDS)
def test_screen_refuses_ids_that_dlt_and_cycle_refuse(tmp_path: Path, bad: str) -> None:
    path = tmp_path / "p.json"
    path.write_text(json.dumps({**PATIENT, "patient_id": bad}))
    db = tmp_path / "s.sqlite"
    result = runner.invoke(app, ["screen", str(path), "--all", "--db", str(db)])
    assert result.exit_code == 2, result.output
    line = " ".join(result.output.split())
    assert f"{path}: field 'patient_id'" in line
    assert "pseudonym" in line
    assert "Traceback" not in result.output
    assert not db.exists()  # refused before anything is stored
    dlt = ["dlt", "add", "--trial", "NCT06732505", "--patient", bad, "--level", "DL1"]
    dlt += ["--cohort", "escalation-prrt-naive", "--no-dlt", "--db", str(tmp_path / "d.sqlite")]
    assert runner.invoke(app, dlt).exit_code == 2


def test_screen_and_dlt_accept_the_same_pseudonym(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text(json.dumps({**PATIENT, "patient_id": "SITE-01_P.007"}))
    assert runner.invoke(app, ["screen", str(path), "--trial", "NCT06732505"]).exit_code == 0
    dlt = ["dlt", "add", "--trial", "NCT06732505", "--patient", "SITE-01_P.007", "--level"]
    dlt += ["DL1", "--cohort", "escalation-prrt-naive", "--no-dlt"]
    result = runner.invoke(app, [*dlt, "--db", str(tmp_path / "d.sqlite")])
    assert result.exit_code == 0, result.output


def test_demo_does_not_create_missing_parent_folders(tmp_path: Path) -> None:
    out = tmp_path / "absent" / "demo"
    result = runner.invoke(app, ["demo", "--out", str(out), "--virtual", "0"])
    assert result.exit_code == 2
    line = " ".join(result.output.split())
    assert f"{out}: field '--out'" in line
    assert f"{out.parent} does not exist" in line
    assert not out.parent.exists()


# -- tables fit the terminal and never hide a number ---------------------------------------


def _render(table: Table, width: int) -> str:
    out = Console(width=width, file=io.StringIO(), color_system=None)
    out.print(fit_table(table, width=width))
    text = out.file.getvalue()
    assert isinstance(text, str)
    assert all(len(line.rstrip()) <= width for line in text.splitlines())
    assert "…" not in text
    return text


def _numbers_table() -> Table:
    table = Table(title="wide")
    headers = ["group", "n", "mean", "wSD", "RC", "wCV %", "ICC(3,1)", "ICC(2,1)", "bias", "LoA"]
    for name in headers:
        table.add_column(name, justify="left" if name == "group" else "right")
    for group in ("all", "lesion_segment_07"):
        table.add_row(
            group, "24", "19.42", "2.206", "6.114", "7.87", "0.972", "0.97", "-0.3282",
            "-4.86 to 6.93",
        )  # fmt: skip
    return table


@pytest.mark.parametrize("width", [200, 100, 80, 60, 40])
def test_fit_table_keeps_every_number_whole(width: int) -> None:
    text = _render(_numbers_table(), width)
    tokens = set(text.split())
    for number in ("19.42", "2.206", "6.114", "7.87", "0.972", "0.97", "-0.3282", "-4.86"):
        assert number in tokens, (width, text)
    assert "lesion_segment_07" in tokens


def test_fit_table_layouts() -> None:
    assert "┃" in _render(_numbers_table(), 200)  # fits: the table as it was
    compact = _render(_numbers_table(), 100)  # too wide boxed: no box, one line per row
    assert "┃" not in compact
    assert "│" not in compact
    assert len([ln for ln in compact.splitlines() if "19.42" in ln]) == 2  # a line per row
    vertical = _render(_numbers_table(), 40)  # one key/value block per row
    assert [ln.split() for ln in vertical.splitlines() if ln.startswith("mean")] == [
        ["mean", "19.42"],
        ["mean", "19.42"],
    ]


def test_fit_table_wraps_text_at_spaces_before_going_vertical() -> None:
    table = Table(title="screening")
    for name in ("criterion", "status", "reason"):
        table.add_column(name)
    reason = "creatinine clearance 48.5 mL/min is below the protocol's 50 mL/min " * 2
    table.add_row("INC-07", "[red]not_met[/]", reason)
    text = _render(table, 60)
    assert "┃" in text  # still a table: the long reason wraps
    assert {"48.5", "mL/min", "INC-07", "not_met"} <= set(text.split())


def test_the_console_follows_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    # the CLI tests set COLUMNS through CliRunner's env: the shared console must follow it
    monkeypatch.setenv("COLUMNS", "80")
    assert console.width == 80
    monkeypatch.setenv("COLUMNS", "132")
    assert console.width == 132


def test_screen_table_at_80_columns_stays_a_table_and_cuts_nothing() -> None:
    record = Path(__file__).resolve().parents[2] / "src/theratrial/data/patients/DEMO-001.yaml"
    args = ["screen", str(record), "--trial", "NCT06732505"]
    data = json.loads(runner.invoke(app, [*args, "--json"]).stdout)
    result = runner.invoke(app, args, env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert "…" not in result.stdout
    assert all(len(line) <= 80 for line in result.stdout.splitlines())
    assert "┃ criterion" in result.stdout  # long words in the prose columns fold
    shown = set(result.stdout.split())
    assert {c["id"] for c in data["criteria"]} <= shown
    assert {c["status"] for c in data["criteria"]} <= shown
