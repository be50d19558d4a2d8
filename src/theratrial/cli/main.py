"""The ``theratrial`` command: one Typer app, each capability adds its commands."""

from __future__ import annotations

import typer

from theratrial import __version__
from theratrial.cli import (
    demo,
    design,
    dosimetry,
    escalation,
    imaging,
    phantom,
    plan,
    protocol,
    response,
    screen,
)

__all__ = ["app", "main"]

app = typer.Typer(
    name="theratrial",
    help="Radioligand theranostic trials in NETs: protocols, screening, imaging, dosimetry.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"theratrial {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Radioligand theranostic trials in neuroendocrine tumours."""


for _module in (
    protocol,
    screen,
    demo,
    imaging,
    phantom,
    dosimetry,
    design,
    escalation,
    plan,
    response,
):
    _module.register(app)


def main() -> None:
    """Console-script entry point."""
    app()
