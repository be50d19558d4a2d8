"""A C-STORE SCP that files what a scanner or PACS sends, one folder per study, atomically.

DICOM PS3.4 Annex B (Storage Service Class) with ``pynetdicom``. Each association gets its
own hidden staging folder ``OUT/.incoming-<id>``; the instances it carries are written there
as ``<study UID>/<series UID>/<SOP UID>.dcm``. Only when the association is *released*
normally (A-RELEASE, PS3.8 7.2) are they moved under ``OUT/<study UID>/``: a new study or
series folder appears with one rename, so a half-received study is never visible. An
aborted or dropped association (A-ABORT, A-P-ABORT) leaves nothing behind.

A malformed instance (it cannot be decoded, or lacks valid Study/Series/SOP Instance UIDs)
is refused with status ``0xC210`` (Cannot understand) or ``0xA900`` (Data set does not
match SOP class) and logged with the calling AE title and reason only: no patient data.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import uuid
from pathlib import Path
from typing import Any

from theratrial.errors import InputError
from theratrial.pacs.dimse import valid_uid

__all__ = ["ReceiveStats", "Receiver", "file_staged", "start_receiver"]

log = logging.getLogger("theratrial.pacs.receive")


class ReceiveStats:
    """Running counts of a receiver (thread-safe): instances filed and refused, studies."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.instances_filed = 0
        self.instances_refused = 0
        self.associations_released = 0
        self.associations_aborted = 0

    def add(self, **counts: int) -> None:
        """Add ``counts`` (attribute name -> increment) under the lock."""
        with self._lock:
            for name, value in counts.items():
                setattr(self, name, getattr(self, name) + value)


def file_staged(staging: Path, out: Path) -> int:
    """Move the studies staged in ``staging`` under ``out``; the number of instances moved.

    A study or series that ``out`` does not have yet arrives with one ``os.replace``
    (atomic on one file system); instances of a series already there are moved one by
    one (each one appears whole). ``staging`` is removed.

    Examples
    --------
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> (root / ".in/1.2/1.2.3").mkdir(parents=True)
    >>> _ = (root / ".in/1.2/1.2.3/1.2.3.4.dcm").write_bytes(b"x")
    >>> file_staged(root / ".in", root), sorted(p.name for p in root.iterdir())
    (1, ['1.2'])
    """
    moved = 0
    for study in sorted(p for p in staging.iterdir() if p.is_dir()):
        count = sum(1 for _ in study.rglob("*.dcm"))
        target = out / study.name
        if not target.exists():
            os.replace(study, target)
        else:
            for series in sorted(p for p in study.iterdir() if p.is_dir()):
                if not (target / series.name).exists():
                    os.replace(series, target / series.name)
                    continue
                for item in sorted(series.iterdir()):
                    os.replace(item, target / series.name / item.name)
        moved += count
    shutil.rmtree(staging, ignore_errors=True)
    return moved


