"""The truth file of a virtual patient (``truth.json``): every parameter and exact result.

Schema ``theratrial.phantom.truth/1`` (units in the key names; times ISO 8601, local)::

    schema, generator {package, version}, patient_id, seed
    patient          sex, age_y, height_cm, weight_kg, bmi, who_grade
    config           every generator setting (PhantomConfig as JSON)
    grid             shape_zyx, spacing_xyz_mm, origin_xyz_mm, direction, voxel_volume_ml,
                     supersample
    frame_of_reference_uid
    dose_model       description, nuclide, alpha_mev, alpha_recoil_mev, electron_mev,
                     non_penetrating_mev, mgy_g_per_mbq_h, rbe_alpha,
                     rbe_weighted_mgy_g_per_mbq_h, chain {member: decays per parent decay}
    therapy          nuclide, half_life_h, interval_days,
                     cycles [{cycle, injection_datetime, activity_mbq}]
    ga68_pet         injection_datetime, activity_mbq, uptake_time_min, scan_start,
                     half_life_h
    ga68_pet_retest  the same + days_after, biological_cv, measurement_cv,
                     measurement_factor (null when disabled)
    regions {name:   label (SEG segment number / label-map value), kind (organ|lesion),
                     type, parent, ellipsoid {centre_xyz_mm, semi_axes_mm, angle_deg} (null
                     for body), density_g_per_ml, hu, profile_beta, peak_to_mean,
                     volume_ml (analytic), mass_g, grid_volume_ml, mask_volume_ml (null
                     without images), ga68_suvmean, ga68_suvmax, ga68_suvmean_retest,
                     therapy_uptake_index, uptake_fraction,
                     kinetics {uptake_rate_per_h, fast_fraction, fast_half_life_h,
                     slow_half_life_h (biological), effective_slow_half_life_h
                     {Lu-177, Ac-225}},
                     tia_mbq_h [per cycle], tia_mbq_h_total, tia_per_administered_h
                     [per cycle], absorbed_dose_gy [per cycle], absorbed_dose_gy_total,
                     absorbed_dose_gy_per_gbq, rbe_weighted_dose_gy [per cycle],
                     rbe_weighted_dose_gy_total}
    lesions {name:   type, longest_diameter_mm, short_axis_mm, differentiation, fdg_suvmax,
                     adc_mean_1e3_mm2_s, ga68_suvmean, ga68_suvmax, growth_per_month,
                     lesion_effect, responder,
                     followup {weeks, days, dose_delivered_gy, true_change, true_ld_mm,
                     measured_ld_mm, measured_change}}
    response_model   formula and parameters (theratrial.phantoms.response)
    lesion_feature_model   the generating effects (theratrial.phantoms.features)
    time_activity_model    the TAC formula (theratrial.phantoms.kinetics)
    series [{        name, kind (ct|pet|pet_retest|spect|ct_followup), modality, path,
                     study_instance_uid, series_instance_uid, acquisition_datetime,
                     nuclide, injection_datetime, administered_activity_mbq, cycle,
                     hours_post_injection, week, fwhm_mm, noise, sensitivity_cps_per_mbq,
                     duration_s, units, counts_per_bq_per_ml, calibration_bq_per_ml_per_count,
                     true_mean_bq_per_ml {region}, true_activity_mbq {region},
                     true_suvmean {region} (PET), measurement_factor (retest PET),
                     true_ld_mm {lesion} (follow-up CT)}]
    masks            nifti_folder, seg_path, labels {region: label}

``true_mean_bq_per_ml`` is the mean concentration over the region (analytic): at the
series start for PET (decay-corrected START), at the acquisition start for SPECT; SPECT
concentrations include the residue of earlier cycles. ``true_activity_mbq`` = mean x
analytic volume.

Examples
--------
>>> from theratrial.phantoms.patient import generate_patient
>>> t = patient_truth(generate_patient(3))
>>> t["schema"], sorted(t["regions"])[:2]
('theratrial.phantom.truth/1', ['adrenal_left', 'adrenal_right'])
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from theratrial import __version__
from theratrial.errors import InputError
from theratrial.nuclides import nuclide
from theratrial.phantoms._dicom import deterministic_uid
from theratrial.phantoms._jsonify import json_ready
from theratrial.phantoms.features import FEATURE_MODEL
from theratrial.phantoms.noise import counts_per_bq_per_ml
from theratrial.phantoms.patient import RegionTruth, ScanPlan, VirtualPatient

__all__ = [
    "TRUTH_SCHEMA",
    "load_truth",
    "patient_truth",
    "series_uids",
]

TRUTH_SCHEMA = "theratrial.phantom.truth/1"

TAC_FORMULA = (
    "A(t) = A0 * f * (1 - exp(-k_u t)) * [w exp(-ln2 t/T_fast) + (1-w) exp(-ln2 t/T_slow)]"
    " * exp(-lambda_phys t); f = therapy_uptake_index * volume_ml / weight_g; TIA = integral"
    " to infinity, closed form"
)


def series_uids(p: VirtualPatient) -> dict[str, tuple[str, str]]:
    """``series name -> (study UID, series UID)``, deterministic from the patient."""
    out: dict[str, tuple[str, str]] = {}
    for scan in p.scans:
        if scan.kind in ("ct", "pet"):
            visit = "baseline"
        elif scan.kind == "pet_retest":
            visit = "retest"
        elif scan.kind == "spect":
            visit = f"cycle{scan.cycle}"
        else:
            visit = scan.series
        out[scan.series] = (
            deterministic_uid(p.patient_id, p.seed, "study", visit),
            deterministic_uid(p.patient_id, p.seed, "series", scan.series),
        )
    out["seg"] = (out["ct"][0], deterministic_uid(p.patient_id, p.seed, "series", "seg"))
    return out


def frame_of_reference_uid(p: VirtualPatient) -> str:
    """The frame of reference shared by every series of the patient."""
    return deterministic_uid(p.patient_id, p.seed, "frame-of-reference")


def _region(p: VirtualPatient, r: RegionTruth, label: int) -> dict[str, Any]:
    e = r.region.ellipsoid
    administered = [inj.activity_mbq for inj in p.injections]
    k = r.kinetics
    return {
        "label": label,
        "kind": r.region.kind,
        "type": r.region.region_type,
        "parent": r.region.parent,
        "ellipsoid": None
        if r.name == "body"
        else {
            "centre_xyz_mm": list(e.centre_mm),
            "semi_axes_mm": list(e.semi_axes_mm),
            "angle_deg": e.angle_deg,
        },
        "density_g_per_ml": r.region.density_g_per_ml,
        "hu": r.region.hu,
        "profile_beta": r.region.profile_beta,
        "peak_to_mean": r.region.peak_to_mean,
        "volume_ml": r.volume_ml,
        "mass_g": r.mass_g,
        "grid_volume_ml": None,
        "mask_volume_ml": None,
        "ga68_suvmean": r.ga68_suvmean,
        "ga68_suvmax": r.ga68_suvmax,
        "ga68_suvmean_retest": r.ga68_suvmean_retest,
        "therapy_uptake_index": r.therapy_uptake_index,
        "uptake_fraction": r.uptake_fraction,
        "kinetics": {
            "uptake_rate_per_h": k.uptake_rate_per_h,
            "fast_fraction": k.fast_fraction,
            "fast_half_life_h": k.fast_half_life_h,
            "slow_half_life_h": k.slow_half_life_h,
            "effective_slow_half_life_h": {
                n: k.effective_slow_half_life_h(n) for n in ("Lu-177", "Ac-225")
            },
        },
        "tia_mbq_h": list(r.tia_mbq_h),
        "tia_mbq_h_total": sum(r.tia_mbq_h),
        "tia_per_administered_h": [t / a for t, a in zip(r.tia_mbq_h, administered, strict=True)],
        "absorbed_dose_gy": list(r.absorbed_dose_gy),
        "absorbed_dose_gy_total": sum(r.absorbed_dose_gy),
        "absorbed_dose_gy_per_gbq": r.absorbed_dose_gy[0] / (administered[0] / 1000.0),
        "rbe_weighted_dose_gy": list(r.rbe_weighted_dose_gy),
        "rbe_weighted_dose_gy_total": sum(r.rbe_weighted_dose_gy),
    }


def _series(p: VirtualPatient, scan: ScanPlan, uids: tuple[str, str]) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": scan.series,
        "kind": scan.kind,
        "modality": scan.modality,
        "path": f"dicom/{scan.series}",
        "study_instance_uid": uids[0],
        "series_instance_uid": uids[1],
        "acquisition_datetime": scan.start,
        "cycle": scan.cycle,
        "hours_post_injection": scan.hours_post_injection,
        "week": scan.week,
        "nuclide": None,
        "injection_datetime": None,
        "administered_activity_mbq": None,
    }
    if scan.injection is not None and scan.scanner is not None:
        inj, sc = scan.injection, scan.scanner
        grid = p.grid
        cpu = counts_per_bq_per_ml(
            voxel_volume_ml=grid.voxel_volume_ml,
            sensitivity_cps_per_mbq=sc.sensitivity_cps_per_mbq,
            duration_s=sc.duration_s,
            half_life_s=nuclide(inj.nuclide_name).half_life_h * 3600.0,
        )
        units = "BQML" if scan.kind != "spect" else p.config.therapy.spect_units
        entry.update(
            {
                "nuclide": inj.nuclide_name,
                "injection_datetime": inj.time,
                "administered_activity_mbq": inj.activity_mbq,
                "fwhm_mm": sc.fwhm_mm,
                "noise": sc.noise,
                "sensitivity_cps_per_mbq": sc.sensitivity_cps_per_mbq,
                "duration_s": sc.duration_s,
                "units": units,
                "counts_per_bq_per_ml": cpu,
                "calibration_bq_per_ml_per_count": 1.0 / cpu,
            }
        )
        names = ["body", *(r.name for r in p.regions if r.name != "body")]
        if scan.kind == "spect":
            conc = {n: p.therapy_concentration_bq_per_ml(n, scan.start) for n in names}
        else:
            retest = scan.kind == "pet_retest"
            conc = {n: p.ga68_concentration_bq_per_ml(n, retest=retest) for n in names}
            entry["true_suvmean"] = {
                n: (
                    p.region(n).ga68_suvmean_retest * p.retest_calibration
                    if retest
                    else p.region(n).ga68_suvmean
                )
                for n in names
            }
            if retest:
                entry["measurement_factor"] = p.retest_calibration
        entry["true_mean_bq_per_ml"] = conc
        entry["true_activity_mbq"] = {n: conc[n] * p.region(n).volume_ml / 1e6 for n in names}
    if scan.kind == "ct_followup":
        idx = p.config.response.followup_weeks.index(scan.week) if scan.week is not None else 0
        entry["true_ld_mm"] = {n: r.true_ld_mm[idx] for n, r in p.responses.items()}
    return entry


def labels_of(p: VirtualPatient) -> dict[str, int]:
    """Label-map value (= SEG segment number) of every region: body 1, then in order."""
    names = [r.name for r in p.regions if r.name != "body"]
    return {"body": 1, **{n: i for i, n in enumerate(names, start=2)}}


def patient_truth(p: VirtualPatient) -> dict[str, Any]:
    """The JSON-ready truth of a patient (the schema above; no grid volumes yet)."""
    labels = labels_of(p)
    uids = series_uids(p)
    threshold = p.config.response.responder_threshold
    dm = p.dose
    t_half = nuclide(p.therapy_nuclide).half_life_h
    pet = p.config.pet
    truth: dict[str, Any] = {
        "schema": TRUTH_SCHEMA,
        "generator": {"package": "theratrial", "version": __version__},
        "patient_id": p.patient_id,
        "seed": p.seed,
        "patient": {**json_ready(p.demographics), "bmi": p.demographics.bmi, "who_grade": p.grade},
        "config": json_ready(p.config),
        "grid": {**p.grid.as_dict(), "supersample": p.config.grid.supersample},
        "frame_of_reference_uid": frame_of_reference_uid(p),
        "dose_model": {
            "description": dm.describe(),
            "nuclide": dm.nuclide_name,
            "alpha_mev": dm.alpha_mev,
            "alpha_recoil_mev": dm.alpha_recoil_mev,
            "electron_mev": dm.electron_mev,
            "non_penetrating_mev": dm.non_penetrating_mev,
            "mgy_g_per_mbq_h": dm.mgy_g_per_mbq_h,
            "rbe_alpha": dm.rbe_alpha,
            "rbe_weighted_mgy_g_per_mbq_h": dm.rbe_weighted_mgy_g_per_mbq_h,
            "chain": dict(dm.chain),
        },
        "therapy": {
            "nuclide": p.therapy_nuclide,
            "half_life_h": t_half,
            "interval_days": p.config.therapy.interval_days,
            "cycles": [
                {"cycle": i.cycle, "injection_datetime": i.time, "activity_mbq": i.activity_mbq}
                for i in p.injections
            ],
        },
        "ga68_pet": _pet_entry(p.ga68, pet.uptake_time_min),
        "ga68_pet_retest": None
        if p.ga68_retest is None
        else {
            **_pet_entry(p.ga68_retest, pet.uptake_time_min),
            "days_after": p.config.retest.days_after,
            "biological_cv": p.config.retest.biological_cv,
            "measurement_cv": p.config.retest.measurement_cv,
            "measurement_factor": p.retest_calibration,
        },
        "regions": {r.name: _region(p, r, labels[r.name]) for r in p.regions},
        "lesions": {},
        "response_model": p.config.response.as_dict(),
        "lesion_feature_model": FEATURE_MODEL,
        "time_activity_model": TAC_FORMULA,
        "series": [_series(p, s, uids[s.series]) for s in p.scans],
        "masks": {"nifti_folder": "masks", "seg_path": "dicom/seg/SEG_0001.dcm", "labels": labels},
    }
    for lesion in p.lesions:
        f = p.features[lesion.name]
        resp = p.responses[lesion.name]
        e = lesion.region.ellipsoid
        truth["lesions"][lesion.name] = {
            "type": lesion.region.region_type.removeprefix("lesion_"),
            "longest_diameter_mm": e.longest_axial_diameter_mm,
            "short_axis_mm": e.short_axial_diameter_mm,
            "differentiation": f.differentiation,
            "fdg_suvmax": f.fdg_suvmax,
            "adc_mean_1e3_mm2_s": f.adc_mean_1e3_mm2_s,
            "ga68_suvmean": lesion.ga68_suvmean,
            "ga68_suvmax": lesion.ga68_suvmax,
            "growth_per_month": resp.growth_per_month,
            "lesion_effect": resp.lesion_effect,
            "responder": resp.responder(threshold),
            "followup": {
                "weeks": list(p.config.response.followup_weeks),
                "days": list(resp.followup_days),
                "dose_delivered_gy": list(resp.dose_delivered_gy),
                "true_change": list(resp.true_change),
                "true_ld_mm": list(resp.true_ld_mm),
                "measured_ld_mm": list(resp.measured_ld_mm),
                "measured_change": list(resp.measured_change),
            },
        }
    result: dict[str, Any] = json_ready(truth)
    return result


def _pet_entry(inj: Any, uptake_min: float) -> dict[str, Any]:
    from datetime import timedelta

    return {
        "injection_datetime": inj.time,
        "activity_mbq": inj.activity_mbq,
        "uptake_time_min": uptake_min,
        "scan_start": inj.time + timedelta(minutes=uptake_min),
        "half_life_h": nuclide("Ga-68").half_life_h,
    }


def load_truth(path: str | Path) -> dict[str, Any]:
    """Read a ``truth.json`` (or the one in a patient folder).

    Raises
    ------
    InputError
        When the file is not a theratrial phantom truth file.
    """
    p = Path(path)
    if p.is_dir():
        p = p / "truth.json"
    data = json.loads(p.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or data.get("schema") != TRUTH_SCHEMA:
        raise InputError(
            "not a virtual-patient truth file",
            file=p,
            field="schema",
            hint=f"expected schema {TRUTH_SCHEMA!r}; generate it with 'theratrial phantom'",
        )
    return data
