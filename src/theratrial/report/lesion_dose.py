"""Lesion-level change against absorbed dose: the dose table, the join and the scatter plot.

The Bordet endpoint relates each lesion's absorbed dose to its change in diameter (RECIST
1.1 measurements, Eisenhauer et al. 2009, Eur J Cancer 45:228); a dose-response between
tumour absorbed dose and shrinkage has been reported for 177Lu-DOTATATE (Ilan et al. 2015,
J Nucl Med 56:177). The doses come from a CSV with the columns ``lesion_id,dose_gy`` (and
``patient_id`` when lesion ids repeat across patients). The association is summarised by
Spearman's rank correlation (no model is assumed).

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> with tempfile.TemporaryDirectory() as tmp:
...     path = Path(tmp) / "doses.csv"
...     _ = path.write_text("lesion_id,dose_gy\\nL1,42.5\\nL2,12\\n")
...     read_lesion_doses(path)
{(None, 'L1'): 42.5, (None, 'L2'): 12.0}
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from matplotlib.figure import Figure

from theratrial.errors import InputError, TableError

__all__ = [
    "LesionDosePoint",
    "join_lesion_doses",
    "lesion_dose_figure",
    "read_lesion_doses",
    "spearman",
]

LesionKey = tuple[str | None, str]


@dataclass(frozen=True, slots=True)
class LesionDosePoint:
    """One lesion: patient, lesion id, absorbed dose (Gy) and best change in diameter (%)."""

    patient_id: str
    lesion_id: str
    dose_gy: float
    best_change_pct: float


def read_lesion_doses(path: str | Path) -> dict[LesionKey, float]:
    """Absorbed dose per lesion from a CSV (``lesion_id,dose_gy`` [, ``patient_id``]).

    Keys are ``(patient_id or None, lesion_id)``.

    Raises
    ------
    InputError
        The file cannot be read.
    TableError
        A missing column, a dose that is not a finite number >= 0 Gy, or a repeated lesion.
    """
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(
            f"cannot read the lesion doses: {exc}", file=source, field="--doses"
        ) from None
    reader = csv.DictReader(text.splitlines())
    columns = set(reader.fieldnames or ())
    for needed in ("lesion_id", "dose_gy"):
        if needed not in columns:
            raise TableError(
                f"no column {needed!r}",
                file=source,
                field=needed,
                hint="write the header lesion_id,dose_gy (and patient_id if ids repeat)",
            )
    doses: dict[LesionKey, float] = {}
    for line, row in enumerate(reader, start=2):
        lesion = (row.get("lesion_id") or "").strip()
        patient = (row.get("patient_id") or "").strip() or None
        raw = (row.get("dose_gy") or "").strip()
        try:
            dose = float(raw)
        except ValueError:
            dose = math.nan
        if not lesion or not math.isfinite(dose) or dose < 0:
            raise TableError(
                f"lesion {lesion or '(no id)'}: dose_gy {raw!r} is not an absorbed dose in Gy",
                file=source,
                field="dose_gy" if lesion else "lesion_id",
                line=line,
                hint="give a lesion id and a number >= 0 (Gy)",
            )
        if (patient, lesion) in doses:
            raise TableError(
                f"lesion {lesion} is listed twice",
                file=source,
                field="lesion_id",
                line=line,
                hint="one row per lesion (add patient_id when ids repeat across patients)",
            )
        doses[(patient, lesion)] = dose
    return doses


def join_lesion_doses(
    changes: Mapping[str, Mapping[str, float]],
    doses: Mapping[LesionKey, float],
    *,
    file: str | Path | None = None,
) -> list[LesionDosePoint]:
    """Pair each lesion's best change (%) with its dose; ``changes`` is patient -> lesion -> %.

    A dose row without ``patient_id`` matches its lesion id in whichever patient has it.

    Raises
    ------
    TableError
        A lesion id without patient that is found in several patients (ambiguous).
    """
    points = []
    for (patient, lesion), dose in sorted(doses.items(), key=lambda kv: (kv[0][0] or "", kv[0][1])):
        owners = [p for p, lesions in changes.items() if lesion in lesions]
        if patient is not None:
            owners = [p for p in owners if p == patient]
        elif len(owners) > 1:
            raise TableError(
                f"lesion {lesion} is found in patients {', '.join(sorted(owners))}",
                file=file,
                field="patient_id",
                hint="add a patient_id column to the lesion doses",
            )
        points += [LesionDosePoint(p, lesion, dose, changes[p][lesion]) for p in owners]
    return points


def spearman(points: Sequence[LesionDosePoint]) -> tuple[float, float] | None:
    """Spearman's rho between dose and change and its two-sided p-value (None below 3)."""
    if len(points) < 3:
        return None
    from scipy.stats import spearmanr

    result = spearmanr([p.dose_gy for p in points], [p.best_change_pct for p in points])
    rho, pvalue = float(result.statistic), float(result.pvalue)
    return (rho, pvalue) if math.isfinite(rho) else None


def lesion_dose_figure(points: Sequence[LesionDosePoint]) -> Figure:
    """Scatter of best change in diameter (%) against absorbed dose (Gy), one colour a patient."""
    fig = Figure(figsize=(5.6, 3.4), layout="constrained")
    ax = fig.add_subplot()
    patients = sorted({p.patient_id for p in points})
    for number, patient in enumerate(patients):
        mine = [p for p in points if p.patient_id == patient]
        ax.scatter(
            [p.dose_gy for p in mine],
            [p.best_change_pct for p in mine],
            s=22,
            color=f"C{number % 10}",
            label=patient,
        )
    for level, text in ((-30.0, "-30 %"), (20.0, "+20 %")):
        ax.axhline(level, color="0.5", lw=0.7, ls="--")
        ax.annotate(
            text,
            (1.0, level),
            xycoords=("axes fraction", "data"),
            fontsize=7,
            ha="right",
            va="bottom",
            color="0.4",
        )
    ax.axhline(0.0, color="0.2", lw=0.6)
    ax.set_xlabel("lesion absorbed dose (Gy)")
    ax.set_ylabel("best change in diameter (%)")
    ax.set_xlim(left=0.0)
    if len(patients) > 1:
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return fig
