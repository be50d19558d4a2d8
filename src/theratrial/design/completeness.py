"""Decide only on complete cohorts: otherwise ``wait``, with what is missing.

Rule-based and model-based dose-finding designs take each decision after a *complete*
cohort: every patient of the cohort treated and followed to the end of the DLT observation
window. Storer (Biometrics 1989;45:925-937) and Lin & Shih (Biostatistics 2001;2:203-215)
define the 3+3 on cohorts of three whose DLT status is known; BOIN (Liu & Yuan, J R Stat Soc
C 2015;64:507-523, section 2), mTPI-2 (Guo et al., Contemp Clin Trials 2017;58:23-33) and
i3+3 (Liu et al., Stat Med 2020;39:4150-4162) update "after each cohort is treated and its
DLT outcomes are observed"; the CRM (O'Quigley et al., Biometrics 1990;46:33-48) likewise.
Until then the answer is :attr:`~theratrial.design.decision.Action.WAIT`, with the patients
still to enrol and the DLT windows still open (:class:`~.decision.MissingData`).

One exception, for safety only: when every possible outcome of the missing patients leads
to the same de-escalation, elimination, stop or MTD selection (a 3+3 level with 2 DLTs
among its first two patients is too toxic whatever the third shows), that decision is given
at once, with the missing items still listed. An escalation is never taken early.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import replace

from theratrial.design._checks import check_count
from theratrial.design.crm import Crm
from theratrial.design.decision import (
    Action,
    Decision,
    DoseFindingDesign,
    MissingData,
    resolve_current,
)
from theratrial.design.dosedata import DoseData
from theratrial.errors import ParameterError

__all__ = ["decide_when_complete", "missing_enrolment"]

_SAFETY = (Action.DEESCALATE, Action.ELIMINATE, Action.STOP, Action.SELECT_MTD)
_MAX_OUTCOMES = 4096


def missing_enrolment(
    data: DoseData,
    current_index: int,
    *,
    cohort_size: int,
    last_cohort: tuple[int, int] | None = None,
    max_n: int | None = None,
) -> MissingData | None:
    """Patients still to enrol in the cohort at the current level (``None``: complete).

    The cohort size is that of the protocol; the last cohort is ``last_cohort`` when given,
    otherwise the patients at the current level beyond the last multiple of the cohort size.
    No enrolment is missing once the maximum sample size is reached.

    Examples
    --------
    >>> data = DoseData((90, 120), n=(1, 0), dlt=(0, 0))
    >>> missing_enrolment(data, 0, cohort_size=3).description
    '2 patients still to enrol in the cohort at level 90 (1 of 3 treated)'
    >>> missing_enrolment(DoseData((90, 120), n=(3, 0), dlt=(0, 0)), 0, cohort_size=3) is None
    True
    """
    cohort_size = check_count(cohort_size, field="cohort_size", minimum=1)
    at_level = data.n[current_index]
    if last_cohort is not None:
        size, dlt = last_cohort
        if not 0 <= dlt <= size or size > at_level:
            raise ParameterError(
                f"last cohort {size},{dlt} does not fit the {at_level} patients "
                f"({data.dlt[current_index]} DLTs) at level {data.levels[current_index]:g}",
                field="last_cohort",
                hint="give 'n,dlt' of the most recent cohort at the current level",
            )
        if size > cohort_size:
            raise ParameterError(
                f"last cohort of {size} patients exceeds the cohort size {cohort_size}",
                field="last_cohort",
                hint="give the cohort size of the protocol",
            )
        treated = size
    else:
        treated = at_level % cohort_size
    if treated == 0 or treated == cohort_size:
        return None
    short = cohort_size - treated
    if max_n is not None:
        short = min(short, max_n - data.total_n)
    if short <= 0:
        return None
    level = data.levels[current_index]
    return MissingData(
        kind="enrol",
        level=level,
        patients=short,
        description=(
            f"{short} patient{'s' if short > 1 else ''} still to enrol in the cohort at level "
            f"{level:g} ({treated} of {cohort_size} treated)"
        ),
    )


def _decide(
    design: DoseFindingDesign,
    data: DoseData,
    current: float,
    start: float | None,
    max_n: int | None,
    last_cohort: tuple[int, int] | None,
) -> Decision:
    if isinstance(design, Crm):
        return design.decide(
            data, current=current, start=start, max_n=max_n, last_cohort=last_cohort
        )
    return design.decide(data, current=current, start=start, max_n=max_n)


def _settled(
    design: DoseFindingDesign,
    data: DoseData,
    current: float,
    start: float | None,
    uncertain: dict[int, tuple[int, int]],
    max_n: int | None,
    first: Decision,
) -> bool:
    """Whether every outcome of the uncertain patients gives ``first``'s safety decision."""
    if first.action not in _SAFETY:
        return False
    ranges = [range(extra + pending + 1) for extra, pending in uncertain.values()]
    total = 1
    for r in ranges:
        total *= len(r)
    if total > _MAX_OUTCOMES:
        return False
    for outcome in itertools.product(*ranges):
        n, y = list(data.n), list(data.dlt)
        for (i, (extra, _)), k in zip(uncertain.items(), outcome, strict=True):
            n[i] += extra
            y[i] += k
        cap = None if max_n is None else max(max_n, sum(n))
        try:
            other = _decide(
                design, DoseData(data.levels, n=tuple(n), dlt=tuple(y)), current, start, cap, None
            )
        except ParameterError:
            return False
        if (other.action, other.next_index) != (first.action, first.next_index):
            return False
    return True


