"""CLI commands of the response capability (filled in by its issue)."""

from __future__ import annotations

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add this capability's commands to the top-level theratrial app."""
