"""JSON documents and Rich tables of the ``design`` commands (private).

Builders for the ``--json`` output of ``theratrial design boundaries|next|simulate`` (also used by
``theratrial escalation``) and the readable tables of :mod:`theratrial.cli.design`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.table import Table

from theratrial.cli._common import console, print_table
from theratrial.design import (
    Boin,
    Crm,
    DecisionTable,
    DoseFindingDesign,
    I3plus3,
    Mtpi2,
    OperatingCharacteristics,
    decision_table,
)
from theratrial.design.decision_doc import decision_as_dict, simulation_as_dict

__all__ = [
    "boundaries_json",
    "decision_json",
    "print_boundaries",
    "print_decision_grid",
    "print_next",
    "print_simulation",
    "simulation_json",
]

decision_json = decision_as_dict
"""One dose decision as JSON (:func:`theratrial.design.decision_doc.decision_as_dict`)."""


def print_boundaries(out: dict[str, Any]) -> None:
    """The boundary table of ``design boundaries``."""
    head = [f"{k} = {v:.4f}" for k, v in out.items() if k in ("lambda_e", "lambda_d")]
    title = f"{out['design']} target {out['target']}" + (f" ({', '.join(head)})" if head else "")
    if out.get("boundaries") is None:
        console.print(f"{title}: skeleton {out.get('skeleton')}; no boundary table (model-based)")
        return
    table = Table(title=title)
    for col in ("n", "escalate if DLT <=", "de-escalate if DLT >=", "eliminate if DLT >="):
        table.add_column(col, justify="right")
    for row in out["boundaries"]:
        table.add_row(
            *(
                "-" if row[k] is None else str(row[k])
                for k in ("n", "escalate_if_dlt_le", "deescalate_if_dlt_ge", "eliminate_if_dlt_ge")
            )
        )
    print_table(table)


def boundaries_json(built: DoseFindingDesign, max_n: int) -> dict[str, Any]:
    """The JSON document of ``design boundaries``: the design's parameters and, for the
    rule-based designs, the boundaries for n = 1..``max_n`` (CRM: the model instead)."""
    out: dict[str, Any] = {"design": built.name, "target": getattr(built, "target", None)}
    if isinstance(built, Boin):
        b = built.boundaries(max_n)
        out.update(
            p_saf=b.p_saf,
            p_tox=b.p_tox,
            lambda_e=b.lambda_e,
            lambda_d=b.lambda_d,
            cutoff_eli=b.cutoff_eli,
        )
    elif isinstance(built, Mtpi2):
        out.update(
            equivalence_interval=list(built.intervals[_ei_index(built)]),
            intervals=[list(iv) for iv in built.intervals],
            cutoff_eli=built.cutoff_eli,
        )
    elif isinstance(built, I3plus3):
        out.update(
            equivalence_interval=list(built.equivalence_interval),
            cutoff_eli=built.cutoff_eli,
        )
    if isinstance(built, Crm):
        out.update(
            skeleton=list(built.skeleton),
            prior_var=built.prior_var,
            model="p_i = skeleton_i ** exp(beta), beta ~ Normal(0, prior_var)",
            boundaries=None,
        )
    else:
        table = decision_table(built, max_n=max_n)
        out["boundaries"] = [
            {
                "n": r.n,
                "escalate_if_dlt_le": r.escalate_if_dlt_le,
                "deescalate_if_dlt_ge": r.deescalate_if_dlt_ge,
                "eliminate_if_dlt_ge": r.eliminate_if_dlt_ge,
            }
            for r in table.rows
        ]
    return out


def _ei_index(design: Mtpi2) -> int:
    low = design.target - design.epsilon1
    return sum(1 for _, hi in design.intervals if hi <= low + 1e-9)


def _fmt(value: object, digits: int = 3) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def print_next(out: dict[str, Any]) -> None:
    """The decision and the per-level estimates of ``design next``."""
    unit = f" {out['level_unit']}" if out["level_unit"] else ""
    nxt = out["next_level"]
    where = f" -> {nxt:g}{unit}" if nxt is not None else ""
    mtd = f"; MTD {out['mtd']:g}{unit}" if out["mtd"] is not None else ""
    inferred = " (inferred)" if out["current_level_inferred"] else ""
    console.print(
        f"[bold]{out['design']}[/]: at {out['current_level']:g}{unit}{inferred}: "
        f"[bold]{out['decision']}[/]{where}{mtd}"
    )
    console.print(out["reason"])
    for item in out.get("missing") or []:
        console.print(f"missing: {item['description']}")
    for note in out.get("notes") or []:
        console.print(f"note: {note}")
    if out.get("convention"):
        console.print(f"convention: 3+3: {out['convention']}")
    table = Table()
    for col in ("level", "n", "DLT", "observed", "estimate", "Pr(p>target)", "eliminated"):
        table.add_column(col, justify="right")
    for e in out["estimates"]:
        table.add_row(
            f"{e['level']:g}",
            str(e["n"]),
            str(e["dlt"]),
            _fmt(e["observed_rate"]),
            _fmt(e["estimated_rate"]),
            _fmt(e["p_overdose"]),
            "yes" if e["eliminated"] else "",
        )
    print_table(table)


def simulation_json(oc: OperatingCharacteristics, unit: str, plot: Path | None) -> dict[str, Any]:
    """The JSON document of ``design simulate``."""
    doc = simulation_as_dict(oc, unit)
    units = doc.pop("units")
    return {**doc, "plot": None if plot is None else str(plot), "units": units}


def print_simulation(
    oc: OperatingCharacteristics, written: Path | None, *, convention: str | None = None
) -> None:
    """The operating characteristics as a table, one row per dose level."""
    table = Table(
        title=f"{oc.design}: {oc.n_trials} trials, seed {oc.seed}, max N {oc.max_n}, "
        f"cohort {oc.cohort_size}"
    )
    for col in ("level", "true p", "selected %", "patients", "DLTs"):
        table.add_column(col, justify="right")
    for i, level in enumerate(oc.levels):
        table.add_row(
            f"{level:g}",
            f"{oc.truth[i]:.2f}",
            f"{oc.selection_pct[i]:.1f}",
            f"{oc.n_treated_mean[i]:.1f}",
            f"{oc.dlt_mean_per_level[i]:.2f}",
        )
    print_table(table)
    console.print(
        f"stopped without MTD: {oc.stop_pct:.1f} %; mean N {oc.n_mean:.1f}; "
        f"mean DLTs {oc.dlt_mean:.2f}" + (f"; plot: {written}" if written else "")
    )
    if convention:
        console.print(f"convention: 3+3: {convention}")


def print_decision_grid(table: DecisionTable) -> None:
    """The decision grid of ``design table``: rows n patients, columns DLT counts."""
    width = max(len(r.decisions) for r in table.rows)
    grid = Table(title=f"{table.design} decisions (rows: patients n; columns: DLTs)")
    grid.add_column("n", justify="right")
    for y in range(width):
        grid.add_column(str(y), justify="center")
    for r in table.rows:
        grid.add_row(str(r.n), *r.decisions, *([""] * (width - len(r.decisions))))
    print_table(grid)
    if table.note:
        console.print(f"note: {table.note}")
