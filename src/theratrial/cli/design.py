"""CLI commands of the design capability: ``theratrial design boundaries|table|next|simulate``.

A thin adapter over :mod:`theratrial.design`: parse the options, build the design, print a
Rich table or (``--json``) the JSON shapes documented on each command.
"""

from __future__ import annotations

from pathlib import Path

import typer

from theratrial.cli._common import handle_errors, output_file, print_json
from theratrial.cli._design_options import (
    CONFIRM_TOP,
    CUTOFF_ELI,
    DEESCALATION,
    DESIGN,
    EPSILON1,
    EPSILON2,
    EXTRASAFE,
    JSON,
    N_EARLYSTOP,
    SKELETON,
    TARGET,
    UNIT,
    build_design,
    check_max_n,
    missing_target,
    parse_floats,
)
from theratrial.cli._design_output import (
    boundaries_json,
    decision_json,
    print_boundaries,
    print_decision_grid,
    print_next,
    print_simulation,
    simulation_json,
)
from theratrial.cli._progress import progress_callback
from theratrial.design import (
    MAX_TRIALS,
    Boin,
    DoseData,
    DoseFindingDesign,
    check_seed,
    decide_when_complete,
    decision_table,
    read_dose_file,
    simulate,
)
from theratrial.errors import ParameterError

__all__ = ["decision_json", "register"]

_floats = parse_floats
"""Kept under this name for :mod:`theratrial.cli.escalation`."""

design_app = typer.Typer(
    name="design",
    help="Dose-finding designs (3+3, BOIN, CRM, mTPI-2, i3+3): decisions and simulations.",
    no_args_is_help=True,
)


@design_app.command("boundaries")
def boundaries_command(
    design: str = DESIGN,
    target: float | None = TARGET,
    max_n: int = typer.Option(
        30, "--max-n", help="Tabulate n = 1..max-n patients at a level (at most 1000)."
    ),
    p_saf: float | None = typer.Option(None, "--p-saf", help="BOIN phi1 (default 0.6 target)."),
    p_tox: float | None = typer.Option(None, "--p-tox", help="BOIN phi2 (default 1.4 target)."),
    skeleton: str | None = SKELETON,
    epsilon1: float = EPSILON1,
    epsilon2: float = EPSILON2,
    cutoff_eli: float = CUTOFF_ELI,
    deescalation: bool = DEESCALATION,
    as_json: bool = JSON,
) -> None:
    """Escalation/de-escalation/elimination boundaries of a design.

    JSON (BOIN): {"design", "target", "p_saf", "p_tox", "lambda_e", "lambda_d", "cutoff_eli",
    "boundaries": [{"n", "escalate_if_dlt_le", "deescalate_if_dlt_ge", "eliminate_if_dlt_ge"}]}.
    """
    with handle_errors():
        check_max_n(max_n)
        if design.strip().lower() == "boin":
            built: DoseFindingDesign = Boin(
                target if target is not None else missing_target(),
                p_saf=p_saf,
                p_tox=p_tox,
                cutoff_eli=cutoff_eli,
            )
        else:
            built = build_design(
                design, target, skeleton, epsilon1, epsilon2, cutoff_eli, 100, False, deescalation
            )
        out = boundaries_json(built, max_n)
        if as_json:
            print_json(out)
            return
        print_boundaries(out)


