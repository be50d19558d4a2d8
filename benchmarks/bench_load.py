"""Benchmark: load a PET series + SUV + VOI statistics, theratrial against plain loaders.

Run as ``.venv/bin/python benchmarks/bench_load.py [--repeats N]``. In one process, after a
warm-up run, it prints the median wall time (s) of N repeats of the same pipeline done three
ways, on two inputs from ``../shared/data`` (skipped when absent):

- real PET, sts-petct STS_001 (59 slices of 43 x 41, values stored as SUVbw) with its
  RTSTRUCT VOI (``GTV_Mass_PET``);
- the IBSI-SUV DRO ``DRO_0_0`` (20 x 256 x 256, Bq/mL, a Rescale Slope per slice) with its
  NIfTI mask.

Pipelines (each: read the series, SUVbw, put the VOI on the image grid, then mean, max, SD,
median and the PERCIST peak, a 1 cm^3 sphere correlated by FFT):

1. theratrial: ``load_volume`` -> ``compute_suv`` -> ``load_mask`` -> ``voi_statistics``;
2. pydicom + numpy: every file read once by ``pydicom.dcmread``, slices sorted along the
   slice normal, ``pixel_array`` x slope + intercept;
3. SimpleITK: ``ImageSeriesReader`` (GDCM) for the series and one ``pydicom`` header read
   for the SUV factor.

Plain loaders 2 and 3 share the rest: the NIfTI mask is read by SimpleITK, the RTSTRUCT by
pydicom with ContourData parsed from its raw bytes by NumPy and filled per slice with
matplotlib (nearest contour plane), and the same statistics code. It also prints the
RTSTRUCT parsing time (theratrial's reader vs NumPy on the raw ContourData bytes, with and
without the file read) and how many times theratrial opens each file. MIRP is not part of
this run (not installed).
"""

from __future__ import annotations

import argparse
import builtins
import math
import os
import statistics
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
from matplotlib.path import Path as PolygonPath
from numpy.typing import NDArray
from scipy.signal import fftconvolve

from theratrial.imaging import compute_suv, load_mask, load_volume, voi_statistics
from theratrial.imaging._dicomio import read_dataset
from theratrial.imaging._rtstruct import read_rtstruct_rois
from theratrial.imaging._sitk import sitk

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("THERATRIAL_SHARED_DIR", ROOT.parent / "shared")) / "data"
PEAK_RADIUS_MM = 6.2035  # radius of a 1 cm^3 sphere (PERCIST)
CONTOUR_DATA = 0x30060050

Stats = tuple[float, float, float, float, float]


def theratrial_pipeline(series: Path, mask: Path) -> Stats:
    """The public theratrial calls."""
    suv = compute_suv(load_volume(series), suv_type="bw")
    stats = voi_statistics(suv.volume, load_mask(mask, reference=suv.volume))
    return stats.mean, stats.max, stats.sd, stats.median, stats.peak


def _suv_factor(ds: pydicom.Dataset) -> float:
    """g/mL per stored unit: 1 for GML, else weight / dose decayed to the series time (START)."""
    if str(ds.get("Units", "")).upper() == "GML":
        return 1.0
    item = ds.RadiopharmaceuticalInformationSequence[0]
    half_life_s = float(item.RadionuclideHalfLife)
    start = str(item.RadiopharmaceuticalStartTime)
    scan = str(ds.SeriesTime)

    def seconds(text: str) -> float:
        return int(text[:2]) * 3600 + int(text[2:4]) * 60 + float(text[4:])

    decayed = float(item.RadionuclideTotalDose) * 2.0 ** (
        -(seconds(scan) - seconds(start)) / half_life_s
    )
    return float(ds.PatientWeight) * 1000.0 / float(decayed)


def plain_series(folder: Path) -> tuple[NDArray[np.float64], Any]:
    """pydicom + numpy: SUV array (z, y, x) and its geometry."""
    datasets = [pydicom.dcmread(folder / name) for name in sorted(os.listdir(folder))]
    iop = np.array(datasets[0].ImageOrientationPatient, dtype=float)
    normal = np.cross(iop[:3], iop[3:])
    datasets.sort(key=lambda d: float(np.dot(np.array(d.ImagePositionPatient, float), normal)))
    array = np.stack(
        [
            d.pixel_array * float(d.get("RescaleSlope", 1)) + float(d.get("RescaleIntercept", 0))
            for d in datasets
        ]
    )
    first, last = datasets[0], datasets[-1]
    suv = array * _suv_factor(first)
    image = sitk.GetImageFromArray(suv)
    image.SetOrigin([float(v) for v in first.ImagePositionPatient])
    depth = np.dot(np.array(last.ImagePositionPatient, float), normal) - np.dot(
        np.array(first.ImagePositionPatient, float), normal
    )
    spacing = [float(v) for v in first.PixelSpacing][::-1]
    image.SetSpacing([*spacing, float(depth) / max(len(datasets) - 1, 1)])
    return suv, image


