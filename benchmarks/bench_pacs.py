"""PACS throughput; prints numbers, asserts nothing.

1. De-identification of the shared real data (instances per second).
2. Studies per minute for pull + de-identify + quantify of a 4-series virtual patient
   (PET, PET re-test, CT and the phantom's SEG filed in one study) from a local Orthanc,
   pulled over DICOMweb (WADO-RS) and over DIMSE (C-GET).
3. Instances per second received by ``theratrial receive`` (C-STORE SCP, one association,
   filed atomically on release).

Run: ``.venv/bin/python benchmarks/bench_pacs.py [SHARED_DATA_DIR] [--repeats N]``. Needs
Debian's ``orthanc`` and ``orthanc-dicomweb`` for parts 2 and 3's sender side.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np
import pydicom
from pydicom.uid import generate_uid

from theratrial.imaging import quantify_study
from theratrial.pacs.deid import DeidSettings
from theratrial.pacs.deid_folder import deidentify_folder
from theratrial.pacs.dicomweb import pull_study, push_files
from theratrial.pacs.dimse import parse_peer, pull_study_dimse
from theratrial.pacs.receive import start_receiver
from theratrial.phantoms import PhantomConfig, write_patient

GRID = (48, 64, 64)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bench_deid(data: Path) -> None:
    folders = sorted(p for p in (data / "suv-dro").glob("DRO_*") if p.is_dir()) + sorted(
        (data / "sts-petct").glob("STS_*/*/dicom")
    )
    total, start = 0, time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for i, folder in enumerate(folders):
            report = deidentify_folder(folder, Path(tmp) / str(i), DeidSettings("B-1", -400, b"k"))
            total += report.instances
    seconds = time.perf_counter() - start
    print(
        f"deid: {total} instances in {len(folders)} folders, {seconds:.2f} s, "
        f"{total / seconds:.0f} instances/s"
    )


def _start_orthanc(root: Path) -> tuple[subprocess.Popen[bytes], str, int]:
    http, dicom = _free_port(), _free_port()
    plugin = "/usr/share/orthanc/plugins/libOrthancDicomWeb.so"
    config = {
        "Name": "theratrial-bench",
        "StorageDirectory": str(root / "storage"),
        "IndexDirectory": str(root / "index"),
        "HttpPort": http,
        "DicomPort": dicom,
        "DicomAet": "ORTHANC",
        "RemoteAccessAllowed": False,
        "DicomAlwaysAllowGet": True,
        "DicomAlwaysAllowFind": True,
        "Plugins": [plugin],
        "DicomWeb": {"Enable": True, "Root": "/dicom-web/", "Host": f"127.0.0.1:{http}"},
    }
    (root / "config.json").write_text(json.dumps(config))
    log = (root / "orthanc.log").open("wb")
    proc = subprocess.Popen(
        ["/usr/sbin/Orthanc", str(root / "config.json")],
        stdout=log,
        stderr=log,
        env={**os.environ, "TCP_NODELAY": "1"},
    )
    base = f"http://127.0.0.1:{http}"
    for _ in range(100):
        try:
            with urllib.request.urlopen(f"{base}/system", timeout=1):
                return proc, base, dicom
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("Orthanc did not start")


def _four_series_study(root: Path) -> tuple[list[pydicom.Dataset], Path, str]:
    base = PhantomConfig().with_grid(GRID)
    write_patient(
        root / "vp",
        5,
        config=dataclasses.replace(base, therapy=dataclasses.replace(base.therapy, cycles=1)),
    )
    dicom = root / "vp/dicom"
    study = str(pydicom.dcmread(next((dicom / "pet_ga68").iterdir())).StudyInstanceUID)
    datasets = []
    for series in ("pet_ga68", "pet_ga68_retest", "ct", "seg"):
        for path in sorted((dicom / series).iterdir()):
            ds = pydicom.dcmread(path)
            ds.StudyInstanceUID = study  # the re-test PET filed in the same study
            datasets.append(ds)
    masks = root / "masks"
    masks.mkdir()
    for path in sorted((root / "vp/masks").glob("*.nii.gz")):
        if path.stem.startswith(("liver", "spleen", "kidney", "lesion")):
            os.link(path, masks / path.name)
    return datasets, masks, study


def _is_first_pet(folder: Path) -> bool:
    """Whether the series in ``folder`` is the PET (not its re-test)."""
    ds = pydicom.dcmread(next(folder.iterdir()), stop_before_pixels=True)
    return ds.Modality == "PT" and "retest" not in str(ds.get("SeriesDescription", "")).lower()


def bench_pull_deid_quantify(repeats: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        datasets, masks, study = _four_series_study(root)
        (root / "orthanc").mkdir()
        proc, base, dicom_port = _start_orthanc(root / "orthanc")
        try:
            url = f"{base}/dicom-web"
            by_path = {}
            for i, ds in enumerate(datasets):
                by_path[root / f"in{i}.dcm"] = ds
            push_files(url, list(by_path), read=by_path.__getitem__)
            peer = parse_peer(f"127.0.0.1:{dicom_port}", called_ae="ORTHANC")
            pullers = {
                "DICOMweb": lambda out: pull_study(url, study, out),
                "C-GET": lambda out: pull_study_dimse(peer, study, out),
            }
            for name, pull in pullers.items():
                times = []
                for r in range(repeats):
                    start = time.perf_counter()
                    pulled, deid = root / f"{name}-p{r}", root / f"{name}-d{r}"
                    count = pull(pulled)
                    deidentify_folder(pulled, deid, DeidSettings("NET-1", -100, b"k"))
                    pet = next(folder for folder in deid.iterdir() if _is_first_pet(folder))
                    quantify_study(pet, masks)
                    times.append(time.perf_counter() - start)
                median = float(np.median(times))
                print(
                    f"pull+deid+quantify ({name}): {count} instances in 4 series, grid {GRID}, "
                    f"median {median:.2f} s of {repeats}, {60 / median:.1f} studies/min"
                )
        finally:
            os.kill(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)


def bench_receive(data: Path, count: int) -> None:
    from pynetdicom import AE, StoragePresentationContexts

    template = [pydicom.dcmread(p) for p in sorted((data / "suv-dro/DRO_3_3/PT").iterdir())]
    with tempfile.TemporaryDirectory() as tmp:
        port = _free_port()
        receiver, server = start_receiver(Path(tmp) / "in", port=port, host="127.0.0.1")
        try:
            ae = AE(ae_title="BENCH")
            ae.requested_contexts = StoragePresentationContexts
            series = generate_uid()
            start = time.perf_counter()
            assoc = ae.associate("127.0.0.1", port, ae_title="THERATRIAL")
            for i in range(count):
                ds = template[i % len(template)]
                ds.SeriesInstanceUID = series
                ds.SOPInstanceUID = generate_uid()
                ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
                assoc.send_c_store(ds)
            assoc.release()
            while receiver.stats.instances_filed < count:
                time.sleep(0.005)
            seconds = time.perf_counter() - start
        finally:
            server.shutdown()
    size_kib = len(template[0].PixelData) / 1024
    print(
        f"receive: {count} PET instances ({size_kib:.0f} KiB pixels each) in one association, "
        f"{seconds:.2f} s, {count / seconds:.0f} instances/s"
    )


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    repeats = int(sys.argv[sys.argv.index("--repeats") + 1]) if "--repeats" in sys.argv else 5
    args = [a for a in args if a != str(repeats)]
    data = Path(args[0] if args else "../shared/data")
    bench_deid(data)
    bench_pull_deid_quantify(repeats)
    bench_receive(data, 500)


if __name__ == "__main__":
    main()
