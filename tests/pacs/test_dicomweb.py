"""DICOMweb against a real Orthanc: STOW-RS push, QIDO-RS find, WADO-RS pull (through the CLI)."""

from __future__ import annotations

import json
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


def test_push_find_pull_against_orthanc(orthanc: str, shared_data: Path, tmp_path: Path) -> None:
    src = _dro(shared_data, tmp_path, n=5)
    pushed = runner.invoke(_app(), ["pacs", "push", str(src), "--url", orthanc])
    assert pushed.exit_code == 0, pushed.output
    found = runner.invoke(_app(), ["pacs", "find", "--url", orthanc, "--json"])
    assert found.exit_code == 0, found.output
    studies = json.loads(found.output)
    uid = str(pydicom.dcmread(next(src.iterdir())).StudyInstanceUID)
    (study,) = [s for s in studies if s["study_uid"] == uid]
    assert study["patient_id"] == "DRO_3_3" or study["patient_id"]
    assert study["modalities"] == ["PT"]
    assert study["date"] == "2025-01-01"
    pulled = runner.invoke(
        _app(), ["pacs", "pull", uid, "--url", orthanc, "--out", str(tmp_path / "pulled")]
    )
    assert pulled.exit_code == 0, pulled.output
    got = sorted(p.name for p in (tmp_path / "pulled").rglob("*.dcm"))
    want = sorted(f"{pydicom.dcmread(p).SOPInstanceUID}.dcm" for p in src.iterdir())
    assert got == want
    unknown = runner.invoke(
        _app(), ["pacs", "pull", "1.2.3.999", "--url", orthanc, "--out", str(tmp_path / "none")]
    )
    assert unknown.exit_code == 2
    assert not (tmp_path / "none").exists()
