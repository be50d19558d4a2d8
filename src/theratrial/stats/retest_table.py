"""Repeatability from a long table of measurements (subject, region, scan, value).

Each row is one measurement: ``subject`` (patient), ``region`` (organ or lesion), ``scan``
(the repeat: 1/2, test/retest, a date...) and ``value`` (SUVmax, SUVmean, ADC...). A target
is one (subject, region) pair; its scans, sorted (numerically when every label is a
number, else as text), become the repeats 1..k. Every target must have the same number k of
scans; a target scanned once is an error unless ``drop_incomplete`` is set.

Results are given for all targets together and per group: by default one group per region
value (liver, spleen, lesion...), or by any other column (``group_by="lesion_type"``), as
NCT03335670 reports uptake reproducibility per organ and per lesion type.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from theratrial.errors import ComputationError, ParameterError, TableError
from theratrial.stats._table import locate, numeric_column, require_columns, text_column
from theratrial.stats.matching import match_lesions
from theratrial.stats.repeatability import RepeatabilityResult, repeatability

__all__ = ["RepeatabilityGroup", "RepeatabilityReport", "repeatability_from_table"]


@dataclass(frozen=True, slots=True)
class RepeatabilityGroup:
    """Repeatability of one group of targets (None when too few targets)."""

    group: str
    n_subjects: int
    result: RepeatabilityResult | None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class RepeatabilityReport:
    """Repeatability for all targets and per group.

    Attributes
    ----------
    overall
        All targets together.
    groups
        One entry per value of ``group_by``.
    group_by
        Column used for the groups (None: no groups).
    n_rows, n_targets, k_repeats
        Table size.
    dropped_targets
        ``subject/region`` labels left out by ``drop_incomplete``.
    unmatched_lesions
        With position matching: ``subject/region@scan`` of lesions without a partner on the
        subject's first scan (left out).
    """

    overall: RepeatabilityResult
    groups: tuple[RepeatabilityGroup, ...]
    group_by: str | None
    n_rows: int
    n_targets: int
    k_repeats: int
    dropped_targets: tuple[str, ...] = ()
    unmatched_lesions: tuple[str, ...] = ()


def _scan_order(labels: list[str]) -> list[str]:
    try:
        return sorted(labels, key=float)
    except ValueError:
        return sorted(labels)


def _match_by_position(
    frame: pd.DataFrame,
    position_cols: list[str],
    subjects: list[str],
    regions: list[str],
    scans: list[str],
    tolerance_mm: float,
) -> tuple[list[str], list[int], list[str]]:
    """Relabel each lesion of later scans with the region of its partner on the first scan."""
    xyz = np.column_stack([numeric_column(frame, c) for c in position_cols])
    has_position = np.all(np.isfinite(xyz), axis=1)
    labels = list(regions)
    unmatched_rows: list[int] = []
    unmatched: list[str] = []
    for subj in dict.fromkeys(subjects):
        rows = [i for i, s in enumerate(subjects) if s == subj and has_position[i]]
        order = _scan_order(list(dict.fromkeys(scans[i] for i in rows)))
        if len(order) < 2:
            continue
        reference = [i for i in rows if scans[i] == order[0]]
        partnered: set[int] = set()
        for other in order[1:]:
            moving = [i for i in rows if scans[i] == other]
            result = match_lesions(
                xyz[reference],
                xyz[moving],
                tolerance_mm=tolerance_mm,
                first_ids=[str(i) for i in reference],
                second_ids=[str(i) for i in moving],
            )
            for pair in result.matches:
                labels[int(pair.second_id)] = regions[int(pair.first_id)]
                partnered.add(int(pair.first_id))
            for row in result.unmatched_second:
                unmatched_rows.append(int(row))
                unmatched.append(f"{subj}/{regions[int(row)]}@{other}")
        for i in reference:
            if i not in partnered:
                unmatched_rows.append(i)
                unmatched.append(f"{subj}/{regions[i]}@{order[0]}")
    return labels, unmatched_rows, unmatched


def repeatability_from_table(
    frame: pd.DataFrame,
    *,
    subject: str = "subject",
    region: str = "region",
    scan: str = "scan",
    value: str = "value",
    group_by: str | None = "region",
    drop_incomplete: bool = False,
    confidence: float = 0.95,
    match_tolerance_mm: float | None = None,
    position: tuple[str, str, str] = ("x_mm", "y_mm", "z_mm"),
) -> RepeatabilityReport:
    """Repeatability of every target in a long table, overall and per group.

    Parameters
    ----------
    frame
        The measurements; read a CSV with :func:`theratrial.stats.read_csv_table` to have
        file lines in the error messages.
    subject, region, scan, value
        Column names (matched case-insensitively).
    group_by
        Column whose values define the groups (the region by default; None for none).
    drop_incomplete
        Leave out targets with fewer scans than the others instead of raising.
    confidence
        Level of the confidence intervals.
    match_tolerance_mm
        Match lesions between scans by position (:func:`~theratrial.stats.match_lesions`):
        rows with coordinates in the ``position`` columns (mm) are paired, per subject,
        with the rows of the subject's first scan whose centre lies within this distance,
        and take their region label; lesions without a partner are left out and listed.
        Rows without coordinates (organs) keep their labels.
    position
        Columns of the lesion centre (x, y, z) in mm.

    Returns
    -------
    RepeatabilityReport

    Raises
    ------
    TableError
        A missing column, a non-numeric or empty value, a duplicated scan of a target, a
        target with one scan only (row and column named), fewer than 2 targets.

    Examples
    --------
    >>> import pandas as pd
    >>> rows = [(s, "liver", scan, v) for s, a, b in
    ...         [("P1", 8.0, 8.4), ("P2", 7.1, 6.8), ("P3", 9.3, 9.9), ("P4", 6.0, 6.1)]
    ...         for scan, v in ((1, a), (2, b))]
    >>> df = pd.DataFrame(rows, columns=["subject", "region", "scan", "value"])
    >>> report = repeatability_from_table(df)
    >>> report.n_targets, report.k_repeats, round(report.overall.wsd, 3)
    (4, 2, 0.278)
    """
    if frame.empty:
        raise TableError("the table has no rows", file=frame.attrs.get("file"))
    wanted = [subject, region, scan, value] + ([group_by] if group_by else [])
    cols = require_columns(frame, dict.fromkeys(wanted), what="repeatability")
    if group_by is not None and cols[group_by] in (cols[subject], cols[scan], cols[value]):
        raise ParameterError(
            f"cannot group by {group_by!r}", field="group_by", hint="group by region or a type"
        )
    subjects = text_column(frame, cols[subject])
    regions = text_column(frame, cols[region])
    scans = text_column(frame, cols[scan])
    values = numeric_column(frame, cols[value], allow_missing=False)
    groups_col = text_column(frame, cols[group_by]) if group_by else None
    skip: set[int] = set()
    unmatched: list[str] = []
    if match_tolerance_mm is not None:
        pcols = require_columns(frame, position, what="lesion matching")
        regions, skipped_rows, unmatched = _match_by_position(
            frame, [pcols[c] for c in position], subjects, regions, scans, match_tolerance_mm
        )
        skip = set(skipped_rows)

    targets: dict[tuple[str, str], dict[str, int]] = {}
    for pos, key in enumerate(zip(subjects, regions, strict=True)):
        if pos in skip:
            continue
        per_scan = targets.setdefault(key, {})
        if scans[pos] in per_scan:
            file, line, label = locate(frame, pos)
            _, _, first = locate(frame, per_scan[scans[pos]])
            raise TableError(
                f"{label}: scan {scans[pos]!r} of {key[0]}/{key[1]} repeats {first}",
                file=file,
                line=line,
                field=cols[scan],
                hint="give each scan of a target once",
            )
        per_scan[scans[pos]] = pos
    k = max(len(s) for s in targets.values())
    if k < 2:
        raise TableError(
            "every target has one scan only: repeatability needs repeated scans",
            file=frame.attrs.get("file"),
            field=cols[scan],
            hint="add the retest scans (two or more rows per subject and region)",
        )
    dropped: list[str] = []
    rows: list[list[float]] = []
    labels: list[str] = []
    for key, per_scan in targets.items():
        if len(per_scan) < k:
            if drop_incomplete:
                dropped.append(f"{key[0]}/{key[1]}")
                continue
            pos = next(iter(per_scan.values()))
            file, line, label = locate(frame, pos)
            raise TableError(
                f"{label}: {key[0]}/{key[1]} has {len(per_scan)} scan(s), others have {k}",
                file=file,
                line=line,
                field=cols[scan],
                hint="add the missing scan, remove the target, or drop incomplete targets",
            )
        order = _scan_order(list(per_scan))
        rows.append([float(values[per_scan[s]]) for s in order])
        first_pos = per_scan[order[0]]
        labels.append(groups_col[first_pos] if groups_col is not None else "")
    if len(rows) < 2:
        raise TableError(
            f"{len(rows)} complete target(s): need at least 2",
            file=frame.attrs.get("file"),
            field=cols[subject],
            hint="add subjects",
        )
    matrix = np.asarray(rows, dtype=np.float64)
    overall = repeatability(matrix, confidence=confidence)
    groups: list[RepeatabilityGroup] = []
    if groups_col is not None:
        names = np.asarray(labels)
        for name in sorted(set(labels)):
            sub = matrix[names == name]
            if sub.shape[0] < 2:
                groups.append(
                    RepeatabilityGroup(name, int(sub.shape[0]), None, "fewer than 2 targets")
                )
                continue
            try:
                result = repeatability(sub, confidence=confidence)
            except (TableError, ComputationError) as exc:  # e.g. identical values
                groups.append(RepeatabilityGroup(name, int(sub.shape[0]), None, exc.message))
                continue
            groups.append(RepeatabilityGroup(name, int(sub.shape[0]), result))
    return RepeatabilityReport(
        overall=overall,
        groups=tuple(groups),
        group_by=group_by,
        n_rows=len(frame),
        n_targets=int(matrix.shape[0]),
        k_repeats=k,
        dropped_targets=tuple(dropped),
        unmatched_lesions=tuple(unmatched),
    )
