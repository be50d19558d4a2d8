"""``/studies``: DICOM studies for the image viewer (upload, volumes, saved VOIs).

- ``POST /studies?patient_id=P`` (``write_imaging``): body ``application/zip``, streamed to
  disk, unpacked safely and filed in the image archive
  (:mod:`theratrial.store.image_archive`); the study and its series are registered for
  the patient (one of the principal's sites).
- ``GET /studies`` and ``GET /studies/{id}`` (``read_imaging``): the studies of visible
  patients; one study's series, display grid, units and saved VOIs with their measurements.
- ``GET /studies/{id}/volume?series=UID`` (``read_imaging``): the voxels the viewer draws,
  little-endian, ``(z, y, x)`` with x fastest: the PET (or SPECT) as float32 in SUV (Bq/mL
  when SUV cannot be computed), the CT as int16 HU resampled onto the same grid.
- ``GET /studies/{id}/labels`` (``read_imaging``): the last saved label map (uint8).
- ``POST /studies/{id}/segmentations?series=UID&names=A&names=B`` (``write_imaging``):
  body ``application/octet-stream``, one uint8 per voxel of the display grid (0 =
  background, ``i`` = ``names[i-1]``). Written as a DICOM SEG
  (:func:`theratrial.pacs.segmentation.build_segmentation`) into the archive with the
  study, then measured by :func:`theratrial.imaging.quantify_study` on that SEG (SUVmax,
  SUVpeak as the imaging package defines it, SUVmean, volume) and stored
  (:func:`theratrial.store.imaging_results.save_quantification`).

Another site's patient's study reads as absent (404). Every write is in the audit trail.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import uuid
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from theratrial.api.deps import Context, patient_in_scope, require, tx, visible_site_pks
from theratrial.api.permissions import Action
from theratrial.api.problems import ProblemError
from theratrial.api.routers._common import MAX_LIMIT, record
from theratrial.api.settings import Settings
from theratrial.imaging import quantify_study, region_kind
from theratrial.imaging.grid import Grid
from theratrial.imaging.study import StudyQuantification
from theratrial.store.image_archive import (
    file_study,
    read_manifest,
    resolve_archive_dir,
    study_dir,
    unpack_zip,
    write_labels,
)
from theratrial.store.imaging_results import save_quantification
from theratrial.store.models import PatientRow
from theratrial.store.models_clinical import ImagingSeriesRow, ImagingStudyRow, VoiRow

__all__ = ["router"]

router = APIRouter(prefix="/studies", tags=["studies"])

_ZIP_TYPES = ("application/zip", "application/x-zip-compressed", "application/x-zip")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_ .-]{0,63}")
_TABLE = ("volume_ml", "max", "peak", "mean")


def _archive_root(request: Request) -> Path:
    settings: Settings = request.app.state.settings
    root = resolve_archive_dir(settings.archive_dir, str(request.app.state.engine.url))
    root.mkdir(parents=True, exist_ok=True)
    return root


def _study_in_scope(session: Session, ctx: Context, study_id: int) -> tuple[ImagingStudyRow, str]:
    """The study and its patient's pseudonym; 404 when absent or of another site."""
    row = session.get(ImagingStudyRow, study_id)
    patient = session.get(PatientRow, row.patient_pk) if row and row.patient_pk else None
    sites = visible_site_pks(session, ctx.principal)
    if row is None or patient is None or (sites is not None and patient.site_pk not in sites):
        raise ProblemError(404, "no such study", field="study_id")
    return row, patient.pseudonym


def _home(request: Request, row: ImagingStudyRow) -> Path:
    if not row.archive_path:
        raise ProblemError(
            409,
            "the study's images are not in the image archive",
            field="study_id",
            hint="upload the study's DICOM as a zip to view it",
        )
    return study_dir(_archive_root(request), row.archive_path)


