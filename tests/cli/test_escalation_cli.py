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


def _import(csv_file: Path, db: Path, *extra: str) -> object:
    return runner.invoke(
        app, ["dlt", "import", str(csv_file), "--trial", "NCT06732505", "--db", str(db), *extra]
    )


HEAD = "patient_id,cohort,cycle,dose_level,dlt,event,grade,onset_date,administered_date\n"


def test_one_patient_without_dlt_is_wait_not_escalate(tmp_path: Path) -> None:
    """Item 1: the exact report: one patient, no DLT -> it said 'escalate to 120 kBq/kg'."""
    csv_file = tmp_path / "one.csv"
    csv_file.write_text(HEAD + "E01,escalation-prrt-naive,1,DL1,no,,,,2026-01-05\n")
    db = tmp_path / "e.sqlite"
    assert _import(csv_file, db).exit_code == 0  # type: ignore[attr-defined]
    args = ["escalation", "--trial", "NCT06732505", "--db", str(db), "--json"]
    out = json.loads(runner.invoke(app, [*args, "--as-of", "2026-01-20"]).output)
    naive = {c["cohort"]: c for c in out["cohorts"]}["escalation-prrt-naive"]
    assert naive["decision"] == "wait"
    kinds = {m["kind"]: m for m in naive["missing"]}
    assert kinds["enrol"]["patients"] == 2
    assert kinds["dlt_window"]["patient_id"] == "E01"
    assert kinds["dlt_window"]["window_ends"] == "2026-03-02"
    assert (out["cohort_size"], out["dlt_window_days"]) == (3, 56)


def test_complete_cohort_waits_for_the_last_window(tmp_path: Path) -> None:
    csv_file = tmp_path / "three.csv"
    rows = [f"E0{i},escalation-prrt-naive,1,DL1,no,,,,2026-01-0{i}\n" for i in (1, 2, 5)]
    csv_file.write_text(HEAD + "".join(rows))
    db = tmp_path / "e.sqlite"
    assert _import(csv_file, db).exit_code == 0  # type: ignore[attr-defined]
    args = ["escalation", "--trial", "NCT06732505", "--db", str(db), "--json"]
    for as_of, decision in (("2026-03-02", "wait"), ("2026-03-03", "escalate")):
        out = json.loads(runner.invoke(app, [*args, "--as-of", as_of]).output)
        naive = {c["cohort"]: c for c in out["cohorts"]}["escalation-prrt-naive"]
        assert naive["decision"] == decision


@pytest.mark.parametrize(
    ("rows", "words"),
    [
        (
            "E01,escalation-prrt-naive,1,DL1,no,,,,\nE01,escalation-prrt-naive,1,DL1,no,,,,\n",
            "repeats row 2",
        ),
        (
            "E01,escalation-prrt-naive,1,DL1,no,,,,\n"
            "E01,escalation-prrt-naive,1,DL1,yes,neutropenia,4,,\n",
            "contradicts row 2",
        ),
    ],
)
def test_duplicate_and_conflicting_rows_are_refused(tmp_path: Path, rows: str, words: str) -> None:
    """Item 2: duplicates were 'imported 3' and counted once; conflicts let the last win."""
    csv_file = tmp_path / "dup.csv"
    csv_file.write_text(HEAD + rows)
    db = tmp_path / "e.sqlite"
    result = _import(csv_file, db)
    assert result.exit_code == 2  # type: ignore[attr-defined]
    assert "dup.csv:3:" in result.output  # type: ignore[attr-defined]
    assert words in result.output  # type: ignore[attr-defined]
    assert _escalate(db)["escalation-prrt-naive"]["estimates"][0]["n"] == 0


