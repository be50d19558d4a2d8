"""Virtual cohorts: many patients from one seed, and the per-lesion table.

Patient ``i`` (0-based) of a cohort with seed ``S`` has the seed
``SeedSequence([S, i]).generate_state(1)[0]`` and the identifier ``VP-S-<i+1, 3 digits>``,
so a patient does not change when the cohort grows. :func:`lesion_table` needs no images:
every column is computed exactly from the generating model, so large cohorts (thousands
of patients) take seconds.

Generating effects in the table (see :mod:`theratrial.phantoms.features`,
:mod:`theratrial.phantoms.uptake` and :mod:`theratrial.phantoms.response`): the latent
differentiation raises the 68Ga SUV and the ADC and lowers the FDG SUVmax; the 68Ga SUV
times a lognormal ratio sets the therapy uptake, hence the dose; the dose (Emax) and the
68Ga SUV (power ``uptake_exponent``) set the shrinkage; the grade sets the growth.

Examples
--------
>>> cohort = generate_cohort(3, seed=11)
>>> [p.patient_id for p in cohort.patients]
['VP-11-001', 'VP-11-002', 'VP-11-003']
>>> rows = lesion_table(cohort)
>>> rows[0].patient_id, rows[0].dose_gy_cumulative > 0
('VP-11-001', True)
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from theratrial.errors import InputError, ParameterError
from theratrial.phantoms._jsonify import json_ready
from theratrial.phantoms.config import PhantomConfig
from theratrial.phantoms.patient import VirtualPatient, generate_patient

__all__ = [
    "Cohort",
    "LesionRecord",
    "cohort_member_seed",
    "generate_cohort",
    "lesion_table",
    "write_lesion_table",
]

Progress = Callable[[int, int], None]


def cohort_member_seed(cohort_seed: int, index: int) -> int:
    """Seed of patient ``index`` (0-based) of the cohort ``cohort_seed``.

    Examples
    --------
    >>> cohort_member_seed(1, 0) == cohort_member_seed(1, 0) != cohort_member_seed(1, 1)
    True
    """
    return int(np.random.SeedSequence([cohort_seed, index]).generate_state(1)[0])


@dataclass(frozen=True, slots=True)
class Cohort:
    """A generated cohort; ``patient_dirs`` holds the folders written (None if none)."""

    seed: int
    patients: tuple[VirtualPatient, ...]
    patient_dirs: tuple[Path | None, ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready index (``cohort.json``)."""
        config = self.patients[0].config if self.patients else PhantomConfig()
        return {
            "schema": "theratrial.phantom.cohort/1",
            "seed": self.seed,
            "n": len(self.patients),
            "config": json_ready(config),
            "patients": [
                {
                    "patient_id": p.patient_id,
                    "seed": p.seed,
                    "path": d.name if d is not None else None,
                    "n_lesions": len(p.lesions),
                    "therapy_nuclide": p.therapy_nuclide,
                }
                for p, d in zip(self.patients, self.patient_dirs, strict=True)
            ],
        }


@dataclass(frozen=True, slots=True)
class LesionRecord:
    """One row of the per-lesion table (units in the names; diameters measured)."""

    patient_id: str
    lesion_id: str
    lesion_type: str
    who_grade: int
    therapy_nuclide: str
    ga68_suvmax: float
    ga68_suvmean: float
    fdg_suvmax: float
    adc_mean_1e3_mm2_s: float
    volume_ml: float
    dose_gy_per_cycle: tuple[float, ...]
    dose_gy_cumulative: float
    rbe_weighted_dose_gy_cumulative: float
    baseline_ld_mm: float
    followup_weeks: tuple[float, ...]
    followup_ld_mm: tuple[float, ...]
    last_change: float
    responder: bool

    def as_row(self) -> dict[str, Any]:
        """Flat mapping with one column per cycle and per follow-up."""
        row: dict[str, Any] = {
            "patient_id": self.patient_id,
            "lesion_id": self.lesion_id,
            "lesion_type": self.lesion_type,
            "who_grade": self.who_grade,
            "therapy_nuclide": self.therapy_nuclide,
            "ga68_suvmax": self.ga68_suvmax,
            "ga68_suvmean": self.ga68_suvmean,
            "fdg_suvmax": self.fdg_suvmax,
            "adc_mean_1e3_mm2_s": self.adc_mean_1e3_mm2_s,
            "volume_ml": self.volume_ml,
        }
        for k, d in enumerate(self.dose_gy_per_cycle, start=1):
            row[f"dose_gy_c{k}"] = d
        row["dose_gy_cumulative"] = self.dose_gy_cumulative
        row["rbe_weighted_dose_gy_cumulative"] = self.rbe_weighted_dose_gy_cumulative
        row["baseline_ld_mm"] = self.baseline_ld_mm
        for w, ld in zip(self.followup_weeks, self.followup_ld_mm, strict=True):
            row[f"ld_mm_w{w:g}"] = ld
        row["last_change"] = self.last_change
        row["responder"] = self.responder
        return row