def decide_when_complete(
    design: DoseFindingDesign,
    data: DoseData,
    *,
    cohort_size: int,
    current: float | None = None,
    start: float | None = None,
    max_n: int | None = None,
    last_cohort: tuple[int, int] | None = None,
    open_windows: Sequence[MissingData] = (),
) -> Decision:
    """The design's decision once the last cohort is complete; ``wait`` until then.

    Parameters
    ----------
    design
        Any dose-finding design.
    data
        Patients and DLTs per level (patients whose window is still open included, without
        a DLT so far).
    cohort_size
        Patients per cohort (the protocol's).
    current, start, max_n
        As :meth:`~theratrial.design.boin.Boin.decide`.
    last_cohort
        ``(patients, DLTs)`` of the most recent cohort at the current level, when known.
    open_windows
        ``"dlt_window"`` items: treated patients whose DLT window has not ended
        (:func:`~theratrial.design.cohorts.open_dlt_windows`).

    Returns
    -------
    Decision
        ``Action.WAIT`` with :attr:`~.decision.Decision.missing` when the cohort is
        incomplete, unless the outcome cannot change a safety decision (module docstring).

    Examples
    --------
    >>> from theratrial.design.boin import Boin
    >>> data = DoseData((90, 120), n=(1, 0), dlt=(0, 0))
    >>> d = decide_when_complete(Boin(0.25), data, cohort_size=3)
    >>> d.action.value, d.next_level, [m.patients for m in d.missing]
    ('wait', 90.0, [2])
    >>> decide_when_complete(Boin(0.25), DoseData((90, 120), n=(3, 0), dlt=(0, 0)),
    ...                      cohort_size=3).action.value
    'escalate'
    """
    d, _, _ = resolve_current(data, current=current, start=start)
    level = data.levels[d]
    enrol = missing_enrolment(
        data, d, cohort_size=cohort_size, last_cohort=last_cohort, max_n=max_n
    )
    missing = ([] if enrol is None else [enrol]) + [m for m in open_windows if m.kind != "enrol"]
    if not missing:
        return _decide(
            design, data, current if current is not None else level, start, max_n, last_cohort
        )
    # the design's numbers on the data so far; the action waits
    first = _decide(design, data, level, start, max_n, last_cohort)
    uncertain: dict[int, tuple[int, int]] = {}
    if enrol is not None:
        uncertain[d] = (enrol.patients, 0)
    for m in open_windows:
        if m.kind == "enrol":
            continue
        i = data.index_of(m.level, field="open_windows.level")
        extra, pending = uncertain.get(i, (0, 0))
        uncertain[i] = (extra, pending + m.patients)
    if _settled(design, data, level, start, uncertain, max_n, first):
        return replace(
            first,
            missing=tuple(missing),
            reason=f"{first.reason} (whatever the outcome of the patients still missing)",
        )
    waiting = enrol is not None
    enrol_n = sum(m.patients for m in missing if m.kind == "enrol")
    open_n = sum(m.patients for m in missing if m.kind != "enrol")
    parts = ([f"{enrol_n} to enrol"] if enrol_n else []) + (
        [f"{open_n} DLT window{'s' if open_n > 1 else ''} open"] if open_n else []
    )
    what = ", ".join(parts)
    return replace(
        first,
        action=Action.WAIT,
        next_index=d if waiting else None,
        next_level=level if waiting else None,
        mtd_index=None,
        mtd_level=None,
        missing=tuple(missing),
        reason=f"wait: the last cohort at {level:g} is incomplete ({what}); decide when it is",
    )
