"""``theratrial audit``: check the hash chain of the audit trail, export it as CSV.

``audit verify`` exits 0 when the chain is sound and 1 when it is broken, naming the
sequence number of the first broken record (see :func:`theratrial.api.audit.verify_chain`).
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from pathlib import Path

import typer

from theratrial.api.audit import export_csv, verify_chain
from theratrial.cli._common import DB_OPTION, err_console, handle_errors, output_file
from theratrial.errors import ParameterError
from theratrial.store import connect, session_scope

__all__ = ["audit_app", "register"]

audit_app = typer.Typer(
    help="The audit trail: verify its hash chain, export it as CSV.",
    no_args_is_help=True,
)


@audit_app.command("verify")
def verify_command(db: str | None = DB_OPTION) -> None:
    """Check the audit trail's hash chain: exit 0 when sound, 1 naming the first broken record."""
    with handle_errors():
        engine = connect(db)
        try:
            with session_scope(engine) as session:
                check = verify_chain(session)
        finally:
            engine.dispose()
    if check.ok:
        typer.echo(f"audit chain sound: {check.n_records} records")
        return
    typer.echo(
        f"audit chain broken at record {check.first_broken}: it does not match the chain "
        f"before it (changed, inserted or deleted after it was written)"
    )
    raise typer.Exit(1)


@audit_app.command("export")
def export_command(
    csv_format: bool = typer.Option(False, "--csv", help="Write CSV (the one format)."),
    out: Path | None = typer.Option(None, "--out", help="CSV file to write (default: stdout)."),
    db: str | None = DB_OPTION,
) -> None:
    """Export the audit trail as CSV: one row per changed field, values as JSON, UTC times."""
    with handle_errors():
        if not csv_format:
            raise ParameterError("choose the export format", field="--csv", hint="add --csv")
        if out is not None:
            output_file(out, option="--out")
        engine = connect(db)
        try:
            with session_scope(engine) as session:
                if out is None:
                    export_csv(session, sys.stdout)
                    return
                fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
                try:
                    with os.fdopen(fd, "w", encoding="utf-8", newline="") as stream:
                        n = export_csv(session, stream)
                    os.replace(tmp, out)
                except BaseException:
                    with contextlib.suppress(OSError):
                        os.unlink(tmp)
                    raise
        finally:
            engine.dispose()
        err_console.print(f"wrote {n} audit records to {out}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``audit`` to the top-level app."""
    app.add_typer(audit_app, name="audit")
