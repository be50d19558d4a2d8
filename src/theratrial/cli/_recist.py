"""The ``recist`` command: RECIST 1.1 responses from a JSON file of assessments (private).

A thin adapter over :mod:`theratrial.response` (Eisenhauer et al. 2009, Eur J Cancer
45:228-247); registered by :mod:`theratrial.cli.response`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from theratrial.cli._common import (
    console,
    handle_errors,
    output_folder,
    print_json,
    print_table,
)
from theratrial.cli._response_options import FIGURES, JSON, fmt
from theratrial.errors import PatientRecordError
from theratrial.ids import check_pseudonym
from theratrial.response import (
    RecistEvaluation,
    assessment_from_dict,
    evaluate_recist,
    lesion_changes,
)
from theratrial.response.recist_doc import recist_payload

__all__ = ["RECIST_HELP", "recist_command", "recist_payload"]

RECIST_HELP = (
    "RECIST 1.1 responses of one patient (or several) from a JSON file of assessments.\n\n"
    'Input: {"baseline_date": "YYYY-MM-DD" (optional: start of treatment, for the SD '
    'duration), "time_points": [{"date": "YYYY-MM-DD", "lesions": [{"id", "organ", '
    '"nodal": bool, "measurement_mm": number | null | "too_small", "target": bool, '
    '"new": bool | "equivocal", "status": present | absent | too_small | '
    "unequivocal_progression | not_evaluated}]}]}. The first time point is the baseline. "
    "Nodes are measured on the short axis; a list of numbers is a split lesion; a lesion "
    "seen before inherits its organ and nodal flag; a time point may say "
    '"not_done": true or "tumour_markers_normal": false. Without target flags at baseline '
    "the targets are chosen by RECIST (at most 5, at most 2 per organ, all nodes one organ). "
    'Several patients: {"patients": [{"id": ..., "time_points": [...]}, ...]}.\n\n'
    "Output per time point: date, sum_mm, change_from_baseline_pct, change_from_nadir_pct, "
    "target, non_target, new_lesions, overall (the baseline first, with null responses); "
    "then best_overall_response (confirmed when --confirm-days is given)."
)


def _recist_table(evaluation: RecistEvaluation, title: str) -> None:
    table = Table(title=title)
    for name in (
        "date",
        "day",
        "sum mm",
        "vs baseline %",
        "vs nadir %",
        "target",
        "non-target",
        "new",
        "overall",
    ):
        table.add_column(name, justify="right" if name[0] in "dsv" else "left")
    for tp in evaluation.time_points:
        table.add_row(
            str(tp.date),
            str(tp.day),
            fmt(tp.sum_mm),
            fmt(tp.change_from_baseline_pct),
            fmt(tp.change_from_nadir_pct),
            "baseline" if tp.is_baseline else fmt(tp.target),
            fmt(tp.non_target),
            fmt(tp.new_lesions),
            fmt(tp.overall),
        )
    print_table(table)
    bor = evaluation.best_overall_response
    console.print(f"Best overall response: [bold]{bor.response.value}[/] ({bor.reason})")
    for tp in evaluation.time_points:
        for note in tp.notes:
            console.print(f"  {tp.date}: {note}", highlight=False)


def _patients(data: Any, file: str) -> list[tuple[str, Any]]:
    if isinstance(data, dict) and isinstance(data.get("patients"), list):
        out = []
        for i, item in enumerate(data["patients"]):
            if not isinstance(item, dict):
                raise PatientRecordError(
                    "a patient must be an object", file=file, field=f"patients[{i}]"
                )
            key = "id" if "id" in item else "patient_id"
            if key in item:  # a pseudonym: it names the figure files too
                pid = check_pseudonym(item[key], field=f"patients[{i}].{key}", file=file)
            else:
                pid = f"patient {i + 1}"
            out.append((pid, item))
        return out
    return [("", data)]


def recist_command(
    assessments: Path = typer.Argument(..., help="JSON file of assessments (see above)."),
    confirm_days: int | None = typer.Option(
        None, "--confirm-days", min=0, help="Confirm CR/PR by an assessment >= N days later."
    ),
    min_sd_days: int = typer.Option(
        0, "--min-sd-days", min=0, help="Minimum days from the reference date for SD."
    ),
    as_json: bool = JSON,
    figures: Path | None = FIGURES,
) -> None:
    with handle_errors():
        if figures is not None:
            output_folder(figures, option="--figures")
        try:
            data = json.loads(assessments.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise PatientRecordError(
                f"invalid JSON at column {exc.colno}: {exc.msg}",
                file=assessments,
                line=exc.lineno,
                hint="write the assessments as a JSON object (see theratrial recist --help)",
            ) from None
        results: list[tuple[str, RecistEvaluation, Any]] = []
        for pid, record in _patients(data, str(assessments)):
            try:
                assessment = assessment_from_dict(record, file=str(assessments))
                evaluation = evaluate_recist(
                    assessment, confirm_days=confirm_days, min_sd_days=min_sd_days
                )
            except PatientRecordError as exc:
                if pid:
                    exc.message = f"patient {pid}: {exc.message}"
                if exc.file is None:
                    exc.file = str(assessments)
                raise
            results.append((pid, evaluation, assessment))
        written = _recist_figures(results, figures) if figures is not None else []
        if as_json:
            if len(results) == 1 and not results[0][0]:
                payload = recist_payload(results[0][1])
            else:
                payload = {
                    "patients": [
                        {"patient_id": pid, **recist_payload(ev)} for pid, ev, _ in results
                    ]
                }
            payload["figures"] = [str(p) for p in written]
            print_json(payload)
            return
        for pid, evaluation, _ in results:
            _recist_table(evaluation, f"RECIST 1.1 {pid}".strip())
        for path in written:
            console.print(f"figure: {path}", highlight=False)


def _recist_figures(results: list[tuple[str, RecistEvaluation, Any]], folder: Path) -> list[Path]:
    from theratrial.report.response_plots import (
        save_figure,
        spider_from_evaluation,
        spider_from_lesions,
        waterfall_figure,
    )

    folder.mkdir(exist_ok=True)  # --figures: checked by output_folder, created here
    written: list[Path] = []
    if len(results) > 1:
        evaluations = {pid: ev for pid, ev, _ in results}
        written.append(save_figure(spider_from_evaluation(evaluations), folder / "spider.png"))
        fig = waterfall_figure(
            [ev.best_change_from_baseline_pct for ev in evaluations.values()],
            labels=list(evaluations),
            categories=[ev.best_overall_response.response.value for ev in evaluations.values()],
        )
        written.append(save_figure(fig, folder / "waterfall.png"))
    for pid, _, assessment in results:
        prefix = f"{pid}_" if pid and len(results) > 1 else ""
        changes = lesion_changes(assessment)
        written.append(
            save_figure(spider_from_lesions(changes), folder / f"{prefix}spider_lesions.png")
        )
        best: dict[str, float] = {}
        for c in changes:
            if c.change_pct is not None:
                best[c.lesion_id] = min(best.get(c.lesion_id, c.change_pct), c.change_pct)
        fig = waterfall_figure(
            list(best.values()), labels=list(best), title="Best change in lesion diameter"
        )
        written.append(save_figure(fig, folder / f"{prefix}waterfall_lesions.png"))
    return written
