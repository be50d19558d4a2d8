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
from pathlib import Path

import pytest

ORTHANC = "/usr/sbin/Orthanc"
DICOMWEB_PLUGIN = "/usr/share/orthanc/plugins/libOrthancDicomWeb.so"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def orthanc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The DICOMweb root URL of a fresh Orthanc."""
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
        "RemoteAccessAllowed": False,
        "AuthenticationEnabled": False,
        "Plugins": [DICOMWEB_PLUGIN],
        "DicomWeb": {"Enable": True, "Root": "/dicom-web/", "Host": f"127.0.0.1:{http}"},
    }
    (root / "config.json").write_text(json.dumps(config))
    log = (root / "orthanc.log").open("w")
    proc = subprocess.Popen([ORTHANC, str(root / "config.json")], stdout=log, stderr=log)
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
        yield f"{base}/dicom-web"
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()
        shutil.rmtree(root, ignore_errors=True)
