"""``/patients``: pseudonymous patients of the principal's sites, and their records.

``POST /patients`` takes a patient record as ``theratrial screen`` reads it (JSON, or YAML
with ``Content-Type: application/yaml``), validated by
:func:`theratrial.eligibility.parse_patient`; the record's ``site`` says which site the
patient belongs to. Another site's patient is a 404.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from theratrial.api import accounts
from theratrial.api.accounts import Principal
from theratrial.api.deps import (
    Context,
    patient_in_scope,
    require,
    site_in_scope,
    tx,
    visible_site_pks,
)
from theratrial.api.permissions import Action
from theratrial.api.problems import ProblemError
from theratrial.api.routers._common import MAX_LIMIT, load_record, page, record, save_record
from theratrial.eligibility import Patient, parse_patient
from theratrial.eligibility.patient import SITE_CODE, SITE_CODE_HINT
from theratrial.store import get_or_create_patient
from theratrial.store.models import PatientRow, SiteRow

__all__ = ["router"]

router = APIRouter(prefix="/patients", tags=["patients"])

_TYPES = ("application/json", "application/yaml", "application/x-yaml", "text/yaml", "text/plain")


def _view(row: PatientRow, site: str | None) -> dict[str, Any]:
    return {
        "patient_id": row.pseudonym,
        "site": site,
        "created_at": row.created_at.isoformat() if row.created_at else None,
        "cursor": row.id,
    }


@router.get("")
def list_patients(
    ctx: Context = Depends(require(Action.READ_PATIENTS)),
    limit: int = Query(50, ge=1, le=MAX_LIMIT),
    cursor: int | None = Query(None, ge=0, description="next_cursor of the previous page"),
    site: str | None = Query(None, max_length=64, description="only this site's patients"),
    id_prefix: str | None = Query(None, max_length=64, description="pseudonyms starting so"),
) -> dict[str, Any]:
    """The patients of the principal's sites, oldest first, a page at a time."""
    with tx(ctx.request) as session:
        rows = visible_patients(
            session, ctx.principal, limit=limit, cursor=cursor, site=site, id_prefix=id_prefix
        )
        items = [_view(row, code) for row, code in rows]
    return page(items, limit=limit, cursor_of="cursor")


def visible_patients(
    session: Session, principal: Principal, *, limit: int, cursor: int | None,
    site: str | None = None, id_prefix: str | None = None,
) -> list[tuple[PatientRow, str | None]]:  # fmt: skip
    """One page (``limit + 1`` rows, for :func:`page`) of the patients the principal may see,
    oldest first, with their site code: after ``cursor``, of ``site``, ids starting so."""
    stmt = (
        select(PatientRow, SiteRow.code)
        .outerjoin(SiteRow, PatientRow.site_pk == SiteRow.id)
        .order_by(PatientRow.id)
        .limit(limit + 1)
    )
    visible = visible_site_pks(session, principal)
    if visible is not None:
        stmt = stmt.where(PatientRow.site_pk.in_(visible))
    if cursor is not None:
        stmt = stmt.where(PatientRow.id > cursor)
    if site is not None:
        stmt = stmt.where(SiteRow.code == site)
    if id_prefix:
        stmt = stmt.where(PatientRow.pseudonym.startswith(id_prefix, autoescape=True))
    return [(row, code) for row, code in session.execute(stmt).all()]


@router.get("/{patient_id}")
def get_patient(
    patient_id: str, ctx: Context = Depends(require(Action.READ_PATIENTS))
) -> dict[str, Any]:
    """One patient with the newest stored record (404 outside the principal's sites)."""
    with tx(ctx.request) as session:
        row = patient_in_scope(session, ctx.principal, patient_id)
        code = session.scalar(select(SiteRow.code).where(SiteRow.id == row.site_pk))
        return {**_view(row, code), "record": load_record(session, patient_id)}


async def record_text(request: Request) -> str:
    """The body of a record request as text (JSON or YAML), as ``POST /patients`` reads it."""
    ctype = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if ctype not in _TYPES:
        raise ProblemError(
            415,
            f"unsupported content type {ctype!r}",
            field="Content-Type",
            hint="send the record as application/json or application/yaml",
        )
    raw = await request.body()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ProblemError(422, "the body is not UTF-8 text", field="body") from None


def check_record(text: str, principal: accounts.Principal) -> Patient:
    """The record validated as ``POST /patients`` validates it before storing.

    :func:`~theratrial.eligibility.parse_patient` (the schema, the lab units), then the
    record's ``site``: present, a site code, one of the principal's sites.

    Raises
    ------
    PatientRecordError, ProblemError
        With the field at fault, as the API reports them (422; 404 for another site).
    """
    patient = parse_patient(text, source="body")
    if patient.site is None:
        raise ProblemError(
            422,
            "the record names no site",
            field="site",
            hint="add 'site: CODE' (one of your sites) to the record",
        )
    if not SITE_CODE.fullmatch(patient.site):
        raise ProblemError(
            422, f"{patient.site!r} is not a site code", field="site", hint=SITE_CODE_HINT
        )
    site_in_scope(principal, patient.site, field="site")
    return patient


@router.post("", status_code=201)
async def add_patient(
    ctx: Context = Depends(require(Action.WRITE_PATIENTS)),
    reason: str | None = Query(None, max_length=2000, description="why a stored record changes"),
) -> dict[str, Any]:
    """Store a patient record (JSON or YAML body); a changed record needs ``?reason=``."""
    patient = check_record(await record_text(ctx.request), ctx.principal)
    content = patient.model_dump(mode="json", exclude_none=True)
    assert patient.site is not None  # check_record refuses a record without a site
    return await _store(ctx, patient.patient_id, patient.site, content, reason)


async def _store(
    ctx: Context, patient_id: str, site: str, content: dict[str, Any], reason: str | None
) -> dict[str, Any]:
    from starlette.concurrency import run_in_threadpool

    def write() -> dict[str, Any]:
        with tx(ctx.request) as session:
            existing = session.scalar(select(PatientRow).where(PatientRow.pseudonym == patient_id))
            if existing is not None:
                patient_in_scope(session, ctx.principal, patient_id)  # 404 for another site's
                code = session.scalar(select(SiteRow.code).where(SiteRow.id == existing.site_pk))
                if code != site:
                    raise ProblemError(
                        409,
                        f"patient {patient_id} belongs to another site of record",
                        field="site",
                        hint="a patient's site cannot be changed here",
                    )
                row = existing
            else:
                row = get_or_create_patient(session, patient_id, site_code=site)
                record(
                    session,
                    ctx,
                    action="create",
                    entity="patient",
                    entity_id=patient_id,
                    changes=[("site", None, site)],
                )
            changed = save_record(session, ctx, patient_id, content, reason=reason)
            return {**_view(row, site), "created": existing is None, "changed": changed}

    return await run_in_threadpool(write)
