"""Virtual NET patients written as real DICOM, with every generating parameter as truth.

A virtual patient is a set of ellipsoidal regions (body outline, organs, lesions) on a
regular voxel grid, each with a mass, a 68Ga-SSTR uptake (SUV) and a bi-exponential
time-activity curve for 177Lu- or 225Ac-DOTATATE. From these the package writes the
images a theranostic trial would acquire (CT, 68Ga PET, repeat PET, quantitative SPECT
at several time points after each cycle, optional follow-up CTs), the region masks (NIfTI
and DICOM SEG) and a ``truth.json`` holding every parameter and the exact time-integrated
activities and absorbed doses computed from the generating functions. Everything is
deterministic from one integer seed.

Public API (stable)
-------------------
Configuration (frozen dataclasses, every field has a literature-based default)
    ``PhantomConfig``      grid, therapy (nuclide, activity, cycles, interval), SPECT time
                           points, scanner models, lesion counts, distributions, response
                           model, test-retest variability.
    ``GridConfig``, ``ScannerConfig``, ``TherapyConfig``, ``LesionConfig``,
    ``ResponseModel``, ``RetestConfig``, ``LogNormal`` (a median and a CV).
Patients
    ``generate_patient(seed, *, config=PhantomConfig(), patient_id=None) -> VirtualPatient``
        Draw the anatomy, uptake, kinetics and response and compute the exact truth, without
        writing images (fast: no voxel grid needed).
    ``write_patient(patient_dir, seed, *, config=..., patient_id=None, progress=None,
    overwrite=False) -> PatientFiles``
        Generate and write the folder laid out below; returns the paths and the truth.
    ``VirtualPatient.truth() -> dict``  the JSON-ready truth (schema below).
    ``load_truth(path) -> dict``        read a ``truth.json`` (or a patient folder) back.
Screening
    ``screening_record(truth) -> dict``  the virtual patient as an eligibility record (labs,
        prior therapy and consent drawn from stated distributions with the patient's seed).
Cohorts
    ``generate_cohort(n, *, seed, config=..., out_dir=None, images=False, progress=None)
    -> Cohort``   n patients with seeds derived from ``seed``; with ``out_dir`` and
                  ``images=True`` each patient folder is written under ``out_dir``.
    ``lesion_table(cohort) -> tuple[LesionRecord, ...]``  one row per lesion: patient_id,
        lesion_id, lesion_type, ga68_suvmax, ga68_suvmean, fdg_suvmax, adc_mean_1e3_mm2_s,
        volume_ml, dose_gy per cycle and cumulative, baseline and follow-up longest diameter
        (mm), fractional change, responder flag. ``write_lesion_table(path, records)`` -> CSV.
Kinetics and dose (exact, used for the truth; usable on their own)
    ``Kinetics``  biological uptake rate and bi-exponential washout of one region.
    ``time_activity_mbq(kinetics, times_h, *, activity_mbq, uptake_fraction, nuclide_name)``
    ``time_integrated_activity_mbq_h(kinetics, *, activity_mbq, uptake_fraction,
    nuclide_name, t_end_h=inf)``  closed form.
    ``effective_half_life_h(biological_half_life_h, *, nuclide_name)``.
    ``DoseModel`` / ``dose_model(nuclide_name, *, rbe_alpha=5.0)``: local absorption of the
    non-penetrating energy per decay (ICRP 107, chain in situ for Ac-225), giving absorbed
    dose (Gy) and RBE-weighted dose (Gy).

Patient folder (stable layout)
------------------------------
::

    PATIENT_DIR/
      truth.json                      every parameter and the exact truth (schema: truth.py)
      dicom/
        ct/CT_0001.dcm ...            CT Image Storage, one file per slice, HU via
                                      RescaleSlope 1 / RescaleIntercept -1024
        pet_ga68/PT_0001.dcm ...      PET Image Storage, one file per slice, Units BQML,
                                      DecayCorrection START, RescaleSlope per slice
        pet_ga68_retest/PT_0001.dcm   the test-retest PET, some days later, same layout
        spect_c1_004h/NM_0001.dcm     NM Image Storage, ONE multi-frame file per time point
        spect_c1_024h/ ...            (RECON TOMO, frames = slices along +z), values
        spect_cK_168h/ ...            Bq/mL at the acquisition start via one RescaleSlope,
                                      Units BQML (or counts, Units CNTS, with the calibration
                                      in truth.json and ImageComments); position and
                                      orientation in DetectorInformationSequence; folder
                                      spect_c<cycle>_<hours, 3 digits>h ('p' for a decimal
                                      point, e.g. spect_c1_004p5h)
        ct_followup_w12/ ...          optional follow-up CTs (lesions at their true follow-up
                                      size), named by weeks after cycle 1 (w12 w24 w36 w48)
        seg/SEG_0001.dcm              DICOM Segmentation (highdicom, BINARY), one segment per
                                      region (Segment Label = region name, Segment Number =
                                      truth label), referencing the CT
      masks/
        <region>.nii.gz               one binary uint8 mask per region on the CT grid
                                      (voxel centre inside the region), NIfTI RAS affine

All series of a patient share one Frame of Reference UID; CT, PET and SPECT share the CT
voxel grid (same origin, spacing and orientation: axial, rows along +y, slices along +z).
UIDs are name-based (2.25.<UUID>), so the same seed writes byte-identical files.
Patient identifiers are pseudonymous: ``VP-<seed, 6 digits>``, in a cohort
``VP-<cohort seed>-<number, 3 digits>``.

Region names: ``body``, ``brain``, ``lung_left``, ``lung_right``, ``liver``, ``spleen``,
``kidney_left``, ``kidney_right``, ``adrenal_left``, ``adrenal_right``, ``bladder``,
``bone_marrow`` (thoracolumbar spine), ``parotid_left``, ``parotid_right``,
``submandibular_left``, ``submandibular_right``, ``pituitary``, and lesions
``lesion_liver_NN``, ``lesion_node_NN``, ``lesion_bone_NN``, ``lesion_primary_01``.

Cohort folder::

    DIR/
      cohort.json                     seed, config, patient ids and seeds
      lesions.csv                     the per-lesion table (lesion_table)
      VP-.../                         one patient folder each (when images are written)
"""

