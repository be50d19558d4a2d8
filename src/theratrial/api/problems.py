"""Errors as RFC 9457 problem details (``application/problem+json``).

Every error the API returns has the members of RFC 9457 §3.1 — ``type``, ``title``,
``status``, ``detail``, ``instance`` — and the extension member ``errors``: a list of
``{"field", "message"}`` naming each field at fault (a JSON pointer-like dotted path into
the request body, or the query/path parameter). Project exceptions map to statuses by kind:
bad input 422, a database conflict 409, authentication 401, permission 403, not found 404.

Nothing about the failure is logged with its message: messages may quote a patient id, and
logs carry no PHI (only the exception class and the route template).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from theratrial.errors import InputError, StoreError, TheratrialError

__all__ = [
    "PROBLEM_JSON",
    "ProblemError",
    "install_handlers",
    "problem_response",
]

PROBLEM_JSON = "application/problem+json"
_LOG = logging.getLogger("theratrial.api")


class ProblemError(Exception):
    """An error to send to the client as problem details.

    Parameters
    ----------
    status
        HTTP status code.
    detail
        What went wrong, for a person, in one sentence.
    field
        The request field at fault, when there is one.
    hint
        What to do about it (appended to ``detail``).
    headers
        Extra response headers (``WWW-Authenticate``...).

    Examples
    --------
    >>> p = ProblemError(404, "no such patient", field="patient_id")
    >>> p.status, p.errors
    (404, [{'field': 'patient_id', 'message': 'no such patient'}])
    """

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        field: str | None = None,
        hint: str | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = f"{detail} (fix: {hint})" if hint else detail
        self.errors = [{"field": field, "message": detail}] if field else []
        self.headers = headers or {}
        self.extra = extra or {}


def _slug(status: int) -> str:
    try:
        return HTTPStatus(status).phrase.lower().replace(" ", "-").replace("'", "")
    except ValueError:
        return "error"


def problem_response(
    request: Request,
    status: int,
    detail: str,
    *,
    errors: Sequence[dict[str, Any]] = (),
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    """A ``problem+json`` response for ``request`` (RFC 9457 §3)."""
    try:
        title = HTTPStatus(status).phrase
    except ValueError:
        title = "Error"
    body: dict[str, Any] = {
        "type": f"urn:theratrial:problem:{_slug(status)}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "errors": list(errors),
        **(extra or {}),
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _status_of(exc: TheratrialError) -> int:
    if type(exc).__name__ == "AuthError":
        return 401
    if isinstance(exc, StoreError):
        return 409
    if isinstance(exc, InputError):
        return 422
    return 422


def _field_of(loc: Sequence[Any]) -> str:
    parts = [p for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    text = ""
    for p in parts:
        text += f"[{p}]" if isinstance(p, int) else (f".{p}" if text else str(p))
    return text or ".".join(str(p) for p in loc) or "body"


def install_handlers(app: FastAPI) -> None:
    """Register the exception handlers that turn every error into problem details."""

    @app.exception_handler(ProblemError)
    async def _api_problem(request: Request, exc: ProblemError) -> JSONResponse:
        return problem_response(
            request, exc.status, exc.detail, errors=exc.errors, headers=exc.headers, extra=exc.extra
        )

    @app.exception_handler(TheratrialError)
    async def _theratrial(request: Request, exc: TheratrialError) -> JSONResponse:
        status = _status_of(exc)
        errors = [{"field": exc.field, "message": exc.message}] if exc.field else []
        detail = f"{exc.message} (fix: {exc.hint})" if exc.hint else exc.message
        extra: dict[str, Any] = {}
        locked = getattr(exc, "locked_until", None)
        if locked is not None:
            extra["locked_until"] = locked.isoformat()
        return problem_response(request, status, detail, errors=errors, extra=extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": _field_of(e.get("loc", ())), "message": str(e.get("msg", "invalid"))}
            for e in exc.errors()
        ]
        first = errors[0] if errors else {"field": "body", "message": "invalid request"}
        return problem_response(
            request, 422, f"field '{first['field']}': {first['message']}", errors=errors
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        return problem_response(request, exc.status_code, detail, headers=dict(exc.headers or {}))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        route = getattr(request.scope.get("route"), "path", "?")
        _LOG.error("unhandled %s on %s %s", type(exc).__name__, request.method, route)
        return problem_response(request, 500, "internal error; nothing was stored")