def test_second_import_is_refused_and_a_correction_keeps_its_reason(tmp_path: Path) -> None:
    csv_file = tmp_path / "dlt.csv"
    csv_file.write_text(CSV)
    db = tmp_path / "e.sqlite"
    assert _import(csv_file, db).exit_code == 0  # type: ignore[attr-defined]
    again = _import(csv_file, db)
    assert again.exit_code == 2  # type: ignore[attr-defined]
    assert "already stored as record #" in again.output  # type: ignore[attr-defined]
    assert _escalate(db)["escalation-prrt-naive"]["estimates"][0]["n"] == 3
    fix = tmp_path / "fix.csv"
    fix.write_text(CSV.splitlines()[0] + "\nE04,escalation-prior-prrt,1,DL1,no,,,\n")
    no_reason = _import(fix, db, "--correct")
    assert no_reason.exit_code == 2  # type: ignore[attr-defined]
    assert "--reason" in no_reason.output  # type: ignore[attr-defined]
    done = _import(fix, db, "--correct", "--reason", "adjudication: not a DLT")
    assert done.exit_code == 0, done.output  # type: ignore[attr-defined]
    assert "corrected 1" in done.output  # type: ignore[attr-defined]
    assert _escalate(db)["escalation-prior-prrt"]["estimates"][0]["dlt"] == 0
    from theratrial.store import connect, session_scope
    from theratrial.store.dlt import dlt_rows

    with session_scope(connect(str(db))) as session:
        row = next(r for p, r in dlt_rows(session, trial_id="NCT06732505") if p == "E04")
        assert row.correction_reason == "adjudication: not a DLT"
        assert row.corrections[0]["previous"]["dlt"] is True  # type: ignore[index]


def test_dlt_add_twice_is_refused_unless_corrected(tmp_path: Path) -> None:
    db = tmp_path / "e.sqlite"
    args = ["dlt", "add", "--trial", "NCT06732505", "--patient", "E10", "--level", "DL1"]
    args += ["--cohort", "escalation-prrt-naive", "--no-dlt", "--db", str(db)]
    assert runner.invoke(app, args).exit_code == 0
    second = runner.invoke(app, args)
    assert second.exit_code == 2
    assert "already stored" in second.output
    fixed = runner.invoke(app, [*args, "--correct", "--reason", "CRF query 3"])
    assert fixed.exit_code == 0, fixed.output
    assert _escalate(db)["escalation-prrt-naive"]["estimates"][0]["n"] == 1


def test_escalation_table_is_readable_at_80_columns(tmp_path: Path) -> None:
    csv_file = tmp_path / "dlt.csv"
    csv_file.write_text(CSV)
    db = tmp_path / "e.sqlite"
    _import(csv_file, db)
    result = runner.invoke(
        app,
        ["escalation", "--trial", "NCT06732505", "--db", str(db), "--as-of", "2026-06-01"],
        env={"COLUMNS": "80"},
    )
    assert result.exit_code == 0, result.output
    assert max(len(line) for line in result.output.splitlines()) <= 80
    assert "escalation-prior-prrt" in result.output  # ids and numbers never cut
    assert "120 kBq/kg (DL2)" in result.output


# -- the one pseudonym rule (theratrial.ids) ---------------------------------------------


def _patients_in(db: Path) -> list[str]:
    import sqlite3

    if not db.exists():
        return []
    with sqlite3.connect(db) as conn:
        return [r[0] for r in conn.execute("select pseudonym from patients")]


@pytest.mark.parametrize("patient", ["P1\n", " P1", "P1 ", "../P1", "John Smith"])
def test_dlt_add_refuses_what_is_not_a_pseudonym(tmp_path: Path, patient: str) -> None:
    # the issue: `.strip()` silently turned "P1\n" into "P1"
    db = tmp_path / "e.sqlite"
    args = ["dlt", "add", "--trial", "NCT06732505", "--patient", patient, "--level", "DL1"]
    result = runner.invoke(app, [*args, "--cohort", "escalation-prrt-naive", "--db", str(db)])
    assert result.exit_code == 2
    assert "field '--patient'" in result.output
    assert "pseudonym" in result.output
    assert "Traceback" not in result.output
    assert _patients_in(db) == []


@pytest.mark.parametrize("patient", ["E09 ", " E09", "E 09", "../E09"])
def test_dlt_import_names_file_and_row_of_a_bad_pseudonym(tmp_path: Path, patient: str) -> None:
    csv_file = tmp_path / "dlt.csv"
    csv_file.write_text(CSV + f"{patient},escalation-prrt-naive,1,DL1,no,,,\n")
    db = tmp_path / "esc.sqlite"
    result = _import(csv_file, db)
    assert result.exit_code == 2  # type: ignore[attr-defined]
    line = result.output  # type: ignore[attr-defined]
    assert "dlt.csv:8:" in line
    assert "field 'patient_id'" in line
    assert "pseudonym" in line
    assert _patients_in(db) == []  # all rows or none


