"""Physical plausibility of a recorded therapy cycle: activity, absorbed dose, date.

A recorded administration is refused, before anything is stored, when

- **activity**: it exceeds the protocol's prescribed activity (fixed GBq, or kBq/kg x body
  weight) by more than the dispensing tolerance
  (:data:`~theratrial.treatment.dispensing.DISPENSING_TOLERANCE`, 10 %):
  ``A > A_presc (1 + tol)``. Without a dose level the highest level of the protocol is
  taken, without a weight (kBq/kg rules) the heaviest plausible patient, 300 kg, the upper
  bound :func:`~theratrial.treatment.prescription.prescribe_activity` accepts;
- **absorbed dose** in a region exceeds what physics allows: every nucleus administered
  staying in that region forever (no biological clearance) and every MeV emitted by it and
  its progeny absorbed there,

  ``D_max = A0 tau E / m``, ``tau = T1/2 / ln 2`` (so ``A0 tau`` is the number of decays,
  MIRD Pamphlet 21, Bolch et al., J. Nucl. Med. 50 (2009) 477), ``E`` the mean energy
  emitted per parent decay by the whole chain (ICRP Publication 107: alpha, recoil,
  electrons, photons), ``m`` the region mass, or :data:`MIN_REGION_MASS_G` when the record
  gives none. No energy deposited anywhere can exceed the energy emitted, so this bounds
  self- and cross-dose alike (for 7.4 GBq of Lu-177 in 300 g of kidney: about 600 Gy);
- **date**: it is after today (the as-of date is a parameter, for tests and replays), or
  before the patient's first eligible screening for the trial.

Pure: the caller supplies the protocol, the record, today's date and the screening date.

Examples
--------
>>> from datetime import date
>>> from theratrial.protocol import find_protocol
>>> bordet = find_protocol("NCT01842165")
>>> limits = check_cycle_record(bordet, CycleRecord(1, 7400.0, date(2026, 3, 2)),
...                             today=date(2026, 12, 4))
>>> round(limits.max_activity_mbq)
8140
>>> check_cycle_record(bordet, CycleRecord(1, 1e12), today=date(2026, 12, 4))
Traceback (most recent call last):
...
theratrial.errors.InputError: field 'activity_mbq': administered activity 1e+12 MBq ...
>>> round(dose_ceiling_gy("Lu-177", 7400.0, mass_g=300.0))
599
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from theratrial.errors import InputError, NuclideError
from theratrial.nuclides import JOULE_PER_MEV, chain_decays_per_parent_decay, nuclide
from theratrial.protocol import Protocol
from theratrial.treatment.dispensing import DISPENSING_TOLERANCE
from theratrial.treatment.prescription import dose_level

__all__ = [
    "FALLBACK_ENERGY_MEV",
    "MAX_WEIGHT_KG",
    "MIN_REGION_MASS_G",
    "CycleLimits",
    "CycleRecord",
    "RegionDose",
    "activity_ceiling_mbq",
    "chain_energy_per_decay_mev",
    "check_cycle_doses",
    "check_cycle_record",
    "dose_ceiling_gy",
]

MIN_REGION_MASS_G = 1.0
"""Mass assumed for a region whose record gives none (g): a 1 mL lesion, about the
smallest volume a SPECT with ~12 mm resolution can delineate, so the ceiling stays generous."""

MAX_WEIGHT_KG = 300.0
"""Heaviest plausible patient (kg), used for a kBq/kg ceiling when no weight is recorded."""

FALLBACK_ENERGY_MEV = 50.0
"""Energy per parent decay (MeV) for a nuclide without emission data: above any alpha chain
(Ac-225 emits about 28 MeV per decay with its progeny), so the ceiling stays an upper bound."""

_DECAYS_PER_MBQ_H = 3.6e9
"""Decays in one MBq h (1e6 Bq x 3600 s)."""


@dataclass(frozen=True, slots=True)
class CycleRecord:
    """One administration as it is about to be recorded.

    Attributes
    ----------
    cycle_number
        1-based cycle number.
    activity_mbq
        Administered activity (MBq).
    administered_on
        Date of the administration (None when not given).
    weight_kg
        Body weight at this cycle (kg), for kBq/kg rules.
    level_id
        Dose level id (None: not given).
    """

    cycle_number: int
    activity_mbq: float
    administered_on: date | None = None
    weight_kg: float | None = None
    level_id: str | None = None


@dataclass(frozen=True, slots=True)
class RegionDose:
    """The absorbed dose of one region in one cycle (Gy), with its mass (g) when known."""

    region: str
    dose_gy: float
    mass_g: float | None = None


@dataclass(frozen=True, slots=True)
class CycleLimits:
    """The limits a record was checked against.

    Attributes
    ----------
    max_activity_mbq
        Largest plausible administered activity (MBq).
    activity_basis
        How it follows from the protocol, in words.
    latest_date
        Today: no administration is recorded after it.
    earliest_date
        The first eligible screening, when known.
    """

    max_activity_mbq: float
    activity_basis: str
    latest_date: date
    earliest_date: date | None


def _mbq(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def activity_ceiling_mbq(
    protocol: Protocol,
    *,
    level_id: str | None = None,
    weight_kg: float | None = None,
    tolerance: float = DISPENSING_TOLERANCE,
) -> tuple[float, str]:
    """The largest plausible administered activity (MBq) and its basis in words.

    ``prescribed x (1 + tolerance)``; the highest dose level when ``level_id`` is None, and
    :data:`MAX_WEIGHT_KG` for a kBq/kg level when ``weight_kg`` is None.

    Examples
    --------
    >>> from theratrial.protocol import find_protocol
    >>> ceiling, basis = activity_ceiling_mbq(find_protocol("NCT06732505"), weight_kg=70.0)
    >>> round(ceiling, 2), basis
    (9.24, 'dose level DL2: 120 kBq/kg x 70 kg = 8.4 MBq, + 10 % dispensing tolerance')
    """
    if not (math.isfinite(tolerance) and 0 <= tolerance < 1):
        raise InputError(f"tolerance must be in [0, 1), got {tolerance}", field="tolerance")
    if level_id is not None or protocol.dosing is None:
        levels = [dose_level(protocol, level_id)]
    else:
        levels = list(protocol.dosing.levels)
    best: tuple[float, str] = (0.0, "")
    for level in levels:
        if level.activity_gbq is not None:
            prescribed = level.activity_gbq * 1000.0
            basis = f"{level.activity_gbq:g} GBq"
        else:
            assert level.activity_kbq_per_kg is not None
            weight = weight_kg if weight_kg is not None else MAX_WEIGHT_KG
            prescribed = level.activity_kbq_per_kg * weight / 1000.0
            basis = (
                f"{level.activity_kbq_per_kg:g} kBq/kg x {weight:g} kg"
                f"{'' if weight_kg is not None else ' (no weight recorded)'} = {prescribed:g} MBq"
            )
        if prescribed > best[0]:
            best = (prescribed, f"dose level {level.id}: {basis}")
    ceiling = best[0] * (1.0 + tolerance)
    return ceiling, f"{best[1]}, + {tolerance * 100:g} % dispensing tolerance"


def chain_energy_per_decay_mev(nuclide_name: str) -> float:
    """Mean energy emitted per decay of ``nuclide_name`` by it and its progeny (MeV).

    Alpha, recoil, electrons and photons, each daughter weighted by its decays per parent
    decay (ICRP Publication 107); :data:`FALLBACK_ENERGY_MEV` without emission data.

    Examples
    --------
    >>> round(chain_energy_per_decay_mev("Lu-177"), 4)
    0.1831
    """
    total = 0.0
    try:
        for name, weight in chain_decays_per_parent_decay(nuclide_name).items():
            e = nuclide(name).energies
            if e is None:
                return FALLBACK_ENERGY_MEV
            total += weight * (e.alpha_total_mev + e.electrons_mev + e.photons_mev)
    except NuclideError:
        return FALLBACK_ENERGY_MEV
    return total


def dose_ceiling_gy(
    nuclide_name: str, activity_mbq: float, *, mass_g: float | None = None
) -> float:
    """Largest physically possible absorbed dose (Gy) of one cycle in a region of ``mass_g``.

    ``A0 tau E / m``: all the activity staying forever in the region, every emitted MeV
    absorbed there (see the module docstring).
    """
    nuc = nuclide(nuclide_name)
    mass = mass_g if mass_g is not None and mass_g > 0 else MIN_REGION_MASS_G
    decays = activity_mbq * nuc.half_life_h / math.log(2) * _DECAYS_PER_MBQ_H
    joules = decays * chain_energy_per_decay_mev(nuc.name) * JOULE_PER_MEV
    return joules / (mass / 1000.0)


def check_cycle_record(
    protocol: Protocol,
    record: CycleRecord,
    *,
    today: date,
    screening_date: date | None = None,
    tolerance: float = DISPENSING_TOLERANCE,
) -> CycleLimits:
    """Refuse an administration that cannot have happened under ``protocol``.

    Parameters
    ----------
    protocol
        The trial protocol (dosing).
    record
        The administration to record.
    today
        The as-of date: no administration after it.
    screening_date
        The patient's first eligible screening for the trial, when stored.
    tolerance
        Dispensing tolerance (fraction of the prescribed activity).

    Raises
    ------
    InputError
        ``field`` is ``activity_mbq`` or ``administered_on``; the message gives the limit.
    """
    activity = record.activity_mbq
    if not (math.isfinite(activity) and activity > 0):
        raise InputError(
            f"administered activity must be positive, got {activity} MBq", field="activity_mbq"
        )
    ceiling, basis = activity_ceiling_mbq(
        protocol, level_id=record.level_id, weight_kg=record.weight_kg, tolerance=tolerance
    )
    if activity > ceiling:
        raise InputError(
            f"administered activity {activity:g} MBq is above what {protocol.id} allows: "
            f"at most {_mbq(ceiling)} MBq ({basis})",
            field="activity_mbq",
            hint="give the activity in MBq as measured at administration (7.4 GBq = 7400 MBq)",
        )
    when = record.administered_on
    if when is not None and when > today:
        raise InputError(
            f"administration date {when.isoformat()} is after today ({today.isoformat()})",
            field="administered_on",
            hint="record a cycle once it has been given; check the year",
        )
    if when is not None and screening_date is not None and when < screening_date:
        raise InputError(
            f"administration date {when.isoformat()} is before the patient's eligible "
            f"screening for {protocol.id} on {screening_date.isoformat()}",
            field="administered_on",
            hint="a cycle follows the screening: check the date",
        )
    return CycleLimits(ceiling, basis, today, screening_date)


def check_cycle_doses(nuclide_name: str, activity_mbq: float, doses: Iterable[RegionDose]) -> None:
    """Refuse a per-region absorbed dose above the physical ceiling of the cycle.

    Raises
    ------
    InputError
        ``field='[i].dose_gy'`` (``i`` the region's index), with the ceiling and its basis.

    Examples
    --------
    >>> check_cycle_doses("Lu-177", 7400.0, [RegionDose("kidneys", 1e308, 300.0)])
    Traceback (most recent call last):
    ...
    theratrial.errors.InputError: field '[0].dose_gy': absorbed dose 1e+308 Gy in ...
    """
    for i, d in enumerate(doses):
        if not (math.isfinite(d.dose_gy) and d.dose_gy >= 0):
            raise InputError(
                f"absorbed dose must be a number >= 0, got {d.dose_gy}", field=f"[{i}].dose_gy"
            )
        ceiling = dose_ceiling_gy(nuclide_name, activity_mbq, mass_g=d.mass_g)
        if d.dose_gy > ceiling:
            mass = d.mass_g if d.mass_g is not None and d.mass_g > 0 else MIN_REGION_MASS_G
            raise InputError(
                f"absorbed dose {d.dose_gy:g} Gy in {d.region} is above the physical ceiling "
                f"of {ceiling:,.0f} Gy for {activity_mbq:g} MBq of {nuclide_name} (all of it "
                f"decaying in {mass:g} g, every emitted MeV absorbed)",
                field=f"[{i}].dose_gy",
                hint="check the unit (Gy, not mGy) and that the dosimetry is of this cycle",
            )
