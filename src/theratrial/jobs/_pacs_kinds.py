"""Job kind ``pacs_import`` (private): import a study from a PACS for the trial.

Pulls one study by Study Instance UID from a DICOMweb server (WADO-RS,
:func:`theratrial.pacs.dicomweb.pull_study`), de-identifies it under the patient's trial
pseudonym (DICOM PS3.15 Annex E with Retain Longitudinal Temporal Information with Modified
Dates and Retain Patient Characteristics, :func:`theratrial.pacs.deid_folder.deidentify_folder`)
into ``out_dir``, quantifies its quantitative series with the given masks
(:func:`theratrial.imaging.quantify_study`) and stores the table against the pseudonym
(:func:`theratrial.store.imaging_results.save_quantification`).

The network pull runs first, outside any transaction, into a private temporary folder. The
pseudonym map (one date shift per pseudonym, the trial's UID secret) lives in the database,
so de-identification, quantification and storage run in the job's final transaction: the
pseudonym row, the de-identified folder and the stored table appear together or not at all
(a failure rolls the transaction back and removes ``out_dir``). The identified copy is
deleted when the job ends, whatever the outcome.

Parameters: ``url`` (DICOMweb root), ``study_uid``, ``pseudonym``, ``out_dir`` (a new
folder), ``masks`` (folder of organ and lesion masks), ``date_shift_days`` (optional; drawn
once per pseudonym and kept when left out).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from theratrial.errors import ParameterError
from theratrial.ids import check_pseudonym
from theratrial.jobs._base import JobKind, Outcome, Params, ProgressReport, jsonable

__all__ = ["PACS_IMPORT"]


@dataclass(frozen=True, slots=True)
class PacsImportSpec:
    """Checked parameters of a ``pacs_import`` job."""

    url: str
    study_uid: str
    pseudonym: str
    out_dir: Path
    masks: Path
    date_shift_days: int | None = None


def _parse(params: Mapping[str, Any]) -> PacsImportSpec:
    from theratrial.pacs.dimse import valid_uid

    p = Params(params, kind="pacs_import")
    shift = p.raw("date_shift_days", None)
    spec = PacsImportSpec(
        url=p.text("url", None),
        study_uid=p.text("study_uid", None),
        pseudonym=p.text("pseudonym", None),
        out_dir=p.folder("out_dir", must_exist=False),
        masks=p.folder("masks"),
        date_shift_days=shift if isinstance(shift, int) and not isinstance(shift, bool) else None,
    )
    p.finish()
    if not spec.url.startswith(("http://", "https://")):
        raise ParameterError(
            f"not a DICOMweb URL: {spec.url!r}", field="params.url", hint="http(s)://host/dicom-web"
        )
    if not valid_uid(spec.study_uid):
        raise ParameterError(f"not a DICOM UID: {spec.study_uid!r}", field="params.study_uid")
    if shift is not None and spec.date_shift_days is None:
        raise ParameterError(f"{shift!r} is not a whole number", field="params.date_shift_days")
    check_pseudonym(spec.pseudonym, field="params.pseudonym")
    if spec.out_dir.exists() and (not spec.out_dir.is_dir() or any(spec.out_dir.iterdir())):
        raise ParameterError(
            f"{spec.out_dir} exists and is not empty", field="params.out_dir", hint="a new folder"
        )
    if not spec.out_dir.parent.is_dir():
        raise ParameterError(
            f"{spec.out_dir.parent} does not exist", field="params.out_dir", hint="create it"
        )
    return spec


def _run(spec: PacsImportSpec, *, report: ProgressReport, job_id: str) -> Outcome:
    from theratrial.pacs.deid import DeidSettings
    from theratrial.pacs.deid_folder import deidentify_folder, dicom_files, source_patient_id
    from theratrial.pacs.dicomweb import pull_study
    from theratrial.pacs.pseudonyms import resolve_pseudonym, uid_secret

    report(0.0, f"pulling study {spec.study_uid}", force=True)
    scratch = Path(tempfile.mkdtemp(prefix=f"theratrial-pacs-{job_id}-"))
    try:
        instances = pull_study(spec.url, spec.study_uid, scratch / "study")
        files, _other = dicom_files(scratch / "study")
        source = source_patient_id(files, src=scratch / "study")
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    report(0.6, "pulled; de-identifying and quantifying", force=True)

    def store(session: Session) -> Mapping[str, Any]:
        from theratrial.imaging import quantify_study
        from theratrial.imaging.study import pick_quantitative_series
        from theratrial.store.imaging_results import save_quantification

        try:
            entry = resolve_pseudonym(
                session,
                spec.pseudonym,
                source_patient_id=source,
                date_shift_days=spec.date_shift_days,
            )
            settings = DeidSettings(spec.pseudonym, entry.date_shift_days, uid_secret(session))
            deid = deidentify_folder(scratch / "study", spec.out_dir, settings)
            result = quantify_study(pick_quantitative_series(spec.out_dir), spec.masks)
            row = save_quantification(
                session, result, patient_id=spec.pseudonym, masks_source=str(spec.masks)
            )
            session.flush()
        except BaseException:
            shutil.rmtree(spec.out_dir, ignore_errors=True)
            raise
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        return {
            "instances": instances,
            "series": deid.series,
            "out_dir": str(spec.out_dir),
            "pseudonym": spec.pseudonym,
            "study_uid": result.study_uid,
            "series_uid": result.series_uid,
            "modality": result.modality,
            "units": result.units,
            "suv_type": result.suv_type,
            "rows": jsonable(result.table.rows),
            "imaging_series_id": row.id,
        }

    def undo() -> None:
        shutil.rmtree(spec.out_dir, ignore_errors=True)
        shutil.rmtree(scratch, ignore_errors=True)

    return Outcome(
        result={"source_study_uid": spec.study_uid, "url": spec.url}, store=store, undo=undo
    )


PACS_IMPORT = JobKind("pacs_import", _parse, _run)
