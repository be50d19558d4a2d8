"""The trial service: a FastAPI application over the store and the science packages.

``create_app`` wires the pieces: the routers under ``/api/v1`` (one module per resource in
:mod:`theratrial.api.routers`), problem details for every error (RFC 9457), security
headers on every response (OWASP Secure Headers), a request body limit (413 above it; the
study upload routes have their own, larger limit), CORS
closed unless origins are configured, and an access log that names the route template
(``/api/v1/patients/{patient_id}``), never the path itself: paths and bodies carry patient
ids, and logs carry no PHI.

OpenAPI is served at ``/api/v1/openapi.json``; ``/healthz`` says the process runs,
``/readyz`` that the database answers.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from theratrial.api.problems import install_handlers, problem_response
from theratrial.api.settings import Settings
from theratrial.store import connect
from theratrial.web import WEB_CSP, is_web_path

__all__ = ["API_PREFIX", "create_app"]

API_PREFIX = "/api/v1"
_LOG = logging.getLogger("theratrial.api.access")
_UPLOAD_ROUTE = re.compile(rf"{API_PREFIX}/studies(/[0-9]+/segmentations)?")
"""The routes that take a study upload or a label map: the upload body limit applies."""

SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (b"cache-control", b"no-store"),
)
"""Headers every response carries (OWASP Secure Headers Project recommendations)."""

_DOCS_CSP = (
    b"default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    b"style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: "
    b"https://fastapi.tiangolo.com; frame-ancestors 'none'"
)


class _Guard:
    """ASGI middleware: body size limit, security headers, and a PHI-free access log."""

    def __init__(
        self, app: ASGIApp, *, max_body_bytes: int, max_upload_bytes: int | None = None
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_upload_bytes = max(max_upload_bytes or max_body_bytes, max_body_bytes)

    def limit_for(self, scope: Scope) -> int:
        """The body limit of one request: the upload limit on the upload routes only."""
        if scope.get("method") == "POST" and _UPLOAD_ROUTE.fullmatch(scope.get("path", "")):
            return self.max_upload_bytes
        return self.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = {"code": 500}
        path = scope.get("path", "")
        docs = path.startswith(f"{API_PREFIX}/docs")
        csp = _DOCS_CSP if docs else WEB_CSP if is_web_path(path) else None

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                names = {k.lower() for k, _ in message.get("headers", [])}
                extra = [
                    (k, csp if csp is not None and k == b"content-security-policy" else v)
                    for k, v in SECURITY_HEADERS
                    if k not in names
                ]
                if scope.get("scheme") == "https":
                    extra.append((b"strict-transport-security", b"max-age=31536000"))
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        limit = self.limit_for(scope)
        declared = dict(scope.get("headers", [])).get(b"content-length")
        too_big = False
        if declared is not None:
            try:
                too_big = int(declared) > limit
            except ValueError:
                too_big = True
        if too_big:
            await self._refuse(scope, send_with_headers, limit)
            self._log(scope, status["code"], start)
            return
        received = {"n": 0}

        async def limited_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                received["n"] += len(message.get("body", b""))
                if received["n"] > limit:
                    raise _BodyTooLargeError
            return message

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except _BodyTooLargeError:
            await self._refuse(scope, send_with_headers, limit)
        self._log(scope, status["code"], start)

    async def _refuse(self, scope: Scope, send: Send, limit: int) -> None:
        request = Request(scope)
        response = problem_response(
            request,
            413,
            f"the request body is larger than {limit} bytes",
            errors=[{"field": "body", "message": "too large"}],
        )
        await response(scope, _empty_receive, send)

    @staticmethod
    def _log(scope: Scope, status: int, start: float) -> None:
        route = getattr(scope.get("route"), "path", None) or "(no route)"
        _LOG.info(
            "%s %s %d %.1f ms",
            scope.get("method"),
            route,
            status,
            1e3 * (time.perf_counter() - start),
        )


class _BodyTooLargeError(Exception):
    """Raised inside the app when the streamed body passes the limit."""


async def _empty_receive() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


def create_app(database_url: str | None = None, *, settings: Settings | None = None) -> FastAPI:
    """The API application on the store at ``database_url`` (migrated on start).

    Parameters
    ----------
    database_url
        SQLAlchemy URL or SQLite file; None: ``settings.database_url``, then
        ``THERATRIAL_DATABASE_URL``, then ``theratrial.sqlite`` in the working directory.
    settings
        Limits, CORS origins and the Dask scheduler (default: :meth:`Settings.from_env`).

    Raises
    ------
    StoreError
        When the database cannot be opened or migrated.

    Examples
    --------
    >>> app = create_app("sqlite:///:memory:")
    >>> app.openapi_url
    '/api/v1/openapi.json'
    """
    from theratrial.api.routers import ROUTERS

    settings = settings or Settings.from_env()
    engine = connect(database_url or settings.database_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            import sys

            jobs = sys.modules.get("theratrial.jobs.service")
            if jobs is not None:
                jobs.shutdown()
            engine.dispose()

    app = FastAPI(
        title="theratrial",
        version="1",
        summary="Radioligand theranostic trials: screening, treatment, dosimetry, escalation.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.engine = engine
    app.state.settings = settings
    install_handlers(app)
    for router in ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
    from theratrial.web import mount

    mount(app)

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        """The process runs."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"], response_model=None)
    def readyz(request: Request) -> Any:
        """The database answers a query."""
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            return problem_response(
                request, 503, f"the database does not answer ({type(exc).__name__})"
            )
        return JSONResponse({"status": "ready", "database": engine.dialect.name})

    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_credentials=True,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "X-CSRF-Token"],
        )
    app.add_middleware(
        _Guard,
        max_body_bytes=settings.max_body_bytes,
        max_upload_bytes=settings.max_upload_bytes,
    )
    return app