def _lesions(session: Session, series_uid: str) -> list[dict[str, Any]]:
    series = session.scalar(
        select(ImagingSeriesRow).where(ImagingSeriesRow.series_uid == series_uid)
    )
    if series is None:
        return []
    out = []
    for voi in sorted(series.vois, key=lambda v: v.id):
        values = {m.quantity: (m.value, m.unit) for m in voi.measurements}
        out.append(
            {
                "name": voi.name,
                "kind": voi.kind,
                "source": voi.source,
                **{q: values.get(q, (None, None))[0] for q in _TABLE},
                "units": values.get("max", (None, None))[1],
            }
        )
    return out


@router.get("")
def list_studies(
    ctx: Context = Depends(require(Action.READ_IMAGING)),
    patient_id: str | None = Query(None, max_length=64, description="only this patient's"),
    limit: int = Query(100, ge=1, le=MAX_LIMIT),
) -> dict[str, Any]:
    """The studies of the principal's patients, newest first."""
    with tx(ctx.request) as session:
        stmt = (
            select(ImagingStudyRow, PatientRow.pseudonym)
            .join(PatientRow, ImagingStudyRow.patient_pk == PatientRow.id)
            .order_by(ImagingStudyRow.id.desc())
            .limit(limit)
        )
        visible = visible_site_pks(session, ctx.principal)
        if visible is not None:
            stmt = stmt.where(PatientRow.site_pk.in_(visible))
        if patient_id is not None:
            stmt = stmt.where(PatientRow.pseudonym == patient_id)
        items = []
        for row, pseudonym in session.execute(stmt).all():
            n_vois = session.scalar(
                select(func.count(VoiRow.id))
                .join(ImagingSeriesRow, VoiRow.series_pk == ImagingSeriesRow.id)
                .where(ImagingSeriesRow.study_pk == row.id)
            )
            items.append(
                {
                    "id": row.id,
                    "patient_id": pseudonym,
                    "study_uid": row.study_uid,
                    "study_date": row.study_date.isoformat() if row.study_date else None,
                    "description": row.description,
                    "modalities": sorted({s.modality for s in row.series}),
                    "archived": row.archive_path is not None,
                    "n_vois": int(n_vois or 0),
                }
            )
    return {"items": items}


@router.get("/{study_id}")
def get_study(
    study_id: int, ctx: Context = Depends(require(Action.READ_IMAGING))
) -> dict[str, Any]:
    """One study: series, the display grid, units and conventions, the saved VOIs."""
    with tx(ctx.request) as session:
        row, pseudonym = _study_in_scope(session, ctx, study_id)
        home = _home(ctx.request, row)
        manifest = read_manifest(home)
        lesions = _lesions(session, manifest["pet"]["series_uid"])
        out = {
            "id": row.id,
            "patient_id": pseudonym,
            "study_uid": row.study_uid,
            "study_date": row.study_date.isoformat() if row.study_date else None,
            "description": row.description,
        }
    labels_json = home / "labels.json"
    saved_names: list[str] = []
    if labels_json.is_file() and (home / "labels.u8").is_file():
        saved_names = list(json.loads(labels_json.read_text()).get("names", []))
    return {
        **out,
        "grid": manifest["grid"],
        "pet": manifest["pet"],
        "ct": manifest["ct"],
        "series": [
            {k: s[k] for k in ("series_uid", "modality", "description", "role", "dtype", "units")}
            for s in manifest["series"]
        ],
        "lesions": lesions,
        "labels": {"names": saved_names} if saved_names else None,
    }


