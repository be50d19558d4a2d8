"""A folder archive of uploaded DICOM studies and the volumes the image viewer draws.

An uploaded zip is unpacked safely (:func:`unpack_zip`: no absolute names, no ``..``, no
links, a cap on the total unpacked size), read with the imaging package
(:func:`theratrial.imaging.scan_folder`) and filed (:func:`file_study`) as::

    ARCHIVE/<key>/
      manifest.json          series, the display grid, units, SUV conventions
      series/<n>/...         the DICOM files of series n, one folder per series
      display/pet.f32        the quantitative series (PET in SUV, else Bq/mL), float32 LE
      display/ct.i16         the CT resampled onto the same grid (HU), int16 LE
      seg/<n>.dcm            DICOM SEG files saved by the viewer
      labels.u8, labels.json the last saved label map (uint8, z, y, x) and its names

``key`` is random: the archive's paths carry no patient or study identifier. The display
grid is the quantitative (PET or SPECT) series' own grid: VOIs drawn on it are measured on
the voxels that were acquired, and the CT (the finer, larger series) is resampled onto it
once (linear interpolation, -1024 HU outside the CT), which is the cheaper direction to
fuse in and keeps the quantification exact.

Examples
--------
>>> resolve_archive_dir("/data/arch", "sqlite:///x.sqlite").as_posix()
'/data/arch'
>>> resolve_archive_dir(None, "sqlite:////srv/tt/store.sqlite").as_posix()
'/srv/tt/archive'
"""

from __future__ import annotations

import json
import math
import shutil
import stat
import uuid
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
from numpy.typing import NDArray

from theratrial.errors import DicomError, InputError
from theratrial.imaging import SeriesRef, compute_suv, load_volume, scan_folder
from theratrial.imaging._sitk import sitk
from theratrial.imaging.spect import spect_activity_concentration
from theratrial.imaging.study import pick_quantitative_series
from theratrial.imaging.voi import display_units
from theratrial.imaging.volume import Volume

__all__ = [
    "ArchivedStudy",
    "DisplaySeries",
    "file_study",
    "read_manifest",
    "resolve_archive_dir",
    "study_dir",
    "unpack_zip",
    "write_labels",
]

MANIFEST = "manifest.json"
_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class DisplaySeries:
    """One archived series: its UID, modality, folder and (if drawn) its display file."""

    series_uid: str
    modality: str
    description: str
    frame_of_reference_uid: str
    folder: str
    role: str
    display_file: str | None
    dtype: str | None
    units: str


@dataclass(frozen=True, slots=True)
class ArchivedStudy:
    """What :func:`file_study` filed: the study, its series and the manifest written."""

    key: str
    study_uid: str
    study_date: str | None
    series: tuple[DisplaySeries, ...]
    manifest: dict[str, Any]


def resolve_archive_dir(archive_dir: str | Path | None, database_url: str | None) -> Path:
    """The archive folder: ``archive_dir``, else ``archive/`` beside the SQLite file, else cwd.

    Parameters
    ----------
    archive_dir
        ``THERATRIAL_ARCHIVE_DIR`` (None: derived from the store).
    database_url
        The store's SQLAlchemy URL (or a plain SQLite path).
    """
    if archive_dir:
        return Path(archive_dir)
    url = database_url or ""
    path: str | None = None
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///") :].split("?")[0]
    elif url and "://" not in url:
        path = url
    if path and path != ":memory:":
        return Path(path).parent / "archive"
    return Path.cwd() / "archive"


def study_dir(root: Path, key: str) -> Path:
    """The folder of one archived study (``key`` checked to be a plain archive key)."""
    if not key or not all(c in "0123456789abcdef" for c in key):
        raise InputError("not an archive key", field="archive_path")
    return root / key


def _safe_name(name: str) -> PurePosixPath | None:
    pure = PurePosixPath(name.replace("\\", "/"))
    if pure.is_absolute() or ".." in pure.parts or (pure.parts and ":" in pure.parts[0]):
        return None
    parts = [p for p in pure.parts if p not in ("", ".")]
    return PurePosixPath(*parts) if parts else None


