"""Dispensing: activity at the calibration time, and the net administered activity.

A dose is ordered for an administration time but measured (calibrated) at another; the
activity to dispense at calibration is the prescribed one decayed back to it,
``A_cal = A_adm exp(lambda (t_adm - t_cal))``. After the infusion, the net administered
activity is the syringe/vial activity before minus the residual after, each decayed to the
administration time (EANM guideline on 177Lu-DOTATATE, Hope et al. 2019 / Zaknun et al.,
Eur. J. Nucl. Med. Mol. Imaging 40 (2013) 800).

Examples
--------
>>> from datetime import datetime
>>> order = dispensing_activity(7400.0, nuclide="Lu-177",
...     administration_time=datetime(2026, 3, 2, 10, 0),
...     calibration_time=datetime(2026, 3, 1, 12, 0))
>>> round(order.activity_at_calibration_mbq, 1)
8142.3
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from theratrial.errors import ParameterError
from theratrial.nuclides import decay_correct
from theratrial.nuclides import nuclide as _nuclide

__all__ = [
    "DISPENSING_TOLERANCE",
    "DispensingOrder",
    "dispensing_activity",
    "net_administered_activity_mbq",
]

DISPENSING_TOLERANCE = 0.10
"""Largest relative difference between administered and prescribed activity (10 %).

The usual acceptance limit of a dispensed radiopharmaceutical dose against its
prescription (dose-calibrator measurement at dispensing; e.g. the Lutathera label's
7.4 GBq +/- 10 % at the time of infusion). It is stricter than the U.S. NRC's 20 % outer
limit on using a dosage (10 CFR 35.63(d)). :mod:`theratrial.treatment.plausibility`
refuses a recorded activity above the prescription by more than this.
"""


@dataclass(frozen=True, slots=True)
class DispensingOrder:
    """What to dispense for one administration.

    Attributes
    ----------
    nuclide
        Canonical nuclide name.
    activity_at_administration_mbq
        Activity wanted at the administration time (MBq).
    administration_time, calibration_time
        The two reference times.
    activity_at_calibration_mbq
        Activity to dispense, measured at the calibration time (MBq).
    decay_factor
        ``A_adm / A_cal``.
    """

    nuclide: str
    activity_at_administration_mbq: float
    administration_time: datetime
    calibration_time: datetime
    activity_at_calibration_mbq: float
    decay_factor: float


def _positive(value: float, name: str) -> float:
    if not (math.isfinite(value) and value > 0):
        raise ParameterError(f"{name} must be positive, got {value}", field=name)
    return float(value)


def dispensing_activity(
    activity_mbq: float,
    *,
    nuclide: str,
    administration_time: datetime,
    calibration_time: datetime,
) -> DispensingOrder:
    """The activity at ``calibration_time`` that decays to ``activity_mbq`` at administration.

    Raises
    ------
    ParameterError
        For a non-positive activity, or times more than 10 half-lives apart.
    """
    _positive(activity_mbq, "activity_mbq")
    nuc = _nuclide(nuclide)
    elapsed_h = (administration_time - calibration_time).total_seconds() / 3600.0
    if abs(elapsed_h) > 10 * nuc.half_life_h:
        raise ParameterError(
            f"calibration and administration are {elapsed_h:.0f} h apart (over 10 half-lives)",
            field="calibration_time", hint="check the dates of both times",
        )  # fmt: skip
    at_cal = decay_correct(
        activity_mbq, measured_at=administration_time, to=calibration_time, nuclide_name=nuc.name
    )
    return DispensingOrder(
        nuc.name, float(activity_mbq), administration_time, calibration_time, at_cal,
        activity_mbq / at_cal,
    )  # fmt: skip


def net_administered_activity_mbq(
    before_mbq: float,
    *,
    measured_before: datetime,
    residual_mbq: float,
    measured_residual: datetime,
    administration_time: datetime,
    nuclide: str,
) -> float:
    """Net administered activity (MBq) at ``administration_time``: before minus residual.

    Examples
    --------
    >>> from datetime import datetime
    >>> t = datetime(2026, 3, 2, 10, 0)
    >>> round(net_administered_activity_mbq(7500.0, measured_before=t, residual_mbq=100.0,
    ...     measured_residual=t, administration_time=t, nuclide="Lu-177"), 1)
    7400.0

    Raises
    ------
    ParameterError
        When the residual exceeds the activity before administration.
    """
    _positive(before_mbq, "before_mbq")
    if not (math.isfinite(residual_mbq) and residual_mbq >= 0):
        raise ParameterError(f"residual must be >= 0, got {residual_mbq} MBq", field="residual_mbq")
    name = _nuclide(nuclide).name
    before = decay_correct(
        before_mbq, measured_at=measured_before, to=administration_time, nuclide_name=name
    )
    residual = decay_correct(
        residual_mbq, measured_at=measured_residual, to=administration_time, nuclide_name=name
    )
    if residual >= before:
        raise ParameterError(
            f"residual {residual:.1f} MBq is not below the activity before ({before:.1f} MBq)",
            field="residual_mbq", hint="check the units and times of both measurements",
        )  # fmt: skip
    return before - residual
