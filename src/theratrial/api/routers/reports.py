"""``/reports``: the documents of ``theratrial report KIND``, rendered on request.

``POST /reports`` with ``{"kind", ...parameters, "format": "pdf" | "html"}`` builds the
same :class:`~theratrial.report.documents.Document` as the command line and returns it at
once (every kind renders in about a second; see ``benchmarks/bench_reports.py``). The
answer is JSON with the document base64-encoded and its SHA-256; a client that sends
``Accept: application/pdf`` (or ``text/html``) gets the bytes themselves, with the digest in
the ``X-Report-SHA256`` header. Each report is audited as a ``create`` of entity ``report``
with its SHA-256 (21 CFR 11.10(e)).

Who may ask, per kind (the permission table, :mod:`theratrial.api.permissions`):
``cycle`` reads one patient's data (``read_patients``, and the patient must be at one of
the caller's sites: another site's patient reads as 404); ``escalation`` is
``run_escalation``; ``screening``, ``repeatability`` and ``response`` are analyses
(``run_analyses``).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from theratrial.api.deps import Context, patient_in_scope, require, tx
from theratrial.api.permissions import Action, allowed
from theratrial.api.problems import ProblemError
from theratrial.api.routers._common import protocol_for, record
from theratrial.report.documents import Document, Input, json_sha256, report_bytes

__all__ = ["router"]

router = APIRouter(prefix="/reports", tags=["reports"])

ACTIONS: dict[str, Action] = {
    "cycle": Action.READ_PATIENTS,
    "escalation": Action.RUN_ESCALATION,
    "screening": Action.RUN_ANALYSES,
    "repeatability": Action.RUN_ANALYSES,
    "response": Action.RUN_ANALYSES,
}
"""The action each kind of report asks the permission table for."""

_MEDIA = {"pdf": "application/pdf", "html": "text/html; charset=utf-8"}


class LesionDoseIn(BaseModel):
    """One lesion's absorbed dose (Gy)."""

    model_config = ConfigDict(extra="forbid")
    lesion_id: str = Field(min_length=1, max_length=64)
    dose_gy: float = Field(ge=0, allow_inf_nan=False)
    patient_id: str | None = Field(default=None, max_length=64)


class MeasurementIn(BaseModel):
    """One test-retest measurement (as a row of the repeatability CSV)."""

    model_config = ConfigDict(extra="forbid")
    subject: str = Field(min_length=1, max_length=64)
    region: str = Field(min_length=1, max_length=128)
    scan: int
    value: float = Field(allow_inf_nan=False)


