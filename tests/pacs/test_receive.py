"""``theratrial receive``: a C-STORE SCP that files whole studies, atomically, per association."""

from __future__ import annotations

import json
import logging
import shutil
import socket
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pydicom
import pytest
import typer
from pydicom.uid import generate_uid
from pynetdicom import AE, StoragePresentationContexts
from typer.testing import CliRunner

from theratrial.cli.pacs import register
from theratrial.pacs.dicomweb import push_files
from theratrial.pacs.receive import Receiver, start_receiver

from .conftest import OrthancServer

pytestmark = pytest.mark.filterwarnings("ignore:The value length:UserWarning")

SERIES = "suv-dro/DRO_3_1/PT"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[tuple[Receiver, int]]:
    port = _free_port()
    rec, server = start_receiver(tmp_path / "in", port=port, host="127.0.0.1")
    try:
        yield rec, port
    finally:
        server.shutdown()


def _scu(port: int) -> Any:
    ae = AE(ae_title="SCANNER")
    ae.requested_contexts = StoragePresentationContexts
    assoc = ae.associate("127.0.0.1", port, ae_title="THERATRIAL")
    assert assoc.is_established
    return assoc


def _series(shared_data: Path, n: int) -> list[pydicom.Dataset]:
    return [pydicom.dcmread(p) for p in sorted((shared_data / SERIES).iterdir())[:n]]


def _visible(root: Path) -> list[Path]:
    return sorted(
        p.relative_to(root) for p in root.rglob("*.dcm") if not p.parts[-4].startswith(".")
    )


def _wait(predicate: Any, seconds: float = 10) -> None:
    end = time.monotonic() + seconds
    while not predicate() and time.monotonic() < end:
        time.sleep(0.02)


def test_released_association_files_the_whole_study(
    receiver: tuple[Receiver, int], shared_data: Path
) -> None:
    rec, port = receiver
    datasets = _series(shared_data, 5)
    study, series = str(datasets[0].StudyInstanceUID), str(datasets[0].SeriesInstanceUID)
    assoc = _scu(port)
    for ds in datasets:
        assert assoc.send_c_store(ds).Status == 0x0000
        assert not (rec.out / study).exists()  # nothing visible before the release
    assoc.release()
    _wait(lambda: rec.stats.associations_released == 1)
    files = sorted((rec.out / study / series).iterdir())
    assert [f.name for f in files] == sorted(f"{ds.SOPInstanceUID}.dcm" for ds in datasets)
    for ds in datasets:
        got = pydicom.dcmread(rec.out / study / series / f"{ds.SOPInstanceUID}.dcm")
        assert got.PixelData == ds.PixelData
    assert [p.name for p in rec.out.iterdir()] == [study]  # staging folder gone
    # A second association adds to the same study folder.
    assoc = _scu(port)
    more = _series(shared_data, 7)[5:]
    for ds in more:
        assert assoc.send_c_store(ds).Status == 0x0000
    assoc.release()
    _wait(lambda: rec.stats.associations_released == 2)
    assert len(list((rec.out / study / series).iterdir())) == 7


def test_aborted_association_leaves_nothing(
    receiver: tuple[Receiver, int], shared_data: Path
) -> None:
    rec, port = receiver
    assoc = _scu(port)
    for ds in _series(shared_data, 3):
        assert assoc.send_c_store(ds).Status == 0x0000
    assoc.abort()
    _wait(lambda: rec.stats.associations_aborted == 1)
    assert list(rec.out.iterdir()) == []


