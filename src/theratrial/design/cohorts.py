"""DLT records and independent dose escalation per protocol cohort.

A phase I protocol may run several escalations side by side: NCT06732505 escalates
[225Ac]Ac-DOTATATE (90 then 120 kBq/kg, every 8 weeks) independently in a cohort of patients
pre-treated with [177Lu]Lu-PRRT and a cohort of PRRT-naive patients. Each patient belongs to
one cohort (the protocol's assignment rule, applied by the caller), each cohort has its own
levels, start level and sample size, and gets its own decision.

The unit of data is a :class:`DltRecord`: one patient, one treatment cycle, one event (or
none), with its CTCAE grade, dates, whether the investigator adjudicated it a DLT and whether
it fell inside the DLT window. :func:`tally_dlt` turns records into the per-level counts the
designs read: a patient counts once, at the dose level of their first cycle; a patient has a
DLT when any adjudicated DLT falls inside the DLT window of the first ``dlt_cycles`` cycles;
a patient who is not evaluable for DLT (left the window early for another reason) is not
counted unless a DLT occurred.

A decision needs a complete cohort whose DLT windows have ended (:mod:`.completeness`):
:func:`open_dlt_windows` lists the treated patients still inside their window on the
as-of date, and :func:`decide_per_cohort` answers ``wait`` until the cohort is complete.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from theratrial.design._checks import check_count
from theratrial.design._dlt_record import DltRecord
from theratrial.design.completeness import decide_when_complete
from theratrial.design.decision import Decision, DoseFindingDesign, MissingData
from theratrial.design.dosedata import DoseData
from theratrial.errors import InputError, PatientRecordError

__all__ = [
    "CohortDecision",
    "CohortPlan",
    "DltRecord",
    "current_level_from_records",
    "decide_per_cohort",
    "open_dlt_windows",
    "split_by_cohort",
    "tally_dlt",
]


def tally_dlt(
    records: Iterable[DltRecord],
    levels: Sequence[float],
    *,
    dlt_window_days: float | None = None,
    dlt_cycles: int = 1,
) -> DoseData:
    """Count evaluable patients and patients with a DLT per dose level.

    Parameters
    ----------
    records
        DLT records of one escalation cohort.
    levels
        The cohort's dose levels, increasing.
    dlt_window_days
        Length of the DLT window after each administration, to date events without an
        explicit ``within_dlt_window``.
    dlt_cycles
        Cycles inside the DLT assessment period (1: the first cycle only).

    Examples
    --------
    >>> recs = [DltRecord("P01", 1, 90), DltRecord("P02", 1, 90),
    ...         DltRecord("P03", 1, 120, event="nephrotoxicity", grade=3, is_dlt=True,
    ...                   within_dlt_window=True)]
    >>> tally_dlt(recs, [90, 120])
    DoseData(levels=(90.0, 120.0), n=(2, 1), dlt=(0, 1))
    """
    data = DoseData.empty(levels)
    dlt_cycles = check_count(dlt_cycles, field="dlt_cycles", minimum=1)
    first_cycle: dict[str, tuple[int, float]] = {}
    has_dlt: dict[str, bool] = {}
    evaluable: dict[str, bool] = {}
    for row, rec in enumerate(records, start=1):
        if rec.cycle > dlt_cycles:
            continue
        try:
            data.index_of(rec.dose_level, field="dose_level")
        except InputError as exc:
            raise PatientRecordError(
                f"record {row}: {exc.message}", field="dose_level", hint=exc.hint
            ) from None
        known = first_cycle.get(rec.patient_id)
        if known is None or rec.cycle < known[0]:
            first_cycle[rec.patient_id] = (rec.cycle, float(rec.dose_level))
        elif rec.cycle == known[0] and known[1] != float(rec.dose_level):
            raise PatientRecordError(
                f"record {row}: two dose levels for one patient in cycle {rec.cycle}",
                field="dose_level",
                hint="each patient receives one dose level per cycle",
            )
        dlt = rec.is_dlt and rec.in_window(dlt_window_days)
        has_dlt[rec.patient_id] = has_dlt.get(rec.patient_id, False) or dlt
        evaluable[rec.patient_id] = evaluable.get(rec.patient_id, True) and rec.evaluable
    n = [0] * data.n_levels
    y = [0] * data.n_levels
    for pid, (_, level) in first_cycle.items():
        if not (evaluable[pid] or has_dlt[pid]):
            continue
        i = data.index_of(level)
        n[i] += 1
        y[i] += int(has_dlt[pid])
    return DoseData(data.levels, n=tuple(n), dlt=tuple(y))


def current_level_from_records(records: Iterable[DltRecord]) -> float | None:
    """Dose level of the most recent first-cycle administration (``None`` without dates).

    Examples
    --------
    >>> recs = [DltRecord("P01", 1, 120, administered_date=date(2025, 1, 6)),
    ...         DltRecord("P02", 1, 90, administered_date=date(2025, 3, 3))]
    >>> current_level_from_records(recs)
    90.0
    """
    latest: tuple[date, float] | None = None
    for rec in records:
        if rec.cycle != 1 or rec.administered_date is None:
            continue
        if latest is None or rec.administered_date >= latest[0]:
            latest = (rec.administered_date, float(rec.dose_level))
    return None if latest is None else latest[1]


def split_by_cohort(
    records: Iterable[DltRecord], cohort_of: Mapping[str, str] | Callable[[str], str]
) -> dict[str, tuple[DltRecord, ...]]:
    """Group records by escalation cohort.

    ``cohort_of`` maps a patient identifier to its cohort (the protocol's assignment rule,
    e.g. prior [177Lu]Lu-PRRT or not).

    Examples
    --------
    >>> recs = [DltRecord("P01", 1, 90), DltRecord("P02", 1, 90)]
    >>> groups = split_by_cohort(recs, {"P01": "prior-prrt", "P02": "prrt-naive"})
    >>> sorted(groups)
    ['prior-prrt', 'prrt-naive']
    """
    lookup: Callable[[str], str]
    if callable(cohort_of):
        lookup = cohort_of
    else:
        mapping = cohort_of

        def lookup(pid: str) -> str:
            return mapping[pid]

    groups: dict[str, list[DltRecord]] = {}
    for row, rec in enumerate(records, start=1):
        try:
            cohort = lookup(rec.patient_id)
        except KeyError:
            raise PatientRecordError(
                f"record {row}: the patient has no escalation cohort",
                field="cohort",
                hint="assign every patient to a cohort by the protocol's rule",
            ) from None
        groups.setdefault(cohort, []).append(rec)
    return {k: tuple(v) for k, v in groups.items()}


def open_dlt_windows(
    records: Iterable[DltRecord],
    *,
    dlt_window_days: float,
    as_of: date,
    dlt_cycles: int = 1,
) -> tuple[MissingData, ...]:
    """Treated patients whose DLT window is still open on ``as_of`` and who had no DLT.

    A window runs from the administration (day 0) to day ``dlt_window_days`` inclusive, as
    :meth:`DltRecord.in_window` reads it; it is over on the following day. A patient with a
    DLT inside the window is complete at once; a record without an administration date is
    taken as the investigator's statement that the patient was followed through the window.

    Examples
    --------
    >>> recs = [DltRecord("P01", 1, 90, administered_date=date(2026, 1, 5)),
    ...         DltRecord("P02", 1, 90, administered_date=date(2025, 10, 1))]
    >>> [(m.patient_id, str(m.window_ends)) for m in
    ...  open_dlt_windows(recs, dlt_window_days=56, as_of=date(2026, 2, 1))]
    [('P01', '2026-03-02')]
    """
    dlt_cycles = check_count(dlt_cycles, field="dlt_cycles", minimum=1)
    ends: dict[str, tuple[date, float]] = {}
    had_dlt: set[str] = set()
    level_of: dict[str, tuple[int, float]] = {}
    for rec in records:
        if rec.cycle > dlt_cycles:
            continue
        known = level_of.get(rec.patient_id)
        if known is None or rec.cycle < known[0]:
            level_of[rec.patient_id] = (rec.cycle, float(rec.dose_level))
        if rec.is_dlt and rec.in_window(dlt_window_days):
            had_dlt.add(rec.patient_id)
        if rec.administered_date is not None:
            end = rec.administered_date + timedelta(days=dlt_window_days)
            old = ends.get(rec.patient_id)
            if old is None or end > old[0]:
                ends[rec.patient_id] = (end, float(rec.dose_level))
    out = []
    for pid, (end, _) in sorted(ends.items(), key=lambda kv: (kv[1][0], kv[0])):
        if pid in had_dlt or as_of > end:
            continue
        level = level_of[pid][1]
        out.append(
            MissingData(
                kind="dlt_window",
                level=level,
                patients=1,
                patient_id=pid,
                window_ends=end,
                description=f"patient {pid} at level {level:g}: DLT window open until {end}",
            )
        )
    return tuple(out)


@dataclass(frozen=True, slots=True)
class CohortPlan:
    """How one cohort escalates: levels, start level, maximum sample size, cohort size.

    ``cohort_size`` (the protocol's) makes a decision wait for a complete cohort;
    ``None`` decides on whatever data there are.
    """

    cohort_id: str
    levels: tuple[float, ...]
    start_level: float
    max_n: int | None = None
    cohort_size: int | None = None


@dataclass(frozen=True, slots=True)
class CohortDecision:
    """The data and the decision of one cohort."""

    cohort_id: str
    data: DoseData
    decision: Decision


def decide_per_cohort(
    design: DoseFindingDesign | Mapping[str, DoseFindingDesign],
    plans: Sequence[CohortPlan],
    records_by_cohort: Mapping[str, Sequence[DltRecord]],
    *,
    current: Mapping[str, float] | None = None,
    dlt_window_days: float | None = None,
    dlt_cycles: int = 1,
    as_of: date | None = None,
) -> dict[str, CohortDecision]:
    """One decision per cohort, each cohort escalating independently.

    Parameters
    ----------
    design
        One design for every cohort, or a design per cohort identifier.
    plans
        The cohorts' escalation plans.
    records_by_cohort
        DLT records per cohort (:func:`split_by_cohort`); a cohort without records has
        treated nobody yet.
    current
        Level treated now per cohort; otherwise from the latest administration date
        (:func:`current_level_from_records`), else inferred from the counts.
    dlt_window_days, dlt_cycles
        As :func:`tally_dlt`; with ``dlt_window_days`` the decision also waits for the
        open DLT windows (:func:`open_dlt_windows`).
    as_of
        The date of the decision (default today): windows still open on it make the
        cohort incomplete.

    A cohort with a ``cohort_size`` in its plan gets ``wait`` until its last cohort is
    complete (:func:`~theratrial.design.completeness.decide_when_complete`).

    Examples
    --------
    >>> from theratrial.design.boin import Boin
    >>> plans = [CohortPlan("prior-prrt", (90.0, 120.0), 90.0),
    ...          CohortPlan("prrt-naive", (90.0, 120.0), 90.0)]
    >>> recs = {"prior-prrt": [DltRecord(f"A{i}", 1, 90) for i in range(3)]}
    >>> out = decide_per_cohort(Boin(0.25), plans, recs)
    >>> out["prior-prrt"].decision.action.value, out["prrt-naive"].decision.action.value
    ('escalate', 'stay')
    >>> plans = [CohortPlan("prrt-naive", (90.0, 120.0), 90.0, cohort_size=3)]
    >>> one = {"prrt-naive": [DltRecord("N1", 1, 90, administered_date=date(2026, 1, 5))]}
    >>> d = decide_per_cohort(Boin(0.25), plans, one, dlt_window_days=56,
    ...                       as_of=date(2026, 1, 20))["prrt-naive"].decision
    >>> d.action.value, [m.description for m in d.missing]  # doctest: +NORMALIZE_WHITESPACE
    ('wait', ['2 patients still to enrol in the cohort at level 90 (1 of 3 treated)',
              'patient N1 at level 90: DLT window open until 2026-03-02'])
    """
    today = date.today() if as_of is None else as_of
    unknown = set(records_by_cohort) - {p.cohort_id for p in plans}
    if unknown:
        raise InputError(
            f"records for cohorts without a plan: {sorted(unknown)}",
            field="cohort",
            hint="add an escalation plan for every cohort of the protocol",
        )
    out: dict[str, CohortDecision] = {}
    for plan in plans:
        records = tuple(records_by_cohort.get(plan.cohort_id, ()))
        data = tally_dlt(
            records, plan.levels, dlt_window_days=dlt_window_days, dlt_cycles=dlt_cycles
        )
        chosen = design[plan.cohort_id] if isinstance(design, Mapping) else design
        now = (current or {}).get(plan.cohort_id, current_level_from_records(records))
        windows = (
            ()
            if dlt_window_days is None
            else open_dlt_windows(
                records, dlt_window_days=dlt_window_days, as_of=today, dlt_cycles=dlt_cycles
            )
        )
        if plan.cohort_size is None and not windows:
            decision = chosen.decide(data, current=now, start=plan.start_level, max_n=plan.max_n)
        else:
            decision = decide_when_complete(
                chosen,
                data,
                cohort_size=plan.cohort_size or 1,
                current=now,
                start=plan.start_level,
                max_n=plan.max_n,
                open_windows=windows,
            )
        out[plan.cohort_id] = CohortDecision(plan.cohort_id, data, decision)
    return out