def sitk_series(folder: Path) -> tuple[NDArray[np.float64], Any]:
    """SimpleITK's series reader, and one pydicom header for the SUV factor."""
    reader = sitk.ImageSeriesReader()
    reader.SetFileNames(sitk.ImageSeriesReader.GetGDCMSeriesFileNames(str(folder)))
    reader.SetOutputPixelType(sitk.sitkFloat64)
    image = reader.Execute()
    head = pydicom.dcmread(reader.GetFileNames()[0], stop_before_pixels=True)
    return sitk.GetArrayFromImage(image) * _suv_factor(head), image


def raw_contours(path: Path) -> list[NDArray[np.float64]]:
    """Closed contours (N x 3 mm) of the first ROI, ContourData parsed from raw bytes."""
    ds = pydicom.dcmread(path)
    return contours_of(ds)


def contours_of(ds: pydicom.Dataset) -> list[NDArray[np.float64]]:
    """ContourData of every contour of the first ROI, parsed by NumPy from the raw bytes."""
    out = []
    for contour in ds.ROIContourSequence[0].ContourSequence:
        raw = contour.get_item(CONTOUR_DATA).value
        out.append(np.array(raw.split(b"\\"), dtype=np.float64).reshape(-1, 3))
    return out


def rasterise(contours: list[NDArray[np.float64]], image: Any) -> NDArray[np.bool_]:
    """Fill each slice from the contour plane nearest to it (even-odd rule)."""
    size = image.GetSize()
    mask = np.zeros((size[2], size[1], size[0]), dtype=bool)
    matrix = np.array(image.GetDirection()).reshape(3, 3) * np.array(image.GetSpacing())
    inverse, origin = np.linalg.inv(matrix), np.array(image.GetOrigin())
    index = [(c - origin) @ inverse.T for c in contours]
    planes = np.array([float(np.mean(c[:, 2])) for c in index])
    points = np.concatenate(index)
    x0, y0 = np.maximum(np.floor(points.min(axis=0)[:2]).astype(int), 0)
    x1, y1 = np.minimum(np.ceil(points.max(axis=0)[:2]).astype(int) + 1, [size[0], size[1]])
    ys, xs = np.mgrid[y0:y1, x0:x1]
    centres = np.column_stack([xs.ravel(), ys.ravel()]).astype(float)
    for z in range(size[2]):
        near = np.abs(planes - z)
        if near.min() > 0.5:
            continue
        layer = np.zeros(centres.shape[0], dtype=bool)
        for c, distance in zip(index, near, strict=True):
            if distance == near.min():
                layer ^= PolygonPath(c[:, :2]).contains_points(centres)
        mask[z, y0:y1, x0:x1] = layer.reshape(ys.shape)
    return mask


def statistics_of(values: NDArray[np.float64], voi: NDArray[np.bool_], spacing: Any) -> Stats:
    """Mean, max, SD, median and the 1 cm^3 sphere peak (centre in the VOI)."""
    sx, sy, sz = spacing
    half = [math.ceil(PEAK_RADIUS_MM / s) for s in (sz, sy, sx)]
    zz, yy, xx = np.meshgrid(*[np.arange(-h, h + 1) for h in half], indexing="ij")
    kernel = ((zz * sz) ** 2 + (yy * sy) ** 2 + (xx * sx) ** 2 <= PEAK_RADIUS_MM**2).astype(float)
    where = np.nonzero(voi)
    box = tuple(
        slice(max(int(w.min()) - h, 0), int(w.max()) + h + 1)
        for w, h in zip(where, half, strict=True)
    )
    local = fftconvolve(values[box], kernel / kernel.sum(), mode="same")
    inside = values[voi]
    return (
        float(inside.mean()),
        float(inside.max()),
        float(inside.std(ddof=1)),
        float(np.median(inside)),
        float(local[voi[box]].max()),
    )


def _mask(mask: Path, image: Any) -> NDArray[np.bool_]:
    if mask.name.endswith((".nii", ".nii.gz")):
        return np.asarray(sitk.GetArrayFromImage(sitk.ReadImage(str(mask))) != 0)
    return rasterise(raw_contours(mask), image)


def plain_pipeline(series: Path, mask: Path) -> Stats:
    """pydicom + numpy for the series."""
    suv, image = plain_series(series)
    return statistics_of(suv, _mask(mask, image), image.GetSpacing())


def sitk_pipeline(series: Path, mask: Path) -> Stats:
    """SimpleITK's series reader for the series."""
    suv, image = sitk_series(series)
    return statistics_of(suv, _mask(mask, image), image.GetSpacing())