class ReportIn(BaseModel):
    """What to report: the kind, its parameters (as the CLI options), and the format."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["cycle", "escalation", "screening", "repeatability", "response"]
    format: Literal["pdf", "html"] = "pdf"
    trial_id: str | None = Field(default=None, max_length=64)
    patient_id: str | None = Field(default=None, max_length=64)
    cycle: int | None = Field(default=None, ge=1)
    design: str | None = Field(default=None, max_length=16)
    target: float | None = Field(default=None, gt=0, lt=1)
    as_of: dt.date | None = None
    measurements: list[MeasurementIn] | None = Field(default=None, max_length=100_000)
    confidence: float = Field(default=0.95, gt=0, lt=1)
    assessments: dict[str, Any] | list[Any] | None = None
    confirm_days: int | None = Field(default=None, ge=0)
    lesion_doses: list[LesionDoseIn] | None = Field(default=None, max_length=10_000)


def _need(value: Any, name: str, kind: str) -> Any:
    if value is None:
        raise ProblemError(422, f"a {kind} report needs {name}", field=name)
    return value


def _document(session: Any, ctx: Context, body: ReportIn) -> tuple[Document, str]:
    """The document and the id it is audited under."""
    kind = body.kind
    if kind == "cycle":
        from theratrial.report.cycle_report import cycle_document

        patient = _need(body.patient_id, "patient_id", kind)
        number = _need(body.cycle, "cycle", kind)
        patient_in_scope(session, ctx.principal, patient)
        protocol = protocol_for(session, _need(body.trial_id, "trial_id", kind))
        return cycle_document(session, protocol, patient, number), (
            f"cycle:{protocol.id}/{patient}/{number}"
        )
    if kind == "escalation":
        from theratrial.report.trial_reports import escalation_document

        protocol = protocol_for(session, _need(body.trial_id, "trial_id", kind))
        as_of = body.as_of or dt.date.today()
        doc = escalation_document(
            session, protocol, design=body.design, target=body.target, as_of=as_of
        )
        return doc, f"escalation:{protocol.id}/{as_of.isoformat()}"
    if kind == "screening":
        from theratrial.report.trial_reports import screening_document

        protocol = protocol_for(session, _need(body.trial_id, "trial_id", kind))
        return screening_document(session, protocol), f"screening:{protocol.id}"
    if kind == "repeatability":
        return _repeatability(body)
    return _response(body)


def _repeatability(body: ReportIn) -> tuple[Document, str]:
    import pandas as pd

    from theratrial.report.analysis_reports import repeatability_document
    from theratrial.stats import repeatability_from_table

    rows = [m.model_dump() for m in _need(body.measurements, "measurements", body.kind)]
    result = repeatability_from_table(
        pd.DataFrame(rows, columns=["subject", "region", "scan", "value"]),
        subject="subject",
        region="region",
        scan="scan",
        value="value",
        group_by="region",
        confidence=body.confidence,
    )
    digest = json_sha256(rows)
    doc = repeatability_document(result, inputs=[Input("measurements (request body)", "", digest)])
    return doc, f"repeatability:{digest[:16]}"


def _response(body: ReportIn) -> tuple[Document, str]:
    from theratrial.ids import check_pseudonym
    from theratrial.report.analysis_reports import response_document
    from theratrial.response import assessment_from_dict, evaluate_recist

    data = _need(body.assessments, "assessments", body.kind)
    if isinstance(data, dict) and isinstance(data.get("patients"), list):
        items = []
        for i, item in enumerate(data["patients"]):
            if not isinstance(item, dict):
                raise ProblemError(422, "a patient must be an object", field=f"patients[{i}]")
            key = "id" if "id" in item else "patient_id"
            pid = check_pseudonym(item[key], field=f"patients[{i}].{key}") if key in item else ""
            items.append((pid or f"patient {i + 1}", item))
    else:
        items = [("", data)]
    results = []
    for pid, item in items:
        assessment = assessment_from_dict(item, file="assessments")
        results.append(
            (pid, evaluate_recist(assessment, confirm_days=body.confirm_days), assessment)
        )
    doses = None
    inputs = [Input("assessments (request body)", "", json_sha256(data))]
    if body.lesion_doses is not None:
        doses = {(d.patient_id, d.lesion_id): d.dose_gy for d in body.lesion_doses}
        inputs.append(
            Input(
                "lesion doses (request body)",
                "",
                json_sha256([[*k, v] for k, v in sorted(doses.items(), key=str)]),
            )
        )
    doc = response_document(results, inputs=inputs, lesion_doses=doses, doses_file="lesion_doses")
    return doc, f"response:{inputs[0].sha256[:16]}"


@router.post("", status_code=201, response_model=None)
def create_report(
    body: ReportIn, request: Request, ctx: Context = Depends(require(Action.READ_TRIALS))
) -> dict[str, Any] | Response:
    """Render a report now; audited as ``create`` of a ``report`` with its SHA-256.

    Signing in is checked first (every role reads trials); then the action of the kind.
    """
    principal = ctx.principal
    action = ACTIONS[body.kind]
    if not allowed(principal.role, action):
        raise ProblemError(
            403,
            f"the role {principal.role} may not {action.value.replace('_', ' ')} "
            f"(needed for a {body.kind} report)",
            hint="ask an administrator for a role that may",
        )
    with tx(request) as session:
        document, entity_id = _document(session, ctx, body)
        data = report_bytes(document, fmt_name=body.format)
        digest = hashlib.sha256(data).hexdigest()
        record(
            session,
            ctx,
            action="create",
            entity="report",
            entity_id=entity_id,
            changes=[("format", None, body.format), ("sha256", None, digest)],
        )
    media = _MEDIA[body.format]
    if media.split(";")[0] in request.headers.get("accept", ""):
        return Response(
            data, status_code=201, media_type=media, headers={"X-Report-SHA256": digest}
        )
    return {
        "kind": body.kind,
        "format": body.format,
        "media_type": media,
        "id": entity_id,
        "sha256": digest,
        "size_bytes": len(data),
        "content_base64": base64.b64encode(data).decode("ascii"),
    }
