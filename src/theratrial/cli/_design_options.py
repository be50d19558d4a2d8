"""Options and their parsing shared by the ``design`` commands (private).

The typer options of ``theratrial design boundaries|table|next|simulate``
(:mod:`theratrial.cli.design`), the comma-separated number parser and the design factory
call they feed.
"""

from __future__ import annotations

import typer

from theratrial.design import MAX_SAMPLE_SIZE, DoseFindingDesign, create_design
from theratrial.errors import ParameterError

__all__ = [
    "CONFIRM_TOP",
    "CUTOFF_ELI",
    "DEESCALATION",
    "DESIGN",
    "EPSILON1",
    "EPSILON2",
    "EXTRASAFE",
    "JSON",
    "N_EARLYSTOP",
    "SKELETON",
    "TARGET",
    "UNIT",
    "build_design",
    "check_max_n",
    "missing_target",
    "parse_floats",
]

DESIGN = typer.Option("boin", "--design", help="3+3, boin, crm, mtpi2 or i3+3.")
TARGET = typer.Option(None, "--target", help="Target DLT probability in (0, 1).")
SKELETON = typer.Option(None, "--skeleton", help="CRM skeleton, comma-separated, one per level.")
EPSILON1 = typer.Option(0.05, "--epsilon1", help="mTPI-2/i3+3: EI lower margin (target - e1).")
EPSILON2 = typer.Option(0.05, "--epsilon2", help="mTPI-2/i3+3: EI upper margin (target + e2).")
CUTOFF_ELI = typer.Option(0.95, "--cutoff-eli", help="Elimination cut-off on Pr(p > target).")
N_EARLYSTOP = typer.Option(
    100, "--n-earlystop", help="Stop when this many are at the current level."
)
EXTRASAFE = typer.Option(False, "--extrasafe", help="BOIN extra-safe stopping rule.")
DEESCALATION = typer.Option(False, "--deescalation", help="3+3 with de-escalation.")
CONFIRM_TOP = typer.Option(
    True,
    "--confirm-top/--no-confirm-top",
    help="3+3: expand a 0/3 top level to 6 before selecting it (default); "
    "--no-confirm-top selects it directly, as Storer 1989 and bcrm threep3.",
)
JSON = typer.Option(False, "--json", help="Print JSON.")
UNIT = typer.Option("", "--unit", help="Unit of the dose levels, e.g. kBq/kg.")


def parse_floats(text: str, field: str) -> list[float]:
    """The numbers of a comma-separated option such as ``--levels 60,90,120``."""
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


def build_design(
    design: str,
    target: float | None,
    skeleton: str | None,
    epsilon1: float,
    epsilon2: float,
    cutoff_eli: float,
    n_earlystop: int,
    extrasafe: bool,
    deescalation: bool,
    *,
    confirm_top: bool = True,
) -> DoseFindingDesign:
    """The design named by ``--design`` with the options of the command line."""
    return create_design(
        design,
        target=target,
        skeleton=None if skeleton is None else parse_floats(skeleton, "--skeleton"),
        epsilon1=epsilon1,
        epsilon2=epsilon2,
        cutoff_eli=cutoff_eli,
        n_earlystop=n_earlystop,
        extrasafe=extrasafe,
        deescalation=deescalation,
        confirm_top=confirm_top,
    )


def missing_target() -> float:
    """Raise the error of a design command given no ``--target``."""
    raise ParameterError(
        "the design needs a target DLT probability", field="--target", hint="e.g. --target 0.25"
    )


def check_max_n(value: int) -> int:
    """Refuse a ``--max-n`` outside 1..MAX_SAMPLE_SIZE before any work starts."""
    if not 1 <= value <= MAX_SAMPLE_SIZE:
        raise ParameterError(
            f"{value} is outside 1..{MAX_SAMPLE_SIZE}",
            field="--max-n",
            hint=f"give at most {MAX_SAMPLE_SIZE} patients: phase I dose-finding trials treat "
            "tens of patients, and the tables grow with the square of it",
        )
    return value
