"""The ``pacs_import`` job on a LocalCluster against a real Orthanc: pull, de-identify, quantify."""

from __future__ import annotations

import dataclasses
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np
import pydicom
import pytest
from sqlalchemy import func, select

from theratrial.imaging import quantify_study
from theratrial.jobs import JobView, executor, get_job, shutdown, submit_job
from theratrial.pacs.dicomweb import push_files
from theratrial.phantoms import PhantomConfig, write_patient
from theratrial.store import connect, session_scope
from theratrial.store.models import PatientRow
from theratrial.store.models_clinical import ImagingSeriesRow
from theratrial.store.models_pacs import PseudonymRow

pytestmark = pytest.mark.filterwarnings("ignore:The value length:UserWarning")


@pytest.fixture(scope="module", autouse=True)
def _local_cluster() -> Iterator[None]:
    saved = os.environ.pop(executor.SCHEDULER_ENV, None)
    yield
    shutdown()
    if saved is not None:
        os.environ[executor.SCHEDULER_ENV] = saved


@pytest.fixture(scope="module")
def patient(orthanc: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """A tiny virtual patient's PET/CT study stored in Orthanc: (its folder, masks, UID)."""
    root = tmp_path_factory.mktemp("vp-import")
    base = PhantomConfig().with_grid((24, 32, 32))
    write_patient(
        root / "vp",
        21,
        config=dataclasses.replace(base, therapy=dataclasses.replace(base.therapy, cycles=1)),
    )
    masks = root / "masks"
    masks.mkdir()
    for path in sorted((root / "vp/masks").glob("*.nii.gz")):
        if np.asarray(nib.load(path).get_fdata()).any():  # type: ignore[attr-defined]
            shutil.copy(path, masks / path.name)
    files = sorted((root / "vp/dicom/pet_ga68").iterdir()) + sorted(
        (root / "vp/dicom/ct").iterdir()
    )
    push_files(orthanc, files, read=pydicom.dcmread)
    return root / "vp", masks, str(pydicom.dcmread(files[0]).StudyInstanceUID)


def _wait(url: str, job_id: str, timeout_s: float = 90) -> JobView:
    engine = connect(url)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            with session_scope(engine) as session:
                view = get_job(session, job_id)
            if view.state in ("done", "failed", "cancelled") or time.monotonic() > deadline:
                return view
            time.sleep(0.05)
    finally:
        engine.dispose()


def _count(url: str, model: Any) -> int:
    engine = connect(url)
    try:
        with session_scope(engine) as session:
            return int(session.scalar(select(func.count()).select_from(model)) or 0)
    finally:
        engine.dispose()


def test_pacs_import_job(orthanc: str, patient: tuple[Path, Path, str], tmp_path: Path) -> None:
    vp, masks, study_uid = patient
    url = f"sqlite:///{tmp_path / 'jobs.sqlite'}"
    connect(url).dispose()
    params = {
        "url": orthanc,
        "study_uid": study_uid,
        "pseudonym": "NET-321",
        "out_dir": str(tmp_path / "imported"),
        "masks": str(masks),
    }
    view = _wait(url, submit_job(url, kind="pacs_import", params=params, actor="dm"))
    assert view.state == "done", view.error
    assert view.result is not None
    result = view.result
    assert result["pseudonym"] == "NET-321"
    assert result["study_uid"] != study_uid  # de-identified UIDs
    original = {
        r.region: r.statistics for r in quantify_study(vp / "dicom/pet_ga68", masks).table.rows
    }
    rows = {r["region"]: r["statistics"] for r in result["rows"]}
    assert set(rows) == set(original)
    for name, stats in original.items():
        assert rows[name]["mean"] == pytest.approx(stats.mean, rel=1e-9)
        assert rows[name]["max"] == pytest.approx(stats.max, rel=1e-9)
    imported = list((tmp_path / "imported").rglob("*.dcm"))
    assert len(imported) == result["instances"] == 48
    assert {pydicom.dcmread(p, stop_before_pixels=True).PatientID for p in imported} == {"NET-321"}
    engine = connect(url)
    try:
        with session_scope(engine) as session:
            (series,) = session.scalars(select(ImagingSeriesRow)).all()
            patient_pk = series.study.patient_pk
            assert session.get(PatientRow, patient_pk).pseudonym == "NET-321"  # type: ignore[union-attr]
            entry = session.get(PseudonymRow, "NET-321")
            assert entry is not None
            assert (
                entry.source_patient_id
                == pydicom.dcmread(next((vp / "dicom/ct").iterdir())).PatientID
            )
    finally:
        engine.dispose()


def test_failed_import_leaves_nothing(
    orthanc: str, patient: tuple[Path, Path, str], tmp_path: Path
) -> None:
    _vp, masks, _uid = patient
    url = f"sqlite:///{tmp_path / 'jobs.sqlite'}"
    connect(url).dispose()
    params = {
        "url": orthanc,
        "study_uid": "1.2.3.999",
        "pseudonym": "NET-322",
        "out_dir": str(tmp_path / "imported"),
        "masks": str(masks),
    }
    view = _wait(url, submit_job(url, kind="pacs_import", params=params, actor="dm"))
    assert view.state == "failed"
    assert view.error is not None
    assert "1.2.3.999" in view.error
    assert not (tmp_path / "imported").exists()
    assert _count(url, ImagingSeriesRow) == 0
    assert _count(url, PseudonymRow) == 0
