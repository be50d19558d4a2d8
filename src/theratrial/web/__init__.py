"""The web application the trial team works in, served by ``theratrial serve`` at ``/``.

A single page (``static/index.html``) loads ES modules from ``/static/js`` (no bundler, no
CDN: every script, style and font ships in this package, so the pages work with no network).
The pages hold no rule of their own: they call the REST API under ``/api/v1`` with the
session cookie and the CSRF token (:mod:`theratrial.api.deps`), and they show a control
only when ``GET /api/v1/auth/me`` lists the action in ``can`` (the server's permission
table, :mod:`theratrial.api.permissions`); the server refuses anyway.

Pages are addressed by the URL fragment (``/#/trials/NCT06732505``), so every page is one
static document and the server needs one route for ``/``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from starlette.staticfiles import StaticFiles

__all__ = ["STATIC_DIR", "WEB_CSP", "is_web_path", "mount"]

STATIC_DIR = Path(str(resources.files("theratrial.web") / "static"))
"""The shipped assets: index.html, css/, js/ (and the vendored libraries with licences)."""

WEB_CSP = (
    b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    b"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    b"form-action 'self'; frame-ancestors 'none'"
)
"""Content-Security-Policy of the pages: only this origin, no inline script or style."""


def is_web_path(path: str) -> bool:
    """Whether ``path`` is one of the pages' documents or assets (not the API)."""
    return path == "/" or path.startswith("/static/")


def mount(app: FastAPI) -> None:
    """Serve the pages at ``/`` and their assets at ``/static`` on ``app``."""
    index = STATIC_DIR / "index.html"

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        """The single page of the web application."""
        return FileResponse(index, media_type="text/html")

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
