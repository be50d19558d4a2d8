"""``theratrial pacs find|pull|push`` (DICOMweb), ``theratrial deid`` and ``theratrial export``.

Thin adapters over :mod:`theratrial.pacs`: every error becomes one line and exit code 2.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import typer

from theratrial.cli._common import (
    DB_OPTION,
    console,
    existing_path,
    handle_errors,
    output_folder,
    print_json,
)
from theratrial.errors import ParameterError

__all__ = ["register"]

URL_OPTION = typer.Option(..., "--url", help="DICOMweb root URL, e.g. http://pacs/dicom-web.")


def _read_dicom(path: Path):  # type: ignore[no-untyped-def]
    import pydicom

    return pydicom.dcmread(path)


def register(app: typer.Typer) -> None:
    """Add ``pacs`` (find, pull, push), ``deid`` and ``export`` to the top-level app."""
    pacs = typer.Typer(
        help="Find, pull and push studies on a PACS over DICOMweb.",
        no_args_is_help=True,
        add_completion=False,
    )

    @pacs.command("find")
    def find(
        url: str = URL_OPTION,
        patient: str | None = typer.Option(None, "--patient", help="Patient ID."),
        modality: str | None = typer.Option(None, "--modality", help="PT, NM, CT or MR."),
        since: str | None = typer.Option(None, "--since", help="Studies on or after YYYY-MM-DD."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """List the studies on a PACS (QIDO-RS)."""
        from theratrial.pacs.dicomweb import find_studies

        with handle_errors():
            if modality is not None and modality.upper() not in ("PT", "NM", "CT", "MR"):
                raise ParameterError(
                    f"unknown modality {modality!r}", field="--modality", hint="PT, NM, CT or MR"
                )
            studies = find_studies(
                url,
                patient_id=patient,
                modality=modality.upper() if modality else None,
                since=since,
            )
            if as_json:
                print_json([dataclasses.asdict(s) for s in studies])
                return
            for s in studies:
                console.print(
                    f"{s.study_uid}  {s.patient_id}  {','.join(s.modalities)}  {s.date or '-'}",
                    highlight=False,
                )

    @pacs.command("pull")
    def pull(
        study_uid: str = typer.Argument(..., help="Study Instance UID."),
        url: str = URL_OPTION,
        out: Path = typer.Option(..., "--out", help="New folder for the study."),
    ) -> None:
        """Retrieve one study from a PACS (WADO-RS) into a new folder, all or nothing."""
        from theratrial.pacs.dicomweb import pull_study

        with handle_errors():
            output_folder(out, option="--out")
            count = pull_study(url, study_uid, out)
            console.print(f"pulled {count} instances into {out}", highlight=False)

    @pacs.command("push")
    def push(
        folder: Path = typer.Argument(..., help="Folder of DICOM files to store."),
        url: str = URL_OPTION,
    ) -> None:
        """Store every DICOM file of a folder on a PACS (STOW-RS)."""
        from theratrial.pacs.deid_folder import dicom_files
        from theratrial.pacs.dicomweb import push_files

        with handle_errors():
            existing_path(folder, field="DIR", folder=True)
            files, _other = dicom_files(folder)
            count = push_files(url, [p for p, _ds in files], read=_read_dicom)
            console.print(f"stored {count} instances", highlight=False)

    app.add_typer(pacs, name="pacs")

    @app.command("export")
    def export(
        study_dir: Path = typer.Argument(..., help="Study folder (or the series to export)."),
        masks: Path = typer.Option(..., "--masks", help="Folder of organ and lesion masks."),
        dose_map: Path | None = typer.Option(
            None, "--dose-map", help="Absorbed dose (Gy) on the study grid: NIfTI or .npy."
        ),
        out: Path = typer.Option(..., "--out", help="New folder for the DICOM objects."),
    ) -> None:
        """Write the study's results as DICOM: SEG of the masks, TID 1500 SR, RT Dose."""
        from theratrial.pacs.export import export_study

        with handle_errors():
            existing_path(study_dir, field="STUDY_DIR", folder=True)
            existing_path(masks, field="--masks")
            if dose_map is not None:
                existing_path(dose_map, field="--dose-map")
            output_folder(out, option="--out")
            result = export_study(study_dir, masks, out, dose_map=dose_map)
            written = [result.seg_file, result.sr_file] + (
                [result.rt_dose_file] if result.rt_dose_file else []
            )
            console.print(
                f"wrote {', '.join(p.name for p in written)} for {len(result.regions)} regions "
                f"into {out}",
                highlight=False,
            )

    @app.command("deid")
    def deid(
        src_dir: Path = typer.Argument(..., help="Folder of one patient's DICOM files."),
        dst_dir: Path = typer.Argument(..., help="New folder for the de-identified files."),
        pseudonym: str = typer.Option(..., "--pseudonym", help="The trial's patient pseudonym."),
        date_shift_days: int | None = typer.Option(
            None,
            "--date-shift-days",
            help="Days added to every date (default: drawn once per pseudonym and kept).",
        ),
        db: str | None = DB_OPTION,
    ) -> None:
        """De-identify a patient's DICOM files (PS3.15 Annex E) under a trial pseudonym."""
        from theratrial.ids import check_pseudonym
        from theratrial.pacs.deid import DeidSettings
        from theratrial.pacs.deid_folder import (
            deidentify_folder,
            dicom_files,
            source_patient_id,
        )
        from theratrial.pacs.pseudonyms import resolve_pseudonym, uid_secret
        from theratrial.store import connect, session_scope

        with handle_errors():
            check_pseudonym(pseudonym, field="--pseudonym")
            existing_path(src_dir, field="SRC_DIR", folder=True)
            output_folder(dst_dir, option="DST_DIR")
            files, _other = dicom_files(src_dir)
            patient = source_patient_id(files, src=src_dir)
            with session_scope(connect(db)) as session:
                entry = resolve_pseudonym(
                    session, pseudonym, source_patient_id=patient, date_shift_days=date_shift_days
                )
                settings = DeidSettings(pseudonym, entry.date_shift_days, uid_secret(session))
                report = deidentify_folder(src_dir, dst_dir, settings)
            console.print(
                f"de-identified {report.instances} instances in {report.series} series "
                f"as {pseudonym} into {dst_dir}"
                + (
                    f"; skipped {len(report.skipped_non_dicom)} non-DICOM files"
                    if report.skipped_non_dicom
                    else ""
                ),
                highlight=False,
            )
