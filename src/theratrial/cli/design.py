"""CLI commands of the design capability: ``theratrial design boundaries|table|next|simulate``.

A thin adapter over :mod:`theratrial.design`: parse the options, build the design, print a
Rich table or (``--json``) the JSON shapes documented on each command.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.progress import Progress
from rich.table import Table

from theratrial.cli._common import console, err_console, handle_errors, print_json
from theratrial.design import (
    Boin,
    Crm,
    Decision,
    DoseData,
    DoseFindingDesign,
    I3plus3,
    Mtpi2,
    OperatingCharacteristics,
    create_design,
    decision_table,
    read_dose_data,
    simulate,
)
from theratrial.errors import ParameterError

__all__ = ["register"]

design_app = typer.Typer(
    name="design",
    help="Dose-finding designs (3+3, BOIN, CRM, mTPI-2, i3+3): decisions and simulations.",
    no_args_is_help=True,
)

_DESIGN = typer.Option("boin", "--design", help="3+3, boin, crm, mtpi2 or i3+3.")
_TARGET = typer.Option(None, "--target", help="Target DLT probability in (0, 1).")
_SKELETON = typer.Option(None, "--skeleton", help="CRM skeleton, comma-separated, one per level.")
_EPS1 = typer.Option(0.05, "--epsilon1", help="mTPI-2/i3+3: EI lower margin (target - e1).")
_EPS2 = typer.Option(0.05, "--epsilon2", help="mTPI-2/i3+3: EI upper margin (target + e2).")
_CUTOFF = typer.Option(0.95, "--cutoff-eli", help="Elimination cut-off on Pr(p > target).")
_EARLY = typer.Option(100, "--n-earlystop", help="Stop when this many are at the current level.")
_EXTRA = typer.Option(False, "--extrasafe", help="BOIN extra-safe stopping rule.")
_DEESC = typer.Option(False, "--deescalation", help="3+3 with de-escalation.")
_JSON = typer.Option(False, "--json", help="Print JSON.")
_UNIT = typer.Option("", "--unit", help="Unit of the dose levels, e.g. kBq/kg.")


def _floats(text: str, field: str) -> list[float]:
    try:
        values = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ParameterError(
            f"{text!r} is not a comma-separated list of numbers",
            field=field,
            hint="write numbers separated by commas, e.g. 60,90,120",
        ) from None
    if not values:
        raise ParameterError("empty list", field=field, hint="give at least one number")
    return values


def _build(
    design: str,
    target: float | None,
    skeleton: str | None,
    epsilon1: float,
    epsilon2: float,
    cutoff_eli: float,
    n_earlystop: int,
    extrasafe: bool,
    deescalation: bool,
) -> DoseFindingDesign:
    return create_design(
        design,
        target=target,
        skeleton=None if skeleton is None else _floats(skeleton, "--skeleton"),
        epsilon1=epsilon1,
        epsilon2=epsilon2,
        cutoff_eli=cutoff_eli,
        n_earlystop=n_earlystop,
        extrasafe=extrasafe,
        deescalation=deescalation,
    )


def decision_json(decision: Decision, data: DoseData, start: float, unit: str) -> dict[str, Any]:
    return {
        "design": decision.design,
        "target": decision.target,
        "levels": list(data.levels),
        "level_unit": unit or None,
        "start_level": start,
        "current_level": decision.current_level,
        "current_level_inferred": decision.current_inferred,
        "decision": decision.action.value,
        "next_level": decision.next_level,
        "mtd": decision.mtd_level,
        "eliminated_levels": list(decision.eliminated_levels),
        "boundaries": dict(decision.evidence),
        "estimates": [
            {
                "level": e.level,
                "n": e.n,
                "dlt": e.dlt,
                "observed_rate": e.observed_rate,
                "estimated_rate": e.estimated_rate,
                "p_overdose": e.p_overdose,
                "eliminated": e.eliminated,
            }
            for e in decision.estimates
        ],
        "reason": decision.reason,
        "units": {"levels": unit or None, "n": "patients", "dlt": "patients with a DLT"},
    }


@design_app.command("boundaries")
def boundaries_command(
    design: str = _DESIGN,
    target: float | None = _TARGET,
    max_n: int = typer.Option(30, "--max-n", help="Tabulate n = 1..max-n patients at a level."),
    p_saf: float | None = typer.Option(None, "--p-saf", help="BOIN phi1 (default 0.6 target)."),
    p_tox: float | None = typer.Option(None, "--p-tox", help="BOIN phi2 (default 1.4 target)."),
    skeleton: str | None = _SKELETON,
    epsilon1: float = _EPS1,
    epsilon2: float = _EPS2,
    cutoff_eli: float = _CUTOFF,
    deescalation: bool = _DEESC,
    as_json: bool = _JSON,
) -> None:
    """Escalation/de-escalation/elimination boundaries of a design.

    JSON (BOIN): {"design", "target", "p_saf", "p_tox", "lambda_e", "lambda_d", "cutoff_eli",
    "boundaries": [{"n", "escalate_if_dlt_le", "deescalate_if_dlt_ge", "eliminate_if_dlt_ge"}]}.
    """
    with handle_errors():
        if design.strip().lower() == "boin":
            built: DoseFindingDesign = Boin(
                target if target is not None else _missing_target(),
                p_saf=p_saf,
                p_tox=p_tox,
                cutoff_eli=cutoff_eli,
            )
        else:
            built = _build(
                design, target, skeleton, epsilon1, epsilon2, cutoff_eli, 100, False, deescalation
            )
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
        if as_json:
            print_json(out)
            return
        _print_boundaries(out)


def _missing_target() -> float:
    raise ParameterError(
        "the design needs a target DLT probability", field="--target", hint="e.g. --target 0.25"
    )


def _ei_index(design: Mtpi2) -> int:
    low = design.target - design.epsilon1
    return sum(1 for _, hi in design.intervals if hi <= low + 1e-9)


def _print_boundaries(out: dict[str, Any]) -> None:
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
    console.print(table)


@design_app.command("table")
def table_command(
    design: str = _DESIGN,
    target: float | None = _TARGET,
    max_n: int = typer.Option(12, "--max-n", help="Rows n = 1..max-n."),
    epsilon1: float = _EPS1,
    epsilon2: float = _EPS2,
    cutoff_eli: float = _CUTOFF,
    deescalation: bool = _DEESC,
    as_json: bool = _JSON,
) -> None:
    """The full dose-decision grid (E, S, D, DU for every n and DLT count).

    JSON: {"design", "target", "max_n", "codes": {...}, "rows": [{"n", "decisions": [...],
    "escalate_if_dlt_le", "deescalate_if_dlt_ge", "eliminate_if_dlt_ge"}]}.
    """
    with handle_errors():
        built = _build(
            design, target, None, epsilon1, epsilon2, cutoff_eli, 100, False, deescalation
        )
        table = decision_table(built, max_n=max_n)
        if as_json:
            print_json(
                {
                    "design": table.design,
                    "target": table.target,
                    "max_n": max_n,
                    "codes": {
                        "E": "escalate",
                        "S": "stay",
                        "D": "de-escalate",
                        "DU": "de-escalate and eliminate this level and all above",
                    },
                    "rows": table.rows,
                }
            )
            return
        width = max(len(r.decisions) for r in table.rows)
        grid = Table(title=f"{table.design} decisions (rows: patients n; columns: DLTs)")
        grid.add_column("n", justify="right")
        for y in range(width):
            grid.add_column(str(y), justify="center")
        for r in table.rows:
            grid.add_row(str(r.n), *r.decisions, *([""] * (width - len(r.decisions))))
        console.print(grid)


@design_app.command("next")
def next_command(
    data_file: Path = typer.Option(..., "--data", help="CSV with columns level,n,dlt."),
    design: str = _DESIGN,
    target: float | None = _TARGET,
    levels: str | None = typer.Option(None, "--levels", help="Dose levels, e.g. 60,90,120."),
    start: float | None = typer.Option(None, "--start", help="Start level (default lowest)."),
    current: float | None = typer.Option(None, "--current", help="Level treated now."),
    max_n: int | None = typer.Option(None, "--max-n", help="Maximum sample size."),
    last_cohort: str | None = typer.Option(
        None, "--last-cohort", help="CRM coherence: 'n,dlt' of the most recent cohort."
    ),
    skeleton: str | None = _SKELETON,
    epsilon1: float = _EPS1,
    epsilon2: float = _EPS2,
    cutoff_eli: float = _CUTOFF,
    n_earlystop: int = _EARLY,
    extrasafe: bool = _EXTRA,
    deescalation: bool = _DEESC,
    unit: str = _UNIT,
    as_json: bool = _JSON,
) -> None:
    """What to do with the next cohort, given the DLT data per level.

    Without --current the level treated now is inferred: the start level if nobody was
    treated, else the treated level farthest from the start level.

    JSON: {"design", "target", "levels", "start_level", "current_level",
    "current_level_inferred", "decision", "next_level", "mtd", "eliminated_levels",
    "boundaries", "estimates": [{"level", "n", "dlt", "observed_rate", "estimated_rate",
    "p_overdose", "eliminated"}], "reason"}.
    """
    with handle_errors():
        built = _build(
            design,
            target,
            skeleton,
            epsilon1,
            epsilon2,
            cutoff_eli,
            n_earlystop,
            extrasafe,
            deescalation,
        )
        if max_n is not None and max_n < 1:
            raise ParameterError(
                f"{max_n} is below the minimum 1", field="--max-n", hint="give a whole number >= 1"
            )
        level_values = None if levels is None else _floats(levels, "--levels")
        data = read_dose_data(data_file, levels=level_values)
        start_level = data.levels[0] if start is None else data.levels[data.index_of(start)]
        if isinstance(built, Crm):
            last = None
            if last_cohort is not None:
                parts = _floats(last_cohort, "--last-cohort")
                if (
                    len(parts) != 2
                    or not all(v >= 0 and v.is_integer() for v in parts)
                    or parts[1] > parts[0]
                ):
                    raise ParameterError(
                        f"{last_cohort!r} is not 'n,dlt' (whole numbers, dlt <= n)",
                        field="--last-cohort",
                        hint="e.g. 3,1",
                    )
                last = (int(parts[0]), int(parts[1]))
            decision = built.decide(
                data, current=current, start=start_level, max_n=max_n, last_cohort=last
            )
        else:
            decision = built.decide(data, current=current, start=start_level, max_n=max_n)
        out = decision_json(decision, data, start_level, unit)
        if as_json:
            print_json(out)
            return
        _print_next(out)


def _fmt(value: object, digits: int = 3) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _print_next(out: dict[str, Any]) -> None:
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
    console.print(table)


def _simulation_json(oc: OperatingCharacteristics, unit: str, plot: Path | None) -> dict[str, Any]:
    return {
        "design": oc.design,
        "target": oc.target,
        "truth": list(oc.truth),
        "levels": list(oc.levels),
        "level_unit": unit or None,
        "start_level": oc.levels[oc.start_index],
        "cohort_size": oc.cohort_size,
        "max_n": oc.max_n,
        "n_trials": oc.n_trials,
        "seed": oc.seed,
        "selection_pct": list(oc.selection_pct),
        "n_treated_mean": list(oc.n_treated_mean),
        "dlt_mean_per_level": list(oc.dlt_mean_per_level),
        "n_mean": oc.n_mean,
        "dlt_mean": oc.dlt_mean,
        "stop_pct": oc.stop_pct,
        "plot": None if plot is None else str(plot),
        "units": {
            "selection_pct": "% of trials",
            "stop_pct": "% of trials",
            "n_treated_mean": "patients per trial",
            "dlt_mean_per_level": "DLTs per trial",
            "n_mean": "patients per trial",
            "dlt_mean": "DLTs per trial",
            "levels": unit or None,
        },
    }


@design_app.command("simulate")
def simulate_command(
    truth: str = typer.Option(..., "--truth", help="True DLT probability per level."),
    design: str = _DESIGN,
    target: float | None = _TARGET,
    levels: str | None = typer.Option(None, "--levels", help="Dose levels (default 1..L)."),
    start: float | None = typer.Option(None, "--start", help="Start level (default lowest)."),
    cohort_size: int = typer.Option(3, "--cohort-size", help="Patients per cohort."),
    max_n: int = typer.Option(30, "--max-n", help="Maximum sample size."),
    n_trials: int = typer.Option(10_000, "--n-trials", help="Number of simulated trials."),
    seed: int = typer.Option(1, "--seed", help="Random seed (same seed, same numbers)."),
    skeleton: str | None = _SKELETON,
    epsilon1: float = _EPS1,
    epsilon2: float = _EPS2,
    cutoff_eli: float = _CUTOFF,
    n_earlystop: int = _EARLY,
    extrasafe: bool = _EXTRA,
    deescalation: bool = _DEESC,
    plot: Path | None = typer.Option(None, "--plot", help="Write the selection/allocation PNG."),
    unit: str = _UNIT,
    as_json: bool = _JSON,
) -> None:
    """Operating characteristics by simulation (vectorised, seeded).

    JSON: {"selection_pct": [...], "n_treated_mean": [...], "dlt_mean_per_level": [...],
    "n_mean", "dlt_mean", "stop_pct", plus the scenario settings}.
    """
    with handle_errors():
        built = _build(
            design,
            target,
            skeleton,
            epsilon1,
            epsilon2,
            cutoff_eli,
            n_earlystop,
            extrasafe,
            deescalation,
        )
        p = _floats(truth, "--truth")
        level_values = None if levels is None else _floats(levels, "--levels")
        reference = DoseData.empty(level_values or [float(i + 1) for i in range(len(p))])
        if len(reference.levels) != len(p):
            raise ParameterError(
                f"{len(p)} true DLT probabilities for {len(reference.levels)} dose levels",
                field="--truth",
                hint="give one true DLT probability per level in --levels",
            )
        start_index = 0 if start is None else reference.index_of(start, field="--start")
        if as_json:
            oc = simulate(
                built,
                p,
                cohort_size=cohort_size,
                max_n=max_n,
                start_level=start_index,
                n_trials=n_trials,
                seed=seed,
                levels=reference.levels,
            )
        else:
            with Progress(console=err_console, transient=True) as bar:
                task = bar.add_task("simulating", total=None)

                def tick(done: int, total: int) -> None:
                    bar.update(task, completed=done, total=total)

                oc = simulate(
                    built,
                    p,
                    cohort_size=cohort_size,
                    max_n=max_n,
                    start_level=start_index,
                    n_trials=n_trials,
                    seed=seed,
                    levels=reference.levels,
                    progress=tick,
                )
        written = None
        if plot is not None:
            from theratrial.report.design_plots import save_operating_characteristics_plot

            written = save_operating_characteristics_plot(oc, plot, level_unit=unit)
        out = _simulation_json(oc, unit, written)
        if as_json:
            print_json(out)
            return
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
        console.print(table)
        console.print(
            f"stopped without MTD: {oc.stop_pct:.1f} %; mean N {oc.n_mean:.1f}; "
            f"mean DLTs {oc.dlt_mean:.2f}" + (f"; plot: {written}" if written else "")
        )


def register(app: typer.Typer) -> None:
    """Add this capability's commands to the top-level theratrial app."""
    app.add_typer(design_app, name="design")
