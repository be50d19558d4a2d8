"""Render a virtual patient's images and write its folder (DICOM, NIfTI, truth.json).

Rendering: the true activity map is ``sum_r C_r(t) w_r`` with ``C_r`` the region's mean
concentration (Bq/mL) and ``w_r`` its activity weight per voxel (partial-volume fraction
times radial profile, :mod:`theratrial.phantoms._voxelise`); the scanner model then
applies the Gaussian PSF and Poisson noise (:mod:`theratrial.phantoms.noise`). CT numbers
mix linearly by volume fraction (air -1000 HU outside the body) plus Gaussian noise.

Examples
--------
>>> import tempfile
>>> from theratrial.phantoms.config import PhantomConfig
>>> cfg = PhantomConfig().with_grid((24, 24, 24)).with_therapy(cycles=1, spect_times_h=(24.0,))
>>> with tempfile.TemporaryDirectory() as tmp:
...     files = write_patient(Path(tmp) / "p", 1, config=cfg)
...     sorted(p.name for p in (Path(tmp) / "p" / "dicom").iterdir())
['ct', 'pet_ga68', 'pet_ga68_retest', 'seg', 'spect_c1_024h']
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from theratrial.errors import InputError
from theratrial.nuclides import nuclide
from theratrial.phantoms._dicom import SeriesHeader, write_ct, write_nm, write_pet
from theratrial.phantoms._seg import write_nifti_masks, write_seg
from theratrial.phantoms._voxelise import Voxelised, voxelise
from theratrial.phantoms.anatomy import Region
from theratrial.phantoms.config import PhantomConfig
from theratrial.phantoms.noise import counts_per_bq_per_ml, gaussian_psf, poisson_noise
from theratrial.phantoms.patient import ScanPlan, VirtualPatient, generate_patient
from theratrial.phantoms.truth import (
    frame_of_reference_uid,
    labels_of,
    patient_truth,
    series_uids,
)

__all__ = ["PatientFiles", "render_activity", "render_ct", "write_patient"]

Progress = Callable[[int, int], None]
_NOISE_STREAM = 3


@dataclass(frozen=True, slots=True)
class PatientFiles:
    """What :func:`write_patient` wrote: the folder, its series folders and the truth."""

    patient_dir: Path
    truth_path: Path
    series: dict[str, Path]
    masks: dict[str, Path]
    seg_path: Path
    patient: VirtualPatient
    truth: dict[str, Any]


def render_activity(
    vox: Voxelised, concentration_bq_per_ml: dict[str, float]
) -> NDArray[np.float32]:
    """True activity-concentration map (Bq/mL) from each region's mean concentration."""
    image = vox.body_fraction * np.float32(concentration_bq_per_ml.get("body", 0.0))
    for name, m in vox.maps.items():
        c = concentration_bq_per_ml.get(name, 0.0)
        if c:
            image[m.slices] += np.float32(c) * m.weight
    return image


def render_ct(
    vox: Voxelised, regions: list[Region], rng: np.random.Generator, *, noise_hu: float
) -> NDArray[np.float32]:
    """CT numbers (HU): volume-weighted tissue HU, air outside, Gaussian noise."""
    hu = np.float32(-1000.0) * (1.0 - vox.body_inside)
    hu += np.float32(0.0) * vox.body_fraction  # body background 0 HU (fat/muscle mix)
    by_name = {r.name: r for r in regions}
    for name, m in vox.maps.items():
        hu[m.slices] += np.float32(by_name[name].hu) * m.fraction
        # region fraction replaced body tissue (0 HU) within the outline: nothing to remove
    if noise_hu > 0:
        hu += (noise_hu * rng.standard_normal(hu.shape)).astype(np.float32)
    result: NDArray[np.float32] = hu.astype(np.float32)
    return result


def _scan_image(
    p: VirtualPatient, vox: Voxelised, scan: ScanPlan, rng: np.random.Generator
) -> tuple[NDArray[np.float32], NDArray[np.float32] | None]:
    names = ["body", *vox.maps]
    if scan.kind == "spect":
        conc = {n: p.therapy_concentration_bq_per_ml(n, scan.start) for n in names}
    else:
        conc = {
            n: p.ga68_concentration_bq_per_ml(n, retest=scan.kind == "pet_retest") for n in names
        }
    image = render_activity(vox, conc)
    sc = scan.scanner
    assert sc is not None
    assert scan.injection is not None
    if sc.fwhm_mm > 0:
        image = gaussian_psf(image, fwhm_mm=sc.fwhm_mm, spacing_zyx_mm=p.grid.spacing_zyx_mm)
    counts = None
    if sc.noise or (scan.kind == "spect" and p.config.therapy.spect_units == "CNTS"):
        cpu = counts_per_bq_per_ml(
            voxel_volume_ml=p.grid.voxel_volume_ml,
            sensitivity_cps_per_mbq=sc.sensitivity_cps_per_mbq,
            duration_s=sc.duration_s,
            half_life_s=nuclide(scan.injection.nuclide_name).half_life_h * 3600.0,
        )
        if sc.noise:
            image, counts = poisson_noise(image, rng, counts_per_unit=cpu)
        else:
            counts = (image * np.float32(cpu)).astype(np.float32)
    return image, counts


