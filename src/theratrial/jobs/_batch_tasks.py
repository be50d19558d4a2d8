"""What a worker does for one patient of a batch (private): phantom, quantify, dosimetry.

Each function takes one :class:`~theratrial.jobs._batch_manifest.BatchItem` and returns a
:class:`TaskOutcome`; it writes no database row (the batch's single writer does, see
:mod:`theratrial.jobs.batch`). A worker runs one task at a time (one thread), and a task
holds one patient's volumes, released when it returns: the worker's memory is bounded by
one patient. ``plan`` reads the store, so it runs in the writer (see ``batch.py``).
"""

from __future__ import annotations

import os
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from theratrial.errors import InputError, ParameterError, TheratrialError
from theratrial.jobs._base import jsonable
from theratrial.jobs._batch_manifest import BatchItem
from theratrial.jobs._image_kinds import cycle_documents

__all__ = ["TaskOutcome", "peak_rss_mb", "run_item"]


@dataclass(frozen=True, slots=True)
class TaskOutcome:
    """One task's outcome, as a worker returns it to the writer.

    ``stored`` holds what the writer puts in the store with the task's row (a
    quantification result, a dosimetry summary); ``transient`` marks a failure worth
    retrying (anything but the project's own input errors).
    """

    patient_id: str
    key: str
    state: str
    seconds: float
    error: str | None = None
    result: dict[str, Any] | None = None
    stored: Any = None
    transient: bool = False
    peak_rss_mb: float = 0.0


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (MiB; ``ru_maxrss``)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return float(rss) / (1024.0 * 1024.0 if sys.platform == "darwin" else 1024.0)


def _flag(text: str | None, default: bool, name: str) -> bool:
    if text is None:
        return default
    value = text.strip().lower()
    if value in ("1", "true", "yes", "y"):
        return True
    if value in ("0", "false", "no", "n"):
        return False
    raise ParameterError(f"{text!r} is not true or false", field=name, hint="write true or false")


def _phantom_task(item: BatchItem) -> tuple[dict[str, Any], Any]:
    from theratrial.phantoms import PhantomConfig, write_patient

    opts = item.options
    out = Path(opts["out"])
    try:
        cycles = int(opts.get("cycles", "4"))
        grid_text = opts.get("grid", "128").lower().replace(",", "x")
        sizes = [int(v) for v in grid_text.split("x") if v]
    except ValueError:
        raise ParameterError(
            "cycles and grid must be whole numbers", field="grid", hint="e.g. grid 48, cycles 1"
        ) from None
    if len(sizes) == 1:
        sizes = sizes * 3
    if len(sizes) != 3 or any(not 8 <= s <= 512 for s in sizes) or not 1 <= cycles <= 8:
        raise ParameterError(
            f"grid {opts.get('grid')!r} or cycles {cycles} out of range",
            field="grid",
            hint="grid 8-512 voxels a side (128 or 48x64x64), cycles 1-8",
        )
    cfg = PhantomConfig().with_grid((sizes[0], sizes[1], sizes[2]))
    cfg = cfg.with_therapy(nuclide=opts.get("nuclide", "Lu-177"), cycles=cycles)
    if not _flag(opts.get("noise"), True, "noise"):
        cfg = cfg.noise_free()
    out.parent.mkdir(parents=True, exist_ok=True)
    # written to a fresh folder beside the target, then renamed: never half a patient
    partial = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent))
    try:
        files = write_patient(
            partial, int(item.source), config=cfg, patient_id=item.patient_id, overwrite=True
        )
        if out.exists():
            shutil.rmtree(out)
        os.replace(partial, out)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    truth = files.truth
    return {
        "patient_dir": str(out),
        "seed": int(item.source),
        "series": len(truth["series"]),
        "masks": len(files.masks),
    }, None


def _folder(path: str, name: str) -> Path:
    folder = Path(path)
    if not folder.is_dir():
        raise InputError(
            "folder not found", file=folder, field=name, hint="give an existing folder"
        )
    return folder


def _quantify_task(item: BatchItem) -> tuple[dict[str, Any], Any]:
    from theratrial.imaging import quantify_study
    from theratrial.imaging.study import pick_quantitative_series

    opts = item.options
    _folder(item.source, "source")
    study = _folder(opts.get("study", item.source), "study")
    masks = _folder(opts.get("masks", str(Path(item.source) / "masks")), "masks")
    series = pick_quantitative_series(study)
    result = quantify_study(
        series,
        masks,
        suv_type=opts.get("suv"),
        lesion_metric=opts.get("lesion_metric", "max"),
    )
    summary = {
        "series_uid": result.series_uid,
        "modality": result.modality,
        "units": result.units,
        "regions": len(result.table.rows),
        "liver_mean": jsonable(result.table.liver_mean),
    }
    return summary, (result, str(masks))


def _dosimetry_task(item: BatchItem) -> tuple[dict[str, Any], Any]:
    from theratrial.dosimetry.pipeline import patient_dosimetry
    from theratrial.gpu import resolve_device

    opts = item.options
    _folder(item.source, "source")
    device = resolve_device(opts.get("device", "auto"), field="device")  # this worker's GPU
    result = patient_dosimetry(
        item.source,
        nuclide=opts.get("nuclide", "Lu-177"),
        method=opts.get("method", "auto"),
        voxel=_flag(opts.get("voxel"), False, "voxel"),
        workers=1,
        device=device,
    )
    cycles = cycle_documents(result)
    stored = jsonable({"nuclide": result.nuclide, "cycles": cycles})
    cumulative = {str(r.region): r.dose_gy for r in result.cumulative()}
    summary = {
        "nuclide": result.nuclide,
        "cycles": len(cycles),
        "cumulative_dose_gy": jsonable(cumulative),
    }
    return summary, stored


_TASKS: dict[str, Callable[[BatchItem], tuple[dict[str, Any], Any]]] = {
    "phantom": _phantom_task,
    "quantify": _quantify_task,
    "dosimetry": _dosimetry_task,
}


_NOT_TRANSIENT = (TheratrialError, FileNotFoundError, NotADirectoryError, PermissionError)
"""Failures that a retry cannot mend: the input is wrong."""


def run_item(task: str, item: BatchItem, key: str) -> TaskOutcome:
    """Run ``task`` for ``item`` here (in a worker); never raises for the task's failure."""
    start = time.perf_counter()
    try:
        result, stored = _TASKS[task](item)
    except Exception as exc:  # the task failed: report it, the others go on
        text = str(exc) if isinstance(exc, TheratrialError) else f"{type(exc).__name__}: {exc}"
        return TaskOutcome(
            item.patient_id,
            key,
            "failed",
            time.perf_counter() - start,
            error=text[:4000],
            transient=not isinstance(exc, _NOT_TRANSIENT),
            peak_rss_mb=peak_rss_mb(),
        )
    outcome = TaskOutcome(
        item.patient_id, key, "done", time.perf_counter() - start, result=result, stored=stored
    )
    return replace(outcome, peak_rss_mb=peak_rss_mb())
