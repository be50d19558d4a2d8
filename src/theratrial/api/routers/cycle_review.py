"""``/patients/{patient_id}/cycles/{cycle}/review``: a cycle's dosimetry review.

``GET .../review?trial_id=ID`` (or ``?trial=ID``) returns the stored cycle as the physicist
reviews it before signing (:func:`theratrial.store.cycle_review.cycle_review`): the
time-activity points, the stored fit per region with its AICc, fallback and warnings, the
AICc of every candidate model fitted again to the stored points, Ã (MBq h) with the
residence time (h), absorbed dose, BED and EQD2 (Gy), plus ``content_sha256``, the SHA-256
that a ``cycle_dosimetry`` signature of this content carries
(:func:`theratrial.api.signatures.content_hash` of
:func:`theratrial.store.cycle_views.cycle_view`). ``GET .../review/curves.svg`` draws the
measured points with the stored fitted curves, as the cycle report draws them
(:func:`theratrial.report._cycle_figures.tac_fit_figure`), for every region or the
``region`` values asked for. Both read patients (``read_patients``); another site's
patient is a 404. The approval itself is ``POST .../cycles/{cycle}/dosimetry/sign``.
"""

from __future__ import annotations

import io
from types import SimpleNamespace
from typing import Any

from fastapi import APIRouter, Depends, Path, Query, Response
from sqlalchemy.orm import Session

from theratrial.api.deps import Context, patient_in_scope, require, tx
from theratrial.api.permissions import Action
from theratrial.api.problems import ProblemError
from theratrial.api.routers._common import protocol_for
from theratrial.api.signatures import content_hash
from theratrial.errors import InputError
from theratrial.protocol.schema import Protocol
from theratrial.store.clinical import cycles_of
from theratrial.store.cycle_review import cycle_review
from theratrial.store.cycle_views import cycle_view
from theratrial.store.models_clinical import CycleRow

__all__ = ["router"]

router = APIRouter(prefix="/patients/{patient_id}/cycles/{cycle}/review", tags=["cycle_review"])

_CYCLE = Path(ge=1, le=1000, description="Cycle number (1-based).")
_TRIAL_ID = Query(None, min_length=1, max_length=64, description="Trial id.")
_TRIAL = Query(None, min_length=1, max_length=64, description="Trial id (same as trial_id).")


def _trial(trial_id: str | None, trial: str | None) -> str:
    """The trial asked for, as ``trial_id`` or ``trial`` (422 when neither or they differ)."""
    if trial_id and trial and trial_id != trial:
        raise ProblemError(422, "trial_id and trial name different trials", field="trial_id")
    chosen = trial_id or trial
    if not chosen:
        raise ProblemError(
            422, "the trial is required", field="trial_id", hint="add ?trial_id=NCT..."
        )
    return chosen


def _cycle(session: Session, patient_id: str, trial_id: str, cycle: int) -> tuple[Protocol, Any]:
    """The trial's protocol and the patient's stored cycle ``cycle`` (404 naming the cycle)."""
    protocol = protocol_for(session, trial_id)
    try:
        cycles: list[CycleRow] = cycles_of(session, patient_id=patient_id, trial_id=protocol.id)
    except InputError:  # the trial is not in the store yet: no cycle of it is stored
        cycles = []
    for row in cycles:
        if row.cycle_number == cycle:
            return protocol, row
    stored = ", ".join(str(c.cycle_number) for c in cycles) or "none"
    raise ProblemError(
        404, f"no cycle {cycle} stored", field="cycle", hint=f"choose a stored cycle ({stored})"
    )


@router.get("")
def review(
    patient_id: str,
    cycle: int = _CYCLE,
    trial_id: str | None = _TRIAL_ID,
    trial: str | None = _TRIAL,
    ctx: Context = Depends(require(Action.READ_PATIENTS)),
) -> dict[str, Any]:
    """The stored cycle's points, fits, model selection, Ã, doses and BED per region."""
    with tx(ctx.request) as session:
        patient_in_scope(session, ctx.principal, patient_id)
        protocol, row = _cycle(session, patient_id, _trial(trial_id, trial), cycle)
        doc = cycle_review(row)
        return {
            "patient_id": patient_id,
            "trial_id": protocol.id,
            **doc,
            "content_sha256": content_hash(cycle_view(row)),
        }


@router.get("/curves.svg", response_class=Response)
def curves_svg(
    patient_id: str,
    cycle: int = _CYCLE,
    trial_id: str | None = _TRIAL_ID,
    trial: str | None = _TRIAL,
    region: list[str] | None = Query(None, description="Regions to draw (default: all)."),
    ctx: Context = Depends(require(Action.READ_PATIENTS)),
) -> Response:
    """Measured activity per region (points) with the stored fitted curve (line), as SVG."""
    from theratrial.report._cycle_figures import tac_fit_figure

    with tx(ctx.request) as session:
        patient_in_scope(session, ctx.principal, patient_id)
        _, row = _cycle(session, patient_id, _trial(trial_id, trial), cycle)
        wanted = set(region or [])
        known = {p.region for p in row.tac}
        missing = sorted(wanted - known)
        if missing:
            raise ProblemError(
                404,
                f"no time-activity points stored for {', '.join(missing)}",
                field="region",
                hint=f"stored regions: {', '.join(sorted(known)) or 'none'}",
            )
        chosen = SimpleNamespace(
            nuclide=row.nuclide,
            tac=[p for p in row.tac if not wanted or p.region in wanted],
            doses=[d for d in row.doses if not wanted or d.region in wanted],
        )
        drawn = tac_fit_figure(chosen)
    if drawn is None:
        raise ProblemError(  # the cycle exists (else 404 above); its dosimetry does not yet
            409,
            f"no time-activity points stored for cycle {cycle}",
            field="cycle",
            hint="record the cycle with its dosimetry (times_h and activity_mbq per region)",
        )
    figure, _ = drawn
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    return Response(
        buffer.getvalue(),
        media_type="image/svg+xml",
        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
    )