def write_patient(
    patient_dir: str | Path,
    seed: int,
    *,
    config: PhantomConfig | None = None,
    patient_id: str | None = None,
    progress: Progress | None = None,
    overwrite: bool = False,
) -> PatientFiles:
    """Generate a virtual patient and write its folder (layout in the package docstring).

    Parameters
    ----------
    patient_dir
        Folder to create; it must be empty or absent unless ``overwrite``.
    seed
        The patient's seed.
    config
        Generator settings.
    patient_id
        Pseudonymous identifier (default ``VP-<seed>``).
    progress
        Called as ``progress(done, total)`` after each written item.
    overwrite
        Allow writing into a non-empty folder.
    """
    out = Path(patient_dir)
    if out.exists() and not out.is_dir():
        raise InputError(
            "is a file, a folder was expected", file=out, hint="choose a new folder name"
        )
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise InputError(
            "the patient folder is not empty",
            file=out,
            hint="choose a new folder or pass overwrite (CLI: --overwrite)",
        )
    p = generate_patient(seed, config=config, patient_id=patient_id)
    cfg = p.config
    regions = [r.region for r in p.regions if r.name != "body"]
    total = len(p.scans) + 3
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    vox = voxelise(regions, p.body, p.grid, supersample=cfg.grid.supersample)
    truth = patient_truth(p)
    uids = series_uids(p)
    frame = frame_of_reference_uid(p)
    dicom = out / "dicom"
    series_paths: dict[str, Path] = {}
    ct_datasets: list[Any] = []
    for index, scan in enumerate(p.scans):
        rng = np.random.default_rng(np.random.SeedSequence([seed, _NOISE_STREAM, index]))
        study_uid, series_uid = uids[scan.series]
        header = SeriesHeader(
            p.patient_id,
            p.demographics.sex,
            p.demographics.age_y,
            p.demographics.weight_kg,
            p.demographics.height_cm,
            study_uid,
            scan.start,
            f"{index + 1}",
            series_uid,
            index + 1,
            _description(scan),
            frame,
            scan.start,
        )
        folder = dicom / scan.series
        if scan.kind == "ct":
            hu = render_ct(vox, regions, rng, noise_hu=cfg.ct_noise_hu)
            ct_datasets = write_ct(folder, hu, p.grid, header)
        elif scan.kind == "ct_followup":
            follow = _followup_regions(p, regions, scan)
            fvox = voxelise(follow, p.body, p.grid, supersample=cfg.grid.supersample)
            write_ct(folder, render_ct(fvox, follow, rng, noise_hu=cfg.ct_noise_hu), p.grid, header)
        else:
            image, counts = _scan_image(p, vox, scan, rng)
            assert scan.injection is not None
            assert scan.scanner is not None
            if scan.kind == "spect":
                units = cfg.therapy.spect_units
                values = counts if units == "CNTS" and counts is not None else image
                write_nm(
                    folder,
                    values,
                    p.grid,
                    header,
                    injection=scan.injection,
                    units=units,
                    duration_s=scan.scanner.duration_s,
                    views=60,
                    comments=_spect_comment(truth, scan.series),
                )
            else:
                write_pet(
                    folder,
                    image,
                    p.grid,
                    header,
                    injection=scan.injection,
                    duration_s=scan.scanner.duration_s,
                )
        series_paths[scan.series] = folder
        tick()

    labels = labels_of(p)
    masks = {name: vox.mask(name) for name in labels}
    mask_paths = write_nifti_masks(out / "masks", masks, p.grid)
    tick()
    seg_series = uids["seg"][1]
    seg_path = dicom / "seg" / "SEG_0001.dcm"
    segments = [(labels[r.name], r.name, r.region.region_type, r.region.kind) for r in p.regions]
    segments.sort()
    write_seg(
        seg_path,
        vox.labels,
        segments,
        ct_datasets,
        series_uid=seg_series,
        sop_uid=f"{seg_series}.1",
    )
    tick()
    for name, region in truth["regions"].items():
        region["grid_volume_ml"] = vox.grid_volume_ml(name)
        region["mask_volume_ml"] = float(masks[name].sum()) * p.grid.voxel_volume_ml
    truth_path = out / "truth.json"
    truth_path.write_text(json.dumps(truth, indent=1, ensure_ascii=False), encoding="utf-8")
    tick()
    return PatientFiles(out, truth_path, series_paths, mask_paths, seg_path, p, truth)


def _description(scan: ScanPlan) -> str:
    if scan.kind == "ct":
        return "CT virtual patient"
    if scan.kind == "ct_followup":
        return f"CT follow-up week {scan.week:g}"
    if scan.kind == "pet":
        return "PET 68Ga-DOTATATE 60 min"
    if scan.kind == "pet_retest":
        return "PET 68Ga-DOTATATE 60 min retest"
    return f"SPECT cycle {scan.cycle} {scan.hours_post_injection:g} h"


def _spect_comment(truth: dict[str, Any], name: str) -> str:
    entry = next(s for s in truth["series"] if s["name"] == name)
    return (
        f"virtual quantitative SPECT; units {entry['units']}; Bq/mL at acquisition start; "
        f"sensitivity {entry['sensitivity_cps_per_mbq']:g} cps/MBq; duration "
        f"{entry['duration_s']:g} s; calibration {entry['calibration_bq_per_ml_per_count']:.6g} "
        f"Bq/mL per count; PSF FWHM {entry['fwhm_mm']:g} mm"
    )


def _followup_regions(p: VirtualPatient, regions: list[Region], scan: ScanPlan) -> list[Region]:
    weeks = p.config.response.followup_weeks
    idx = weeks.index(scan.week) if scan.week is not None else 0
    out: list[Region] = []
    for r in regions:
        if r.kind != "lesion":
            out.append(r)
            continue
        resp = p.responses[r.name]
        factor = resp.true_ld_mm[idx] / resp.baseline_ld_mm
        if factor > 0:
            out.append(replace(r, ellipsoid=r.ellipsoid.scaled(factor)))
    return out
