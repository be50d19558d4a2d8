"""The common interface of the dose-finding designs: a decision with the numbers behind it.

Every design (:class:`~theratrial.design.threeplusthree.ThreePlusThree`,
:class:`~theratrial.design.boin.Boin`, :class:`~theratrial.design.crm.Crm`,
:class:`~theratrial.design.mtpi2.Mtpi2`, :class:`~theratrial.design.i3plus3.I3plus3`)
follows :class:`DoseFindingDesign`: given the accrued :class:`DoseData` and the level the
trial is treating now, :meth:`~DoseFindingDesign.decide` returns a :class:`Decision` —
escalate, stay, de-escalate, eliminate (the current level and all above it are too toxic,
go one level down), stop (no tolerable level; no MTD) or select the MTD — together with the
boundaries or model estimates that produced it. A decision taken on an incomplete cohort is
``wait`` (:class:`MissingData` lists what is missing; see :mod:`.completeness`).

The current level is usually known to the trial team; when it is not given it is inferred
(:func:`infer_current_index`): with no patient treated it is the start level, otherwise
the treated level farthest from the start level (the frontier of escalation, or of
de-escalation for a design that starts at the top level).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from theratrial.design.dosedata import DoseData

__all__ = [
    "Action",
    "Decision",
    "DoseFindingDesign",
    "LevelEstimate",
    "MissingData",
    "MtdSelection",
    "infer_current_index",
    "resolve_current",
]


class Action(enum.StrEnum):
    """What to do with the next cohort."""

    ESCALATE = "escalate"
    STAY = "stay"
    DEESCALATE = "de-escalate"
    ELIMINATE = "eliminate"
    STOP = "stop"
    SELECT_MTD = "select_mtd"
    WAIT = "wait"
    """The last cohort is incomplete: enrol the missing patients or wait for DLT windows."""


@dataclass(frozen=True, slots=True)
class MissingData:
    """What a decision still waits for.

    Attributes
    ----------
    kind
        ``"enrol"``: patients still to enrol in the cohort at ``level``;
        ``"dlt_window"``: a treated patient whose DLT window has not ended.
    level
        Dose level of the cohort (protocol unit).
    patients
        Number of patients this item covers.
    patient_id
        The patient whose window is open (``"dlt_window"`` only, when known).
    window_ends
        Date on which that patient's DLT window ends.
    description
        One sentence for people.
    """

    kind: str
    level: float
    patients: int
    description: str
    patient_id: str | None = None
    window_ends: date | None = None


@dataclass(frozen=True, slots=True)
class LevelEstimate:
    """What the data say about one dose level.

    Attributes
    ----------
    level
        Dose level (protocol unit).
    n, dlt
        Patients evaluable and DLTs at this level.
    observed_rate
        ``dlt / n``; ``None`` if nobody was treated.
    estimated_rate
        Design estimate of the DLT probability: isotonic regression of
        ``(dlt + 0.05) / (n + 0.1)`` for the interval designs (BOIN package ``select.mtd``
        convention), the plug-in model estimate for the CRM; ``None`` if not estimable.
    p_overdose
        Posterior probability that the DLT probability exceeds the target
        (Beta(1, 1) prior for interval designs; model posterior for the CRM).
    eliminated
        Whether the level is excluded for toxicity.
    """

    level: float
    n: int
    dlt: int
    observed_rate: float | None
    estimated_rate: float | None
    p_overdose: float | None
    eliminated: bool


@dataclass(frozen=True, slots=True)
class MtdSelection:
    """The maximum tolerated dose selected at the end of a trial.

    ``mtd_index``/``mtd_level`` are ``None`` when no level is acceptable (the lowest level
    is too toxic, or no untoxic level was ever treated).
    """

    mtd_index: int | None
    mtd_level: float | None
    estimates: tuple[float | None, ...]
    eliminated: tuple[bool, ...]
    reason: str


@dataclass(frozen=True, slots=True)
class Decision:
    """A dose-finding decision for the next cohort, with the numbers behind it.

    Attributes
    ----------
    design
        Design name (``"boin"``, ``"crm"``, ``"mtpi2"``, ``"i3+3"``, ``"3+3"``).
    target
        Target DLT probability (``None`` for the 3+3, which has none).
    action
        What to do.
    current_index, current_level
        The level treated now (0-based index and value).
    current_inferred
        ``True`` if the current level was inferred, not given.
    next_index, next_level
        Level for the next cohort; ``None`` when the trial stops or selects the MTD.
    mtd_index, mtd_level
        The MTD when ``action`` is ``SELECT_MTD``; otherwise ``None``.
    eliminated_levels
        Levels excluded for toxicity.
    estimates
        Per-level :class:`LevelEstimate`.
    evidence
        The design's numbers behind the decision: boundaries used, posterior
        probabilities, model estimates (JSON-ready values).
    reason
        One sentence saying why.
    missing
        For ``WAIT``: the patients still to enrol and the DLT windows still open.
    """

    design: str
    target: float | None
    action: Action
    current_index: int
    current_level: float
    current_inferred: bool
    next_index: int | None
    next_level: float | None
    mtd_index: int | None
    mtd_level: float | None
    eliminated_levels: tuple[float, ...]
    estimates: tuple[LevelEstimate, ...]
    evidence: Mapping[str, object] = field(default_factory=dict)
    reason: str = ""
    missing: tuple[MissingData, ...] = ()


class DoseFindingDesign(Protocol):
    """What every dose-finding design offers."""

    @property
    def name(self) -> str:
        """Short design name."""
        ...

    def decide(
        self,
        data: DoseData,
        *,
        current: float | None = None,
        start: float | None = None,
        max_n: int | None = None,
    ) -> Decision:
        """Decision for the next cohort given the data and the level treated now."""
        ...

    def select_mtd(self, data: DoseData) -> MtdSelection:
        """The MTD at the end of the trial."""
        ...


def infer_current_index(data: DoseData, start_index: int) -> int:
    """Infer the level treated now from per-level counts.

    With nobody treated, the start level. Otherwise the treated level farthest from the
    start level (ties, which happen only when the start level is in the middle, go to the
    lower level, the safer choice).

    Examples
    --------
    >>> data = DoseData((60, 90, 120), n=(0, 3, 6), dlt=(0, 0, 3))
    >>> infer_current_index(data, start_index=2)   # de-escalation start at 120
    1
    >>> infer_current_index(DoseData.empty((60, 90, 120)), start_index=2)
    2
    """
    treated = [i for i, m in enumerate(data.n) if m > 0]
    if not treated:
        return start_index
    return min(treated, key=lambda i: (-abs(i - start_index), i))


def resolve_current(
    data: DoseData, *, current: float | None, start: float | None
) -> tuple[int, int, bool]:
    """Return ``(current_index, start_index, inferred)`` from optional level values.

    ``start`` defaults to the lowest level.

    Examples
    --------
    >>> data = DoseData((60, 90, 120), n=(0, 0, 3), dlt=(0, 0, 1))
    >>> resolve_current(data, current=None, start=120)
    (2, 2, True)
    """
    start_index = 0 if start is None else data.index_of(start, field="start")
    if current is not None:
        return data.index_of(current, field="current"), start_index, False
    return infer_current_index(data, start_index), start_index, True
