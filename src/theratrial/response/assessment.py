"""One patient's lesion assessments over time: the input of RECIST 1.1.

An :class:`Assessment` is a sequence of :class:`TimePoint` (the first is the baseline), each
listing :class:`LesionObservation` records. The measurement recorded for a lesion is the one
RECIST 1.1 sums: the longest diameter of a non-nodal lesion, the short axis of a lymph node
(Eisenhauer et al. 2009, Eur J Cancer 45:228-247, section 3.2).

Measurement conventions (RECIST 1.1 section 3.3.2 and the EORTC RECIST 1.1 questions and
clarifications):

- a lesion present but too small to measure is recorded as 5 mm (status ``too_small``);
- a lesion that has disappeared is recorded as 0 mm (status ``absent``);
- a lymph node keeps its actual short axis even below 10 mm, where it counts as normal;
- a lesion that split is the sum of its fragments' diameters;
- a lesion not assessed has no measurement (status ``not_evaluated``).

The JSON/dict reader that builds these objects is :func:`assessment_from_dict`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

__all__ = [
    "NODAL_NORMAL_MM",
    "TOO_SMALL_MM",
    "Assessment",
    "LesionObservation",
    "LesionStatus",
    "TimePoint",
]

#: Diameter (mm) recorded for a lesion present but too small to measure (RECIST 1.1, 3.3.2).
TOO_SMALL_MM = 5.0
#: A lymph node whose short axis is below this (mm) is normal (RECIST 1.1, 3.2 and 4.3.1).
NODAL_NORMAL_MM = 10.0


class LesionStatus(StrEnum):
    """What was seen of a lesion at one time point.

    ``present`` (measured or seen), ``absent`` (disappeared; for a node: normal),
    ``too_small`` (present, too small to measure: 5 mm), ``unequivocal_progression``
    (a non-target lesion that progressed unequivocally), ``not_evaluated`` (not assessed).
    """

    PRESENT = "present"
    ABSENT = "absent"
    TOO_SMALL = "too_small"
    UNEQUIVOCAL_PROGRESSION = "unequivocal_progression"
    NOT_EVALUATED = "not_evaluated"


@dataclass(frozen=True, slots=True)
class LesionObservation:
    """One lesion at one time point.

    Parameters
    ----------
    lesion_id
        Identifier that links the same lesion across time points.
    organ
        Organ or site (free text, compared case-insensitively).
    nodal
        True for a lymph node: its measurement is the short axis.
    measurement_mm
        The RECIST diameter in mm (long axis; short axis for nodes), already resolved:
        5 mm for ``too_small``, 0 mm for a non-nodal ``absent`` lesion, None when not
        evaluated or never measured (a non-measurable non-target lesion).
    status
        What was seen (:class:`LesionStatus`); None when the input did not say, which
        :attr:`effective_status` resolves from the measurement.
    target
        True/False as stated in the input; None when the input did not say (then RECIST
        rules select the targets at baseline).
    new
        True for a lesion first seen after baseline.
    equivocal
        True for a new lesion that is equivocal (RECIST 1.1, 4.3.3: progression is declared
        only once a later scan confirms it, dated at this first sighting).
    method
        Imaging method (``ct``, ``mri``, ``xray``, ``caliper``...), for measurability.

    Examples
    --------
    >>> lesion = LesionObservation("L1", "liver", nodal=False, measurement_mm=23.0)
    >>> lesion.effective_status, lesion.is_present
    (<LesionStatus.PRESENT: 'present'>, True)
    """

    lesion_id: str
    organ: str
    nodal: bool = False
    measurement_mm: float | None = None
    status: LesionStatus | None = None
    target: bool | None = None
    new: bool = False
    equivocal: bool = False
    method: str | None = None

    @property
    def organ_key(self) -> str:
        """Organ used for the 2-per-organ rule: all lymph nodes count as one organ.

        A non-nodal lesion without an organ is its own organ (the rule cannot apply).
        """
        if self.nodal:
            return "lymph node"
        organ = self.organ.strip().lower()
        return organ if organ else f"(no organ: {self.lesion_id})"

    @property
    def effective_status(self) -> LesionStatus | None:
        """The stated status, else one read from the measurement; None if neither is given.

        A measured lesion is ``present``, a non-nodal lesion measured 0 mm is ``absent``.
        None (listed, nothing recorded) is resolved by the role of the lesion: a target
        lesion without a measurement is not evaluated, a non-target or new lesion is present.
        """
        if self.status is not None:
            return self.status
        if self.measurement_mm is None:
            return None
        if not self.nodal and self.measurement_mm == 0.0:
            return LesionStatus.ABSENT
        return LesionStatus.PRESENT

    @property
    def is_present(self) -> bool:
        """True when disease is seen; a node needs a short axis >= 10 mm to count.

        A lesion listed without status or measurement counts as present.
        """
        status = self.effective_status
        if status in (LesionStatus.ABSENT, LesionStatus.NOT_EVALUATED):
            return False
        if self.nodal and self.measurement_mm is not None:
            return self.measurement_mm >= NODAL_NORMAL_MM
        return True


@dataclass(frozen=True, slots=True)
class TimePoint:
    """All lesions seen at one assessment date.

    Parameters
    ----------
    date
        Date of the scan (or of the assessment).
    lesions
        The lesions recorded; a baseline lesion absent from the list was not assessed.
    tumour_markers_normal
        For non-target complete response, tumour markers must be normal (RECIST 1.1,
        4.3.2); None when not recorded (not held against a CR).
    not_done
        True when no imaging was done at this time point (the response is NE).

    Examples
    --------
    >>> from datetime import date
    >>> tp = TimePoint(date(2024, 1, 5), (LesionObservation("L1", "liver", measurement_mm=20.0),))
    >>> tp.lesion("L1").measurement_mm
    20.0
    """

    date: date
    lesions: tuple[LesionObservation, ...]
    tumour_markers_normal: bool | None = None
    not_done: bool = False

    def lesion(self, lesion_id: str) -> LesionObservation | None:
        """The observation of ``lesion_id`` at this time point, or None if not recorded."""
        for lesion in self.lesions:
            if lesion.lesion_id == lesion_id:
                return lesion
        return None


@dataclass(frozen=True, slots=True)
class Assessment:
    """One patient's time points, baseline first, in date order.

    Parameters
    ----------
    time_points
        Baseline followed by the follow-up assessments.
    reference_date
        Start of treatment (or randomisation), from which the minimum duration of stable
        disease is counted; defaults to the baseline date.

    Examples
    --------
    >>> from datetime import date
    >>> base = TimePoint(date(2024, 1, 5), (LesionObservation("L1", "liver", measurement_mm=20.0),))
    >>> Assessment((base,)).reference_date
    datetime.date(2024, 1, 5)
    """

    time_points: tuple[TimePoint, ...]
    reference_date: date | None = None

    def __post_init__(self) -> None:
        if self.reference_date is None and self.time_points:
            object.__setattr__(self, "reference_date", self.time_points[0].date)

    @property
    def baseline(self) -> TimePoint:
        """The first time point."""
        return self.time_points[0]

    def day(self, when: date) -> int:
        """Days from the reference date to ``when``."""
        start = self.reference_date if self.reference_date is not None else when
        return (when - start).days
