"""Activity prescription from a trial protocol's dosing rule.

A dose level is either a fixed activity (GBq per cycle, e.g. 7.4 GBq of [177Lu]Lu-DOTATATE,
NCT01842165) or an activity per body weight (kBq/kg, e.g. 90 or 120 kBq/kg of
[225Ac]Ac-DOTATATE, NCT06732505), read from :class:`theratrial.protocol.Dosing`.

Examples
--------
>>> from theratrial.protocol import find_protocol
>>> p = prescribe_activity(find_protocol("NCT06732505"), weight_kg=72.0)
>>> p.dose_level, round(p.activity_mbq, 3), p.basis
('DL1', 6.48, '90 kBq/kg x 72 kg')
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from theratrial.errors import ParameterError, ProtocolError
from theratrial.nuclides import normalise_name
from theratrial.protocol import DoseLevel, Protocol

__all__ = ["Prescription", "dose_level", "prescribe_activity"]


@dataclass(frozen=True, slots=True)
class Prescription:
    """The activity to administer in one cycle.

    Attributes
    ----------
    protocol_id, dose_level
        Which protocol and dose level.
    nuclide
        Therapy nuclide (canonical name).
    rule
        ``"fixed"`` or ``"per_weight"``.
    activity_mbq
        Prescribed activity at administration (MBq).
    weight_kg
        Body weight used (per-weight rules).
    basis
        How the activity follows from the protocol, in words.
    """

    protocol_id: str
    dose_level: str
    nuclide: str
    rule: str
    activity_mbq: float
    weight_kg: float | None
    basis: str

    @property
    def activity_gbq(self) -> float:
        """Prescribed activity in GBq."""
        return self.activity_mbq / 1000.0


def dose_level(protocol: Protocol, level_id: str | None = None) -> DoseLevel:
    """The protocol's dose level ``level_id``, or its start level (or only level).

    Raises
    ------
    ProtocolError
        When the protocol has no dosing, or no level can be chosen.
    ParameterError
        When ``level_id`` is not one of the protocol's levels.
    """
    if protocol.dosing is None:
        raise ProtocolError(
            f"protocol {protocol.id} has no dosing rule", field="dosing",
            hint="a therapy protocol needs a 'dosing' section",
        )  # fmt: skip
    levels = {lv.id: lv for lv in protocol.dosing.levels}
    if level_id is None:
        level_id = protocol.dosing.start_level
        if level_id is None:
            if len(levels) != 1:
                raise ParameterError(
                    f"protocol {protocol.id} has {len(levels)} dose levels and no start level",
                    field="dose_level", hint=f"choose one of {', '.join(levels)}",
                )  # fmt: skip
            level_id = next(iter(levels))
    if level_id not in levels:
        raise ParameterError(
            f"dose level {level_id!r} is not in protocol {protocol.id}",
            field="dose_level", hint=f"choose one of {', '.join(levels)}",
        )  # fmt: skip
    return levels[level_id]


def prescribe_activity(
    protocol: Protocol, *, level_id: str | None = None, weight_kg: float | None = None
) -> Prescription:
    """Prescribed activity per cycle for a patient under ``protocol``.

    Parameters
    ----------
    protocol
        The trial protocol.
    level_id
        Dose level; default the protocol's start level (or its only level).
    weight_kg
        Body weight (kg), required for per-weight dosing.

    Raises
    ------
    ParameterError
        Missing or implausible weight for a per-weight rule, unknown level.

    Examples
    --------
    >>> from theratrial.protocol import find_protocol
    >>> prescribe_activity(find_protocol("NCT01842165")).activity_mbq
    7400.0
    """
    level = dose_level(protocol, level_id)
    nuclide = protocol.therapy_nuclide()
    if nuclide is None:
        raise ProtocolError(f"protocol {protocol.id} has no therapy radiopharmaceutical")
    name = normalise_name(nuclide)
    if level.activity_gbq is not None:
        return Prescription(
            protocol.id, level.id, name, "fixed", level.activity_gbq * 1000.0, weight_kg,
            f"{level.activity_gbq:g} GBq fixed",
        )  # fmt: skip
    assert level.activity_kbq_per_kg is not None
    if weight_kg is None or not math.isfinite(weight_kg) or not 20.0 <= weight_kg <= 300.0:
        raise ParameterError(
            f"dose level {level.id} is {level.activity_kbq_per_kg:g} kBq/kg: a body weight "
            f"between 20 and 300 kg is needed, got {weight_kg}",
            field="weight_kg", hint="give the patient's weight in kg measured before the cycle",
        )  # fmt: skip
    activity = level.activity_kbq_per_kg * weight_kg / 1000.0
    return Prescription(
        protocol.id, level.id, name, "per_weight", activity, float(weight_kg),
        f"{level.activity_kbq_per_kg:g} kBq/kg x {weight_kg:g} kg",
    )  # fmt: skip
