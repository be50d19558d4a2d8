"""``theratrial pacs find|pull|push`` (DICOMweb or DIMSE), ``receive``, ``deid`` and ``export``.

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
SOURCE_URL_OPTION = typer.Option(
    None, "--url", help="DICOMweb root URL, e.g. http://pacs/dicom-web (or give --dimse)."
)
DIMSE_OPTION = typer.Option(
    None, "--dimse", help="HOST:PORT of a PACS spoken to over DIMSE (C-FIND, C-GET)."
)
CALLED_AE_OPTION = typer.Option(None, "--called-ae", help="The PACS's AE title (with --dimse).")
CALLING_AE_OPTION = typer.Option("THERATRIAL", "--calling-ae", help="Our AE title (with --dimse).")


def _source(url: str | None, dimse: str | None, called_ae: str | None, calling_ae: str):  # type: ignore[no-untyped-def]
    """The DIMSE peer, or None for DICOMweb; exactly one of --url and --dimse."""
    from theratrial.pacs.dimse import parse_peer

    if (url is None) == (dimse is None):
        raise ParameterError(
            "give exactly one of --url and --dimse",
            field="--url",
            hint="--url for DICOMweb, --dimse HOST:PORT --called-ae AE for DIMSE",
        )
    if dimse is None:
        return None
    if called_ae is None:
        raise ParameterError(
            "--dimse needs the PACS's AE title",
            field="--called-ae",
            hint="e.g. --called-ae ORTHANC",
        )
    return parse_peer(dimse, called_ae=called_ae, calling_ae=calling_ae)


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
        url: str | None = SOURCE_URL_OPTION,
        dimse: str | None = DIMSE_OPTION,
        called_ae: str | None = CALLED_AE_OPTION,
        calling_ae: str = CALLING_AE_OPTION,
        patient: str | None = typer.Option(None, "--patient", help="Patient ID."),
        modality: str | None = typer.Option(None, "--modality", help="PT, NM, CT or MR."),
        since: str | None = typer.Option(None, "--since", help="Studies on or after YYYY-MM-DD."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """List the studies on a PACS (QIDO-RS, or C-FIND with --dimse)."""
        from theratrial.pacs.dicomweb import find_studies
        from theratrial.pacs.dimse import find_studies_dimse

        with handle_errors():
            peer = _source(url, dimse, called_ae, calling_ae)
            if modality is not None and modality.upper() not in ("PT", "NM", "CT", "MR"):
                raise ParameterError(
                    f"unknown modality {modality!r}", field="--modality", hint="PT, NM, CT or MR"
                )
            options = {
                "patient_id": patient,
                "modality": modality.upper() if modality else None,
                "since": since,
            }
            studies = (
                find_studies_dimse(peer, **options)
                if peer is not None
                else find_studies(str(url), **options)
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
        url: str | None = SOURCE_URL_OPTION,
        dimse: str | None = DIMSE_OPTION,
        called_ae: str | None = CALLED_AE_OPTION,
        calling_ae: str = CALLING_AE_OPTION,
        out: Path = typer.Option(..., "--out", help="New folder for the study."),
    ) -> None:
        """Retrieve one study from a PACS (WADO-RS, or C-GET with --dimse), all or nothing."""
        from theratrial.pacs.dicomweb import pull_study
        from theratrial.pacs.dimse import pull_study_dimse

        with handle_errors():
            peer = _source(url, dimse, called_ae, calling_ae)
            output_folder(out, option="--out")
            count = (
                pull_study_dimse(peer, study_uid, out)
                if peer is not None
                else pull_study(str(url), study_uid, out)
            )
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

    @app.command("receive")
    def receive(
        port: int = typer.Option(11112, "--port", help="TCP port to listen on."),
        ae_title: str = typer.Option("THERATRIAL", "--ae-title", help="Our AE title."),
        out: Path = typer.Option(..., "--out", help="Folder that gets one folder per study."),
    ) -> None:
        """Receive DICOM (C-STORE SCP), filing each study into its own folder atomically."""
        import logging
        import signal
        import time

        from theratrial.pacs.receive import start_receiver

        def stop(_signum: int, _frame: object) -> None:
            raise KeyboardInterrupt

        with handle_errors():
            logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
            logging.getLogger("pynetdicom").setLevel(logging.WARNING)
            if not 0 < port < 65536:
                raise ParameterError(f"not a TCP port: {port}", field="--port", hint="1-65535")
            receiver, server = start_receiver(out, port=port, ae_title=ae_title)
            console.print(
                f"receiving as {ae_title} on port {port} into {out} (Ctrl-C stops)",
                highlight=False,
            )
            signal.signal(signal.SIGTERM, stop)
            try:
                while True:
                    time.sleep(0.5)
            except KeyboardInterrupt:
                pass
            finally:
                server.shutdown()
            stats = receiver.stats
            console.print(
                f"stopped: filed {stats.instances_filed} instances, refused "
                f"{stats.instances_refused}, dropped {stats.associations_aborted} unreleased "
                "associations",
                highlight=False,
            )

    @app.command("export")
    def export(
        study_dir: Path = typer.Argument(..., help="Study folder (or the series to export)."),
        masks: Path = typer.Option(..., "--masks", help="Folder of organ and lesion masks."),
        dose_map: Path | None = typer.Option(
            None, "--dose-map", help="Absorbed dose (Gy) on the study grid: NIfTI or .npy."
        ),
        out: Path = typer.Option(..., "--out", help="New folder for the DICOM objects."),
        report: Path | None = typer.Option(
            None, "--report", help="A PDF report to add as an Encapsulated PDF."
        ),
    ) -> None:
        """Write the study's results as DICOM: SEG of the masks, TID 1500 SR, RT Dose, PDF."""
        from theratrial.pacs.export import export_study

        with handle_errors():
            existing_path(study_dir, field="STUDY_DIR", folder=True)
            existing_path(masks, field="--masks")
            if dose_map is not None:
                existing_path(dose_map, field="--dose-map")
            if report is not None:
                existing_path(report, field="--report")
            output_folder(out, option="--out")
            result = export_study(study_dir, masks, out, dose_map=dose_map, report=report)
            written = [result.seg_file, result.sr_file] + [
                p for p in (result.rt_dose_file, result.report_file) if p is not None
            ]
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
