"""Radionuclide facts: half-lives, decay chains with branching, emitted energies, decay.

Half-lives, daughters and branching fractions come from :mod:`radioactivedecay`
(its default ICRP Publication 107 / AME2020 / NUBASE2020 data set). Mean energies emitted
per decay, by radiation type, for the therapy nuclides and the daughters of Ac-225 are
those of ICRP Publication 107 (ICRP 2008, Ann. ICRP 38(3)), as tabulated in the project's
reference sheet (section 1).

Times are in hours, activities in MBq, energies in MeV per decay unless a name says
otherwise.

Examples
--------
>>> lu = nuclide("177Lu")
>>> lu.name, round(lu.half_life_h / 24, 3)
('Lu-177', 6.647)
>>> round(decay_factor(lu.half_life_h, elapsed_h=lu.half_life_h), 6)
0.5
>>> round(chain_alpha_energy_mev("Ac-225"), 2)
27.48
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache

import numpy as np
from numpy.typing import ArrayLike, NDArray

from theratrial.errors import NuclideError, ParameterError

__all__ = [
    "JOULE_PER_MEV",
    "EmissionEnergies",
    "Nuclide",
    "chain_activities",
    "chain_alpha_energy_mev",
    "chain_decays_per_parent_decay",
    "decay_activity",
    "decay_correct",
    "decay_factor",
    "dose_rate_constant_mgy_g_per_mbq_h",
    "normalise_name",
    "nuclide",
]

JOULE_PER_MEV = 1.602176634e-13
"""Joules per MeV (CODATA 2018, exact)."""


@dataclass(frozen=True, slots=True)
class EmissionEnergies:
    """Mean energy emitted per nuclear transformation, by radiation type, in MeV.

    Source: ICRP Publication 107 (2008), as tabulated in the reference sheet section 1.
    ``beta_mev`` is the mean beta-minus energy times its yield.
    """

    alpha_mev: float
    alpha_recoil_mev: float
    beta_mev: float
    ic_electron_mev: float
    auger_mev: float
    gamma_mev: float
    xray_mev: float

    @property
    def electrons_mev(self) -> float:
        """Beta, internal-conversion and Auger electrons together (MeV per decay)."""
        return self.beta_mev + self.ic_electron_mev + self.auger_mev

    @property
    def photons_mev(self) -> float:
        """Gamma and X-rays together (MeV per decay)."""
        return self.gamma_mev + self.xray_mev

    @property
    def alpha_total_mev(self) -> float:
        """Alpha particles and the recoiling daughter nucleus (MeV per decay)."""
        return self.alpha_mev + self.alpha_recoil_mev

    @property
    def non_penetrating_mev(self) -> float:
        """Energy deposited locally in soft tissue: alpha, recoil and electrons (MeV)."""
        return self.alpha_total_mev + self.electrons_mev


# ICRP 107 mean energies per decay (MeV): alpha, recoil, beta-, IC, Auger, gamma, X-ray.
_ENERGIES: dict[str, EmissionEnergies] = {
    "Lu-177": EmissionEnergies(0.0, 0.0, 0.1333, 0.0135, 0.00113, 0.0316, 0.00354),
    "Ac-225": EmissionEnergies(5.7872, 0.1048, 0.0, 0.0198, 0.00497, 0.0104, 0.00665),
    "Fr-221": EmissionEnergies(6.3036, 0.1163, 0.0, 0.0083, 0.00058, 0.0266, 0.00283),
    "At-217": EmissionEnergies(7.0680, 0.1328, 0.0, 0.0001, 0.0, 0.0002, 0.00003),
    "Bi-213": EmissionEnergies(0.1222, 0.0023, 0.4248, 0.0187, 0.00054, 0.1241, 0.00360),
    "Po-213": EmissionEnergies(8.3765, 0.1604, 0.0, 0.0, 0.0, 0.0, 0.0),
    "Tl-209": EmissionEnergies(0.0, 0.0, 0.6554, 0.0293, 0.00283, 2.1248, 0.01779),
    "Pb-209": EmissionEnergies(0.0, 0.0, 0.1974, 0.0, 0.0, 0.0, 0.0),
}

_NAME_PATTERNS = (
    re.compile(r"^(?P<el>[A-Za-z]{1,2})[-_ ]?(?P<mass>\d{1,3})(?P<meta>m\d?)?$"),
    re.compile(r"^(?P<mass>\d{1,3})(?P<meta>m\d?)?[-_ ]?(?P<el>[A-Za-z]{1,2})$"),
)


def normalise_name(name: str) -> str:
    """Return the canonical ``Element-Mass`` spelling of a nuclide name.

    Accepts ``Lu-177``, ``lu177``, ``177Lu``, ``177-Lu``, ``Tc-99m`` and ``99mTc``.

    Examples
    --------
    >>> normalise_name("177lu"), normalise_name("GA68"), normalise_name("99mTc")
    ('Lu-177', 'Ga-68', 'Tc-99m')
    """
    text = name.strip()
    for pattern in _NAME_PATTERNS:
        match = pattern.match(text)
        if match:
            element = match["el"].capitalize()
            meta = match["meta"] or ""
            return f"{element}-{int(match['mass'])}{meta}"
    raise NuclideError(
        f"cannot read nuclide name {name!r}",
        field="nuclide",
        hint="write it as Element-Mass, e.g. Lu-177, Ga-68 or Ac-225",
    )


@dataclass(frozen=True, slots=True)
class Nuclide:
    """One radionuclide.

    Attributes
    ----------
    name
        Canonical name, e.g. ``"Lu-177"``.
    half_life_h
        Physical half-life in hours.
    daughters
        ``(daughter, branching fraction)`` pairs of the direct decay.
    decay_modes
        Decay mode of each daughter branch, in the same order.
    energies
        Mean emitted energies per decay (ICRP 107), where theratrial tabulates them.
    """

    name: str
    half_life_h: float
    daughters: tuple[tuple[str, float], ...]
    decay_modes: tuple[str, ...]
    energies: EmissionEnergies | None

    @property
    def decay_constant_per_h(self) -> float:
        """Physical decay constant lambda = ln 2 / T1/2, per hour."""
        return math.log(2.0) / self.half_life_h if math.isfinite(self.half_life_h) else 0.0

    @property
    def is_stable(self) -> bool:
        """True for a stable nuclide (infinite half-life)."""
        return not math.isfinite(self.half_life_h)


@cache
def nuclide(name: str) -> Nuclide:
    """Look up a radionuclide by name.

    Raises
    ------
    NuclideError
        When the name cannot be read or radioactivedecay has no such nuclide.

    Examples
    --------
    >>> ga = nuclide("Ga-68")
    >>> round(ga.half_life_h * 60, 2)
    67.71
    >>> nuclide("Bi-213").daughters
    (('Po-213', 0.9791), ('Tl-209', 0.0209))
    """
    canonical = normalise_name(name)
    try:
        import radioactivedecay as rd  # heavy (about 1 s): loaded on first use

        data = rd.Nuclide(canonical)
    except ValueError as exc:
        raise NuclideError(
            f"no decay data for {canonical!r}",
            field="nuclide",
            hint="check the spelling; theratrial uses the ICRP 107 nuclide list",
        ) from exc
    resolved = normalise_name(str(data.nuclide))
    half_life_h = float(data.half_life("h"))
    daughters = tuple(
        (normalise_name(str(d)), float(f))
        for d, f in zip(data.progeny(), data.branching_fractions(), strict=True)
    )
    modes = tuple(str(m) for m in data.decay_modes())
    return Nuclide(resolved, half_life_h, daughters, modes, _ENERGIES.get(resolved))


def decay_factor(half_life_h: float, *, elapsed_h: ArrayLike) -> NDArray[np.float64] | float:
    """Fraction of activity left after ``elapsed_h`` hours: exp(-ln 2 t / T1/2).

    A negative elapsed time gives a factor above 1 (decay back in time).

    Examples
    --------
    >>> round(decay_factor(6.0, elapsed_h=12.0), 4)
    0.25
    """
    if not half_life_h > 0:
        raise ParameterError(
            f"half-life must be positive, got {half_life_h} h", field="half_life_h"
        )
    t = np.asarray(elapsed_h, dtype=np.float64)
    result = np.exp(-math.log(2.0) * t / half_life_h)
    return float(result) if result.ndim == 0 else result


def decay_activity(
    activity_mbq: ArrayLike, *, elapsed_h: ArrayLike, nuclide_name: str
) -> NDArray[np.float64] | float:
    """Activity (MBq) of ``nuclide_name`` after ``elapsed_h`` hours of physical decay.

    Examples
    --------
    >>> round(decay_activity(7400.0, elapsed_h=24.0, nuclide_name="Lu-177"), 1)
    6667.2
    """
    factor = decay_factor(nuclide(nuclide_name).half_life_h, elapsed_h=elapsed_h)
    result = np.asarray(activity_mbq, dtype=np.float64) * factor
    return float(result) if np.ndim(result) == 0 else result


def decay_correct(
    activity_mbq: float, *, measured_at: datetime, to: datetime, nuclide_name: str
) -> float:
    """Decay-correct an activity measured at ``measured_at`` to the time ``to`` (MBq).

    ``to`` may be before ``measured_at`` (back-correction to a calibration time).

    Examples
    --------
    >>> from datetime import datetime, timedelta
    >>> t0 = datetime(2026, 1, 5, 9, 0)
    >>> round(decay_correct(100.0, measured_at=t0, to=t0 + timedelta(minutes=67.71),
    ...                     nuclide_name="Ga-68"), 3)
    50.0
    """
    elapsed_h = (to - measured_at).total_seconds() / 3600.0
    return float(decay_activity(activity_mbq, elapsed_h=elapsed_h, nuclide_name=nuclide_name))


def chain_activities(
    parent: str, activity_mbq: float, times_h: Iterable[float]
) -> dict[str, NDArray[np.float64]]:
    """Activities (MBq) of a parent and all its radioactive progeny over time.

    The parent starts pure (no daughters at t = 0). Bateman solution with branching,
    computed by :mod:`radioactivedecay`. Stable end products are left out.

    Examples
    --------
    >>> acts = chain_activities("Ac-225", 1.0, [0.0, 240.0])
    >>> [round(float(a), 3) for a in acts["Ac-225"]]
    [1.0, 0.5]
    >>> round(float(acts["Bi-213"][1]), 3)
    0.502
    """
    times = np.asarray(list(times_h), dtype=np.float64)
    if np.any(times < 0):
        raise ParameterError("times must not be negative", field="times_h")
    root = nuclide(parent)
    import radioactivedecay as rd

    inventory = rd.Inventory({root.name: activity_mbq}, "Bq")
    names = [root.name, *_radioactive_progeny(root.name)]
    result = {n: np.zeros(times.shape) for n in names}
    for i, t in enumerate(times):
        acts = (
            inventory.decay(float(t), "h").activities("Bq") if t > 0 else {root.name: activity_mbq}
        )
        for key, value in acts.items():
            name = normalise_name(str(key))
            if name in result:
                result[name][i] = float(value)
    return result


def _radioactive_progeny(parent: str) -> list[str]:
    seen: list[str] = []
    stack = [parent]
    while stack:
        for daughter, _ in nuclide(stack.pop()).daughters:
            if daughter not in seen and not nuclide(daughter).is_stable:
                seen.append(daughter)
                stack.append(daughter)
    return seen


def chain_decays_per_parent_decay(parent: str) -> dict[str, float]:
    """Decays of each chain member per decay of the parent at secular equilibrium.

    The parent itself counts 1; a daughter counts the product of branching fractions
    along every path that reaches it (e.g. Tl-209 from Ac-225: 0.99988 x 0.0209).

    Examples
    --------
    >>> counts = chain_decays_per_parent_decay("Ac-225")
    >>> round(counts["Po-213"], 4), round(counts["Tl-209"], 4)
    (0.979, 0.0209)
    """
    counts: dict[str, float] = {}

    def walk(name: str, weight: float) -> None:
        counts[name] = counts.get(name, 0.0) + weight
        for daughter, fraction in nuclide(name).daughters:
            if not nuclide(daughter).is_stable:
                walk(daughter, weight * fraction)

    walk(nuclide(parent).name, 1.0)
    return counts


def chain_alpha_energy_mev(parent: str) -> float:
    """Alpha energy (MeV) emitted by the whole chain per parent decay at equilibrium.

    Reference check: 27.48 MeV for Ac-225 (reference sheet, section 1).
    """
    return _chain_energy(parent, lambda e: e.alpha_mev)


def _chain_energy(parent: str, pick: Callable[[EmissionEnergies], float]) -> float:
    total = 0.0
    for name, weight in chain_decays_per_parent_decay(parent).items():
        energies = nuclide(name).energies
        if energies is None:
            raise NuclideError(
                f"no emitted-energy data for {name} (daughter of {parent})",
                field="nuclide",
                hint="theratrial tabulates energies for Lu-177 and the Ac-225 chain",
            )
        total += weight * pick(energies)
    return total


def dose_rate_constant_mgy_g_per_mbq_h(energy_mev: float) -> float:
    """Absorbed dose rate x mass for energy fully absorbed: mGy g MBq^-1 h^-1.

    ``energy_mev`` is the energy deposited per decay. With the Lu-177 electrons
    (0.14792 MeV) this gives 85.32 (reference sheet, section 1).

    Examples
    --------
    >>> round(dose_rate_constant_mgy_g_per_mbq_h(0.14792), 2)
    85.32
    """
    joule_per_mbq_h = energy_mev * JOULE_PER_MEV * 1e6 * 3600.0
    return joule_per_mbq_h / 1e-3 * 1e3  # J per g -> Gy (per kg) -> mGy
