"""The absorbed-dose model of the virtual patients' truth: local non-penetrating energy.

Every region's absorbed dose is its self-dose with all non-penetrating energy (alpha
particles, recoil nuclei, beta, internal-conversion and Auger electrons) absorbed where it
is emitted and all photon energy escaping (MIRD schema, D = Ã x S with
S = Δ_np / m; Bolch et al., MIRD Pamphlet 21, J Nucl Med 2009;50:477). Energies per decay
are those of ICRP Publication 107 from :mod:`theratrial.nuclides`.

For 225Ac the chain is assumed to stay in situ (Fr-221, At-217, Bi-213, Po-213, Tl-209,
Pb-209 decay where their parent decayed), so that, integrated to infinity, each daughter
decays once per parent decay times its branching fraction and the chain's energy adds to
that of 225Ac. The alpha part (alpha + recoil) is weighted by an RBE (5 by convention,
Sgouros et al., MIRD Pamphlet 22, J Nucl Med 2010;51:311) for the RBE-weighted dose,
reported apart from the absorbed dose.

With Lu-177 electrons (0.14792 MeV) the dose factor is 85.32 mGy g MBq^-1 h^-1 (reference
sheet, section 1).

Examples
--------
>>> lu = dose_model("Lu-177")
>>> round(lu.mgy_g_per_mbq_h, 2)
85.32
>>> ac = dose_model("Ac-225")
>>> round(ac.alpha_mev, 2), round(ac.alpha_mev - ac.alpha_recoil_mev, 2)
(27.99, 27.48)
"""

from __future__ import annotations

from dataclasses import dataclass

from theratrial.errors import NuclideError, ParameterError
from theratrial.nuclides import (
    chain_decays_per_parent_decay,
    dose_rate_constant_mgy_g_per_mbq_h,
    nuclide,
)

__all__ = ["DoseModel", "dose_model"]


@dataclass(frozen=True, slots=True)
class DoseModel:
    """Energy deposited locally per decay of the administered nuclide (chain included).

    Attributes
    ----------
    nuclide_name
        The administered radionuclide (e.g. ``"Ac-225"``).
    alpha_mev
        Alpha + recoil energy per parent decay (MeV), chain in situ.
    alpha_recoil_mev
        The recoil part of ``alpha_mev`` (MeV).
    electron_mev
        Beta, IC and Auger electron energy per parent decay (MeV), chain in situ.
    rbe_alpha
        RBE applied to the alpha part for the RBE-weighted dose.
    chain
        ``(member, decays per parent decay)`` pairs used.
    """

    nuclide_name: str
    alpha_mev: float
    alpha_recoil_mev: float
    electron_mev: float
    rbe_alpha: float
    chain: tuple[tuple[str, float], ...]

    @property
    def non_penetrating_mev(self) -> float:
        """All locally absorbed energy per parent decay (MeV)."""
        return self.alpha_mev + self.electron_mev

    @property
    def mgy_g_per_mbq_h(self) -> float:
        """Absorbed-dose factor: mGy x g per MBq h of the parent."""
        return dose_rate_constant_mgy_g_per_mbq_h(self.non_penetrating_mev)

    @property
    def rbe_weighted_mgy_g_per_mbq_h(self) -> float:
        """RBE-weighted dose factor: mGy x g per MBq h (alpha part x ``rbe_alpha``)."""
        return dose_rate_constant_mgy_g_per_mbq_h(
            self.rbe_alpha * self.alpha_mev + self.electron_mev
        )

    def absorbed_dose_gy(self, tia_mbq_h: float, *, mass_g: float) -> float:
        """Self absorbed dose (Gy) of ``tia_mbq_h`` in a region of ``mass_g`` grams.

        Examples
        --------
        >>> round(dose_model("Lu-177").absorbed_dose_gy(1000.0, mass_g=300.0), 4)
        0.2844
        """
        return self.mgy_g_per_mbq_h * tia_mbq_h / _positive_mass(mass_g) / 1000.0

    def rbe_weighted_dose_gy(self, tia_mbq_h: float, *, mass_g: float) -> float:
        """RBE-weighted self dose (Gy, RBE = ``rbe_alpha`` for alphas)."""
        return self.rbe_weighted_mgy_g_per_mbq_h * tia_mbq_h / _positive_mass(mass_g) / 1000.0

    def describe(self) -> str:
        """One sentence naming the model, for the truth file."""
        return (
            "self-dose only; all non-penetrating energy (alpha, recoil, electrons; ICRP 107) "
            "absorbed locally, photons escape; daughters decay in situ; "
            f"RBE {self.rbe_alpha:g} on the alpha part for the RBE-weighted dose"
        )


def _positive_mass(mass_g: float) -> float:
    if not mass_g > 0:
        raise ParameterError(f"mass must be positive, got {mass_g} g", field="mass_g")
    return mass_g


def dose_model(nuclide_name: str, *, rbe_alpha: float = 5.0) -> DoseModel:
    """The local-deposition dose model of ``nuclide_name`` and its chain.

    Raises
    ------
    NuclideError
        When a chain member with a non-negligible yield (> 1e-6) has no ICRP 107 energies
        in :mod:`theratrial.nuclides`.

    Examples
    --------
    >>> round(dose_model("Lu-177").non_penetrating_mev, 5)
    0.14793
    """
    if not rbe_alpha > 0:
        raise ParameterError(f"RBE must be positive, got {rbe_alpha}", field="rbe_alpha")
    parent = nuclide(nuclide_name).name
    alpha = recoil = electron = 0.0
    used: list[tuple[str, float]] = []
    for member, weight in chain_decays_per_parent_decay(parent).items():
        energies = nuclide(member).energies
        if energies is None:
            if weight > 1e-6:
                raise NuclideError(
                    f"no ICRP 107 energies for {member}, a daughter of {parent}",
                    field="nuclide",
                    hint="virtual patients support Lu-177 and Ac-225 therapies",
                )
            continue
        used.append((member, weight))
        alpha += weight * energies.alpha_total_mev
        recoil += weight * energies.alpha_recoil_mev
        electron += weight * energies.electrons_mev
    return DoseModel(parent, alpha, recoil, electron, rbe_alpha, tuple(used))
