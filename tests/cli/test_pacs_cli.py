"""``theratrial deid`` and ``theratrial pacs find|pull|push`` (against a real Orthanc)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pydicom
import pytest
import typer
from typer.testing import CliRunner

from theratrial.cli.pacs import register

pytestmark = pytest.mark.filterwarnings("ignore:The value length:UserWarning")

runner = CliRunner()


def _app() -> typer.Typer:
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    register(app)
    return app


def _dro(shared_data: Path, tmp_path: Path, n: int = 4) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    for path in sorted((shared_data / "suv-dro/DRO_3_3/PT").iterdir())[:n]:
        shutil.copy(path, src / path.name)
    return src


def test_deid_keeps_one_shift_per_pseudonym(shared_data: Path, tmp_path: Path) -> None:
    src = _dro(shared_data, tmp_path)
    db = str(tmp_path / "t.sqlite")
    first = runner.invoke(
        _app(), ["deid", str(src), str(tmp_path / "a"), "--pseudonym", "NET-101", "--db", db]
    )
    assert first.exit_code == 0, first.output
    second = runner.invoke(
        _app(), ["deid", str(src), str(tmp_path / "b"), "--pseudonym", "NET-101", "--db", db]
    )
    assert second.exit_code == 0, second.output
    a = pydicom.dcmread(next((tmp_path / "a").rglob("*.dcm")))
    b = pydicom.dcmread(next((tmp_path / "b").rglob("*.dcm")))
    assert a.PatientID == "NET-101"
    assert a.StudyDate == b.StudyDate != "20250101"
    assert a.StudyInstanceUID == b.StudyInstanceUID  # same trial secret, same UIDs
    clash = runner.invoke(
        _app(),
        [
            "deid",
            str(src),
            str(tmp_path / "c"),
            "--pseudonym",
            "NET-101",
            "--date-shift-days",
            "5",
            "--db",
            db,
        ],
    )
    assert clash.exit_code == 2
    assert "--date-shift-days" in clash.output
    assert not (tmp_path / "c").exists()


def test_deid_with_given_shift(shared_data: Path, tmp_path: Path) -> None:
    src = _dro(shared_data, tmp_path, n=1)
    result = runner.invoke(
        _app(),
        [
            "deid",
            str(src),
            str(tmp_path / "o"),
            "--pseudonym",
            "NET-102",
            "--date-shift-days",
            "-31",
            "--db",
            str(tmp_path / "t.sqlite"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert pydicom.dcmread(next((tmp_path / "o").rglob("*.dcm"))).StudyDate == "20241201"


def test_pacs_down_is_one_line(tmp_path: Path) -> None:
    result = runner.invoke(
        _app(), ["pacs", "find", "--url", "http://127.0.0.1:9/dicom-web", "--json"]
    )
    assert result.exit_code == 2
    assert "QIDO-RS" in result.output
    assert "fix:" in result.output
