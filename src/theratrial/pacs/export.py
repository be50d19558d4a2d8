"""Results of a study as DICOM: SEG of the masks, TID 1500 SR of the measurements, RT Dose.

:func:`export_study` measures the study exactly as ``theratrial quantify`` does
(:func:`theratrial.imaging.quantify_study` on the series :func:`pick_quantitative_series`
chooses) and writes, into a new folder that appears only once every object is complete:

- ``seg.dcm``: the masks as a DICOM Segmentation (:mod:`theratrial.pacs.segmentation`);
- ``sr.dcm``: a Comprehensive 3D SR, TID 1500 (:mod:`theratrial.pacs.measurement_report`),
  one group per region referencing its segment and the source series;
- ``rtdose.dcm`` with a dose map (NIfTI, or ``.npy`` indexed ``(z, y, x)``, Gy, on the
  study's grid): an RT Dose (:mod:`theratrial.pacs.rtdose`); the SR then also reports each
  region's mean absorbed dose;
- ``report.dcm`` with a PDF report: an Encapsulated PDF (:mod:`theratrial.pacs.encapsulated_pdf`).

Every object is in the study of the source series (SEG, SR and RT Dose also in its Frame
of Reference), so
``theratrial pacs push`` files them beside the images.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pydicom
from numpy.typing import NDArray
from pydicom.dataset import Dataset

from theratrial.errors import DicomError, InputError
from theratrial.imaging import load_masks, load_volume, quantify_study
from theratrial.imaging.grid import Grid
from theratrial.imaging.study import StudyQuantification, pick_quantitative_series
from theratrial.pacs.encapsulated_pdf import build_encapsulated_pdf, read_pdf
from theratrial.pacs.measurement_report import RegionMeasurements, build_measurement_report
from theratrial.pacs.rtdose import build_rt_dose
from theratrial.pacs.segmentation import SegmentRegion, build_segmentation

__all__ = ["ExportResult", "export_study", "load_dose_map"]


@dataclass(frozen=True, slots=True)
class ExportResult:
    """What :func:`export_study` wrote: the files, the regions and the quantification used."""

    out_dir: Path
    seg_file: Path
    sr_file: Path
    rt_dose_file: Path | None
    regions: tuple[str, ...]
    quantification: StudyQuantification
    report_file: Path | None = None


def load_dose_map(path: str | Path, grid: Grid) -> NDArray[np.float64]:
    """An absorbed-dose map (Gy) on ``grid``: a ``.npy`` array ``(z, y, x)`` or a NIfTI image.

    Raises
    ------
    InputError
        When the file cannot be read or does not lie on the study's grid.
    """
    source = Path(path)
    if not source.is_file():
        raise InputError("the dose map does not exist", file=source, field="--dose-map")
    if source.suffix == ".npy":
        try:
            array = np.asarray(np.load(source, allow_pickle=False), dtype=np.float64)
        except (OSError, ValueError) as exc:
            raise InputError(
                f"cannot read the dose map: {exc}", file=source, field="--dose-map"
            ) from exc
        if array.shape != grid.shape:
            raise InputError(
                f"the dose map has shape {array.shape}, the study grid (z, y, x) {grid.shape}",
                file=source,
                field="--dose-map",
                hint="give a dose map on the study's voxel grid",
            )
        return array
    volume = load_volume(source)
    if not volume.grid.matches(grid):
        raise InputError(
            "the dose map does not lie on the study's voxel grid",
            file=source,
            field="--dose-map",
            hint="resample the dose map onto the quantified series' grid",
        )
    return np.asarray(volume.array, dtype=np.float64)


def _source_images(files: tuple[Path, ...]) -> list[Dataset]:
    return [pydicom.dcmread(f, stop_before_pixels=True) for f in files]


@contextmanager
def _pseudonym_names() -> Iterator[None]:
    """Silence highdicom's person-name format warning for de-identified sources.

    De-identification writes the trial pseudonym (e.g. ``NET-101``) as Patient's Name
    (0010,0010), a single-component PN that highdicom flags as possibly unintended; it is
    intended, and copied unchanged into the SEG and SR.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore",
            message=r".*unlikely to represent the intended person name",
            category=UserWarning,
        )
        yield


def export_study(
    study_dir: str | Path,
    masks: str | Path,
    out_dir: str | Path,
    *,
    dose_map: str | Path | None = None,
    report: str | Path | None = None,
) -> ExportResult:
    """Write the SEG, the SR and (with ``dose_map``) the RT Dose of a study into ``out_dir``.

    With ``report`` (a PDF file) the folder also gets it as an Encapsulated PDF.

    ``out_dir`` must not exist or be empty; the objects are written to a hidden sibling
    folder renamed into place at the end, so a failed export leaves nothing behind.
    """
    out = Path(out_dir)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError("the output folder is not empty", file=out, hint="give a new folder")
    pdf = read_pdf(report) if report is not None else None
    ref = pick_quantitative_series(study_dir)
    volume = load_volume(ref)
    regions = load_masks(masks, reference=volume)
    result = quantify_study(ref, masks)
    dose = load_dose_map(dose_map, volume.grid) if dose_map is not None else None
    images = _source_images(ref.files)
    import highdicom as hd

    by_name = {m.name: m for m in regions}
    rows = [row for row in result.table.rows if row.region in by_name]
    if not rows:
        raise DicomError("no region was measured", file=masks, hint="check the masks folder")
    segments = [
        SegmentRegion(row.region, row.kind, by_name[row.region].array.astype(bool)) for row in rows
    ]
    with _pseudonym_names():
        seg = build_segmentation(
            images, volume.grid, segments, series_uid=hd.UID(), sop_uid=hd.UID()
        )
    measured = []
    for number, row in enumerate(rows, start=1):
        stats = row.statistics
        mask = segments[number - 1].array
        mean_dose = float(dose[mask].mean()) if dose is not None and mask.any() else None
        measured.append(
            RegionMeasurements(
                name=row.region,
                kind=row.kind,
                segment_number=number,
                volume_ml=float(stats.volume_ml),
                uptake={"max": stats.max, "mean": stats.mean, "peak": stats.peak},
                mean_absorbed_dose_gy=mean_dose,
            )
        )
    with _pseudonym_names():
        sr = build_measurement_report(
            images,
            seg,
            measured,
            modality=result.modality,
            suv_type=result.suv_type,
            series_uid=hd.UID(),
            sop_uid=hd.UID(),
        )
    rt_dose = (
        build_rt_dose(dose, volume.grid, images[0], series_uid=hd.UID(), sop_uid=hd.UID())
        if dose is not None
        else None
    )
    report_ds = (
        build_encapsulated_pdf(pdf, images[0], series_uid=hd.UID(), sop_uid=hd.UID())
        if pdf is not None
        else None
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    try:
        seg.save_as(work / "seg.dcm", enforce_file_format=True)
        sr.save_as(work / "sr.dcm", enforce_file_format=True)
        if rt_dose is not None:
            rt_dose.save_as(work / "rtdose.dcm", enforce_file_format=True)
        if report_ds is not None:
            report_ds.save_as(work / "report.dcm", enforce_file_format=True)
        if out.exists():
            out.rmdir()
        os.replace(work, out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return ExportResult(
        out_dir=out,
        seg_file=out / "seg.dcm",
        sr_file=out / "sr.dcm",
        rt_dose_file=out / "rtdose.dcm" if rt_dose is not None else None,
        regions=tuple(row.region for row in rows),
        quantification=result,
        report_file=out / "report.dcm" if report_ds is not None else None,
    )