# 3/3 without DLT at 90 kBq/kg, then 1/3 with a DLT at 120 kBq/kg: 0.333 at the current level
AT_DL2 = """patient_id,cohort,cycle,dose_level,dlt,event,grade,onset_date
N01,escalation-prrt-naive,1,DL1,no,,,
N02,escalation-prrt-naive,1,DL1,no,,,
N03,escalation-prrt-naive,1,DL1,no,,,
N04,escalation-prrt-naive,1,DL2,yes,thrombocytopenia,4,2026-02-01
N05,escalation-prrt-naive,1,DL2,no,,,
N06,escalation-prrt-naive,1,DL2,no,,,
"""


def _protocol_with_target(tmp_path: Path, target: str) -> Path:
    from importlib import resources

    folder = resources.files("theratrial.protocol") / "trials"
    source = (folder / "NCT06732505.yaml").read_text(encoding="utf-8")
    text = source.replace("id: NCT06732505\n", "id: PHASE1-T30\n", 1)
    text = text.replace(
        "registry_ids: [NCT06732505, IIT-XT024-1-01]", "registry_ids: [PHASE1-T30]", 1
    )
    text = text.replace(
        "  cohort_size: 3\n", f"  cohort_size: 3\n  design: BOIN\n  target_dlt_rate: {target}\n", 1
    )
    path = tmp_path / "phase1.yaml"
    path.write_text(text)
    return path


def _decide(db: Path, trial: str, *extra: str) -> dict:  # type: ignore[type-arg]
    result = runner.invoke(app, ["escalation", "--trial", trial, "--db", str(db), "--json", *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)  # type: ignore[no-any-return]


def test_the_protocol_states_the_design_and_target_that_decide(tmp_path: Path) -> None:
    # BOIN (Liu & Yuan 2015): target 0.25 -> lambda_d 0.298, target 0.30 -> lambda_d 0.358.
    # 1/3 at the current level (0.333) de-escalates at 0.25 and stays at 0.30.
    csv_file = tmp_path / "dlt.csv"
    csv_file.write_text(AT_DL2)
    stated = str(_protocol_with_target(tmp_path, "0.3"))
    for trial, db in (("NCT06732505", tmp_path / "a.sqlite"), (stated, tmp_path / "b.sqlite")):
        result = runner.invoke(app, ["dlt", "import", str(csv_file), "--trial", trial,
                                     "--db", str(db)])  # fmt: skip
        assert result.exit_code == 0, result.output
    assumed = _decide(tmp_path / "a.sqlite", "NCT06732505")
    assert (assumed["design"], assumed["target"], assumed["design_source"]) == (
        "boin", 0.25, "assumed")  # fmt: skip
    naive = {c["cohort"]: c for c in assumed["cohorts"]}["escalation-prrt-naive"]
    assert naive["decision"] == "de-escalate"
    assert naive["next_level_id"] == "DL1"

    own = _decide(tmp_path / "b.sqlite", stated)
    assert (own["design"], own["target"], own["design_source"]) == ("boin", 0.3, "protocol")
    naive = {c["cohort"]: c for c in own["cohorts"]}["escalation-prrt-naive"]
    assert naive["decision"] == "stay"
    assert naive["next_level_id"] == "DL2"

    asked = _decide(tmp_path / "b.sqlite", stated, "--target", "0.25")
    assert (asked["target"], asked["design_source"]) == (0.25, "request")
    naive = {c["cohort"]: c for c in asked["cohorts"]}["escalation-prrt-naive"]
    assert naive["decision"] == "de-escalate"

    table = runner.invoke(
        app, ["escalation", "--trial", stated, "--db", str(tmp_path / "b.sqlite")]
    )
    assert table.exit_code == 0, table.output
    assert "boin, target 0.3, as the protocol states" in " ".join(table.output.split())
