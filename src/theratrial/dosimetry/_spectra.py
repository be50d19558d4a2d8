"""Emission spectra used by the point kernels: beta branches and photon lines.

Only the shape of each group matters here: the energy of every group (beta, discrete
electrons, gamma, X-ray) is rescaled to the ICRP Publication 107 mean energy per decay held
in :mod:`theratrial.nuclides`, so the kernels deposit exactly the reference energy.

Lu-177 beta branches (end-point energy, intensity per decay, mean energy) and photon
lines are the principal ones of the ENSDF evaluation for A = 177 (Kondev, Nucl. Data
Sheets 98 (2003) 801), as listed in ICRP Publication 107 (2008).
"""

from __future__ import annotations

from dataclasses import dataclass

from theratrial.errors import NuclideError
from theratrial.nuclides import EmissionEnergies, nuclide

__all__ = ["BetaBranch", "EmissionSpectrum", "PhotonLine", "emission_spectrum"]


@dataclass(frozen=True, slots=True)
class BetaBranch:
    """One beta-minus branch: end-point energy (MeV), intensity per decay, mean energy (MeV)."""

    endpoint_mev: float
    intensity: float
    mean_mev: float


@dataclass(frozen=True, slots=True)
class PhotonLine:
    """One photon line: energy (MeV) and intensity per decay."""

    energy_mev: float
    intensity: float


@dataclass(frozen=True, slots=True)
class EmissionSpectrum:
    """Spectrum of one nuclide, with group energies matching ICRP 107.

    Attributes
    ----------
    nuclide
        Canonical nuclide name.
    beta_branches
        Beta-minus branches (shape of the continuous electron spectrum).
    gamma_lines, xray_lines
        Discrete photon lines (shape of each photon group).
    energies
        ICRP 107 mean energies per decay, the totals each group is scaled to.
    """

    nuclide: str
    beta_branches: tuple[BetaBranch, ...]
    gamma_lines: tuple[PhotonLine, ...]
    xray_lines: tuple[PhotonLine, ...]
    energies: EmissionEnergies

    def beta_energy_by_branch_mev(self) -> tuple[float, ...]:
        """Mean beta energy per decay carried by each branch (MeV), summing to ICRP 107."""
        raw = [b.intensity * b.mean_mev for b in self.beta_branches]
        total = sum(raw)
        return tuple(self.energies.beta_mev * r / total for r in raw)

    def photon_energy_by_line_mev(self) -> tuple[tuple[float, float], ...]:
        """``(line energy, energy per decay)`` pairs (MeV) for gamma and X-ray lines.

        Each group is scaled to its ICRP 107 total (gamma, X-ray).
        """
        out: list[tuple[float, float]] = []
        for lines, total in (
            (self.gamma_lines, self.energies.gamma_mev),
            (self.xray_lines, self.energies.xray_mev),
        ):
            raw = [ln.energy_mev * ln.intensity for ln in lines]
            norm = sum(raw)
            out.extend((ln.energy_mev, total * r / norm) for ln, r in zip(lines, raw, strict=True))
        return tuple(out)


_LU177_BETA = (
    BetaBranch(0.4983, 0.794, 0.1494),
    BetaBranch(0.3853, 0.091, 0.1117),
    BetaBranch(0.1765, 0.116, 0.0477),
)
_LU177_GAMMA = (
    PhotonLine(0.208366, 0.1038),
    PhotonLine(0.112950, 0.0620),
    PhotonLine(0.321316, 0.00216),
    PhotonLine(0.249674, 0.00201),
    PhotonLine(0.071646, 0.00173),
    PhotonLine(0.136724, 0.00047),
)
# Hf K-alpha2, K-alpha1, K-beta and L X-rays (approximate relative intensities).
_LU177_XRAY = (
    PhotonLine(0.05461, 0.0150),
    PhotonLine(0.05579, 0.0260),
    PhotonLine(0.0633, 0.0110),
    PhotonLine(0.0079, 0.0090),
)


def emission_spectrum(nuclide_name: str) -> EmissionSpectrum:
    """The emission spectrum of a nuclide for which theratrial builds point kernels.

    Raises
    ------
    NuclideError
        For a nuclide without a tabulated spectrum (only Lu-177 has one).

    Examples
    --------
    >>> spec = emission_spectrum("177Lu")
    >>> round(sum(spec.beta_energy_by_branch_mev()), 4)
    0.1333
    >>> round(sum(e for _, e in spec.photon_energy_by_line_mev()), 5)
    0.03514
    """
    nuc = nuclide(nuclide_name)
    if nuc.name != "Lu-177" or nuc.energies is None:
        raise NuclideError(
            f"no beta/photon spectrum for {nuc.name}: point and voxel kernels exist for Lu-177",
            field="nuclide",
            hint="use local energy deposition (voxel.local_deposition_dose) for other nuclides",
        )
    return EmissionSpectrum(nuc.name, _LU177_BETA, _LU177_GAMMA, _LU177_XRAY, nuc.energies)