def generate_cohort(
    n: int,
    *,
    seed: int,
    config: PhantomConfig | None = None,
    out_dir: str | Path | None = None,
    images: bool = False,
    progress: Progress | None = None,
) -> Cohort:
    """Generate ``n`` patients; optionally write them (``images``) and the tables.

    With ``out_dir``: ``cohort.json`` and ``lesions.csv`` are written there, and with
    ``images=True`` each patient folder too (``out_dir/<patient_id>/``). ``out_dir`` is
    created when new, but only inside a folder that exists: a missing parent is an error,
    raised before any patient is generated.
    """
    if n < 1:
        raise ParameterError(f"cohort size must be >= 1, got {n}", field="n")
    if images and out_dir is None:
        raise ParameterError(
            "images need an output folder",
            field="out_dir",
            hint="pass out_dir (CLI: the DIR argument)",
        )
    from theratrial.phantoms.writer import write_patient

    root = Path(out_dir) if out_dir is not None else None
    if root is not None and root.exists() and not root.is_dir():
        raise InputError(
            "is a file, a folder was expected", file=root, hint="choose a new folder name"
        )
    if root is not None and not root.exists() and not root.parent.is_dir():
        raise ParameterError(
            f"the folder {root.parent} does not exist",
            file=root,
            field="out_dir",
            hint="create the parent folder first, or choose a folder inside an existing one",
        )
    patients: list[VirtualPatient] = []
    dirs: list[Path | None] = []
    for i in range(n):
        pid = f"VP-{seed}-{i + 1:03d}"
        pseed = cohort_member_seed(seed, i)
        if images and root is not None:
            files = write_patient(root / pid, pseed, config=config, patient_id=pid)
            patients.append(files.patient)
            dirs.append(files.patient_dir)
        else:
            patients.append(generate_patient(pseed, config=config, patient_id=pid))
            dirs.append(None)
        if progress is not None:
            progress(i + 1, n)
    cohort = Cohort(seed, tuple(patients), tuple(dirs))
    if root is not None:
        root.mkdir(exist_ok=True)  # the cohort's own folder, inside an existing one
        (root / "cohort.json").write_text(json.dumps(cohort.as_dict(), indent=1), encoding="utf-8")
        write_lesion_table(root / "lesions.csv", lesion_table(cohort))
    return cohort


def lesion_table(cohort: Cohort | Sequence[VirtualPatient]) -> tuple[LesionRecord, ...]:
    """One record per lesion of every patient (no images needed)."""
    patients = cohort.patients if isinstance(cohort, Cohort) else tuple(cohort)
    rows: list[LesionRecord] = []
    for p in patients:
        threshold = p.config.response.responder_threshold
        for lesion in p.lesions:
            f = p.features[lesion.name]
            r = p.responses[lesion.name]
            change = r.measured_change[-1] if r.measured_change else 0.0
            rows.append(
                LesionRecord(
                    p.patient_id,
                    lesion.name,
                    lesion.region.region_type.removeprefix("lesion_"),
                    p.grade,
                    p.therapy_nuclide,
                    lesion.ga68_suvmax,
                    lesion.ga68_suvmean,
                    f.fdg_suvmax,
                    f.adc_mean_1e3_mm2_s,
                    lesion.volume_ml,
                    lesion.absorbed_dose_gy,
                    sum(lesion.absorbed_dose_gy),
                    sum(lesion.rbe_weighted_dose_gy),
                    r.baseline_ld_mm,
                    p.config.response.followup_weeks,
                    r.measured_ld_mm,
                    change,
                    r.responder(threshold),
                )
            )
    return tuple(rows)


def write_lesion_table(path: str | Path, records: Sequence[LesionRecord]) -> Path:
    """Write the per-lesion table as CSV (columns of the widest row; blanks elsewhere).

    Raises
    ------
    ParameterError
        When ``path`` is a folder or its folder does not exist (it is never created).
    """
    out = Path(path)
    if out.is_dir():
        raise ParameterError("is a folder, a file name was expected", file=out, field="path")
    if not out.parent.is_dir():
        raise ParameterError(
            f"the folder {out.parent} does not exist",
            file=out,
            field="path",
            hint="create the folder first, or write into an existing one",
        )
    rows = [r.as_row() for r in records]
    columns: list[str] = []
    for row in rows:
        for key in row:
            if key not in columns:
                columns.append(key)
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns or ["patient_id", "lesion_id"])
        writer.writeheader()
        for row in rows:
            writer.writerow(
                {k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()}
            )
    return out