@design_app.command("table")
def table_command(
    design: str = DESIGN,
    target: float | None = TARGET,
    max_n: int = typer.Option(12, "--max-n", help="Rows n = 1..max-n (at most 1000)."),
    skeleton: str | None = SKELETON,
    level: int = typer.Option(
        1, "--level", help="CRM: the level (1..L) all n patients were treated at."
    ),
    epsilon1: float = EPSILON1,
    epsilon2: float = EPSILON2,
    cutoff_eli: float = CUTOFF_ELI,
    deescalation: bool = DEESCALATION,
    confirm_top: bool = CONFIRM_TOP,
    as_json: bool = JSON,
) -> None:
    """The full dose-decision grid (E, S, D, DU for every n and DLT count).

    The CRM grid assumes every patient was treated at --level (default the lowest) and
    nobody elsewhere. JSON: {"design", "target", "max_n", "note", "codes": {...},
    "rows": [{"n", "decisions": [...], "escalate_if_dlt_le", "deescalate_if_dlt_ge",
    "eliminate_if_dlt_ge"}]}.
    """
    with handle_errors():
        check_max_n(max_n)
        built = build_design(
            design,
            target,
            skeleton,
            epsilon1,
            epsilon2,
            cutoff_eli,
            100,
            False,
            deescalation,
            confirm_top=confirm_top,
        )
        table = decision_table(built, max_n=max_n, level=level - 1)
        if as_json:
            print_json(
                {
                    "design": table.design,
                    "target": table.target,
                    "max_n": max_n,
                    "note": table.note or None,
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
        print_decision_grid(table)


@design_app.command("next")
def next_command(
    data_file: Path = typer.Option(..., "--data", help="CSV with columns level,n,dlt."),
    design: str = DESIGN,
    target: float | None = TARGET,
    levels: str | None = typer.Option(None, "--levels", help="Dose levels, e.g. 60,90,120."),
    start: float | None = typer.Option(None, "--start", help="Start level (default lowest)."),
    current: float | None = typer.Option(None, "--current", help="Level treated now."),
    max_n: int | None = typer.Option(None, "--max-n", help="Maximum sample size."),
    last_cohort: str | None = typer.Option(
        None,
        "--last-cohort",
        help="'n,dlt' of the most recent cohort at the current level: fewer than "
        "--cohort-size patients means wait; the CRM also uses it for coherence.",
    ),
    cohort_size: int = typer.Option(
        3, "--cohort-size", help="Patients per cohort: a decision waits for a complete cohort."
    ),
    skeleton: str | None = SKELETON,
    epsilon1: float = EPSILON1,
    epsilon2: float = EPSILON2,
    cutoff_eli: float = CUTOFF_ELI,
    n_earlystop: int = N_EARLYSTOP,
    extrasafe: bool = EXTRASAFE,
    deescalation: bool = DEESCALATION,
    confirm_top: bool = CONFIRM_TOP,
    unit: str = UNIT,
    as_json: bool = JSON,
) -> None:
    """What to do with the next cohort, given the DLT data per level.

    Without --current the level treated now is inferred: the start level if nobody was
    treated, else the treated level farthest from the start level. A decision needs a
    complete cohort: with fewer than --cohort-size patients in the last cohort (from
    --last-cohort, else the patients at the current level) the answer is "wait", with the
    patients still to enrol under "missing". Levels on several rows are added and said so.

    JSON: {"design", "target", "levels", "start_level", "current_level",
    "current_level_inferred", "decision", "next_level", "mtd", "eliminated_levels",
    "boundaries", "estimates": [{"level", "n", "dlt", "observed_rate", "estimated_rate",
    "p_overdose", "eliminated"}], "reason", "missing": [{"kind", "level", "patients",
    "patient_id", "window_ends", "description"}], "notes", "convention"}.
    """
    with handle_errors():
        built = build_design(
            design,
            target,
            skeleton,
            epsilon1,
            epsilon2,
            cutoff_eli,
            n_earlystop,
            extrasafe,
            deescalation,
            confirm_top=confirm_top,
        )
        if max_n is not None and max_n < 1:
            raise ParameterError(
                f"{max_n} is below the minimum 1", field="--max-n", hint="give a whole number >= 1"
            )
        if cohort_size < 1:
            raise ParameterError(
                f"{cohort_size} is below the minimum 1",
                field="--cohort-size",
                hint="give the protocol's cohort size, e.g. 3",
            )
        level_values = None if levels is None else parse_floats(levels, "--levels")
        dose_file = read_dose_file(data_file, levels=level_values)
        data = dose_file.data
        start_level = data.levels[0] if start is None else data.levels[data.index_of(start)]
        last = None
        if last_cohort is not None:
            parts = parse_floats(last_cohort, "--last-cohort")
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
        try:
            decision = decide_when_complete(
                built,
                data,
                cohort_size=cohort_size,
                current=current,
                start=start_level,
                max_n=max_n,
                last_cohort=last,
            )
        except ParameterError as exc:
            options = {"last_cohort": "--last-cohort", "cohort_size": "--cohort-size"}
            if exc.field in options:
                raise ParameterError(exc.message, field=options[exc.field], hint=exc.hint) from None
            raise
        out = decision_json(decision, data, start_level, unit)
        out["notes"] = list(dose_file.notes)
        out["convention"] = getattr(built, "convention", None)
        if as_json:
            print_json(out)
            return
        print_next(out)


@design_app.command("simulate")
def simulate_command(
    truth: str = typer.Option(..., "--truth", help="True DLT probability per level."),
    design: str = DESIGN,
    target: float | None = TARGET,
    levels: str | None = typer.Option(None, "--levels", help="Dose levels (default 1..L)."),
    start: float | None = typer.Option(None, "--start", help="Start level (default lowest)."),
    cohort_size: int = typer.Option(3, "--cohort-size", help="Patients per cohort."),
    max_n: int = typer.Option(30, "--max-n", help="Maximum sample size (at most 1000)."),
    n_trials: int = typer.Option(
        10_000, "--n-trials", help=f"Number of simulated trials (1..{MAX_TRIALS:,})."
    ),
    seed: int = typer.Option(
        1, "--seed", help="Random seed 0..4294967295 (same seed, same numbers)."
    ),
    skeleton: str | None = SKELETON,
    epsilon1: float = EPSILON1,
    epsilon2: float = EPSILON2,
    cutoff_eli: float = CUTOFF_ELI,
    n_earlystop: int = N_EARLYSTOP,
    extrasafe: bool = EXTRASAFE,
    deescalation: bool = DEESCALATION,
    confirm_top: bool = CONFIRM_TOP,
    plot: Path | None = typer.Option(None, "--plot", help="Write the selection/allocation PNG."),
    unit: str = UNIT,
    as_json: bool = JSON,
    scheduler: str | None = typer.Option(
        None, "--scheduler", help="Split the trials over a Dask cluster (tcp://HOST:8786)."
    ),
    workers: int | None = typer.Option(
        None, "--workers", min=1, help="Parts to split the trials into (same answer for any)."
    ),
) -> None:
    """Operating characteristics by simulation (vectorised, seeded, in bounded memory).

    JSON: {"selection_pct": [...], "n_treated_mean": [...], "dlt_mean_per_level": [...],
    "n_mean", "dlt_mean", "stop_pct", "convention", plus the scenario settings}.
    """
    with handle_errors():
        if plot is not None:
            output_file(plot, option="--plot")
        check_seed(seed, field="--seed")
        if n_trials > MAX_TRIALS:
            raise ParameterError(
                f"{n_trials} trials is more than the {MAX_TRIALS:,} one simulation runs",
                field="--n-trials",
                hint=f"use at most {MAX_TRIALS:,}: the Monte-Carlo error is then below "
                "0.02 percentage points",
            )
        check_max_n(max_n)
        built = build_design(
            design,
            target,
            skeleton,
            epsilon1,
            epsilon2,
            cutoff_eli,
            n_earlystop,
            extrasafe,
            deescalation,
            confirm_top=confirm_top,
        )
        p = parse_floats(truth, "--truth")
        level_values = None if levels is None else parse_floats(levels, "--levels")
        reference = DoseData.empty(level_values or [float(i + 1) for i in range(len(p))])
        if len(reference.levels) != len(p):
            raise ParameterError(
                f"{len(p)} true DLT probabilities for {len(reference.levels)} dose levels",
                field="--truth",
                hint="give one true DLT probability per level in --levels",
            )
        start_index = 0 if start is None else reference.index_of(start, field="--start")
        if scheduler is not None or workers is not None:
            from theratrial.jobs.design_parallel import simulate_distributed

            oc = simulate_distributed(
                built, p, cohort_size=cohort_size, max_n=max_n, start_level=start_index,
                n_trials=n_trials, seed=seed, levels=reference.levels,
                scheduler=scheduler, workers=workers,
            )  # fmt: skip
        else:
            with progress_callback(not as_json, "simulating") as tick:
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
        convention = getattr(built, "convention", None)
        out = simulation_json(oc, unit, written)
        out["convention"] = convention
        if as_json:
            print_json(out)
            return
        print_simulation(oc, written, convention=convention)


def register(app: typer.Typer) -> None:
    """Add this capability's commands to the top-level theratrial app."""
    app.add_typer(design_app, name="design")
