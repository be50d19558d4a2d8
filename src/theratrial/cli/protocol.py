"""``theratrial trials`` and ``theratrial protocol validate``."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from theratrial.cli._common import console, handle_errors, print_json, print_table
from theratrial.protocol import bundled_protocols, load_protocol
from theratrial.protocol.schema import Protocol

__all__ = ["register"]

protocol_app = typer.Typer(help="Work with trial protocol files.", no_args_is_help=True)


def _summary(p: Protocol) -> dict[str, object]:
    dosing = None
    if p.dosing is not None:
        dosing = {
            "rule": p.dosing.rule,
            "levels": [
                {
                    "id": lv.id,
                    "activity_gbq": lv.activity_gbq,
                    "activity_kbq_per_kg": lv.activity_kbq_per_kg,
                }
                for lv in p.dosing.levels
            ],
        }
    return {
        "id": p.id,
        "registry_ids": p.registry_ids,
        "short_title": p.short_title,
        "title": p.title,
        "phase": p.phase,
        "nuclides": [r.nuclide for r in p.radiopharmaceuticals],
        "dosing": dosing,
        "schedule": p.schedule.model_dump() if p.schedule else None,
        "cohorts": [c.id for c in p.cohorts],
        "n_inclusion": len(p.inclusion),
        "n_exclusion": len(p.exclusion),
    }


def trials(json_out: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """List the bundled trials."""
    with handle_errors():
        protocols = bundled_protocols()
        if json_out:
            print_json([_summary(p) for p in protocols])
            return
        table = Table(title="Bundled trials")
        for col in ("id", "title", "phase", "therapy", "dosing", "criteria (in/ex)"):
            table.add_column(col)
        for p in protocols:
            dosing = "-"
            if p.dosing is not None:
                dosing = ", ".join(
                    f"{lv.activity_gbq:g} GBq"
                    if lv.activity_gbq is not None
                    else f"{lv.activity_kbq_per_kg:g} kBq/kg"
                    for lv in p.dosing.levels
                )
            table.add_row(
                p.id,
                p.short_title,
                p.phase,
                p.therapy_nuclide() or "diagnostic",
                dosing,
                f"{len(p.inclusion)}/{len(p.exclusion)}",
            )
        print_table(table)


@protocol_app.command("validate")
def validate(
    file: Path = typer.Argument(..., help="Protocol YAML file."),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Validate a protocol file; a malformed one is rejected with its line and field."""
    with handle_errors():
        protocol = load_protocol(file)
        if json_out:
            print_json({"file": str(file), "valid": True, **_summary(protocol)})
        else:
            console.print(
                f"[green]valid[/]: {file} — {protocol.id} ({len(protocol.criteria)} criteria)"
            )


def register(app: typer.Typer) -> None:
    """Add ``trials`` and ``protocol`` to the top-level app."""
    app.command("trials")(trials)
    app.add_typer(protocol_app, name="protocol")
