"""CLI commands of the response capability: ``recist``, ``repeatability``, ``model``.

Thin adapters over :mod:`theratrial.response` (RECIST 1.1) and :mod:`theratrial.stats`
(test-retest repeatability, lesion- and patient-level outcome models). Each prints a Rich
table, or JSON with ``--json``; ``--figures DIR`` writes the figures of
:mod:`theratrial.report.response_plots` (``--plot`` is the same option). The commands live
in :mod:`theratrial.cli._recist`, :mod:`theratrial.cli._repeatability` and
:mod:`theratrial.cli._outcome_model`; this module registers them.
"""

from __future__ import annotations

import typer

from theratrial.cli._outcome_model import model_lesions_command, model_patients_command
from theratrial.cli._recist import RECIST_HELP, recist_command, recist_payload
from theratrial.cli._repeatability import repeatability_command

__all__ = ["recist_payload", "register"]


def register(app: typer.Typer) -> None:
    """Add ``recist``, ``repeatability`` and ``model lesions|patients`` to the app."""
    app.command("recist", help=RECIST_HELP)(recist_command)
    app.command("repeatability")(repeatability_command)
    model = typer.Typer(
        help="Outcome models: lesion level and patient level.", no_args_is_help=True
    )
    model.command("lesions")(model_lesions_command)
    model.command("patients")(model_patients_command)
    app.add_typer(model, name="model")