def median_s(step: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``repeats`` runs after one warm-up run."""
    return timed(step, repeats)[0]


def timed(step: Callable[[], object], repeats: int) -> tuple[float, float]:
    """Median wall and median process CPU time (s) of ``repeats`` runs after a warm-up run.

    CPU time counts every thread of the process (SimpleITK reads with several), and is less
    disturbed than wall time by other work on a shared machine.
    """
    step()
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        step()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


@contextmanager
def counting_opens() -> Iterator[Counter[str]]:
    """Count ``open()`` calls per file (pydicom opens files with the builtin)."""
    counts: Counter[str] = Counter()
    original = builtins.open

    def counted(file: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(file, str | Path):
            counts[str(Path(file).resolve())] += 1
        return original(file, *args, **kwargs)

    builtins.open = counted
    try:
        yield counts
    finally:
        builtins.open = original


def compare(label: str, series: Path, mask: Path, repeats: int) -> None:
    """Time the three pipelines on one input and print the numbers they give."""
    print(f"\n{label}")
    results: dict[str, tuple[float, float]] = {}
    pipelines: list[tuple[str, Callable[[Path, Path], Stats]]] = [
        ("theratrial", theratrial_pipeline),
        ("pydicom+numpy", plain_pipeline),
        ("SimpleITK reader", sitk_pipeline),
    ]
    for name, pipeline in pipelines:
        results[name] = timed(partial(pipeline, series, mask), repeats)
        mean, vmax, sd, median, peak = pipeline(series, mask)
        print(
            f"  {name:<18s} {results[name][0]:7.4f} s (CPU {results[name][1]:.4f} s)   "
            f"SUV mean {mean:.4f} max {vmax:.4f} SD {sd:.4f} median {median:.4f} peak {peak:.4f}"
        )
    for other in ("SimpleITK reader", "pydicom+numpy"):
        wall = results["theratrial"][0] / results[other][0]
        cpu = results["theratrial"][1] / results[other][1]
        print(f"  theratrial / {other}: {wall:.2f}x wall, {cpu:.2f}x CPU")
    with counting_opens() as counts:
        theratrial_pipeline(series, mask)
    files = [str(p.resolve()) for p in series.iterdir()]
    per_file = [counts[f] for f in files]
    print(
        f"  theratrial opens per series file: min {min(per_file)} max {max(per_file)} "
        f"(mask file: {counts[str(mask.resolve())]})"
    )


def rtstruct_parse(path: Path, repeats: int) -> None:
    """theratrial's RTSTRUCT reader against NumPy on the raw ContourData bytes."""
    print(f"\nRTSTRUCT parse ({path.parent.parent.parent.name}/{path.name})")

    def ours_from_file() -> object:
        return read_rtstruct_rois(read_dataset(path), path)

    file_ours = median_s(ours_from_file, repeats)
    file_raw = median_s(lambda: raw_contours(path), repeats)

    def parse_only(parse: Callable[[pydicom.Dataset], object]) -> float:
        times = []
        for _ in range(repeats + 1):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ds = pydicom.dcmread(path)
            start = time.perf_counter()
            parse(ds)
            times.append(time.perf_counter() - start)
        return statistics.median(times[1:])

    only_ours = parse_only(lambda ds: read_rtstruct_rois(ds, path))
    only_raw = parse_only(contours_of)
    n_values = sum(c.size for c in contours_of(pydicom.dcmread(path)))
    print(f"  ContourData values: {n_values}")
    print(
        f"  file -> contours: theratrial {file_ours:.4f} s, numpy raw {file_raw:.4f} s "
        f"({file_ours / file_raw:.2f}x)"
    )
    print(
        f"  dataset -> contours: theratrial {only_ours:.4f} s, numpy raw {only_raw:.4f} s "
        f"({only_ours / only_raw:.2f}x)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    repeats = parser.parse_args().repeats
    print(f"theratrial load benchmark: median of {repeats} repeats, in process (start-up excluded)")
    print("MIRP: not installed, not measured")
    sts = SHARED / "sts-petct" / "STS_001" / "PET" / "dicom"
    dro = SHARED / "suv-dro" / "DRO_0_0"
    if sts.is_dir():
        compare(
            "STS_001 PET (59 x 43 x 41): load + SUVbw + RTSTRUCT VOI + stats",
            sts / "image",
            sts / "mask" / "RS.dcm",
            repeats,
        )
    else:
        print("sts-petct absent: skipped")
    if dro.is_dir():
        compare(
            "DRO_0_0 (20 x 256 x 256): load + SUVbw + NIfTI VOI + stats",
            dro / "PT",
            dro / "mask" / "DRO_mask.nii.gz",
            repeats,
        )
    else:
        print("suv-dro absent: skipped")
    if sts.is_dir():
        rtstruct_parse(sts / "mask" / "RS.dcm", repeats)


if __name__ == "__main__":
    main()
