"""DICOMweb client: QIDO-RS study search, WADO-RS study retrieval, STOW-RS upload.

Built on ``dicomweb-client`` (DICOM PS3.18: QIDO-RS 10.6, WADO-RS 10.4, STOW-RS 10.5). Every
network or server failure becomes one :class:`~theratrial.errors.InputError` that names the
URL and what to check. A pulled study is written to a hidden sibling folder and renamed into
place only when every instance has arrived (a half-pulled study is never analysed).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydicom.dataset import Dataset

from theratrial.errors import InputError

__all__ = ["StudySummary", "find_studies", "pull_study", "push_files"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class StudySummary:
    """One study found by QIDO-RS: its UID, patient, modalities and date (YYYY-MM-DD)."""

    study_uid: str
    patient_id: str
    modalities: tuple[str, ...]
    date: str | None


def _client(url: str) -> Any:
    from dicomweb_client.api import DICOMwebClient

    client = DICOMwebClient(url=url.rstrip("/"))
    client.set_http_retry_params(retry=False)  # a PACS that is down answers at once
    return client


@contextmanager
def _server_errors(url: str, what: str) -> Iterator[None]:
    try:
        yield
    except InputError:
        raise
    except Exception as exc:  # requests/HTTP errors of every kind
        raise InputError(
            f"{what} failed: {exc.__class__.__name__}: {str(exc).splitlines()[0][:200]}",
            file=url,
            field="--url",
            hint="check that the PACS is running and the DICOMweb root URL is right",
        ) from exc


def _value(item: dict[str, Any], tag: str) -> list[Any]:
    entry = item.get(tag, {})
    value = entry.get("Value", [])
    return list(value) if isinstance(value, list) else []


def find_studies(
    url: str,
    *,
    patient_id: str | None = None,
    modality: str | None = None,
    since: str | None = None,
) -> list[StudySummary]:
    """Studies on the server at ``url`` (QIDO-RS ``/studies``), oldest first.

    ``since`` is a date ``YYYY-MM-DD`` (studies on or after it).
    """
    filters: dict[str, Any] = {}
    if patient_id:
        filters["PatientID"] = patient_id
    if modality:
        filters["ModalitiesInStudy"] = modality
    if since:
        filters["StudyDate"] = since.replace("-", "") + "-"
    with _server_errors(url, "QIDO-RS study search"):
        found = _client(url).search_for_studies(
            search_filters=filters, fields=["ModalitiesInStudy", "StudyDate", "PatientID"]
        )
    studies: list[StudySummary] = []
    for item in found:
        day = "".join(str(v) for v in _value(item, "00080020"))
        studies.append(
            StudySummary(
                study_uid=str(_value(item, "0020000D")[0]),
                patient_id="".join(str(v) for v in _value(item, "00100020")),
                modalities=tuple(sorted(str(v) for v in _value(item, "00080061"))),
                date=f"{day[:4]}-{day[4:6]}-{day[6:8]}" if len(day) >= 8 else None,
            )
        )
    return sorted(studies, key=lambda s: (s.date or "", s.study_uid))


def pull_study(url: str, study_uid: str, out_dir: str | Path) -> int:
    """Retrieve one study (WADO-RS) into ``out_dir/<series UID>/<SOP UID>.dcm``; instances.

    Raises
    ------
    InputError
        When ``out_dir`` exists and is not empty, the server fails, or the study is unknown.
    """
    out = Path(out_dir)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError("the output folder is not empty", file=out, hint="give a new folder")
    with _server_errors(url, f"WADO-RS retrieval of study {study_uid}"):
        instances: list[Dataset] = list(_client(url).retrieve_study(study_uid))
    if not instances:
        raise InputError(
            f"study {study_uid} has no instance on the server",
            file=url,
            field="STUDY_UID",
            hint="list the studies with `theratrial pacs find`",
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    try:
        for ds in instances:
            folder = work / str(ds.SeriesInstanceUID)
            folder.mkdir(exist_ok=True)
            ds.save_as(folder / f"{ds.SOPInstanceUID}.dcm", enforce_file_format=True)
        if out.exists():
            out.rmdir()
        os.replace(work, out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return len(instances)


def push_files(
    url: str,
    files: list[Path],
    *,
    read: Callable[[Path], Dataset],
    batch: int = 50,
) -> int:
    """Upload DICOM files with STOW-RS in batches; the number of instances stored."""
    client = _client(url)
    sent = 0
    for start in range(0, len(files), batch):
        datasets = [read(p) for p in files[start : start + batch]]
        with _server_errors(url, "STOW-RS upload"):
            client.store_instances(datasets=datasets)
        sent += len(datasets)
    return sent