def unpack_zip(
    zip_path: Path, dest: Path, *, max_total_bytes: int, max_files: int = 200_000
) -> int:
    """Unpack ``zip_path`` into ``dest`` safely; returns the number of files written.

    Entries with absolute names, ``..`` parts or a drive, and symbolic links, are refused;
    the total unpacked size is capped at ``max_total_bytes`` (counted on the bytes actually
    written, not on the sizes the archive declares), so a zip bomb stops early.

    Raises
    ------
    InputError
        ``field='body'``: not a zip, an unsafe entry name, too many files or bytes.
    """
    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(
            f"the upload is not a readable zip archive ({exc})",
            field="body",
            hint="send the study as one .zip file of DICOM files",
        ) from None
    written = 0
    count = 0
    with archive:
        entries = archive.infolist()
        if len(entries) > max_files:
            raise InputError(
                f"the zip holds {len(entries)} entries, more than {max_files}",
                field="body",
                hint="upload one study at a time",
            )
        declared = sum(e.file_size for e in entries)
        if declared > max_total_bytes:
            raise InputError(
                f"the zip unpacks to {declared} bytes, more than the {max_total_bytes} allowed",
                field="body",
                hint="upload one study at a time",
            )
        for entry in entries:
            if entry.is_dir():
                continue
            mode = entry.external_attr >> 16
            if stat.S_ISLNK(mode):
                raise InputError(
                    "the zip holds a symbolic link", field="body", hint="zip plain files only"
                )
            name = _safe_name(entry.filename)
            if name is None:
                raise InputError(
                    "the zip holds an entry with an unsafe name (absolute or '..')",
                    field="body",
                    hint="zip the study folder with relative names",
                )
            target = dest.joinpath(*name.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with archive.open(entry) as src, target.open("wb") as out:
                    while chunk := src.read(_CHUNK):
                        written += len(chunk)
                        if written > max_total_bytes:
                            raise InputError(
                                f"the zip unpacks to more than {max_total_bytes} bytes",
                                field="body",
                                hint="upload one study at a time",
                            )
                        out.write(chunk)
            except (zipfile.BadZipFile, OSError, RuntimeError, EOFError) as exc:
                raise InputError(
                    f"a zip entry cannot be read ({type(exc).__name__})",
                    field="body",
                    hint="zip the study again (no encryption)",
                ) from None
            count += 1
    if count == 0:
        raise InputError("the zip is empty", field="body", hint="zip the DICOM files of a study")
    return count


def _ct_partner(images: tuple[SeriesRef, ...], quantitative: SeriesRef) -> SeriesRef | None:
    cts = [s for s in images if s.modality == "CT"]
    same = [s for s in cts if s.frame_of_reference_uid == quantitative.frame_of_reference_uid]
    pool = same or cts
    return max(pool, key=lambda s: len(s.files)) if pool else None


def _quantitative_values(volume: Volume) -> tuple[NDArray[np.float64], dict[str, Any]]:
    """PET in SUV (Bq/mL when SUV cannot be computed), SPECT in Bq/mL, with the conventions."""
    info: dict[str, Any] = {"modality": volume.modality}
    if volume.modality == "PT":
        try:
            suv = compute_suv(volume)
        except InputError as exc:
            info.update(
                quantity="activity concentration",
                units=display_units(volume.units),
                suv_type=None,
                assumptions=[f"SUV not available: {exc.message}"],
            )
            return volume.array, info
        info.update(
            quantity=f"SUV{suv.suv_type.value}",
            units=suv.units,
            suv_type=suv.suv_type.value,
            assumptions=list(suv.assumptions),
        )
        return suv.volume.array, info
    if volume.modality == "NM":
        try:
            activity = spect_activity_concentration(volume)
        except InputError as exc:
            info.update(
                quantity="counts",
                units=display_units(volume.units),
                suv_type=None,
                assumptions=[f"activity concentration not available: {exc.message}"],
            )
            return volume.array, info
        info.update(
            quantity="activity concentration",
            units=display_units(activity.volume.units),
            suv_type=None,
            assumptions=list(activity.assumptions),
        )
        return activity.volume.array, info
    raise DicomError(
        f"the study's quantitative series is {volume.modality}, not PET or SPECT",
        field="body",
        hint="upload a study with a PET or SPECT series",
    )


def _resample_ct(ct: Volume, pet: Volume) -> NDArray[np.int16]:
    if ct.grid.matches(pet.grid):
        values = ct.array
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            moving = ct.grid.to_sitk(ct.array.astype(np.float32))
            out = sitk.Resample(
                moving, pet.grid.to_sitk(), sitk.Transform(), sitk.sitkLinear, -1024.0
            )
        values = sitk.GetArrayFromImage(out)
    return np.clip(np.rint(values), -32768, 32767).astype("<i2")


def _percentile(values: NDArray[np.float64], q: float) -> float:
    flat = values.ravel()
    step = max(1, flat.size // 2_000_000)
    value = float(np.percentile(flat[::step], q))
    return value if math.isfinite(value) else 0.0


def file_study(unpacked: Path, root: Path) -> ArchivedStudy:
    """File the DICOM under ``unpacked`` as one archived study under ``root``.

    Every image series is moved into its own folder; the quantitative series (PET, else
    SPECT: :func:`pick_quantitative_series`) becomes ``display/pet.f32`` in SUV (or Bq/mL)
    and the CT of the same frame of reference ``display/ct.i16`` on the same grid.

    Raises
    ------
    DicomError
        ``field='body'``: no DICOM, several studies, no PET or SPECT series.
    """
    inventory = scan_folder(unpacked)
    images = inventory.images()
    if not images:
        raise DicomError(
            "the upload holds no DICOM image series",
            field="body",
            hint="zip the folder of DICOM files of one PET/CT or SPECT/CT study",
        )
    studies = {s.study_uid for s in images}
    if len(studies) != 1:
        raise DicomError(
            f"the upload holds {len(studies)} studies",
            field="body",
            hint="upload one study at a time",
        )
    try:
        quantitative = pick_quantitative_series(unpacked)
    except DicomError as exc:
        raise DicomError(exc.message, field="body", hint=exc.hint) from None
    if quantitative.modality not in ("PT", "NM"):
        raise DicomError(
            "the upload holds no PET or SPECT series",
            field="body",
            hint="upload a study with a PET or SPECT series",
        )
    quantitative = next(s for s in images if s.series_uid == quantitative.series_uid)
    ct = _ct_partner(images, quantitative)
    key = uuid.uuid4().hex
    home = root / key
    (home / "display").mkdir(parents=True)
    try:
        return _file(home, key, images, quantitative, ct)
    except BaseException:
        shutil.rmtree(home, ignore_errors=True)
        raise


def _file(
    home: Path,
    key: str,
    images: tuple[SeriesRef, ...],
    quantitative: SeriesRef,
    ct: SeriesRef | None,
) -> ArchivedStudy:
    pet = load_volume(quantitative)
    ct_volume = load_volume(ct) if ct is not None else None
    folders: dict[str, Path] = {}
    for number, ref in enumerate(images, start=1):
        folder = home / "series" / str(number)
        folder.mkdir(parents=True)
        for index, file in enumerate(ref.files, start=1):
            shutil.move(str(file), folder / f"{index:05d}.dcm")
        folders[ref.series_uid] = folder
    values, info = _quantitative_values(pet)
    values.astype("<f4").tofile(home / "display" / "pet.f32")
    info.update(
        max=float(np.max(values)),
        p99_5=_percentile(values, 99.5),
        series_uid=quantitative.series_uid,
        voxel_volume_ml=pet.voxel_volume_ml,
    )
    ct_info: dict[str, Any] | None = None
    if ct is not None and ct_volume is not None:
        _resample_ct(ct_volume, pet).tofile(home / "display" / "ct.i16")
        ct_info = {"series_uid": ct.series_uid, "units": "HU", "resampled": True}
    series = []
    for ref in images:
        role = (
            "pet"
            if ref.series_uid == quantitative.series_uid
            else "ct"
            if ct is not None and ref.series_uid == ct.series_uid
            else "other"
        )
        display = {"pet": "display/pet.f32", "ct": "display/ct.i16"}.get(role)
        series.append(
            DisplaySeries(
                series_uid=ref.series_uid,
                modality=ref.modality,
                description=ref.description,
                frame_of_reference_uid=ref.frame_of_reference_uid,
                folder=folders[ref.series_uid].relative_to(home).as_posix(),
                role=role,
                display_file=display,
                dtype={"pet": "float32", "ct": "int16"}.get(role),
                units=info["units"] if role == "pet" else "HU" if ref.modality == "CT" else "",
            )
        )
    grid = pet.grid
    study_date = quantitative.study_date or None
    manifest: dict[str, Any] = {
        "study_uid": quantitative.study_uid,
        "grid": {
            "shape_zyx": list(grid.shape),
            "spacing_xyz_mm": list(grid.spacing_mm),
            "origin_xyz_mm": list(grid.origin_mm),
            "direction": list(grid.direction),
            "frame_of_reference_uid": grid.frame_of_reference_uid,
        },
        "pet": info,
        "ct": ct_info,
        "series": [
            {
                "series_uid": s.series_uid,
                "modality": s.modality,
                "description": s.description,
                "frame_of_reference_uid": s.frame_of_reference_uid,
                "folder": s.folder,
                "role": s.role,
                "display_file": s.display_file,
                "dtype": s.dtype,
                "units": s.units,
            }
            for s in series
        ],
    }
    (home / MANIFEST).write_text(json.dumps(manifest, indent=1))
    return ArchivedStudy(
        key=key,
        study_uid=quantitative.study_uid,
        study_date=study_date,
        series=tuple(series),
        manifest=manifest,
    )


def read_manifest(home: Path) -> dict[str, Any]:
    """The manifest of an archived study folder.

    Raises
    ------
    InputError
        When the folder holds no manifest (the archive was moved or pruned).
    """
    try:
        data: dict[str, Any] = json.loads((home / MANIFEST).read_text())
    except (OSError, ValueError):
        raise InputError(
            "the study's files are not in the image archive",
            field="archive_path",
            hint="check THERATRIAL_ARCHIVE_DIR, or upload the study again",
        ) from None
    return data


def write_labels(home: Path, labels: NDArray[np.uint8], names: list[str]) -> None:
    """Keep the last saved label map (uint8, ``z, y, x``) and its names beside the SEG."""
    tmp = home / "labels.u8.partial"
    labels.astype(np.uint8).tofile(tmp)
    tmp.replace(home / "labels.u8")
    (home / "labels.json").write_text(json.dumps({"names": names}))
