"""The manifest of a cohort batch, and each task's idempotency key (private).

A manifest is a CSV (or YAML list of mappings) with the columns ``patient_id`` and
``source`` (a folder; for ``--task phantom`` an integer seed) and, optionally, per-task
option columns (:data:`TASK_OPTIONS`); an empty cell means the default. Relative paths are
read from the manifest's folder.

The key of a task is the SHA-256 of its task name, its patient, the identity of its source
(for a folder: every file's relative name, size and modification time in nanoseconds; for
a seed: the seed, the output folder and the identity of what is in it), its options and
the theratrial version: change any input and the task runs again; change none and a rerun
skips it. A phantom's key is stored as computed after its folder was written, so a rerun
skips it only while that folder is as written: deleted (or altered), it is written again.
The ``device`` option (where the FFTs run) changes no result beyond 1e-5 and is left out.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from theratrial import __version__
from theratrial.errors import TableError
from theratrial.ids import check_pseudonym

__all__ = ["TASKS", "TASK_OPTIONS", "BatchItem", "folder_identity", "read_manifest", "task_key"]

TASKS = ("phantom", "quantify", "dosimetry", "plan")
TASK_OPTIONS: dict[str, tuple[str, ...]] = {
    "phantom": ("out", "grid", "cycles", "nuclide", "noise"),
    "quantify": ("study", "masks", "suv", "lesion_metric"),
    "dosimetry": ("nuclide", "voxel", "method", "trial", "device"),
    "plan": ("trial", "weight_kg"),
}
"""Option columns a manifest may carry for each task (others are refused)."""

_PATH_OPTIONS = ("out", "study", "masks")
_UNKEYED = ("device",)
"""Options that change where a task runs, not its result: not part of its key."""


@dataclass(frozen=True, slots=True)
class BatchItem:
    """One manifest row: a patient, its source and its task options (strings as given)."""

    patient_id: str
    source: str
    options: Mapping[str, str] = field(default_factory=dict)
    row: int = 0


def _cell(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _rows(path: Path) -> list[dict[str, str]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise TableError(f"cannot read the manifest: {exc.strerror}", file=path) from None
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise TableError(f"invalid YAML: {exc}", file=path) from None
        if isinstance(data, Mapping):
            data = data.get("patients")
        if not isinstance(data, list) or not all(isinstance(r, Mapping) for r in data):
            raise TableError(
                "a YAML manifest is a list of patients (mappings)",
                file=path,
                hint="write - {patient_id: VP-000001, source: 1} per patient",
            )
        return [{str(k): _cell(v) for k, v in r.items()} for r in data]
    reader = csv.DictReader(text.splitlines())
    return [{str(k): _cell(v) for k, v in r.items() if k is not None} for r in reader]


def read_manifest(path: str | Path, *, task: str) -> list[BatchItem]:
    """The rows of a manifest for ``task``, checked (ids, duplicates, seeds, columns).

    Raises
    ------
    TableError
        Naming the manifest, the row and the column at fault.
    """
    path = Path(path)
    rows = _rows(path)
    if not rows:
        raise TableError("the manifest lists no patient", file=path, hint="add one row a patient")
    known = {"patient_id", "source", *TASK_OPTIONS[task]}
    missing = {"patient_id", "source"} - set(rows[0])
    if missing:
        raise TableError(
            f"the manifest has no column {sorted(missing)[0]!r}",
            file=path,
            field=sorted(missing)[0],
            hint="columns: patient_id, source, then options " + ", ".join(TASK_OPTIONS[task]),
        )
    items: list[BatchItem] = []
    seen: set[str] = set()
    for i, r in enumerate(rows, start=2):
        extra = sorted(k for k, v in r.items() if k not in known and v)
        if extra:
            raise TableError(
                f"--task {task} has no option {extra[0]!r}",
                file=path,
                line=i,
                field=extra[0],
                hint="options of this task: " + ", ".join(TASK_OPTIONS[task]),
            )
        pid = check_pseudonym(r.get("patient_id", ""), field="patient_id", file=path)
        if pid in seen:
            raise TableError(
                f"patient {pid} is listed twice", file=path, line=i, field="patient_id",
                hint="one row per patient",
            )  # fmt: skip
        seen.add(pid)
        source = r.get("source", "")
        if not source:
            raise TableError("empty source", file=path, line=i, field="source")
        if task == "phantom" and not (source.isdigit() and int(source) <= 2**32 - 1):
            raise TableError(
                f"{source!r} is not a seed", file=path, line=i, field="source",
                hint="for --task phantom the source is an integer seed 0..4294967295",
            )  # fmt: skip
        if task != "phantom":
            source = str((path.parent / source).resolve())
        options = {k: v for k, v in r.items() if k in TASK_OPTIONS[task] and v}
        for name in _PATH_OPTIONS:
            if name in options:
                base = path.parent if task == "phantom" else Path(source)
                options[name] = str((base / options[name]).resolve())
        items.append(BatchItem(pid, source, options, i))
    return items


def folder_identity(path: str | Path) -> list[tuple[str, int, int]]:
    """(relative name, size in bytes, mtime in ns) of every file under ``path``, sorted.

    Examples
    --------
    >>> folder_identity("/nonexistent/folder")
    []
    """
    root = Path(path)
    if root.is_file():
        st = root.stat()
        return [(root.name, st.st_size, st.st_mtime_ns)]
    found: list[tuple[str, int, int]] = []
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            full = Path(dirpath) / name
            st = full.stat()
            found.append((str(full.relative_to(root)), st.st_size, st.st_mtime_ns))
    return sorted(found)


def task_key(task: str, item: BatchItem, *, extra: Any = None) -> str:
    """The idempotency key of ``item`` under ``task`` (hex SHA-256; see the module doc).

    Examples
    --------
    >>> a = task_key("phantom", BatchItem("VP-000001", "7", {"grid": "48"}))
    >>> a == task_key("phantom", BatchItem("VP-000001", "7", {"grid": "48"}))
    True
    >>> a == task_key("phantom", BatchItem("VP-000001", "7", {"grid": "64"}))
    False
    >>> d = task_key("dosimetry", BatchItem("VP-000001", "/nonexistent", {"device": "gpu"}))
    >>> d == task_key("dosimetry", BatchItem("VP-000001", "/nonexistent", {"device": "cpu"}))
    True
    """
    identity: Any = item.source
    if task == "phantom" and "out" in item.options:
        identity = [item.source, folder_identity(item.options["out"])]
    if task != "phantom":
        identity = [item.source, folder_identity(item.source)]
        for name in ("study", "masks"):
            if name in item.options:
                identity.append(folder_identity(item.options[name]))
    payload = {
        "task": task,
        "patient_id": item.patient_id,
        "source": identity,
        "options": {k: v for k, v in sorted(item.options.items()) if k not in _UNKEYED},
        "version": __version__,
        "extra": extra,
    }
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
