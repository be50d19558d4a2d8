"""Job kinds ``design_simulation`` and ``virtual_cohort`` (private).

``design_simulation`` takes the options of ``theratrial design simulate`` (underscores for
dashes: ``truth``, ``design``, ``target``, ``levels``, ``start``, ``cohort_size``,
``max_n``, ``n_trials``, ``seed``, ``skeleton``, ``epsilon1``, ``epsilon2``, ``cutoff_eli``,
``n_earlystop``, ``extrasafe``, ``deescalation``, ``confirm_top``, ``unit``) and calls
:func:`theratrial.design.simulate`; its result has the keys of ``design simulate --json``.

``virtual_cohort`` takes those of ``theratrial phantom-cohort`` (``out_dir``, ``n``,
``seed``, ``nuclide``, ``cycles``, ``grid``, ``images``, ``spect_units``) and calls
:func:`theratrial.phantoms.generate_cohort`. The cohort is written into a hidden staging
folder beside ``out_dir`` and renamed into place at the end, so a failed or cancelled job
leaves no half-written cohort.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from theratrial.design import (
    MAX_SAMPLE_SIZE,
    MAX_TRIALS,
    DoseData,
    check_seed,
    create_design,
    simulate,
)
from theratrial.design.decision_doc import simulation_as_dict
from theratrial.errors import ParameterError
from theratrial.jobs._base import JobKind, Outcome, Params, ProgressReport
from theratrial.jobs._base import defaults as _defaults
from theratrial.phantoms import PhantomConfig, generate_cohort, lesion_table

__all__ = ["DESIGN_SIMULATION", "VIRTUAL_COHORT"]


@dataclass(frozen=True, slots=True)
class DesignSimulationSpec:
    """Checked parameters of a ``design_simulation`` job."""

    truth: list[float]
    design: str = "boin"
    target: float | None = None
    levels: list[float] | None = None
    start: float | None = None
    cohort_size: int = 3
    max_n: int = 30
    n_trials: int = 10_000
    seed: int = 1
    skeleton: list[float] | None = None
    epsilon1: float = 0.05
    epsilon2: float = 0.05
    cutoff_eli: float = 0.95
    n_earlystop: int = 100
    extrasafe: bool = False
    deescalation: bool = False
    confirm_top: bool = True
    unit: str = ""


def _parse_design(params: Mapping[str, Any]) -> DesignSimulationSpec:
    p = Params(params, kind="design_simulation")
    d = _defaults(DesignSimulationSpec)
    spec = DesignSimulationSpec(
        truth=p.numbers("truth", None),
        design=p.text("design", d["design"]),
        target=p.number("target", None, optional=True),
        levels=p.numbers("levels", None, optional=True),
        start=p.number("start", None, optional=True),
        cohort_size=p.integer("cohort_size", d["cohort_size"], low=1),
        max_n=p.integer("max_n", d["max_n"], low=1),
        n_trials=p.integer("n_trials", d["n_trials"], low=1),
        seed=p.integer("seed", d["seed"], low=0),
        skeleton=p.numbers("skeleton", None, optional=True),
        epsilon1=p.number("epsilon1", d["epsilon1"]),
        epsilon2=p.number("epsilon2", d["epsilon2"]),
        cutoff_eli=p.number("cutoff_eli", d["cutoff_eli"]),
        n_earlystop=p.integer("n_earlystop", d["n_earlystop"], low=1),
        extrasafe=p.flag("extrasafe", d["extrasafe"]),
        deescalation=p.flag("deescalation", d["deescalation"]),
        confirm_top=p.flag("confirm_top", d["confirm_top"]),
        unit=str(p.raw("unit", "") or ""),
    )
    p.finish()
    check_seed(spec.seed, field="params.seed")
    if spec.n_trials > MAX_TRIALS:
        raise ParameterError(
            f"{spec.n_trials} trials is more than the {MAX_TRIALS:,} one simulation runs",
            field="params.n_trials",
            hint=f"use at most {MAX_TRIALS:,}",
        )
    if spec.max_n > MAX_SAMPLE_SIZE:
        raise ParameterError(
            f"{spec.max_n} is outside 1..{MAX_SAMPLE_SIZE}",
            field="params.max_n",
            hint=f"give at most {MAX_SAMPLE_SIZE} patients",
        )
    levels = spec.levels or [float(i + 1) for i in range(len(spec.truth))]
    if len(levels) != len(spec.truth):
        raise ParameterError(
            f"{len(spec.truth)} true DLT probabilities for {len(levels)} dose levels",
            field="params.truth",
            hint="give one true DLT probability per level in levels",
        )
    if spec.start is not None:
        DoseData.empty(levels).index_of(spec.start, field="params.start")
    _build(spec)  # the design's own checks, before the job is queued
    return spec


def _build(spec: DesignSimulationSpec) -> Any:
    try:
        return create_design(
            spec.design,
            target=spec.target,
            skeleton=spec.skeleton,
            epsilon1=spec.epsilon1,
            epsilon2=spec.epsilon2,
            cutoff_eli=spec.cutoff_eli,
            n_earlystop=spec.n_earlystop,
            extrasafe=spec.extrasafe,
            deescalation=spec.deescalation,
            confirm_top=spec.confirm_top,
        )
    except ParameterError as exc:
        field = exc.field if exc.field and exc.field.startswith("params.") else None
        raise ParameterError(
            exc.message, field=field or f"params.{exc.field or 'design'}", hint=exc.hint
        ) from None


def _run_design(spec: DesignSimulationSpec, *, report: ProgressReport, job_id: str) -> Outcome:
    built = _build(spec)
    reference = DoseData.empty(spec.levels or [float(i + 1) for i in range(len(spec.truth))])
    start = 0 if spec.start is None else reference.index_of(spec.start)
    report(0.0, "simulating", force=True)
    oc = simulate(
        built,
        spec.truth,
        cohort_size=spec.cohort_size,
        max_n=spec.max_n,
        start_level=start,
        n_trials=spec.n_trials,
        seed=spec.seed,
        levels=reference.levels,
        progress=report.callback("simulating", 0.0, 0.95),
    )
    doc = simulation_as_dict(oc, spec.unit or None)
    units = doc.pop("units")
    result = {**doc, "convention": getattr(built, "convention", None), "units": units}
    return Outcome(result=result)


@dataclass(frozen=True, slots=True)
class VirtualCohortSpec:
    """Checked parameters of a ``virtual_cohort`` job."""

    out_dir: Path
    seed: int
    n: int = 20
    nuclide: str = "Lu-177"
    cycles: int = 4
    grid: list[int] | None = None
    images: bool = True
    spect_units: str = "BQML"


def _parse_grid(value: Any) -> list[int]:
    sizes = [value] * 3 if isinstance(value, int) and not isinstance(value, bool) else value
    if isinstance(value, str):
        parts = [v for v in value.lower().replace(",", "x").split("x") if v]
        sizes = [int(v) for v in parts if v.isdigit()] if len(parts) in (1, 3) else []
        sizes = sizes * 3 if len(sizes) == 1 else sizes
    if (
        not isinstance(sizes, list)
        or len(sizes) != 3
        or not all(isinstance(v, int) and 8 <= v <= 512 for v in sizes)
    ):
        raise ParameterError(
            f"cannot read grid {value!r}",
            field="params.grid",
            hint="give one size (128), [z, y, x] or '128x128x128', each 8-512",
        )
    return list(sizes)


def _parse_cohort(params: Mapping[str, Any]) -> VirtualCohortSpec:
    p = Params(params, kind="virtual_cohort")
    d = _defaults(VirtualCohortSpec)
    spec = VirtualCohortSpec(
        out_dir=p.folder("out_dir", must_exist=False),
        seed=p.integer("seed", None, low=0),
        n=p.integer("n", d["n"], low=1),
        nuclide=p.text("nuclide", d["nuclide"]),
        cycles=p.integer("cycles", d["cycles"], low=1),
        grid=_parse_grid(p.raw("grid", 128)),
        images=p.flag("images", d["images"]),
        spect_units=p.text("spect_units", d["spect_units"]).upper(),
    )
    p.finish()
    if spec.cycles > 8:
        raise ParameterError(
            f"cycles must be between 1 and 8, got {spec.cycles}", field="params.cycles"
        )
    if not spec.out_dir.parent.is_dir():
        raise ParameterError(
            f"the folder {spec.out_dir.parent} does not exist",
            field="params.out_dir",
            hint="create the parent folder first",
        )
    if spec.out_dir.exists() and (not spec.out_dir.is_dir() or any(spec.out_dir.iterdir())):
        raise ParameterError(
            f"{spec.out_dir} exists and is not an empty folder",
            field="params.out_dir",
            hint="choose a new folder for the cohort",
        )
    _config(spec)
    return spec


def _config(spec: VirtualCohortSpec) -> PhantomConfig:
    grid = spec.grid or [128, 128, 128]
    try:
        return (
            PhantomConfig(followup_ct=False)
            .with_grid((grid[0], grid[1], grid[2]))
            .with_therapy(nuclide=spec.nuclide, cycles=spec.cycles, spect_units=spec.spect_units)
        )
    except ParameterError as exc:
        raise ParameterError(exc.message, field="params.nuclide", hint=exc.hint) from None


def _run_cohort(spec: VirtualCohortSpec, *, report: ProgressReport, job_id: str) -> Outcome:
    config = _config(spec)
    staging = spec.out_dir.parent / f".{spec.out_dir.name}.job-{job_id}"
    try:
        report(0.0, "generating cohort", force=True)
        cohort = generate_cohort(
            spec.n,
            seed=spec.seed,
            config=config,
            out_dir=staging,
            images=spec.images,
            progress=report.callback("generating cohort", 0.0, 0.95),
        )
        rows = lesion_table(cohort)
        if spec.out_dir.is_dir():
            spec.out_dir.rmdir()  # empty (checked at submission); refused if filled since
        staging.rename(spec.out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    result = {
        "cohort_dir": str(spec.out_dir),
        "seed": spec.seed,
        "n": spec.n,
        "images": spec.images,
        "therapy_nuclide": config.therapy.nuclide,
        "cycles": config.therapy.cycles,
        "cohort_json": str(spec.out_dir / "cohort.json"),
        "lesion_table": str(spec.out_dir / "lesions.csv"),
        "n_lesions": len(rows),
        "n_responders": sum(r.responder for r in rows),
        "patients": [
            {
                "patient_id": p.patient_id,
                "seed": p.seed,
                "path": None if d is None else str(spec.out_dir / d.name),
                "n_lesions": len(p.lesions),
            }
            for p, d in zip(cohort.patients, cohort.patient_dirs, strict=True)
        ],
    }
    return Outcome(result=result, undo=lambda: shutil.rmtree(spec.out_dir, ignore_errors=True))


DESIGN_SIMULATION = JobKind("design_simulation", _parse_design, _run_design)
VIRTUAL_COHORT = JobKind("virtual_cohort", _parse_cohort, _run_cohort)
