"""``theratrial dlt`` (record DLT observations, :mod:`._dlt`) and ``theratrial escalation``.

Escalation reads the protocol's escalation cohorts, their dose levels and start level, and
the DLT records stored for the trial, and asks the chosen design for one decision per
cohort: each cohort is escalated independently, as NCT06732505 requires. A decision needs
a complete cohort (the protocol's ``cohort_size``) whose DLT windows (``dlt_window_days``)
have ended on the as-of date; until then the answer is ``wait``, with what is missing.

One observation per patient and cycle: ``dlt add`` and ``dlt import`` refuse a repeated or
contradicting one (in the file, or against the store) unless ``--correct --reason TEXT``
replaces the stored observation, keeping the previous values and the reason.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import typer
from rich.table import Table

from theratrial.cli._common import DB_OPTION, console, handle_errors, print_json, print_table
from theratrial.cli._dlt import (
    dlt_app,
    level_values,
    parse_date,
)
from theratrial.cli.design import _floats
from theratrial.design.escalation_plan import DESIGN_SOURCES, plans_from_protocol
from theratrial.protocol import find_protocol
from theratrial.store import connect, session_scope
from theratrial.store.escalation import escalation_decisions, level_unit

__all__ = ["register"]


def escalation_command(
    trial: str = typer.Option(..., "--trial", help="Trial id."),
    design: str | None = typer.Option(
        None, "--design", help="boin, crm, mtpi2, i3+3 or 3+3 (default: the protocol's)."
    ),
    target: float | None = typer.Option(
        None, "--target", help="Target DLT probability (default: the protocol's)."
    ),
    skeleton: str | None = typer.Option(None, "--skeleton", help="CRM skeleton, comma-separated."),
    as_of: str | None = typer.Option(
        None, "--as-of", help="Date of the decision, YYYY-MM-DD (default today)."
    ),
    db: str | None = DB_OPTION,
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Next-cohort decision for every escalation cohort of a trial, from the stored DLT records.

    A decision needs a complete cohort (the protocol's dosing.cohort_size) whose DLT
    windows (dosing.dlt_window_days after each administration) have ended on --as-of;
    until then it is "wait", with "missing": the patients still to enrol and the patients
    whose window is still open, with its last day. A record without an administration
    date is taken as followed through its window. The design and target are the
    protocol's (dosing.design, dosing.target_dlt_rate), else BOIN at 0.25, said as assumed.
    """
    with handle_errors():
        protocol = find_protocol(trial)
        plans_from_protocol(protocol, level_values(protocol))  # refused before the store opens
        today = parse_date(as_of, field="--as-of") if as_of else dt.date.today()
        skel = _floats(skeleton, "--skeleton") if skeleton else None
        with session_scope(connect(db)) as session:
            document = escalation_decisions(
                session, protocol, design=design, target=target, skeleton=skel, as_of=today
            )
        if json_out:
            print_json(document)
            return
        unit = level_unit(protocol)
        payload = document["cohorts"]
        _print_escalation(document, today, unit, payload)


def _print_escalation(
    document: dict[str, Any], today: dt.date, unit: str, payload: list[dict[str, Any]]
) -> None:
    """One block per cohort, each line short enough for 80 columns; numbers never cut."""
    rule = document["design"]
    if document["target"] is not None:
        rule += f", target {document['target']:g}"
    note = DESIGN_SOURCES[document["design_source"]]
    console.print(
        f"[bold]{document['trial_id']}[/]: next cohort per escalation cohort ({rule}, {note}; "
        f"as of {today})",
        soft_wrap=False,
    )
    for item in payload:
        nxt = (
            "-"
            if item["next_level"] is None
            else f"{item['next_level']:g} {unit} ({item['next_level_id']})"
        )
        console.print(f"\n[bold]{item['cohort']}[/]: [bold]{item['decision']}[/]; next level {nxt}")
        table = Table(show_edge=False, pad_edge=False)
        for col in (f"level ({unit})", "treated", "DLT"):
            table.add_column(col, justify="right", no_wrap=True)
        for e in item["estimates"]:
            table.add_row(f"{e['level']:g}", str(e["n"]), str(e["dlt"]))
        print_table(table)
        console.print(f"reason: {item['reason']}")
        for m in item["missing"]:
            console.print(f"missing: {m['description']}")


def register(app: typer.Typer) -> None:
    """Add ``dlt`` and ``escalation`` to the top-level app."""
    app.add_typer(dlt_app, name="dlt")
    app.command("escalation")(escalation_command)
