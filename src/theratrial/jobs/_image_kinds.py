"""Job kinds ``quantify`` and ``dosimetry`` (private).

``quantify`` does what ``theratrial quantify STUDY --masks MASKS --db URL`` does: the
study's quantitative series (:func:`theratrial.imaging.study.pick_quantitative_series`),
its biodistribution table (:func:`theratrial.imaging.quantify_study`) stored with
:func:`theratrial.store.imaging_results.save_quantification`, in the job's final
transaction. Parameters: ``study_dir``, ``masks``, ``suv``, ``mtv`` (``"41%"``, ``2.5`` or
``"liver"`` as on the command line), ``lesion_metric``, ``calibration_cps_per_mbq``,
``duration_s``, ``patient``.

``dosimetry`` does what ``theratrial dosimetry PATIENT_DIR`` does
(:func:`theratrial.dosimetry.pipeline.patient_dosimetry`); its result holds each cycle's
region records (:meth:`RegionDose.as_record`) and the cumulative doses. Parameters:
``patient_dir``, ``nuclide``, ``masks``, ``ct``, ``method``, ``voxel``,
``activity_margin_mm``, ``s_values``, ``calibration_cps_per_mbq``, ``pvc``,
``resolution_mm``, ``recovery_csv``, ``phantom``, ``alpha_beta_gy``, ``repair_half_time_h``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from theratrial.errors import ParameterError
from theratrial.ids import check_pseudonym
from theratrial.jobs._base import JobKind, Outcome, Params, ProgressReport, jsonable
from theratrial.jobs._base import defaults as _defaults

__all__ = ["DOSIMETRY", "QUANTIFY", "cycle_documents"]


@dataclass(frozen=True, slots=True)
class QuantifySpec:
    """Checked parameters of a ``quantify`` job."""

    study_dir: Path
    masks: Path
    suv: str | None = None
    mtv: str | float | None = None
    lesion_metric: str = "max"
    calibration_cps_per_mbq: float | None = None
    duration_s: float | None = None
    patient: str | None = None


def _mtv(value: str | float | None) -> Any:
    """``41%`` -> percent of max; a number -> absolute; ``liver`` -> PERCIST (as the CLI)."""
    from theratrial.imaging.voi import MtvThreshold

    if value is None:
        return None
    hint = "write '41%' (of max), 2.5 (absolute) or 'liver' (PERCIST)"
    text = str(value).strip().lower()
    try:
        if text == "liver":
            return MtvThreshold.liver(float("nan"), float("nan"))
        if text.endswith("%"):
            return MtvThreshold.percent_of_max(float(text[:-1]))
        number = float(text)
    except (ValueError, ParameterError):
        raise ParameterError(
            f"cannot read MTV threshold {value!r}", field="params.mtv", hint=hint
        ) from None
    if number != number or number in (float("inf"), float("-inf")):
        raise ParameterError(f"MTV threshold {value!r} is not a number", field="params.mtv")
    return MtvThreshold.absolute(number)


def _parse_quantify(params: Mapping[str, Any]) -> QuantifySpec:
    p = Params(params, kind="quantify")
    mtv = p.raw("mtv", None)
    spec = QuantifySpec(
        study_dir=p.folder("study_dir"),
        masks=p.folder("masks"),
        suv=p.text("suv", None, optional=True),
        mtv=mtv if isinstance(mtv, (str, int, float)) and not isinstance(mtv, bool) else None,
        lesion_metric=p.text("lesion_metric", "max"),
        calibration_cps_per_mbq=p.number(
            "calibration_cps_per_mbq", None, positive=True, optional=True
        ),
        duration_s=p.number("duration_s", None, positive=True, optional=True),
        patient=p.text("patient", None, optional=True),
    )
    p.finish()
    if mtv is not None and spec.mtv is None:
        raise ParameterError(f"cannot read MTV threshold {mtv!r}", field="params.mtv")
    _mtv(spec.mtv)
    from theratrial.imaging.suvtype import SuvType

    choices = [t.value for t in SuvType]
    if spec.suv is not None and spec.suv.lower() not in choices:
        raise ParameterError(
            f"unknown SUV type {spec.suv!r}", field="params.suv", hint=", ".join(choices)
        )
    if spec.lesion_metric not in ("max", "peak", "mean"):
        raise ParameterError(
            f"unknown lesion metric {spec.lesion_metric!r}",
            field="params.lesion_metric",
            hint="one of max, peak, mean",
        )
    if spec.patient is not None:
        check_pseudonym(spec.patient, field="params.patient")
    return spec


def _run_quantify(spec: QuantifySpec, *, report: ProgressReport, job_id: str) -> Outcome:
    from theratrial.imaging import quantify_study
    from theratrial.imaging.study import pick_quantitative_series
    from theratrial.store.imaging_results import save_quantification

    report(0.0, "finding the quantitative series", force=True)
    series = pick_quantitative_series(spec.study_dir)
    result = quantify_study(
        series,
        spec.masks,
        suv_type=None if spec.suv is None else spec.suv.lower(),
        mtv=_mtv(spec.mtv),
        calibration_cps_per_mbq=spec.calibration_cps_per_mbq,
        duration_s=spec.duration_s,
        lesion_metric=spec.lesion_metric,
        progress=report.callback("reading series", 0.05, 0.9),
    )
    summary = {
        "study_uid": result.study_uid,
        "series_uid": result.series_uid,
        "modality": result.modality,
        "quantity": result.quantity,
        "units": result.units,
        "suv_type": result.suv_type,
        "lesion_metric": result.table.lesion_metric,
        "liver_mean": jsonable(result.table.liver_mean),
        "spleen_mean": jsonable(result.table.spleen_mean),
        "rows": jsonable(result.table.rows),
        "assumptions": list(result.assumptions),
    }

    def store(session: Session) -> Mapping[str, Any]:
        row = save_quantification(
            session, result, patient_id=spec.patient, masks_source=str(spec.masks)
        )
        session.flush()
        return {"imaging_series_id": row.id}

    return Outcome(result=summary, store=store)


@dataclass(frozen=True, slots=True)
class DosimetrySpec:
    """Checked parameters of a ``dosimetry`` job."""

    patient_dir: Path
    nuclide: str = "Lu-177"
    masks: Path | None = None
    ct: Path | None = None
    method: str = "auto"
    voxel: bool = False
    activity_margin_mm: float = 0.0
    s_values: str = "auto"
    calibration_cps_per_mbq: float | None = None
    pvc: str = "none"
    resolution_mm: float | None = None
    recovery_csv: Path | None = None
    phantom: str = "adult_male"
    alpha_beta_gy: float = 2.6
    repair_half_time_h: float = 2.8


def _parse_dosimetry(params: Mapping[str, Any]) -> DosimetrySpec:
    from theratrial.dosimetry.recovery import PVC_METHODS
    from theratrial.dosimetry.tia import METHODS

    p = Params(params, kind="dosimetry")
    d = _defaults(DosimetrySpec)
    spec = DosimetrySpec(
        patient_dir=p.folder("patient_dir"),
        nuclide=p.text("nuclide", d["nuclide"]),
        masks=p.folder("masks", optional=True),
        ct=p.folder("ct", optional=True),
        method=p.text("method", d["method"]),
        voxel=p.flag("voxel", d["voxel"]),
        activity_margin_mm=p.number("activity_margin_mm", d["activity_margin_mm"]),
        s_values=p.text("s_values", d["s_values"]),
        calibration_cps_per_mbq=p.number(
            "calibration_cps_per_mbq", None, positive=True, optional=True
        ),
        pvc=p.text("pvc", d["pvc"]),
        resolution_mm=p.number("resolution_mm", None, positive=True, optional=True),
        recovery_csv=p.folder("recovery_csv", optional=True),
        phantom=p.text("phantom", d["phantom"]),
        alpha_beta_gy=p.number("alpha_beta_gy", d["alpha_beta_gy"], positive=True),
        repair_half_time_h=p.number("repair_half_time_h", d["repair_half_time_h"], positive=True),
    )
    p.finish()
    for name, value, known in (
        ("method", spec.method, METHODS),
        ("pvc", spec.pvc, PVC_METHODS),
        ("phantom", spec.phantom, ("adult_male", "adult_female")),
        ("s_values", spec.s_values, ("auto", "local")),
    ):
        if value not in known:
            raise ParameterError(
                f"unknown {name} {value!r}", field=f"params.{name}", hint=", ".join(known)
            )
    return spec


def _run_dosimetry(spec: DosimetrySpec, *, report: ProgressReport, job_id: str) -> Outcome:
    from theratrial.dosimetry.pipeline import patient_dosimetry
    from theratrial.dosimetry.radiobiology import Radiobiology
    from theratrial.dosimetry.recovery import read_recovery_csv

    report(0.0, "reading SPECT series", force=True)
    curve = (
        None
        if spec.recovery_csv is None
        else read_recovery_csv(spec.recovery_csv, resolution_mm=spec.resolution_mm)
    )
    result = patient_dosimetry(
        spec.patient_dir,
        nuclide=spec.nuclide,
        masks=spec.masks,
        ct=spec.ct,
        method=spec.method,
        voxel=spec.voxel,
        activity_margin_mm=spec.activity_margin_mm,
        s_values=spec.s_values,
        calibration_cps_per_mbq=spec.calibration_cps_per_mbq,
        pvc=spec.pvc,
        resolution_mm=spec.resolution_mm,
        recovery=curve,
        phantom="adult_female" if spec.phantom == "adult_female" else "adult_male",
        default_radiobiology=Radiobiology(spec.alpha_beta_gy, spec.repair_half_time_h),
        progress=report.callback("reading SPECT series", 0.0, 0.95),
        workers=1,
    )
    cycles = cycle_documents(result)
    summary = {
        "patient_dir": result.root,
        "nuclide": result.nuclide,
        "masses": list(result.masses),
        "cycles": cycles,
        "cumulative": list(result.cumulative()),
        "partial_volume": list(result.recovery),
        "warnings": list(result.warnings),
    }
    return Outcome(result=jsonable(summary))


def cycle_documents(result: Any) -> list[dict[str, Any]]:
    """Each cycle of a patient's dosimetry as a JSON-able document (regions with their TAC)."""
    cycles = []
    for cycle in result.cycles:
        regions = []
        for dose, tac in zip(cycle.regions, cycle.tacs, strict=True):
            record = dict(dose.as_record())
            record["activity_mbq"] = list(tac.activity_mbq)
            regions.append(record)
        cycles.append(
            {
                "cycle": cycle.cycle,
                "injection_datetime": cycle.injection_datetime,
                "administered_activity_mbq": cycle.administered_activity_mbq,
                "times_h": list(cycle.times_h),
                "regions": regions,
                "voxel_dose_gy": list(cycle.voxel),
                "residue_fraction": dict(cycle.residue_fraction),
                "warnings": list(cycle.warnings),
            }
        )
    return cycles


QUANTIFY = JobKind("quantify", _parse_quantify, _run_quantify)
DOSIMETRY = JobKind("dosimetry", _parse_dosimetry, _run_dosimetry)