from __future__ import annotations

from theratrial.phantoms.anatomy import BodyOutline, Ellipsoid, Region
from theratrial.phantoms.cohort import (
    Cohort,
    LesionRecord,
    cohort_member_seed,
    generate_cohort,
    lesion_table,
    write_lesion_table,
)
from theratrial.phantoms.config import (
    GridConfig,
    LesionConfig,
    PetConfig,
    PhantomConfig,
    RetestConfig,
    ScannerConfig,
    TherapyConfig,
)
from theratrial.phantoms.dose import DoseModel, dose_model
from theratrial.phantoms.features import LesionFeatures
from theratrial.phantoms.grid import Grid
from theratrial.phantoms.kinetics import (
    Kinetics,
    biological_half_life_h,
    effective_half_life_h,
    time_activity_mbq,
    time_integrated_activity_mbq_h,
)
from theratrial.phantoms.noise import gaussian_psf, poisson_noise, sphere_centre_recovery
from theratrial.phantoms.patient import (
    Injection,
    LesionResponse,
    RegionTruth,
    ScanPlan,
    VirtualPatient,
    generate_patient,
    spect_series_name,
)
from theratrial.phantoms.record import screening_record
from theratrial.phantoms.response import ResponseModel
from theratrial.phantoms.truth import TRUTH_SCHEMA, load_truth, patient_truth
from theratrial.phantoms.uptake import DEFAULT_UPTAKE, LogNormal, RegionUptakeModel, Uniform
from theratrial.phantoms.writer import PatientFiles, write_patient

__all__ = [
    "DEFAULT_UPTAKE",
    "TRUTH_SCHEMA",
    "BodyOutline",
    "Cohort",
    "DoseModel",
    "Ellipsoid",
    "Grid",
    "GridConfig",
    "Injection",
    "Kinetics",
    "LesionConfig",
    "LesionFeatures",
    "LesionRecord",
    "LesionResponse",
    "LogNormal",
    "PatientFiles",
    "PetConfig",
    "PhantomConfig",
    "Region",
    "RegionTruth",
    "RegionUptakeModel",
    "ResponseModel",
    "RetestConfig",
    "ScanPlan",
    "ScannerConfig",
    "TherapyConfig",
    "Uniform",
    "VirtualPatient",
    "biological_half_life_h",
    "cohort_member_seed",
    "dose_model",
    "effective_half_life_h",
    "gaussian_psf",
    "generate_cohort",
    "generate_patient",
    "lesion_table",
    "load_truth",
    "patient_truth",
    "poisson_noise",
    "screening_record",
    "spect_series_name",
    "sphere_centre_recovery",
    "time_activity_mbq",
    "time_integrated_activity_mbq_h",
    "write_lesion_table",
    "write_patient",
]
