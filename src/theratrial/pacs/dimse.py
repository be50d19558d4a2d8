"""DIMSE client for PACS without DICOMweb: C-FIND study search, C-GET study retrieval.

Built on ``pynetdicom`` (DICOM PS3.4 Annex C, Query/Retrieve Service Class, Study Root
Information Model; PS3.7 9.1.2 C-FIND and 9.1.3 C-GET). C-GET needs no route back to the
caller: the PACS sends the instances as C-STORE sub-operations on the same association,
which this client accepts with the SCP role for the storage classes it asks for (PS3.7
D.3.3.4 SCP/SCU Role Selection Negotiation).

A pulled study is written to a hidden sibling folder and renamed into place only when the
C-GET ends with Success and every sub-operation was stored (all or nothing), exactly as
:func:`theratrial.pacs.dicomweb.pull_study` does. The study summaries are the same
:class:`~theratrial.pacs.dicomweb.StudySummary` as QIDO-RS returns.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydicom.dataset import Dataset

from theratrial.errors import InputError
from theratrial.pacs.dicomweb import StudySummary

__all__ = [
    "DimsePeer",
    "check_ae_title",
    "find_studies_dimse",
    "parse_peer",
    "pull_study_dimse",
    "valid_uid",
]

_UID = re.compile(r"^[0-9]+(\.[0-9]+)*$")
_AE = re.compile(r"^[\x21-\x5b\x5d-\x7e]([\x20-\x5b\x5d-\x7e]{0,14})$")

_STORAGE_CLASSES = (
    "1.2.840.10008.5.1.4.1.1.128",  # PET Image Storage
    "1.2.840.10008.5.1.4.1.1.130",  # Enhanced PET Image Storage
    "1.2.840.10008.5.1.4.1.1.20",  # Nuclear Medicine Image Storage
    "1.2.840.10008.5.1.4.1.1.2",  # CT Image Storage
    "1.2.840.10008.5.1.4.1.1.2.1",  # Enhanced CT Image Storage
    "1.2.840.10008.5.1.4.1.1.4",  # MR Image Storage
    "1.2.840.10008.5.1.4.1.1.4.1",  # Enhanced MR Image Storage
    "1.2.840.10008.5.1.4.1.1.66.4",  # Segmentation Storage
    "1.2.840.10008.5.1.4.1.1.88.34",  # Comprehensive 3D SR Storage
    "1.2.840.10008.5.1.4.1.1.88.33",  # Comprehensive SR Storage
    "1.2.840.10008.5.1.4.1.1.88.22",  # Enhanced SR Storage
    "1.2.840.10008.5.1.4.1.1.481.2",  # RT Dose Storage
    "1.2.840.10008.5.1.4.1.1.104.1",  # Encapsulated PDF Storage
    "1.2.840.10008.5.1.4.1.1.7",  # Secondary Capture Image Storage
)
_FIND = "1.2.840.10008.5.1.4.1.2.2.1"  # Study Root Query/Retrieve Information Model - FIND
_GET = "1.2.840.10008.5.1.4.1.2.2.3"  # Study Root Query/Retrieve Information Model - GET


@dataclass(frozen=True, slots=True)
class DimsePeer:
    """A DIMSE peer: host, port, its AE title (called) and ours (calling)."""

    host: str
    port: int
    called_ae: str
    calling_ae: str = "THERATRIAL"

    @property
    def address(self) -> str:
        """``HOST:PORT``, as the user typed it."""
        return f"{self.host}:{self.port}"


def valid_uid(text: str) -> bool:
    """Whether ``text`` is a DICOM UID (PS3.5 9.1: digits and dots, at most 64 characters).

    Examples
    --------
    >>> valid_uid("1.2.840.10008.1.1"), valid_uid("../etc"), valid_uid("1..2")
    (True, False, False)
    """
    return len(text) <= 64 and _UID.match(text) is not None


def check_ae_title(value: str, *, field: str) -> str:
    """``value`` when it is a DICOM AE title (PS3.5 6.2: 1-16 characters, no backslash).

    Examples
    --------
    >>> check_ae_title("THERATRIAL", field="--ae-title")
    'THERATRIAL'
    """
    if not _AE.match(value) or value != value.rstrip():
        raise InputError(
            f"not a DICOM AE title: {value!r}",
            field=field,
            hint="1 to 16 printable ASCII characters without backslash (PS3.5 6.2)",
        )
    return value


def parse_peer(address: str, *, called_ae: str, calling_ae: str = "THERATRIAL") -> DimsePeer:
    """A :class:`DimsePeer` from ``HOST:PORT`` and the AE titles, checked.

    Examples
    --------
    >>> parse_peer("127.0.0.1:4242", called_ae="ORTHANC").address
    '127.0.0.1:4242'
    """
    host, sep, port_text = address.rpartition(":")
    if not sep or not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise InputError(
            f"not a HOST:PORT address: {address!r}", field="--dimse", hint="e.g. pacs.local:104"
        )
    check_ae_title(called_ae, field="--called-ae")
    check_ae_title(calling_ae, field="--calling-ae")
    return DimsePeer(host, int(port_text), called_ae, calling_ae)


def _failure(peer: DimsePeer, what: str, why: str) -> InputError:
    return InputError(
        f"{what} failed: {why}",
        file=peer.address,
        field="--dimse",
        hint=f"check that the PACS is running, that its AE title is {peer.called_ae!r} "
        f"(--called-ae) and that it accepts the calling AE {peer.calling_ae!r}",
    )


def _association(peer: DimsePeer, ae: Any, what: str, **kwargs: Any) -> Any:
    for name in ("acse_timeout", "dimse_timeout", "network_timeout"):
        setattr(ae, name, 30)
    ae.connection_timeout = 10
    try:  # probe first: pynetdicom leaves the socket of a refused connection unclosed
        socket.create_connection((peer.host, peer.port), timeout=10).close()
    except OSError as exc:
        raise _failure(peer, what, f"cannot connect ({exc.strerror or exc})") from exc
    assoc = ae.associate(peer.host, peer.port, ae_title=peer.called_ae, **kwargs)
    if not assoc.is_established:
        why = "association rejected" if assoc.is_rejected else "no association"
        raise _failure(peer, what, why)
    return assoc


def _responses(
    peer: DimsePeer, what: str, replies: Iterator[tuple[Dataset, Dataset | None]]
) -> Iterator[tuple[int, Dataset, Dataset | None]]:
    for status, identifier in replies:
        if "Status" not in status:
            raise _failure(peer, what, "connection lost or no response (timeout)")
        yield int(status.Status), status, identifier


def find_studies_dimse(
    peer: DimsePeer,
    *,
    patient_id: str | None = None,
    modality: str | None = None,
    since: str | None = None,
) -> list[StudySummary]:
    """Studies on ``peer`` (C-FIND at STUDY level, Study Root), oldest first.

    ``since`` is a date ``YYYY-MM-DD`` (studies on or after it, a DA range ``YYYYMMDD-``).
    """
    from pynetdicom import AE

    query = Dataset()
    query.QueryRetrieveLevel = "STUDY"
    query.StudyInstanceUID = ""
    query.PatientID = patient_id or ""
    query.StudyDate = since.replace("-", "") + "-" if since else ""
    query.ModalitiesInStudy = modality or ""
    ae = AE(ae_title=peer.calling_ae)
    ae.maximum_pdu_size = 0  # no limit: fewer, larger P-DATA PDUs (PS3.8 D.1)
    ae.add_requested_context(_FIND)
    what = "C-FIND study search"
    assoc = _association(peer, ae, what)
    studies: list[StudySummary] = []
    try:
        for code, _status, identifier in _responses(peer, what, assoc.send_c_find(query, _FIND)):
            if code in (0xFF00, 0xFF01) and identifier is not None:
                day = str(identifier.get("StudyDate", "") or "")
                mods = identifier.get("ModalitiesInStudy", "") or []
                mods = [mods] if isinstance(mods, str) else list(mods)
                studies.append(
                    StudySummary(
                        study_uid=str(identifier.StudyInstanceUID),
                        patient_id=str(identifier.get("PatientID", "") or ""),
                        modalities=tuple(sorted(str(m) for m in mods if m)),
                        date=f"{day[:4]}-{day[4:6]}-{day[6:8]}" if len(day) >= 8 else None,
                    )
                )
            elif code != 0x0000:
                raise _failure(peer, what, f"the PACS answered status 0x{code:04X}")
    finally:
        assoc.release()
    return sorted(studies, key=lambda s: (s.date or "", s.study_uid))


def pull_study_dimse(peer: DimsePeer, study_uid: str, out_dir: str | Path) -> int:
    """Retrieve one study (C-GET) into ``out_dir/<series UID>/<SOP UID>.dcm``; instances.

    Raises
    ------
    InputError
        When ``out_dir`` exists and is not empty, the PACS cannot be reached or answers an
        error, a sub-operation fails, or the study is unknown. Nothing is left in ``out_dir``.
    """
    from pynetdicom import AE, build_role, evt

    if not valid_uid(study_uid):
        raise InputError(f"not a DICOM UID: {study_uid!r}", field="STUDY_UID")
    out = Path(out_dir)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError("the output folder is not empty", file=out, hint="give a new folder")
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    stored: list[str] = []
    refused: list[str] = []

    def on_store(event: Any) -> int:
        try:
            ds = event.dataset
            ds.file_meta = event.file_meta
            series, sop = str(ds.SeriesInstanceUID), str(ds.SOPInstanceUID)
            if str(ds.StudyInstanceUID) != study_uid or not (valid_uid(series) and valid_uid(sop)):
                refused.append("an instance of another study or with a bad UID")
                return 0xA900
            (work / series).mkdir(exist_ok=True)
            ds.save_as(work / series / f"{sop}.dcm", enforce_file_format=True)
        except Exception as exc:  # a malformed instance: refuse it, the pull then fails
            refused.append(exc.__class__.__name__)
            return 0xC210
        stored.append(sop)
        return 0x0000

    query = Dataset()
    query.QueryRetrieveLevel = "STUDY"
    query.StudyInstanceUID = study_uid
    ae = AE(ae_title=peer.calling_ae)
    ae.maximum_pdu_size = 0  # no limit: fewer, larger P-DATA PDUs (PS3.8 D.1)
    ae.add_requested_context(_GET)
    for uid in _STORAGE_CLASSES:
        ae.add_requested_context(uid)
    roles = [build_role(uid, scp_role=True) for uid in _STORAGE_CLASSES]
    what = f"C-GET retrieval of study {study_uid}"
    try:
        assoc = _association(
            peer, ae, what, ext_neg=roles, evt_handlers=[(evt.EVT_C_STORE, on_store)]
        )
        final = -1
        failed = 0
        try:
            for code, status, _ in _responses(peer, what, assoc.send_c_get(query, _GET)):
                if code != 0xFF00:
                    final = code
                    failed = int(status.get("NumberOfFailedSuboperations", 0) or 0)
        finally:
            assoc.release()
        if final not in (0x0000, 0xB000):
            raise _failure(peer, what, f"the PACS answered status 0x{final:04X}")
        if failed or refused or final == 0xB000:
            raise _failure(
                peer,
                what,
                f"{failed or len(refused)} instances were not received"
                + (f" ({refused[0]})" if refused else ""),
            )
        if not stored:
            raise InputError(
                f"study {study_uid} has no instance on the PACS",
                file=peer.address,
                field="STUDY_UID",
                hint="list the studies with `theratrial pacs find --dimse`",
            )
        if out.exists():
            out.rmdir()
        os.replace(work, out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return len(stored)
