"""Absorbed and RBE-weighted dose of alpha emitters with their decay chain (Ac-225).

Per decay of the parent, each chain member decays ``b`` times (the product of branching
fractions along its paths, :func:`theratrial.nuclides.chain_decays_per_parent_decay`) when
the daughters stay where they are born: the time integral of every daughter's activity
then equals the parent's time-integrated activity times ``b``, whatever the half-lives
(in-situ decay, the default assumption of MIRD Pamphlet No. 22, Sgouros et al., J. Nucl.
Med. 51 (2010) 311). A daughter may instead be released: a fraction ``f`` of its atoms
leaves the region before decaying, taking its own decays and those of its progeny with
it (e.g. Bi-213 set free from the chelator by the recoil of the At-217 alpha decay).

Energy deposited locally per parent decay: alpha particles plus electrons (ICRP 107);
photons (0.18 MeV per Ac-225 decay in the chain, mostly escaping small regions) are left
out. The recoiling daughter nucleus (0.5 MeV per chain) is left out by default, like the
alpha-energy figure of the reference sheet (27.48 MeV per Ac-225 decay) and MIRD 22, which
counts the alpha-particle energy; ``include_recoil=True`` adds it. The RBE-weighted dose
weights the alpha dose by ``rbe_alpha`` (5 by convention, MIRD 22) and electrons by 1;
absorbed dose (Gy) and RBE-weighted dose (Gy, RBE = 5) are reported apart.

Examples
--------
>>> dose = alpha_chain_dose(10.0, mass_g=300.0)   # 10 MBq h of Ac-225 in 300 g
>>> round(dose.absorbed_dose_gy, 3), round(dose.rbe_weighted_dose_gy, 3)
(0.542, 2.655)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from theratrial.errors import NuclideError, ParameterError
from theratrial.nuclides import EmissionEnergies, dose_rate_constant_mgy_g_per_mbq_h, nuclide

__all__ = ["AlphaDose", "ChainEnergy", "alpha_chain_dose", "chain_energy_per_decay"]


@dataclass(frozen=True, slots=True)
class ChainEnergy:
    """Energy emitted in a region per decay of the parent, by radiation type (MeV).

    Attributes
    ----------
    parent
        Parent nuclide.
    alpha_mev
        Alpha particle energy (plus recoil energy when ``recoil_included``).
    electron_mev
        Beta, conversion and Auger electron energy.
    photon_mev
        Gamma and X-ray energy (not deposited by the local model).
    recoil_included
        Whether the daughter-recoil energy is counted in ``alpha_mev``.
    decays
        ``(member, decays per parent decay in the region)`` pairs.
    released
        ``(daughter, fraction released)`` pairs that were applied.
    """

    parent: str
    alpha_mev: float
    electron_mev: float
    photon_mev: float
    recoil_included: bool
    decays: tuple[tuple[str, float], ...]
    released: tuple[tuple[str, float], ...]

    @property
    def deposited_mev(self) -> float:
        """Energy deposited locally per parent decay: alpha (+ recoil) and electrons."""
        return self.alpha_mev + self.electron_mev


def _energies(name: str, parent: str) -> EmissionEnergies:
    energies = nuclide(name).energies
    if energies is None:
        raise NuclideError(
            f"no emitted-energy data for {name} (chain of {parent})",
            field="nuclide",
            hint="theratrial tabulates ICRP 107 energies for Lu-177 and the Ac-225 chain",
        )
    return energies


def chain_energy_per_decay(
    parent: str,
    *,
    include_recoil: bool = False,
    released: Mapping[str, float] | None = None,
) -> ChainEnergy:
    """Energy per parent decay emitted in the region by the chain, daughters in situ.

    Parameters
    ----------
    parent
        Parent nuclide, e.g. ``"Ac-225"``.
    include_recoil
        Count the alpha-recoil energy with the alpha energy.
    released
        Fraction of each named daughter's atoms that leave the region before decaying.

    Examples
    --------
    >>> e = chain_energy_per_decay("Ac-225")
    >>> round(e.alpha_mev, 2), round(e.electron_mev, 3)
    (27.48, 0.689)
    >>> round(chain_energy_per_decay("Ac-225", released={"Bi-213": 0.5}).alpha_mev, 2)
    23.32
    """
    root = nuclide(parent).name
    fractions = {nuclide(k).name: float(v) for k, v in (released or {}).items()}
    for name, value in fractions.items():
        if not 0.0 <= value <= 1.0:
            raise ParameterError(
                f"released fraction of {name} must lie in [0, 1], got {value}", field="released"
            )
        if name == root:
            raise ParameterError("the parent itself cannot be released", field="released")
    counts: dict[str, float] = {}

    def walk(name: str, weight: float) -> None:
        counts[name] = counts.get(name, 0.0) + weight
        for daughter, branch in nuclide(name).daughters:
            if not nuclide(daughter).is_stable:
                walk(daughter, weight * branch * (1.0 - fractions.get(daughter, 0.0)))

    walk(root, 1.0)
    unknown = set(fractions) - set(counts)
    if unknown:
        raise ParameterError(
            f"{', '.join(sorted(unknown))} is not in the decay chain of {root}",
            field="released",
            hint=f"chain members: {', '.join(counts)}",
        )

    def total(pick: Callable[[EmissionEnergies], float]) -> float:
        return sum(w * pick(_energies(n, root)) for n, w in counts.items())

    alpha = total(lambda e: e.alpha_mev + (e.alpha_recoil_mev if include_recoil else 0.0))
    return ChainEnergy(
        parent=root,
        alpha_mev=alpha,
        electron_mev=total(lambda e: e.electrons_mev),
        photon_mev=total(lambda e: e.photons_mev),
        recoil_included=include_recoil,
        decays=tuple(counts.items()),
        released=tuple(sorted(fractions.items())),
    )


@dataclass(frozen=True, slots=True)
class AlphaDose:
    """Absorbed and RBE-weighted dose of an alpha emitter's chain in one region.

    Attributes
    ----------
    nuclide, tia_mbq_h, mass_g
        Parent nuclide, its time-integrated activity (MBq h) and the region mass (g).
    alpha_dose_gy, electron_dose_gy
        Absorbed dose from alpha particles and from electrons (Gy).
    absorbed_dose_gy
        Their sum (Gy).
    rbe_alpha
        RBE applied to the alpha dose.
    rbe_weighted_dose_gy
        ``rbe_alpha x alpha dose + electron dose`` (Gy, RBE-weighted).
    energy
        The chain energies used.
    assumption
        The redistribution assumption, in words.
    """

    nuclide: str
    tia_mbq_h: float
    mass_g: float
    alpha_dose_gy: float
    electron_dose_gy: float
    absorbed_dose_gy: float
    rbe_alpha: float
    rbe_weighted_dose_gy: float
    energy: ChainEnergy
    assumption: str


def alpha_chain_dose(
    tia_mbq_h: float,
    *,
    mass_g: float,
    nuclide: str = "Ac-225",
    rbe_alpha: float = 5.0,
    include_recoil: bool = False,
    released: Mapping[str, float] | None = None,
) -> AlphaDose:
    """Self-dose of a region from its parent time-integrated activity, chain included.

    Raises
    ------
    ParameterError
        For a negative Ã, a non-positive mass or RBE.

    Examples
    --------
    >>> d = alpha_chain_dose(1000.0, mass_g=300.0, released={"Bi-213": 0.3})
    >>> d.assumption
    'daughters decay in situ except Bi-213 30 % released'
    """
    if not tia_mbq_h >= 0:
        raise ParameterError(f"Ã must be >= 0, got {tia_mbq_h} MBq h", field="tia_mbq_h")
    if not mass_g > 0:
        raise ParameterError(f"mass must be positive, got {mass_g} g", field="mass_g")
    if not rbe_alpha > 0:
        raise ParameterError(f"RBE must be positive, got {rbe_alpha}", field="rbe_alpha")
    energy = chain_energy_per_decay(nuclide, include_recoil=include_recoil, released=released)
    per_mev_gy = dose_rate_constant_mgy_g_per_mbq_h(1.0) * tia_mbq_h / mass_g / 1000.0
    alpha_gy = energy.alpha_mev * per_mev_gy
    electron_gy = energy.electron_mev * per_mev_gy
    moved = [f"{n} {100 * f:.0f} % released" for n, f in energy.released if f > 0]
    assumption = "daughters decay in situ" + (" except " + ", ".join(moved) if moved else "")
    return AlphaDose(
        nuclide=energy.parent,
        tia_mbq_h=float(tia_mbq_h),
        mass_g=float(mass_g),
        alpha_dose_gy=alpha_gy,
        electron_dose_gy=electron_gy,
        absorbed_dose_gy=alpha_gy + electron_gy,
        rbe_alpha=float(rbe_alpha),
        rbe_weighted_dose_gy=rbe_alpha * alpha_gy + electron_gy,
        energy=energy,
        assumption=assumption,
    )
