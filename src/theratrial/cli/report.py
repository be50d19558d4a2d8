"""``theratrial report KIND``: the documents a trial files, as HTML or PDF.

``cycle`` (one patient's cycle dosimetry and next prescription), ``escalation`` (DLT listing
and decisions per cohort), ``screening`` (CONSORT-style flow), ``repeatability`` (wCV, RC,
ICC, Bland-Altman) and ``response`` (RECIST 1.1). The format follows the suffix of
``--out``: ``.html`` or ``.pdf``. The numbers are those of ``plan --json``,
``escalation --json``, ``repeatability --json`` and ``recist --json``.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import typer

from theratrial.cli._common import (
    DB_OPTION,
    console,
    existing_path,
    handle_errors,
    output_file,
)
from theratrial.errors import PatientRecordError
from theratrial.ids import check_pseudonym
from theratrial.protocol import find_protocol
from theratrial.store import connect, session_scope

__all__ = ["register"]

report_app = typer.Typer(
    help="Reports a trial files (cycle, escalation, screening, repeatability, response) "
    "as HTML or PDF.",
    no_args_is_help=True,
)

OUT = typer.Option(..., "--out", help="Report file: .html or .pdf.")


def _out(path: Path) -> None:
    from theratrial.errors import ParameterError
    from theratrial.report._render import SUFFIXES

    output_file(path, option="--out")
    if path.suffix.lower() not in SUFFIXES:
        raise ParameterError(
            f"cannot write a report as {path.suffix or 'a file without suffix'!r}",
            file=path,
            field="--out",
            hint="name the file .html or .pdf",
        )


def _done(path: Path) -> None:
    console.print(f"report: {path}", highlight=False)


@report_app.command("cycle")
def cycle_command(
    patient: str = typer.Option(..., "--patient", help="Pseudonymous patient id."),
    cycle: int = typer.Option(..., "--cycle", min=1, help="Cycle number (1-based)."),
    trial: str | None = typer.Option(
        None, "--trial", help="Trial id (default: the trial the cycle is stored under)."
    ),
    study: Path | None = typer.Option(
        None, "--study", help="Study folder (PET or SPECT) for a MIP with the VOIs (with --masks)."
    ),
    masks: Path | None = typer.Option(
        None, "--masks", help="Folder of organ and lesion masks drawn on the MIP (with --study)."
    ),
    db: str | None = DB_OPTION,
    out: Path = OUT,
) -> None:
    """One patient's cycle dosimetry, cumulative dose against the limits, next activity."""
    with handle_errors():
        check_pseudonym(patient, field="--patient")
        _out(out)
        if (study is None) != (masks is None):
            from theratrial.errors import ParameterError

            raise ParameterError(
                "--study and --masks go together",
                field="--masks" if masks is None else "--study",
                hint="give the study folder and its masks folder, or neither",
            )
        if study is not None and masks is not None:
            existing_path(study, field="--study", folder=True)
            existing_path(masks, field="--masks")
        from theratrial.report.cycle_report import cycle_document
        from theratrial.report.documents import write_report

        engine = connect(db)
        try:
            with session_scope(engine) as session:
                protocol = find_protocol(trial or _trial_of(session, patient, cycle))
                document = cycle_document(
                    session, protocol, patient, cycle, study=study, masks=masks
                )
        finally:
            engine.dispose()
        _done(write_report(document, out))


def _trial_of(session: object, patient: str, cycle: int) -> str:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from theratrial.errors import InputError
    from theratrial.store.models import PatientRow, TrialRow
    from theratrial.store.models_clinical import CycleRow

    assert isinstance(session, Session)
    trials = sorted(
        set(
            session.scalars(
                select(TrialRow.trial_id)
                .join(CycleRow, CycleRow.trial_pk == TrialRow.id)
                .join(PatientRow, CycleRow.patient_pk == PatientRow.id)
                .where(PatientRow.pseudonym == patient, CycleRow.cycle_number == cycle)
            )
        )
    )
    if len(trials) != 1:
        raise InputError(
            f"patient {patient} has {'no' if not trials else 'several'} cycle {cycle} stored",
            field="--cycle" if not trials else "--trial",
            hint="record the cycle first" if not trials else f"name one of {trials} with --trial",
        )
    return trials[0]


