"""Self-dose S-values for organs and lesions, scaled to the patient's organ mass.

Organs: Lu-177 self S-values of the ICRP Publication 110 adult reference phantoms computed
by the OpenDose collaboration (Chauvin et al., J. Nucl. Med. 61 (2020) 1514), as given in
the reference sheet (section 2). For a patient they are scaled by phantom mass / patient
mass (MIRD Pamphlet No. 11; Stabin, J. Nucl. Med. 37 (1996) 538), which is exact for the
locally absorbed electrons that give > 95 % of the Lu-177 self-dose.

Everything else (lesions, organs without a tabulated value) uses the unit-density sphere
model of :mod:`theratrial.dosimetry.sphere` at the region's mass. Non-Lu-177 nuclides
(Ac-225 and its chain) use local absorption of the non-penetrating energy
(:mod:`theratrial.dosimetry.alpha`).

Examples
--------
>>> s = organ_s_value("kidneys", mass_g=309.99)
>>> round(s.s_value_mgy_per_mbq_h, 4), s.method
(0.2774, 'organ')
>>> round(organ_s_value("spleen", mass_g=150.0).s_value_mgy_per_mbq_s, 9)
0.000159638
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from theratrial.dosimetry.sphere import sphere_s_value_mgy_per_mbq_h
from theratrial.errors import NuclideError, ParameterError
from theratrial.nuclides import dose_rate_constant_mgy_g_per_mbq_h, nuclide

__all__ = [
    "OPENDOSE_LU177",
    "OrganSValue",
    "Phantom",
    "SValue",
    "canonical_organ",
    "organ_s_value",
    "region_s_value",
]

Phantom = Literal["adult_male", "adult_female"]


@dataclass(frozen=True, slots=True)
class OrganSValue:
    """A tabulated self S-value of a reference phantom organ.

    Attributes
    ----------
    organ, phantom
        Organ key and phantom (``adult_male`` / ``adult_female``).
    s_value_mgy_per_mbq_s
        Self-dose S-value of the phantom organ (mGy per MBq s).
    mass_g
        The phantom organ's mass (g).
    """

    organ: str
    phantom: Phantom
    s_value_mgy_per_mbq_s: float
    mass_g: float


OPENDOSE_LU177: dict[tuple[str, Phantom], OrganSValue] = {
    (o.organ, o.phantom): o
    for o in (
        OrganSValue("kidneys", "adult_male", 7.706e-5, 309.99),
        OrganSValue("liver", "adult_male", 1.3713e-5, 1799.78),
        OrganSValue("spleen", "adult_male", 1.5967e-4, 149.97),
        OrganSValue("kidneys", "adult_female", 8.6906e-5, 275.01),
        OrganSValue("liver", "adult_female", 1.7533e-5, 1400.0),
        OrganSValue("spleen", "adult_female", 1.8361e-4, 130.0),
    )
}
"""OpenDose Lu-177 self S-values (ICRP 110 phantoms), reference sheet section 2."""

_ORGAN_PATTERNS = (
    ("kidneys", re.compile(r"^(left|right)?[ _-]?kidneys?([ _-]?(left|right|l|r))?$")),
    ("liver", re.compile(r"^liver$")),
    ("spleen", re.compile(r"^spleen$")),
)


def canonical_organ(region: str) -> str | None:
    """The tabulated organ a region name refers to, or None.

    ``kidney_left``, ``Right Kidney`` and ``kidneys`` all map to ``kidneys`` (the scaling
    by mass makes the S-value of one kidney follow from that of both).

    Examples
    --------
    >>> canonical_organ("kidney_left"), canonical_organ("Liver"), canonical_organ("lesion_01")
    ('kidneys', 'liver', None)
    """
    text = region.strip().lower()
    for organ, pattern in _ORGAN_PATTERNS:
        if pattern.match(text):
            return organ
    return None


@dataclass(frozen=True, slots=True)
class SValue:
    """The self-dose S-value used for one region.

    Attributes
    ----------
    region
        The region name as given.
    s_value_mgy_per_mbq_h
        S-value (mGy per MBq h).
    mass_g
        The patient mass the value applies to (g).
    method
        ``"organ"`` (phantom value scaled by mass), ``"sphere"`` (sphere model) or
        ``"local"`` (all non-penetrating energy absorbed).
    source
        Citation-ready description of where the value comes from.
    """

    region: str
    s_value_mgy_per_mbq_h: float
    mass_g: float
    method: str
    source: str

    @property
    def s_value_mgy_per_mbq_s(self) -> float:
        """The same S-value per MBq s."""
        return self.s_value_mgy_per_mbq_h / 3600.0


def _check_mass(mass_g: float, region: str) -> None:
    if not mass_g > 0:
        raise ParameterError(
            f"mass of region {region!r} must be positive, got {mass_g} g",
            field="mass_g",
            hint="give the organ or lesion mass in grams (volume x density)",
        )


def organ_s_value(
    organ: str, *, mass_g: float | None = None, phantom: Phantom = "adult_male"
) -> SValue:
    """OpenDose Lu-177 self S-value of an organ, scaled to ``mass_g``.

    ``S_patient = S_phantom x m_phantom / m_patient``; without ``mass_g`` the phantom value.

    Raises
    ------
    ParameterError
        For an organ without a tabulated value or a non-positive mass.
    """
    key = canonical_organ(organ)
    if key is None or (key, phantom) not in OPENDOSE_LU177:
        known = sorted({k for k, _ in OPENDOSE_LU177})
        raise ParameterError(
            f"no tabulated Lu-177 S-value for organ {organ!r} ({phantom})",
            field="organ",
            hint=f"tabulated organs: {', '.join(known)}; use region_s_value for the sphere model",
        )
    entry = OPENDOSE_LU177[(key, phantom)]
    mass = entry.mass_g if mass_g is None else float(mass_g)
    _check_mass(mass, organ)
    s_h = entry.s_value_mgy_per_mbq_s * 3600.0 * entry.mass_g / mass
    source = (
        f"OpenDose ICRP 110 {phantom.replace('_', ' ')} {key} self S-value "
        f"({entry.mass_g} g) scaled to {mass:.4g} g"
    )
    return SValue(organ, s_h, mass, "organ", source)


def region_s_value(
    region: str,
    *,
    mass_g: float,
    nuclide_name: str = "Lu-177",
    phantom: Phantom = "adult_male",
    density_g_per_ml: float = 1.0,
    method: str = "auto",
) -> SValue:
    """The self S-value for any region: organ table, else sphere model, else local absorption.

    ``method="local"`` forces local absorption of the non-penetrating energy (electrons,
    alphas; no photons, no electron escape), the model of local-deposition voxel dosimetry.

    For Lu-177: the OpenDose value scaled by mass for kidneys, liver and spleen, the sphere
    model at ``mass_g`` for every other region. For Ac-225 (and any nuclide with ICRP 107
    energies but no point kernel): local absorption of the non-penetrating energy of the
    nuclide alone; use :func:`theratrial.dosimetry.alpha.alpha_chain_dose` for the chain.

    Examples
    --------
    >>> s = region_s_value("lesion_liver_01", mass_g=34.5)
    >>> s.method, round(s.s_value_mgy_per_mbq_h, 3)
    ('sphere', 2.48)
    """
    _check_mass(mass_g, region)
    if method not in ("auto", "local"):
        raise ParameterError(
            f"unknown S-value method {method!r}", field="method", hint="auto | local"
        )
    nuc = nuclide(nuclide_name)
    if nuc.name == "Lu-177" and method == "auto":
        if canonical_organ(region) is not None:
            return organ_s_value(region, mass_g=mass_g, phantom=phantom)
        s_h = float(
            sphere_s_value_mgy_per_mbq_h(
                mass_g, nuclide=nuc.name, density_g_per_ml=density_g_per_ml
            )
        )
        source = f"sphere model (Loevinger beta + GP-buildup photon kernels), {mass_g:.4g} g"
        return SValue(region, s_h, float(mass_g), "sphere", source)
    if nuc.energies is None:
        raise NuclideError(
            f"no emitted-energy data for {nuc.name}",
            field="nuclide",
            hint="theratrial tabulates energies for Lu-177 and the Ac-225 chain",
        )
    energy = nuc.energies.non_penetrating_mev
    s_h = dose_rate_constant_mgy_g_per_mbq_h(energy) / mass_g
    source = f"local absorption of {energy:.4g} MeV non-penetrating energy per {nuc.name} decay"
    return SValue(region, s_h, float(mass_g), "local", source)