@router.get("/{study_id}/volume", response_class=Response)
def get_volume(
    study_id: int,
    ctx: Context = Depends(require(Action.READ_IMAGING)),
    series: str = Query(..., max_length=128, description="SeriesInstanceUID"),
) -> Response:
    """The voxels of one displayed series, little-endian ``(z, y, x)``, x fastest."""
    with tx(ctx.request) as session:
        row, _ = _study_in_scope(session, ctx, study_id)
        home = _home(ctx.request, row)
    manifest = read_manifest(home)
    for entry in manifest["series"]:
        if entry["series_uid"] == series and entry.get("display_file"):
            return FileResponse(
                home / entry["display_file"],
                media_type="application/octet-stream",
                headers={"X-Dtype": entry["dtype"], "X-Units": entry["units"]},
            )
    raise ProblemError(
        422,
        "the study has no displayed series with this UID",
        field="series",
        hint="use a series_uid whose role is 'pet' or 'ct' in GET /studies/{id}",
    )


@router.get("/{study_id}/labels", response_class=Response)
def get_labels(study_id: int, ctx: Context = Depends(require(Action.READ_IMAGING))) -> Response:
    """The last saved label map (uint8 per voxel of the display grid); 404 when none."""
    with tx(ctx.request) as session:
        row, _ = _study_in_scope(session, ctx, study_id)
        home = _home(ctx.request, row)
    path = home / "labels.u8"
    if not path.is_file():
        raise ProblemError(404, "no VOIs were saved on this study", field="study_id")
    return FileResponse(path, media_type="application/octet-stream")


@router.post("", status_code=201)
async def upload_study(
    ctx: Context = Depends(require(Action.WRITE_IMAGING)),
    patient_id: str = Query(..., min_length=1, max_length=64, description="the patient's id"),
) -> dict[str, Any]:
    """Upload a study: a zip of DICOM files (streamed), filed in the archive for the patient."""
    request = ctx.request

    def check_patient() -> None:
        with tx(request) as session:
            patient_in_scope(session, ctx.principal, patient_id)

    await run_in_threadpool(check_patient)
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype not in _ZIP_TYPES:
        raise ProblemError(
            415,
            f"unsupported content type {ctype or '(none)'!r}",
            field="Content-Type",
            hint="send the study as one zip file with Content-Type: application/zip",
        )
    root = _archive_root(request)
    incoming = root / ".incoming"
    incoming.mkdir(parents=True, exist_ok=True)
    token = uuid.uuid4().hex
    zip_path = incoming / f"{token}.zip"
    unpacked = incoming / token
    try:
        with zip_path.open("wb") as out:
            async for chunk in request.stream():
                out.write(chunk)
        settings: Settings = request.app.state.settings
        return await run_in_threadpool(
            _file_upload, ctx, patient_id, zip_path, unpacked, root, 4 * settings.max_upload_bytes
        )
    finally:
        zip_path.unlink(missing_ok=True)
        shutil.rmtree(unpacked, ignore_errors=True)


