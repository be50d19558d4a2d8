"""The ``theratrial`` command: one Typer app whose commands are imported when they run.

Start-up time is part of the product: ``theratrial --version`` and ``theratrial --help``
must answer at once, so the top-level app imports none of the command modules (which pull
in numpy, scipy, pydicom, SQLAlchemy, matplotlib ...). Each command is listed here with its
module and its one-line summary; :class:`LazyGroup` shows the summaries in ``--help`` and
imports a module only when one of its commands is invoked (or its own ``--help`` is asked
for). A test checks that every summary equals the first paragraph of the real command's
help, so the two never drift apart.
"""

from __future__ import annotations

import importlib
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

from theratrial import __version__

__all__ = ["COMMANDS", "LazyGroup", "app", "main"]

COMMANDS: dict[str, tuple[str, str]] = {
    "trials": ("protocol", "List the bundled trials."),
    "screen": (
        "screen",
        "Screen a patient against a trial (--trial) or all bundled trials (--all).",
    ),
    "demo": (
        "demo",
        "The main job: screen the bundled and virtual patients against every bundled trial, "
        "quantify the virtual patients' 68Ga PET per organ and lesion, store it all in SQLite.",
    ),
    "suv": ("imaging", "SUV statistics of one VOI in one PET series, with every assumption made."),
    "quantify": (
        "imaging",
        "Per-organ / per-lesion table of a study: SUV or Bq/mL, %IA, ratios, Krenning.",
    ),
    "ls": ("imaging", "List the DICOM studies and series (and NIfTI files) found under a folder."),
    "phantom": (
        "phantom",
        "Generate one virtual NET patient: CT, 68Ga PET (+ retest), SPECT, masks, truth.",
    ),
    "phantom-cohort": (
        "phantom",
        "Generate a virtual cohort: patient folders, cohort.json and lesions.csv.",
    ),
    "dosimetry-table": (
        "dosimetry",
        "Fit time-activity curves from a table and compute Ã, absorbed dose and BED.",
    ),
    "dosimetry": (
        "dosimetry",
        "Dosimetry of every cycle imaged in a patient folder (SPECT time points + masks).",
    ),
    "escalation": (
        "escalation",
        "Next-cohort decision for every escalation cohort of a trial, from the stored DLT records.",
    ),
    "plan": (
        "plan",
        "Next-cycle prescription under the protocol's organ limits, from the stored cycles.",
    ),
    "recist": (
        "response",
        "RECIST 1.1 responses of one patient (or several) from a JSON file of assessments.",
    ),
    "repeatability": (
        "response",
        "Test-retest repeatability: wSD, wCV, RC, ICC (six forms), Bland-Altman, per group.",
    ),
    "protocol": ("protocol", "Work with trial protocol files."),
    "design": (
        "design",
        "Dose-finding designs (3+3, BOIN, CRM, mTPI-2, i3+3): decisions and simulations.",
    ),
    "dlt": ("escalation", "Record dose-limiting toxicity observations."),
    "cycle": ("plan", "Record therapy administrations and their dosimetry."),
    "model": ("response", "Outcome models: lesion level and patient level."),
    "users": ("users", "Local user accounts of the trial service: add, list, disable."),
    "audit": ("audit", "The audit trail: verify its hash chain, export it as CSV."),
    "report": (
        "report",
        "Reports a trial files (cycle, escalation, screening, repeatability, response) as HTML "
        "or PDF.",
    ),
    "batch": (
        "batch",
        "Run one task per patient of a manifest on Dask: idempotent, resumable.",
    ),
    "pacs": ("pacs", "Find, pull and push studies on a PACS over DICOMweb."),
    "deid": (
        "pacs",
        "De-identify a patient's DICOM files (PS3.15 Annex E) under a trial pseudonym.",
    ),
    "export": (
        "pacs",
        "Write the study's results as DICOM: SEG of the masks, TID 1500 SR, RT Dose, PDF.",
    ),
    "receive": (
        "pacs",
        "Receive DICOM (C-STORE SCP), filing each study into its own folder atomically.",
    ),
    "serve": (
        "serve",
        "Start the trial service (REST API under /api/v1) on the store given by --db.",
    ),
}
"""Top-level command -> (module under :mod:`theratrial.cli`, one-line summary)."""

_LOADED: dict[str, TyperGroup] = {}


def load_module_commands(module: str) -> TyperGroup:
    """Import ``theratrial.cli.<module>`` and return the click group of its commands."""
    if module not in _LOADED:
        mod = importlib.import_module(f"theratrial.cli.{module}")
        sub = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
        mod.register(sub)
        _LOADED[module] = typer.main.get_group(sub)
    return _LOADED[module]


class _Summary(TyperCommand):
    """What ``--help`` lists for a command not imported yet: its name and summary."""

    def __init__(self, name: str, summary: str) -> None:
        super().__init__(name, help=summary, short_help=summary)


class LazyGroup(TyperGroup):
    """A Typer group that imports a command's module only when the command is resolved."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        for name, (_module, summary) in COMMANDS.items():
            self.commands.setdefault(name, _Summary(name, summary))

    def _real(self, name: str) -> Any:
        entry = COMMANDS.get(name)
        if entry is None:
            return self.commands.get(name)
        return load_module_commands(entry[0]).commands.get(name)

    def resolve_command(self, ctx: Any, args: list[str]) -> tuple[str | None, Any, list[str]]:
        name, cmd, rest = super().resolve_command(ctx, args)
        if isinstance(cmd, _Summary) and name is not None:
            cmd = self._real(name)
        return name, cmd, rest


app = typer.Typer(
    name="theratrial",
    help="Radioligand theranostic trials in NETs: protocols, screening, imaging, dosimetry.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=LazyGroup,
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


def main() -> None:
    """Console-script entry point."""
    app()
