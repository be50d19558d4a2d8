"""Rendering a report: Jinja2 HTML, WeasyPrint PDF, figures as PNG data URIs (private).

The document model (:class:`~theratrial.report.documents.Document`) is rendered by one
template, ``templates/report.html.j2``, with the stylesheet ``templates/report.css`` inlined
so the HTML file stands alone. The PDF is the same HTML laid out by WeasyPrint (CSS Paged
Media). A file is written to a temporary name in the target folder and renamed into place,
so a failed render never leaves a half-written report.

Examples
--------
>>> fmt(0.123456), fmt(7400.0, 4), fmt(None)
('0.1235', '7400', '–')
"""

from __future__ import annotations

import base64
import io
import math
import os
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from theratrial.errors import ParameterError
from theratrial.report._paths import output_path

__all__ = ["SUFFIXES", "figure_uri", "fmt", "output_bytes", "render_template", "write_output"]

SUFFIXES = (".html", ".pdf")
"""The report formats, named by the output file's suffix."""

_PACKAGE = "theratrial.report"


def fmt(value: float | int | None, digits: int = 4) -> str:
    """A number with ``digits`` significant digits (``–`` for none), as the reports show it."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    text = f"{value:.{digits}g}"
    if "e+" in text and abs(value) < 1e9:  # 15930, not 1.593e+04 (same digits, no exponent)
        text = f"{float(text):.0f}"
    return text


def figure_uri(figure: Figure, *, dpi: int = 110) -> str:
    """A matplotlib figure as a ``data:image/png;base64,...`` URI (RFC 2397)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _template_text(name: str) -> str:
    return (resources.files(_PACKAGE) / "templates" / name).read_text(encoding="utf-8")


def render_template(context: dict[str, Any]) -> str:
    """The report's HTML: ``report.html.j2`` rendered with ``context`` (autoescaped)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(_template_text),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("report.html.j2").render(css=_template_text("report.css"), **context)


def output_bytes(html: str, fmt_name: str) -> bytes:
    """The report as bytes: ``html`` (UTF-8) or ``pdf`` (laid out by WeasyPrint)."""
    if fmt_name == "pdf":
        import weasyprint

        data = weasyprint.HTML(string=html).write_pdf()
        assert data is not None  # write_pdf returns the bytes when no target is given
        return bytes(data)
    if fmt_name == "html":
        return html.encode("utf-8")
    raise ParameterError(f"unknown report format {fmt_name!r}", field="format", hint="pdf or html")


def write_output(html: str, path: str | Path, *, field: str = "--out") -> Path:
    """Write ``html`` to ``path`` as HTML or as PDF (by suffix), all or nothing.

    Raises
    ------
    ParameterError
        When the suffix is neither ``.html`` nor ``.pdf``, or the folder does not exist.
    """
    target = output_path(path, field=field)
    suffix = target.suffix.lower()
    if suffix not in SUFFIXES:
        raise ParameterError(
            f"cannot write a report as {suffix or 'a file without suffix'!r}",
            file=target,
            field=field,
            hint="name the file .html or .pdf",
        )
    data = output_bytes(html, suffix.lstrip("."))
    handle, temp = tempfile.mkstemp(prefix=".report-", suffix=suffix, dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return target