def _file_upload(
    ctx: Context, patient_id: str, zip_path: Path, unpacked: Path, root: Path, max_bytes: int
) -> dict[str, Any]:
    unpack_zip(zip_path, unpacked, max_total_bytes=max_bytes)
    zip_path.unlink(missing_ok=True)
    archived = file_study(unpacked, root)
    try:
        with tx(ctx.request) as session:
            patient = patient_in_scope(session, ctx.principal, patient_id)
            study = session.scalar(
                select(ImagingStudyRow).where(ImagingStudyRow.study_uid == archived.study_uid)
            )
            if study is not None and (
                study.archive_path is not None or study.patient_pk not in (None, patient.id)
            ):
                raise ProblemError(
                    409,
                    "this study is already stored",
                    field="body",
                    hint=f"open it as study {study.id}"
                    if study.patient_pk == patient.id
                    else "check the patient the study belongs to",
                )
            if study is None:
                study = ImagingStudyRow(study_uid=archived.study_uid, patient_pk=patient.id)
                session.add(study)
            study.patient_pk = patient.id
            study.archive_path = archived.key
            pet = archived.manifest["pet"]
            study.description = f"{pet['modality']} {pet['quantity']}"
            if archived.study_date and len(archived.study_date) == 8:
                try:
                    study.study_date = dt.datetime.strptime(archived.study_date, "%Y%m%d").date()
                except ValueError:
                    study.study_date = None
            session.flush()
            known = set(
                session.scalars(
                    select(ImagingSeriesRow.series_uid).where(
                        ImagingSeriesRow.series_uid.in_([s.series_uid for s in archived.series])
                    )
                )
            )
            for s in archived.series:
                if s.series_uid in known:
                    continue
                session.add(
                    ImagingSeriesRow(
                        study_pk=study.id,
                        series_uid=s.series_uid,
                        modality=s.modality,
                        description=s.description or None,
                        frame_of_reference_uid=s.frame_of_reference_uid or None,
                        units=s.units or None,
                        quantity=pet["quantity"] if s.role == "pet" else None,
                        conventions=list(pet["assumptions"]) if s.role == "pet" else [],
                    )
                )
            record(
                session,
                ctx,
                action="create",
                entity="imaging_study",
                entity_id=str(study.id),
                changes=[
                    ("patient_id", None, patient_id),
                    ("series", None, [f"{s.modality} {s.role}" for s in archived.series]),
                ],
            )
            study_id = study.id
    except BaseException:
        shutil.rmtree(root / archived.key, ignore_errors=True)
        raise
    return {
        "id": study_id,
        "patient_id": patient_id,
        "study_uid": archived.study_uid,
        "series": [
            {"series_uid": s.series_uid, "modality": s.modality, "role": s.role}
            for s in archived.series
        ],
        "grid": archived.manifest["grid"],
        "pet": archived.manifest["pet"],
    }


def _check_names(names: list[str]) -> None:
    if not names:
        raise ProblemError(422, "no VOI names given", field="names", hint="name every label")
    if len(names) > 255:
        raise ProblemError(422, "at most 255 VOIs can be saved", field="names")
    for name in names:
        if not _NAME.fullmatch(name):
            raise ProblemError(
                422,
                f"{name[:70]!r} is not a VOI name",
                field="names",
                hint="use letters, digits, '_', '-', '.' or spaces (at most 64)",
            )
    if len(set(names)) != len(names):
        raise ProblemError(422, "the VOI names repeat", field="names", hint="name each VOI once")


@router.post("/{study_id}/segmentations", status_code=201)
async def save_segmentation(
    study_id: int,
    ctx: Context = Depends(require(Action.WRITE_IMAGING)),
    series: str = Query(..., max_length=128, description="the series the labels lie on"),
    names: list[str] = Query(..., description="one name per label value 1, 2, ..."),
) -> dict[str, Any]:
    """Save a label map as a DICOM SEG with the study and quantify its VOIs at once."""
    body = await ctx.request.body()
    _check_names(names)
    return await run_in_threadpool(_save, ctx, study_id, series, names, body)


