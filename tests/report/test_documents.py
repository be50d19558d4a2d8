"""The document model and its rendering: provenance, units, signatures, stored fits, doses."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from theratrial.dosimetry.fit import fit_tac
from theratrial.dosimetry.tac import time_activity_curve
from theratrial.errors import TableError
from theratrial.protocol import find_protocol
from theratrial.report._cycle_figures import fitted_activity_mbq
from theratrial.report.cycle_report import cycle_document
from theratrial.report.documents import (
    Document,
    Input,
    Section,
    SignatureLine,
    Table,
    folder_input,
    render_html,
    write_report,
)
from theratrial.report.lesion_dose import join_lesion_doses, read_lesion_doses
from theratrial.store import connect, session_scope

TRIAL = "NCT01842165"
T_H = np.array([4.0, 24.0, 72.0, 168.0])
UW = {"a_mbq": 40.0, "lambda_washout_per_h": 0.008, "lambda_uptake_per_h": 0.2}


def _signature(valid: bool, when: dt.datetime) -> SignatureLine:
    return SignatureLine("phys1", "physicist", "approved (cycle dosimetry)", when, "ab" * 32, valid)


def _doc(*signatures: SignatureLine) -> Document:
    return Document(
        "cycle",
        "Cycle 1 dosimetry",
        sections=(
            Section("Doses", tables=(Table(("region", "dose (Gy)"), (("kidneys", "4.1"),)),)),
        ),
        protocol=TRIAL,
        protocol_sha256="c" * 64,
        inputs=(Input("stored cycle", f"{TRIAL}/P1/1", "d" * 64),),
        signatures=signatures,
        signatures_expected=True,
        banner=None if any(s.valid for s in signatures) else "NOT SIGNED: no valid approval",
    )


def test_provenance_is_stated() -> None:
    html = render_html(_doc())
    assert "theratrial 0.1.0" in html
    assert "c" * 64 in html
    assert "d" * 64 in html
    assert f"{TRIAL}/P1/1" in html


@pytest.mark.parametrize(
    ("when", "shown"),
    [
        (dt.datetime(2026, 3, 1, 14, 5, 9, tzinfo=dt.UTC), "2026-03-01 14:05:09 UTC"),
        # signed in Brussels (UTC+1 in March): shown in UTC, not as local time labelled UTC
        (
            dt.datetime(2026, 3, 1, 15, 5, 9, tzinfo=dt.timezone(dt.timedelta(hours=1))),
            "2026-03-01 14:05:09 UTC",
        ),
        (dt.datetime(2026, 3, 1, 14, 5, 9), "2026-03-01 14:05:09 UTC"),  # stored naive = UTC
    ],
)
def test_a_signature_shows_meaning_role_and_utc_time(when: dt.datetime, shown: str) -> None:
    html = render_html(_doc(_signature(True, when)))
    assert "approved (cycle dosimetry) by phys1 (physicist)" in html
    assert shown in html
    assert "NOT SIGNED" not in html
    assert "VOID" not in html


def test_a_void_signature_is_shown_void_and_the_document_unsigned() -> None:
    html = render_html(_doc(_signature(False, dt.datetime(2026, 3, 1, tzinfo=dt.UTC))))
    assert "VOID: the data changed after signing" in html
    assert "NOT SIGNED" in html


def test_unsigned_expected_says_not_signed() -> None:
    html = render_html(_doc())
    assert html.count("NOT SIGNED") >= 2  # the page-1 banner and the signatures block


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext is not installed")
def test_not_signed_is_on_page_one_of_the_pdf(tmp_path: Path) -> None:
    pdf = write_report(_doc(), tmp_path / "c.pdf")
    first = subprocess.run(["pdftotext", "-l", "1", str(pdf), "-"], capture_output=True, check=True)
    assert "NOT SIGNED" in first.stdout.decode()


T_FIT_H = np.array([1.0, 4.0, 24.0, 72.0, 168.0])


@pytest.mark.parametrize(
    ("model", "activity"),
    [
        ("mono_exponential", 60 * np.exp(-0.02 * T_FIT_H)),
        ("bi_exponential", 60 * np.exp(-0.02 * T_FIT_H) + 30 * np.exp(-0.2 * T_FIT_H)),
        ("uptake_washout", 50 * (np.exp(-0.01 * T_FIT_H) - np.exp(-0.3 * T_FIT_H))),
    ],
)
def test_a_stored_fit_is_drawn_as_the_fit_evaluates(model: str, activity: np.ndarray) -> None:
    fit = fit_tac(time_activity_curve(T_FIT_H, activity, region="r", nuclide="Lu-177"), model)
    assert fit.success, fit.message
    grid = np.linspace(0.0, 200.0, 41)
    drawn = fitted_activity_mbq(model, fit.parameter_values(), nuclide_name="Lu-177", times_h=grid)
    assert drawn is not None
    np.testing.assert_allclose(drawn, fit.evaluate(grid), rtol=1e-9, atol=1e-9)


def _cycle_db(tmp_path: Path) -> str:
    """One cycle recorded as ``theratrial cycle record`` does, with stored fits and TAC."""
    from typer.testing import CliRunner

    from theratrial.cli.main import app

    uw = UW["a_mbq"] * (np.exp(-UW["lambda_washout_per_h"] * T_H) - np.exp(-0.2 * T_H))
    rows = [
        {"region": "lesion_01", "model": "uptake_washout", "parameters": UW, "aicc": 1.5,
         "dose_gy": 30.5, "mass_g": 12.0, "tia_mbq_h": 4800.0, "s_value_source": "sphere model",
         "warnings": ["3 points"], "times_h": list(T_H), "activity_mbq": list(uw)},
        {"region": "kidneys", "model": "mono_exponential", "dose_gy": 4.1,
         "parameters": {"a_mbq": 120.0, "lambda_per_h": 0.0139}},
    ]  # fmt: skip
    dosimetry = tmp_path / "d.json"
    dosimetry.write_text(json.dumps(rows))
    db = tmp_path / "c.db"
    args = ["cycle", "record", "--patient", "P1", "--trial", TRIAL, "--cycle", "1"]
    args += ["--activity-mbq", "7400", "--date", "2026-01-05", "--dosimetry", str(dosimetry)]
    result = CliRunner().invoke(app, [*args, "--db", str(db)])
    assert result.exit_code == 0, result.output
    return str(db)


def test_cycle_report_numbers_carry_units_and_the_fit_table_is_shown(tmp_path: Path) -> None:
    url = _cycle_db(tmp_path)
    engine = connect(url)
    with session_scope(engine) as session:
        doc = cycle_document(session, find_protocol(TRIAL), "P1", 1)
    engine.dispose()
    unitless = {"cycle", "cycles", "region", "organ", "model", "AICc", "dose level", "reached"}
    number = re.compile(r"^-?\d+(\.\d+)?(e[-+]?\d+)?$")
    for section in doc.sections:
        for table in section.tables:
            for i, column in enumerate(table.columns):
                values = [row[i] for row in table.rows]
                if any(number.match(v) for v in values) and column not in unitless:
                    assert "(" in column, f"{section.heading}: column {column!r} has no unit"
    headings = [s.heading for s in doc.sections]
    assert "Time-activity models" in headings
    assert "Assumptions" in headings
    models = next(s for s in doc.sections if s.heading == "Time-activity models").tables[0]
    lesion = next(r for r in models.rows if r[0] == "lesion_01")
    assert lesion[3] == "1.5"
    assert "3 points" in lesion[-1]
    assert "MBq" in lesion[2]
    assert "1/h" in lesion[2]


def test_folder_input_changes_with_any_file(tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(b"1")
    first = folder_input(tmp_path, kind="study").sha256
    (tmp_path / "a").write_bytes(b"2")
    assert folder_input(tmp_path, kind="study").sha256 != first


def test_lesion_doses_are_read_and_joined(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("lesion_id,dose_gy\nL1,40\nL2,10.5\n")
    doses = read_lesion_doses(path)
    points = join_lesion_doses({"R1": {"L1": -32.5}, "R2": {"L2": 15.0}}, doses)
    assert [(p.patient_id, p.lesion_id, p.dose_gy, p.best_change_pct) for p in points] == [
        ("R1", "L1", 40.0, -32.5),
        ("R2", "L2", 10.5, 15.0),
    ]
    with pytest.raises(TableError, match="patients R1, R2"):
        join_lesion_doses({"R1": {"L1": 1.0}, "R2": {"L1": 2.0}}, doses, file=path)


@pytest.mark.parametrize(
    ("text", "field"),
    [("lesion,dose\nL1,4\n", "lesion_id"), ("lesion_id,dose_gy\nL1,-4\n", "dose_gy"),
     ("lesion_id,dose_gy\nL1,4\nL1,5\n", "lesion_id")],
)  # fmt: skip
def test_bad_lesion_doses_name_file_and_field(tmp_path: Path, text: str, field: str) -> None:
    path = tmp_path / "d.csv"
    path.write_text(text)
    with pytest.raises(TableError) as info:
        read_lesion_doses(path)
    assert info.value.field == field
    assert info.value.file == str(path)
