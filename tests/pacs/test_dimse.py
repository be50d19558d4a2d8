"""DIMSE against a real Orthanc: C-FIND (same JSON as QIDO-RS) and C-GET (all or nothing)."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pydicom
import pytest
import typer
from pydicom.uid import generate_uid
from typer.testing import CliRunner

from theratrial.cli.pacs import register
from theratrial.pacs.deid_folder import dicom_files
from theratrial.pacs.dicomweb import push_files

from .conftest import OrthancServer

pytestmark = pytest.mark.filterwarnings("ignore:The value length:UserWarning")

runner = CliRunner()


def _app() -> typer.Typer:
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    register(app)
    return app


@pytest.fixture(scope="module")
def stored(
    orthanc_server: OrthancServer, shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    src = tmp_path_factory.mktemp("dimse") / "src"
    src.mkdir()
    study = generate_uid()  # the DRO series share one study UID: keep this one apart
    for path in sorted((shared_data / "suv-dro/DRO_3_2/PT").iterdir())[:6]:
        ds = pydicom.dcmread(path)
        ds.StudyInstanceUID = study
        ds.save_as(src / path.name)
    files, _ = dicom_files(src)
    push_files(orthanc_server.dicomweb, [p for p, _ in files], read=pydicom.dcmread)
    return src


def _dimse(server: OrthancServer) -> list[str]:
    return ["--dimse", f"127.0.0.1:{server.dicom_port}", "--called-ae", server.ae_title]


def test_c_find_matches_qido(orthanc_server: OrthancServer, stored: Path) -> None:
    uid = str(pydicom.dcmread(next(stored.iterdir())).StudyInstanceUID)
    args = ["pacs", "find", "--json", "--modality", "PT"]
    qido = runner.invoke(_app(), [*args, "--url", orthanc_server.dicomweb])
    cfind = runner.invoke(_app(), [*args, *_dimse(orthanc_server), "--calling-ae", "TT_TEST"])
    assert cfind.exit_code == 0, cfind.output
    assert json.loads(cfind.output) == json.loads(qido.output)
    assert uid in {s["study_uid"] for s in json.loads(cfind.output)}
    none = runner.invoke(
        _app(), ["pacs", "find", "--json", "--since", "2999-01-01", *_dimse(orthanc_server)]
    )
    assert none.exit_code == 0, none.output
    assert json.loads(none.output) == []


def test_c_get_pulls_the_whole_study(
    orthanc_server: OrthancServer, stored: Path, tmp_path: Path
) -> None:
    uid = str(pydicom.dcmread(next(stored.iterdir())).StudyInstanceUID)
    out = tmp_path / "pulled"
    pulled = runner.invoke(
        _app(), ["pacs", "pull", uid, *_dimse(orthanc_server), "--out", str(out)]
    )
    assert pulled.exit_code == 0, pulled.output
    assert "pulled 6 instances" in pulled.output
    for src in stored.iterdir():
        original = pydicom.dcmread(src)
        got = pydicom.dcmread(
            out / str(original.SeriesInstanceUID) / f"{original.SOPInstanceUID}.dcm"
        )
        assert got.PixelData == original.PixelData
        assert got.RescaleSlope == original.RescaleSlope
    assert [p.name for p in tmp_path.iterdir()] == ["pulled"]  # no staging folder left


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["--dimse", "nohostport", "--called-ae", "X"], "HOST:PORT"),
        (["--dimse", "127.0.0.1:104"], "--called-ae"),
        (["--dimse", "127.0.0.1:104", "--called-ae", "A\\B"], "AE title"),
        (["--url", "http://x", "--dimse", "127.0.0.1:104", "--called-ae", "X"], "exactly one"),
    ],
)
def test_bad_dimse_options(extra: list[str], words: str) -> None:
    result = runner.invoke(_app(), ["pacs", "find", *extra])
    assert result.exit_code == 2
    assert words in result.output


def test_unknown_study_and_down_pacs_leave_nothing(
    orthanc_server: OrthancServer, tmp_path: Path
) -> None:
    unknown = runner.invoke(
        _app(), ["pacs", "pull", "1.2.3.999", *_dimse(orthanc_server), "--out", str(tmp_path / "a")]
    )
    assert unknown.exit_code == 2, unknown.output
    down = runner.invoke(
        _app(),
        [
            "pacs",
            "pull",
            "1.2.3",
            "--dimse",
            f"127.0.0.1:{_closed_port()}",
            "--called-ae",
            "X",
            "--out",
            str(tmp_path / "b"),
        ],
    )
    assert down.exit_code == 2
    assert "check that the PACS is running" in down.output
    assert list(tmp_path.iterdir()) == []