@report_app.command("escalation")
def escalation_command(
    trial: str = typer.Option(..., "--trial", help="Trial id."),
    design: str | None = typer.Option(
        None, "--design", help="boin, crm, mtpi2, i3+3 or 3+3 (default: the protocol's)."
    ),
    target: float | None = typer.Option(
        None, "--target", help="Target DLT probability (default: the protocol's)."
    ),
    as_of: str | None = typer.Option(None, "--as-of", help="Date of the decisions, YYYY-MM-DD."),
    db: str | None = DB_OPTION,
    out: Path = OUT,
) -> None:
    """DLT listing by dose level, every decision with its rule and inputs, per cohort."""
    with handle_errors():
        from theratrial.cli._dlt import parse_date
        from theratrial.report.documents import write_report
        from theratrial.report.trial_reports import escalation_document

        _out(out)
        protocol = find_protocol(trial)
        today = parse_date(as_of, field="--as-of") if as_of else dt.date.today()
        engine = connect(db)
        try:
            with session_scope(engine) as session:
                document = escalation_document(
                    session, protocol, design=design, target=target, as_of=today
                )
        finally:
            engine.dispose()
        _done(write_report(document, out))


@report_app.command("screening")
def screening_command(
    trial: str = typer.Option(..., "--trial", help="Trial id."),
    db: str | None = DB_OPTION,
    out: Path = OUT,
) -> None:
    """Screening log: screened -> eligible -> enrolled, exclusions counted by criterion."""
    with handle_errors():
        from theratrial.report.documents import write_report
        from theratrial.report.trial_reports import screening_document

        _out(out)
        protocol = find_protocol(trial)
        engine = connect(db)
        try:
            with session_scope(engine) as session:
                document = screening_document(session, protocol)
        finally:
            engine.dispose()
        _done(write_report(document, out))


@report_app.command("repeatability")
def repeatability_command(
    measurements: Path = typer.Argument(..., help="CSV with columns subject,region,scan,value."),
    confidence: float = typer.Option(0.95, "--confidence", help="Confidence level."),
    out: Path = OUT,
) -> None:
    """Test-retest repeatability per region: ICC with CIs, wCV, RC, Bland-Altman plots."""
    with handle_errors():
        from theratrial.report.analysis_reports import repeatability_document
        from theratrial.report.documents import file_input, write_report
        from theratrial.stats import read_csv_table, repeatability_from_table

        _out(out)
        frame = read_csv_table(measurements)
        result = repeatability_from_table(
            frame,
            subject="subject",
            region="region",
            scan="scan",
            value="value",
            group_by="region",
            confidence=confidence,
        )
        document = repeatability_document(
            result, inputs=[file_input(measurements, kind="measurements (CSV)")]
        )
        _done(write_report(document, out))


@report_app.command("response")
def response_command(
    assessments: Path = typer.Argument(..., help="JSON file of assessments (as for recist)."),
    confirm_days: int | None = typer.Option(
        None, "--confirm-days", min=0, help="Confirm CR/PR by an assessment >= N days later."
    ),
    doses: Path | None = typer.Option(
        None, "--doses", help="CSV lesion_id,dose_gy (patient_id if ids repeat): change vs dose."
    ),
    out: Path = OUT,
) -> None:
    """RECIST 1.1 per patient and time point, best response, waterfall and spider plots."""
    with handle_errors():
        from theratrial.cli._recist import _patients
        from theratrial.report.analysis_reports import response_document
        from theratrial.report.documents import file_input, write_report
        from theratrial.response import assessment_from_dict, evaluate_recist

        _out(out)
        try:
            data = json.loads(assessments.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise PatientRecordError(
                f"invalid JSON at column {exc.colno}: {exc.msg}",
                file=assessments,
                line=exc.lineno,
                hint="write the assessments as for theratrial recist",
            ) from None
        results = []
        for pid, record in _patients(data, str(assessments)):
            assessment = assessment_from_dict(record, file=str(assessments))
            results.append(
                (pid, evaluate_recist(assessment, confirm_days=confirm_days), assessment)
            )
        inputs = [file_input(assessments, kind="assessments (JSON)")]
        lesion_doses = None
        if doses is not None:
            from theratrial.report.lesion_dose import read_lesion_doses

            lesion_doses = read_lesion_doses(existing_path(doses, field="--doses"))
            inputs.append(file_input(doses, kind="lesion doses (CSV)"))
        document = response_document(
            results, inputs=inputs, lesion_doses=lesion_doses, doses_file=doses
        )
        _done(write_report(document, out))


def register(app: typer.Typer) -> None:
    """Add ``report`` to the top-level app."""
    app.add_typer(report_app, name="report")
