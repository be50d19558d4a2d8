"""Quantitative imaging: DICOM series, volumes, SUV, SPECT quantification, masks, VOI statistics.

Turns folders of DICOM (PET, SPECT/NM, CT, MR) and masks (RTSTRUCT, DICOM SEG, NIfTI) into
the numbers that theranostic trials report: SUV and Bq/mL statistics per organ and lesion,
biodistribution tables, Krenning scores and ADC statistics. Pure: no database, no printing.

Conventions
-----------
- Arrays are indexed ``(z, y, x)`` (slice, row, column), as ``SimpleITK.GetArrayFromImage``.
- ``origin_mm``, ``spacing_mm`` and ``direction`` follow SimpleITK/ITK: ``(x, y, z)`` order,
  patient (LPS) coordinates; ``direction`` is the row-major 3x3 matrix whose columns are the
  unit vectors of the x, y and z array axes.
- Every SUV or activity result carries ``assumptions``: the header facts it relied on and
  every fallback taken (dose read as MBq, reference time from FrameReferenceTime, ...).

Public API
----------
Series and volumes
    ``SeriesRef``         one DICOM series (or non-image object) found on disk.
    ``Inventory``         what a folder scan found: series plus skipped files with reasons.
    ``scan_folder(root)`` -> Inventory; ``discover(root)`` -> list[SeriesRef].
    ``Volume``            a 3-D image (float64 array + ``Grid`` + units + header facts).
    ``Grid``              shape, origin, spacing, direction and frame of reference.
    ``PetHeader``         the header facts needed for SUV (weight, dose, times, units...).
    ``load_volume(source)`` -> Volume from a SeriesRef, a folder, a list of files, one
                          multi-frame file (NM/SPECT, enhanced) or a NIfTI file.
    ``load_dwi(sources)`` -> DwiSeries: diffusion images split into one Volume per b-value.
Masks
    ``Mask``              a boolean (z, y, x) mask on a Volume's grid, with its region name.
    ``load_mask(path, *, reference, roi=None)`` -> Mask (RTSTRUCT, DICOM SEG or NIfTI).
    ``load_masks(path, *, reference)`` -> list[Mask]: every ROI/segment/NIfTI in a file/folder.
    ``resample_mask(mask, reference)`` -> Mask on another grid of the same frame of reference.
    ``region_kind(name)`` -> "lesion" or "organ" (lesion/tumour/tumor/gtv/met prefixes).
SUV (QIBA vendor-neutral pseudo-code; PERCIST; see ``suv`` and ``bodysize``)
    ``SuvType``           bw | lbm-janma | lbm-james | bsa | ibw.
    ``SuvResult``         SUV volume + type + units + per-slice factors + assumptions.
    ``compute_suv(volume, *, suv_type=None)`` -> SuvResult.
    ``lean_body_mass_janmahasatian_kg``, ``lean_body_mass_james_kg``,
    ``body_surface_area_m2``, ``ideal_body_weight_kg``: body-size formulas.
SPECT
    ``spect_activity_concentration(volume, *, calibration_cps_per_mbq=None,
    duration_s=None)`` -> ActivityResult (Bq/mL volume + assumptions).
VOI statistics and biodistribution
    ``MtvThreshold``      how MTV is thresholded (percent of max, absolute, liver-based).
    ``VoiStatistics``     volume, max, mean, median, SD, peak, MTV, TLU, activity, %IA.
    ``voi_statistics(image, mask, *, ...)`` -> VoiStatistics.
    ``suv_peak(image, mask)`` -> (peak value, centre index): PERCIST 1 cm^3 sphere.
    ``Biodistribution``, ``BiodistributionRow``; ``biodistribution(image, masks, *, ...)``.
    ``krenning_score(lesion_uptake, *, liver_uptake, spleen_uptake=None)`` -> 1..4.
ADC
    ``AdcStatistics``; ``adc_statistics(adc_map, mask, *, percentiles=...)``;
    ``fit_adc(dwi)`` -> AdcFit: ADC volume (mm^2/s) by a mono-exponential fit.
Study
    ``StudyQuantification``; ``quantify_study(study_dir, masks_dir, *, ...)``: the
    per-organ/per-lesion table that ``theratrial quantify`` prints.

Examples
--------
>>> from theratrial.imaging import SuvType, region_kind
>>> [t.value for t in SuvType]
['bw', 'lbm-janma', 'lbm-james', 'bsa', 'ibw']
>>> region_kind("lesion_03")
'lesion'
"""

from __future__ import annotations

from theratrial.imaging.adc import AdcFit, AdcStatistics, adc_statistics, fit_adc
from theratrial.imaging.biodistribution import (
    Biodistribution,
    BiodistributionRow,
    biodistribution,
    krenning_score,
)
from theratrial.imaging.bodysize import (
    body_surface_area_m2,
    ideal_body_weight_kg,
    lean_body_mass_james_kg,
    lean_body_mass_janmahasatian_kg,
)
from theratrial.imaging.dwi import DwiSeries, load_dwi
from theratrial.imaging.grid import Grid
from theratrial.imaging.mask import Mask, load_mask, load_masks, region_kind, resample_mask
from theratrial.imaging.petheader import PetHeader
from theratrial.imaging.series import Inventory, SeriesRef, SkippedFile, discover, scan_folder
from theratrial.imaging.spect import ActivityResult, spect_activity_concentration
from theratrial.imaging.study import StudyQuantification, quantify_study
from theratrial.imaging.suv import SuvResult, SuvType, compute_suv
from theratrial.imaging.voi import MtvThreshold, VoiStatistics, suv_peak, voi_statistics
from theratrial.imaging.volume import Volume, load_volume

__all__ = [
    "ActivityResult",
    "AdcFit",
    "AdcStatistics",
    "Biodistribution",
    "BiodistributionRow",
    "DwiSeries",
    "Grid",
    "Inventory",
    "Mask",
    "MtvThreshold",
    "PetHeader",
    "SeriesRef",
    "SkippedFile",
    "StudyQuantification",
    "SuvResult",
    "SuvType",
    "VoiStatistics",
    "Volume",
    "adc_statistics",
    "biodistribution",
    "body_surface_area_m2",
    "compute_suv",
    "discover",
    "fit_adc",
    "ideal_body_weight_kg",
    "krenning_score",
    "lean_body_mass_james_kg",
    "lean_body_mass_janmahasatian_kg",
    "load_dwi",
    "load_mask",
    "load_masks",
    "load_volume",
    "quantify_study",
    "region_kind",
    "resample_mask",
    "scan_folder",
    "spect_activity_concentration",
    "suv_peak",
    "voi_statistics",
]