class Receiver:
    """Event handlers of the storage SCP, one staging folder per association.

    Parameters
    ----------
    out_dir
        Folder that receives one sub-folder per Study Instance UID (created if missing,
        its parent must exist).
    """

    def __init__(self, out_dir: str | Path) -> None:
        out = Path(out_dir)
        if out.exists() and not out.is_dir():
            raise InputError("not a folder", file=out, field="--out", hint="give a folder")
        if not out.parent.is_dir():
            raise InputError(
                "the parent folder does not exist", file=out, field="--out", hint="create it"
            )
        out.mkdir(exist_ok=True)
        self.out = out
        self.stats = ReceiveStats()
        self._staging: dict[int, Path] = {}
        self._lock = threading.Lock()

    def _stage(self, assoc: Any) -> Path:
        with self._lock:
            path = self._staging.get(id(assoc))
            if path is None:
                path = self.out / f".incoming-{uuid.uuid4().hex}"
                path.mkdir()
                self._staging[id(assoc)] = path
            return path

    def _pop(self, assoc: Any) -> Path | None:
        with self._lock:
            return self._staging.pop(id(assoc), None)

    def _refuse(self, event: Any, status: int, reason: str) -> int:
        self.stats.add(instances_refused=1)
        log.warning(
            "refused an instance from AE %s: %s (status 0x%04X)",
            event.assoc.requestor.ae_title,
            reason,
            status,
        )
        return status

    def on_c_store(self, event: Any) -> int:
        """EVT_C_STORE: write the instance into the association's staging folder."""
        try:
            ds = event.dataset
            ds.file_meta = event.file_meta
            uids = [str(ds.get(k, "")) for k in ("StudyInstanceUID", "SeriesInstanceUID")]
            sop = str(ds.get("SOPInstanceUID", ""))
        except Exception as exc:
            return self._refuse(event, 0xC210, f"cannot decode the data set ({type(exc).__name__})")
        if not all(valid_uid(u) for u in (*uids, sop)):
            return self._refuse(event, 0xA900, "missing or invalid Study/Series/SOP Instance UID")
        folder = self._stage(event.assoc).joinpath(*uids)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            ds.save_as(folder / f"{sop}.dcm", enforce_file_format=True)
        except Exception as exc:
            return self._refuse(event, 0xC210, f"cannot write the instance ({type(exc).__name__})")
        return 0x0000

    def on_released(self, event: Any) -> None:
        """EVT_RELEASED: file the staged studies under the output folder."""
        staging = self._pop(event.assoc)
        if staging is not None:
            filed = file_staged(staging, self.out)
            self.stats.add(instances_filed=filed, associations_released=1)
            log.info("filed %d instances from AE %s", filed, event.assoc.requestor.ae_title)

    def on_aborted(self, event: Any) -> None:
        """EVT_ABORTED and EVT_CONN_CLOSE: drop what an unreleased association staged."""
        staging = self._pop(event.assoc)
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
            self.stats.add(associations_aborted=1)
            log.warning(
                "association from AE %s ended without release: nothing filed",
                event.assoc.requestor.ae_title,
            )

    def handlers(self) -> list[Any]:
        """The ``(event, handler)`` pairs for ``AE.start_server``."""
        from pynetdicom import evt

        return [
            (evt.EVT_C_STORE, self.on_c_store),
            (evt.EVT_RELEASED, self.on_released),
            (evt.EVT_ABORTED, self.on_aborted),
            (evt.EVT_CONN_CLOSE, self.on_aborted),
        ]


def start_receiver(
    out_dir: str | Path,
    *,
    port: int,
    ae_title: str = "THERATRIAL",
    host: str = "0.0.0.0",
    block: bool = False,
) -> tuple[Receiver, Any]:
    """Start the storage SCP; ``(receiver, server)`` (``server`` is None when ``block``).

    With ``block=False`` the server runs in a thread: stop it with ``server.shutdown()``.
    Accepts every storage SOP class of PS3.4 Annex B with the uncompressed and common
    compressed transfer syntaxes, and C-ECHO (Verification).
    """
    from pynetdicom import AE, AllStoragePresentationContexts, VerificationPresentationContexts

    from theratrial.pacs.dimse import check_ae_title

    check_ae_title(ae_title, field="--ae-title")
    if not 0 <= port < 65536:
        raise InputError(f"not a TCP port: {port}", field="--port", hint="1-65535")
    receiver = Receiver(out_dir)
    ae = AE(ae_title=ae_title)
    ae.supported_contexts = AllStoragePresentationContexts + VerificationPresentationContexts
    ae.maximum_associations = 16
    for name in ("acse_timeout", "dimse_timeout", "network_timeout"):
        setattr(ae, name, 60)
    try:
        server = ae.start_server((host, port), block=block, evt_handlers=receiver.handlers())
    except OSError as exc:
        raise InputError(
            f"cannot listen on port {port}: {exc.strerror or exc}",
            field="--port",
            hint="choose a free port (ports below 1024 need root)",
        ) from exc
    return receiver, server
