"""A real Orthanc PACS for the tests: own config and storage in a temp folder, loopback ports.

Started once per session, stopped by its process id; the tests that need it skip with a
clear reason when Debian's ``orthanc`` (with ``orthanc-dicomweb``) is not installed.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ORTHANC = "/usr/sbin/Orthanc"
DICOMWEB_PLUGIN = "/usr/share/orthanc/plugins/libOrthancDicomWeb.so"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class OrthancServer:
    """Where the test Orthanc answers: REST root, DICOMweb root, DIMSE port and AE title."""

    rest: str
    dicomweb: str
    dicom_port: int
    ae_title: str = "ORTHANC"


@pytest.fixture(scope="session")
def orthanc(orthanc_server: OrthancServer) -> str:
    """The DICOMweb root URL of a fresh Orthanc."""
    return orthanc_server.dicomweb


@pytest.fixture(scope="session")
def orthanc_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OrthancServer]:
    """A fresh Orthanc (DICOMweb and DIMSE; C-FIND and C-GET allowed to any calling AE)."""
    if not (Path(ORTHANC).exists() and Path(DICOMWEB_PLUGIN).exists()):
        pytest.skip(
            "Orthanc with its DICOMweb plugin is not installed (apt-get install orthanc "
            "orthanc-dicomweb)"
        )
    root = tmp_path_factory.mktemp("orthanc")
    http, dicom = _free_port(), _free_port()
    config = {
        "Name": "theratrial-test",
        "StorageDirectory": str(root / "storage"),
        "IndexDirectory": str(root / "index"),
        "HttpPort": http,
        "DicomPort": dicom,
        "DicomAet": "ORTHANC",
        "DicomAlwaysAllowFind": True,
        "DicomAlwaysAllowGet": True,
        "DicomAlwaysAllowStore": True,
        "DicomCheckCalledAet": False,
        "RemoteAccessAllowed": False,
        "AuthenticationEnabled": False,
        "Plugins": [DICOMWEB_PLUGIN],
        "DicomWeb": {"Enable": True, "Root": "/dicom-web/", "Host": f"127.0.0.1:{http}"},
    }
    (root / "config.json").write_text(json.dumps(config))
    log = (root / "orthanc.log").open("w")
    # DCMTK's TCP_NODELAY=1 turns Nagle off: C-GET sub-operations 60 ms -> 13 ms each.
    proc = subprocess.Popen(
        [ORTHANC, str(root / "config.json")],
        stdout=log,
        stderr=log,
        env={**os.environ, "TCP_NODELAY": "1"},
    )
    base = f"http://127.0.0.1:{http}"
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"{base}/system", timeout=1):
                    break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail(f"Orthanc did not start: {(root / 'orthanc.log').read_text()[-500:]}")
        yield OrthancServer(rest=base, dicomweb=f"{base}/dicom-web", dicom_port=dicom)
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()
        shutil.rmtree(root, ignore_errors=True)
