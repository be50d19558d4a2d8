"""DLT records in the store and independent escalation per cohort (NCT06732505)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from theratrial.cli.main import app

runner = CliRunner()

CSV = """patient_id,cohort,cycle,dose_level,dlt,event,grade,onset_date
E01,escalation-prrt-naive,1,DL1,no,,,
E02,escalation-prrt-naive,1,DL1,no,,,
E03,escalation-prrt-naive,1,DL1,no,,,
E04,escalation-prior-prrt,1,DL1,yes,thrombocytopenia,4,2026-02-01
E05,escalation-prior-prrt,1,DL1,no,,,
E06,escalation-prior-prrt,1,DL1,no,,,
"""


def _escalate(db: Path) -> dict[str, dict]:  # type: ignore[type-arg]
    result = runner.invoke(app, ["escalation", "--trial", "NCT06732505", "--db", str(db), "--json"])
    assert result.exit_code == 0, result.output
    return {c["cohort"]: c for c in json.loads(result.output)["cohorts"]}


def test_cohorts_escalate_independently(tmp_path: Path) -> None:
    csv_file = tmp_path / "dlt.csv"
    csv_file.write_text(CSV)
    db = tmp_path / "esc.sqlite"
    result = runner.invoke(
        app, ["dlt", "import", str(csv_file), "--trial", "NCT06732505", "--db", str(db)]
    )
    assert result.exit_code == 0, result.output
    out = _escalate(db)
    # 0/3 at 90 kBq/kg: BOIN (target 0.25, lambda_e 0.1968) escalates to 120
    assert out["escalation-prrt-naive"]["decision"] == "escalate"
    assert out["escalation-prrt-naive"]["next_level_id"] == "DL2"
    # 1/3 at 90 kBq/kg: 0.333 lies between lambda_e and lambda_d=0.2984 -> above it: de-escalate,
    # which at the lowest level means stay
    assert out["escalation-prior-prrt"]["decision"] == "stay"
    assert out["escalation-prior-prrt"]["next_level"] == 90.0

    # one more patient without DLT in the prior-PRRT cohort: 1/4 = 0.25 -> stay at 90
    result = runner.invoke(
        app,
        [
            "dlt",
            "add",
            "--trial",
            "NCT06732505",
            "--patient",
            "E07",
            "--cohort",
            "escalation-prior-prrt",
            "--level",
            "DL1",
            "--no-dlt",
            "--db",
            str(db),
        ],
    )
    assert result.exit_code == 0, result.output
    assert _escalate(db)["escalation-prior-prrt"]["estimates"][0]["n"] == 4
    # the naive cohort did not change
    assert _escalate(db)["escalation-prrt-naive"]["estimates"][0]["n"] == 3


def test_bad_rows_store_nothing(tmp_path: Path) -> None:
    csv_file = tmp_path / "dlt.csv"
    csv_file.write_text(CSV + "E08,escalation-prrt-naive,1,DL9,no,,,\n")
    db = tmp_path / "esc.sqlite"
    result = runner.invoke(
        app, ["dlt", "import", str(csv_file), "--trial", "NCT06732505", "--db", str(db)]
    )
    assert result.exit_code == 2
    assert "DL9" in result.output
    assert _escalate(db)["escalation-prrt-naive"]["estimates"][0]["n"] == 0


def test_missing_column_is_named(tmp_path: Path) -> None:
    csv_file = tmp_path / "dlt.csv"
    csv_file.write_text("patient_id,cohort,cycle,dose_level\nE01,escalation-prrt-naive,1,DL1\n")
    result = runner.invoke(
        app,
        [
            "dlt",
            "import",
            str(csv_file),
            "--trial",
            "NCT06732505",
            "--db",
            str(tmp_path / "x.sqlite"),
        ],
    )
    assert result.exit_code == 2
    assert "dlt" in result.output
    assert "dlt.csv" in result.output


def test_a_dlt_without_event_is_refused_before_it_is_stored(tmp_path: Path) -> None:
    db = tmp_path / "esc.sqlite"
    args = ["dlt", "add", "--trial", "NCT06732505", "--patient", "E09", "--level", "DL1"]
    args += ["--cohort", "escalation-prrt-naive", "--dlt", "--db", str(db)]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "--event" in result.output
    assert "Traceback" not in result.output
    # nothing unreadable was kept: the escalation still runs
    out = _escalate(db)
    assert out["escalation-prrt-naive"]["decision"] == "stay"


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ("E01,escalation-prrt-naive,1,DL1,yes,,4,", "event"),
        ("E01,escalation-prrt-naive,1,DL1,no,,7,", "grade"),
        ("E01,escalation-prrt-naive,0,DL1,no,,,", "cycle"),
        (",escalation-prrt-naive,1,DL1,no,,,", "patient_id"),
        ("E01,escalation-prrt-naive,1,DL9,no,,,", "dose_level"),
        ("E01,no-such-cohort,1,DL1,no,,,", "cohort"),
    ],
)
def test_import_names_the_row_and_column(tmp_path: Path, row: str, field: str) -> None:
    csv_file = tmp_path / "dlt.csv"
    csv_file.write_text(CSV.splitlines()[0] + "\n" + CSV.splitlines()[1] + "\n" + row + "\n")
    db = tmp_path / "esc.sqlite"
    result = runner.invoke(
        app, ["dlt", "import", str(csv_file), "--trial", "NCT06732505", "--db", str(db)]
    )
    assert result.exit_code == 2
    assert "dlt.csv:3:" in result.output
    assert f"field '{field}'" in result.output
    assert "Traceback" not in result.output


def test_unreadable_skeleton_exits_2(tmp_path: Path) -> None:
    args = ["escalation", "--trial", "NCT06732505", "--db", str(tmp_path / "e.sqlite")]
    result = runner.invoke(app, [*args, "--design", "crm", "--skeleton", "0.1,x"])
    assert result.exit_code == 2
    assert "--skeleton" in result.output
    assert "Traceback" not in result.output