def _save(
    ctx: Context, study_id: int, series: str, names: list[str], body: bytes
) -> dict[str, Any]:
    with tx(ctx.request) as session:
        row, pseudonym = _study_in_scope(session, ctx, study_id)
        home = _home(ctx.request, row)
    manifest = read_manifest(home)
    pet = next(s for s in manifest["series"] if s["role"] == "pet")
    if series != pet["series_uid"]:
        raise ProblemError(
            422,
            "the labels must lie on the study's quantitative (PET or SPECT) series",
            field="series",
            hint=f"send series={pet['series_uid']}",
        )
    grid_info = manifest["grid"]
    shape = tuple(int(n) for n in grid_info["shape_zyx"])
    expected = shape[0] * shape[1] * shape[2]
    if len(body) != expected:
        raise ProblemError(
            422,
            f"the label map has {len(body)} bytes, the grid {shape} needs {expected}",
            field="body",
            hint="send one uint8 per voxel, (z, y, x) with x fastest",
        )
    labels = np.frombuffer(body, dtype=np.uint8).reshape(shape)
    counts = np.bincount(labels.ravel(), minlength=256)
    if int(counts[len(names) + 1 :].sum()) > 0:
        raise ProblemError(
            422,
            f"the label map holds values above {len(names)}, the number of names",
            field="body",
            hint="give one name per label value",
        )
    empty = [n for i, n in enumerate(names, start=1) if counts[i] == 0]
    if empty:
        raise ProblemError(
            422,
            f"VOI {empty[0]!r} has no voxel",
            field="names",
            hint="remove empty VOIs before saving",
        )
    grid = Grid(
        shape,  # type: ignore[arg-type]
        tuple(grid_info["origin_xyz_mm"]),
        tuple(grid_info["spacing_xyz_mm"]),
        tuple(grid_info["direction"]),
        grid_info.get("frame_of_reference_uid") or "",
    )
    seg_dir = home / "seg"
    seg_dir.mkdir(exist_ok=True)
    number, seg_file = _reserve(seg_dir)
    try:
        seg_uid = _write_seg(home / pet["folder"], grid, labels, names, seg_file)
        result = quantify_study(home / pet["folder"], seg_file)
    except BaseException:
        seg_file.unlink(missing_ok=True)
        raise
    write_labels(home, labels, names)
    source = f"seg/{number}.dcm"
    with tx(ctx.request) as session:
        row, pseudonym = _study_in_scope(session, ctx, study_id)
        save_quantification(session, result, patient_id=pseudonym, masks_source=source)
        record(
            session,
            ctx,
            action="create",
            entity="segmentation",
            entity_id=f"{row.id}/{number}",
            changes=[("vois", None, names)],
        )
    return _table(result, names, seg_uid, source)


def _reserve(seg_dir: Path) -> tuple[int, Path]:
    """The next free ``seg/<n>.dcm``, created empty at once (``O_EXCL``), so two saves at
    the same moment never take the same number; the SEG then replaces it atomically."""
    number = len(list(seg_dir.glob("*.dcm"))) + 1
    while True:
        path = seg_dir / f"{number}.dcm"
        try:
            path.open("x").close()
        except FileExistsError:
            number += 1
            continue
        return number, path


def _write_seg(
    pet_folder: Path, grid: Grid, labels: np.ndarray[Any, Any], names: list[str], out: Path
) -> str:
    import highdicom as hd
    import pydicom

    from theratrial.pacs.segmentation import SegmentRegion, build_segmentation

    files = sorted(pet_folder.glob("*.dcm"))
    images = [pydicom.dcmread(f, stop_before_pixels=True) for f in files]
    regions = [
        SegmentRegion(name, region_kind(name), labels == i) for i, name in enumerate(names, 1)
    ]
    uid = str(hd.UID())
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=r".*unlikely to represent the intended person name"
        )
        seg = build_segmentation(images, grid, regions, series_uid=uid, sop_uid=str(hd.UID()))
    partial = out.with_suffix(".partial")
    seg.save_as(partial, enforce_file_format=True)
    partial.replace(out)
    return uid


def _table(
    result: StudyQuantification, names: list[str], seg_uid: str, source: str
) -> dict[str, Any]:
    rows = []
    for row in result.table.rows:
        stats = row.statistics
        rows.append(
            {
                "name": row.region,
                "label": names.index(row.region) + 1 if row.region in names else None,
                "kind": row.kind,
                "volume_ml": stats.volume_ml,
                "n_voxels": stats.n_voxels,
                "max": stats.max,
                "peak": stats.peak,
                "mean": stats.mean,
                "peak_index_zyx": list(stats.peak_index),
                "units": result.units,
            }
        )
    return {
        "seg_series_uid": seg_uid,
        "seg_file": source,
        "quantity": result.quantity,
        "units": result.units,
        "suv_type": result.suv_type,
        "lesions": rows,
        "assumptions": list(result.assumptions),
    }