@pytest.mark.filterwarnings("ignore:Invalid value for VR UI:UserWarning")
def test_malformed_instance_is_refused_without_identifiers(
    receiver: tuple[Receiver, int], shared_data: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rec, port = receiver
    good, bad, evil = _series(shared_data, 3)
    del bad.StudyInstanceUID
    evil.SeriesInstanceUID = "../../escape"
    assoc = _scu(port)
    with caplog.at_level(logging.WARNING, logger="theratrial.pacs.receive"):
        assert assoc.send_c_store(good).Status == 0x0000
        assert assoc.send_c_store(bad).Status == 0xA900
        assert assoc.send_c_store(evil).Status == 0xA900
        assoc.release()
        _wait(lambda: rec.stats.associations_released == 1)
    refusals = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert len(refusals) == 2
    assert all("SCANNER" in line for line in refusals)
    for line in refusals:
        assert str(good.PatientName) not in line
        assert str(good.PatientID) not in line
    assert len(_visible(rec.out)) == 1
    assert rec.stats.instances_refused == 2


def test_orthanc_sends_a_study(
    orthanc_server: OrthancServer, receiver: tuple[Receiver, int], shared_data: Path
) -> None:
    rec, port = receiver
    study = generate_uid()  # the DRO series share one study UID: keep this one apart
    datasets = {}
    for path in sorted((shared_data / "suv-dro/DRO_3_0/PT").iterdir())[:4]:
        datasets[path] = pydicom.dcmread(path)
        datasets[path].StudyInstanceUID = study
    push_files(orthanc_server.dicomweb, list(datasets), read=datasets.__getitem__)
    body = json.dumps({"AET": "THERATRIAL", "Host": "127.0.0.1", "Port": port}).encode()
    base = orthanc_server.rest
    urllib.request.urlopen(
        urllib.request.Request(f"{base}/modalities/tt", data=body, method="PUT"), timeout=10
    ).close()
    with urllib.request.urlopen(f"{base}/tools/lookup", data=study.encode(), timeout=10) as r:
        (found,) = json.loads(r.read())
    with urllib.request.urlopen(
        f"{base}/modalities/tt/store", data=json.dumps([found["ID"]]).encode(), timeout=30
    ) as r:
        r.read()
    _wait(lambda: rec.stats.associations_released >= 1)
    assert len(list((rec.out / study).rglob("*.dcm"))) == 4


def test_receive_cli_rejects_bad_options(tmp_path: Path) -> None:
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    register(app)
    runner = CliRunner()
    bad_ae = runner.invoke(app, ["receive", "--ae-title", "A\\B", "--out", str(tmp_path / "o")])
    assert bad_ae.exit_code == 2
    assert "--ae-title" in bad_ae.output
    busy = socket.socket()
    busy.bind(("0.0.0.0", 0))
    busy.listen()
    try:
        port = busy.getsockname()[1]
        taken = runner.invoke(app, ["receive", "--port", str(port), "--out", str(tmp_path / "o")])
    finally:
        busy.close()
    assert taken.exit_code == 2
    assert "cannot listen on port" in taken.output
    missing = runner.invoke(app, ["receive", "--out", str(tmp_path / "no/such")])
    assert missing.exit_code == 2
    shutil.rmtree(tmp_path / "o", ignore_errors=True)


def test_receive_command_files_and_stops_on_sigterm(shared_data: Path, tmp_path: Path) -> None:
    """The command as users run it: a process that files studies until it is stopped."""
    import signal
    import subprocess
    import sys

    port = _free_port()
    script = (
        "import typer\nfrom theratrial.cli.pacs import register\n"
        "app = typer.Typer(add_completion=False)\nregister(app)\napp()\n"
    )
    out = tmp_path / "in"
    proc = subprocess.Popen(
        [sys.executable, "-c", script, "receive", "--port", str(port), "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait(lambda: _listening(port), seconds=30)
        datasets = _series(shared_data, 3)
        assoc = _scu(port)
        for ds in datasets:
            assert assoc.send_c_store(ds).Status == 0x0000
        assoc.release()
        study = out / str(datasets[0].StudyInstanceUID)
        _wait(lambda: len(list(study.rglob("*.dcm"))) == 3)
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, output
    assert "filed 3 instances from AE SCANNER" in output
    assert "stopped: filed 3 instances, refused 0" in output
    assert str(datasets[0].PatientName) not in output


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True
