"""Options and cell formatting shared by the response commands (private).

The ``--json`` and ``--figures``/``--plot`` options and the table-cell formatter of
``recist``, ``repeatability`` and ``model lesions|patients`` (:mod:`theratrial.cli.response`).
"""

from __future__ import annotations

from typing import Any

import typer

__all__ = ["FIGURES", "JSON", "fmt"]

FIGURES = typer.Option(None, "--figures", "--plot", help="Folder to write the figures (PNG) in.")
JSON = typer.Option(False, "--json", help="Print JSON.")


def fmt(value: Any, digits: int = 4) -> str:
    """A table cell: ``-`` for None, ``digits`` significant digits, yes/no, enum values."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(getattr(value, "value", value))
