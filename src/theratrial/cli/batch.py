"""``theratrial batch MANIFEST --task TASK``: a cohort's per-patient work on Dask.

A thin adapter over :func:`theratrial.jobs.batch.run_batch`: a Rich progress bar (done /
failed / running) on stderr, then a summary table (or ``--json`` on stdout) and, with
``--summary FILE``, a CSV of the tasks. Exit code 0 when no task failed, 1 otherwise, 2 on
bad input (the manifest, an option).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from theratrial.cli._common import (
    DB_OPTION,
    console,
    err_console,
    handle_errors,
    output_file,
    print_json,
    print_table,
)
from theratrial.errors import ParameterError

__all__ = ["register"]

_HELP = "Run one task per patient of a manifest on Dask: idempotent, resumable."


@contextmanager
def _bar(enabled: bool) -> Iterator[Callable[[int, int, int, int], None] | None]:
    if not enabled:
        yield None
        return
    with Progress(
        TextColumn("[bold]batch"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} {task.fields[counts]}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task("batch", total=None, counts="")

        def update(finished: int, failed: int, running: int, total: int) -> None:
            counts = f"done {finished} · failed {failed} · running {running}"
            bar.update(task, completed=finished + failed, total=total, counts=counts)

        yield update


def _write_summary(path: Path, tasks: list[dict[str, object]]) -> None:
    """The summary CSV, written whole to a temporary file then renamed."""
    partial = path.with_name(f".{path.name}.partial")
    with partial.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=["patient_id", "state", "seconds", "error"])
        writer.writeheader()
        for t in tasks:
            writer.writerow({k: "" if t[k] is None else t[k] for k in writer.fieldnames})
    partial.replace(path)


def batch_command(
    manifest: Path = typer.Argument(..., help="CSV or YAML: patient_id, source, options."),
    task: str = typer.Option(..., "--task", help="phantom, quantify, dosimetry or plan."),
    db: str | None = DB_OPTION,
    scheduler: str | None = typer.Option(
        None, "--scheduler", help="Existing Dask scheduler, e.g. tcp://HOST:8786."
    ),
    workers: int | None = typer.Option(
        None, "--workers", help="Local worker processes (with --scheduler: wait for N)."
    ),
    retries: int = typer.Option(2, "--retries", help="Retries of an unexpected failure (0-10)."),
    summary: Path | None = typer.Option(None, "--summary", help="Write the tasks as CSV."),
    device: str = typer.Option(
        "auto", "--device", help="dosimetry FFTs: cpu, gpu (CuPy + CUDA) or auto (GPU if present)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the outcome as JSON."),
) -> None:
    """Run one task per patient of a manifest on Dask: idempotent, resumable.

    A rerun skips every task whose inputs are unchanged and stored done, and redoes the
    failed ones. JSON: {"done", "skipped", "failed", "tasks": [{"patient_id", "state",
    "seconds", "error"}]}; exit 0 when nothing failed, 1 otherwise.
    """
    from theratrial.jobs.batch import TASKS, run_batch

    with handle_errors():
        if task not in TASKS:
            raise ParameterError(f"unknown task {task!r}", field="--task", hint=", ".join(TASKS))
        if not manifest.is_file():
            raise ParameterError(
                f"{manifest}: manifest not found", field="MANIFEST", hint="give a CSV or YAML file"
            )
        if summary is not None:
            output_file(summary, option="--summary")
        with _bar(True) as update:
            report = run_batch(
                manifest,
                task=task,
                db=db,
                scheduler=scheduler,
                workers=workers,
                retries=retries,
                progress=update,
                device=device,
            )
        out = report.as_json()
        if summary is not None:
            _write_summary(summary, out["tasks"])
    if as_json:
        print_json(out)
    else:
        table = Table(title=f"batch {task}: {out['done']} done, {out['skipped']} skipped, "
                      f"{out['failed']} failed ({report.wall_s:.1f} s)")  # fmt: skip
        for col in ("patient", "state", "seconds", "error"):
            table.add_column(col)
        for t in out["tasks"]:
            table.add_row(t["patient_id"], t["state"], f"{t['seconds']:.2f}", t["error"] or "")
        print_table(table)
        if summary is not None:
            console.print(f"summary: {summary}", highlight=False)
    if out["failed"]:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``batch`` to the top-level app."""
    app.command("batch", help=batch_command.__doc__)(batch_command)
