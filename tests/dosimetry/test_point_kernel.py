"""Tests of the dose point kernels (Loevinger beta, GP-buildup photons)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from theratrial.dosimetry.point_kernel import (
    ComponentKind,
    dose_point_kernel,
    loevinger_parameters,
)
from theratrial.errors import NuclideError, ParameterError
from theratrial.nuclides import nuclide


def test_kernel_carries_the_icrp107_energy_of_lu177() -> None:
    energies = nuclide("Lu-177").energies
    assert energies is not None
    kernel = dose_point_kernel("Lu-177")
    assert kernel.energy_mev == pytest.approx(energies.electrons_mev + energies.photons_mev)
    photons = sum(c.energy_mev for c in kernel.select("photon"))
    # photons below 15 keV are local, so counted with the electrons
    assert photons == pytest.approx(energies.photons_mev, abs=1e-4)


def test_photon_kernels_nearly_conserve_energy_before_normalisation() -> None:
    for comp in dose_point_kernel("Lu-177").select("photon"):
        assert 0.99 < comp.normalisation < 1.06, comp.label


@pytest.mark.parametrize("kind", ["electron", "photon", None])
def test_energy_fraction_rises_to_one(kind: ComponentKind | None) -> None:
    kernel = dose_point_kernel("Lu-177")
    radii = [0.01, 0.1, 1.0, 10.0, 100.0, 3000.0]
    fractions = [kernel.energy_fraction_within(r, kind=kind) for r in radii]
    assert all(b >= a for a, b in itertools.pairwise(fractions))
    assert fractions[-1] == pytest.approx(1.0, abs=1e-4)


def test_electron_range_is_that_of_lu177_betas() -> None:
    kernel = dose_point_kernel("Lu-177")
    # Lu-177 beta maximum CSDA range in water is about 1.8 mm; 90 % of the electron energy
    # lies well within it.
    assert kernel.energy_fraction_within(1.8, kind="electron") > 0.98
    assert kernel.energy_fraction_within(0.1, kind="electron") < 0.6


def test_dose_rate_falls_with_distance_and_scales_with_density() -> None:
    water = dose_point_kernel("Lu-177")
    r = np.array([0.2, 0.5, 1.0, 5.0, 20.0])
    dose = water.dose_mgy_per_mbq_h(r)
    assert np.all(np.diff(dose) < 0)
    dense = dose_point_kernel("Lu-177", density_g_per_ml=2.0)
    # Scaling law: D_rho(r) = rho^2 D_1(rho r)
    assert float(dense.dose_mgy_per_mbq_h(1.0)) == pytest.approx(
        4.0 * float(water.dose_mgy_per_mbq_h(2.0)), rel=0.02
    )


def test_loevinger_constants() -> None:
    assert loevinger_parameters(0.4983)[1] == 2.0
    assert loevinger_parameters(1.0)[1] == 1.5
    assert loevinger_parameters(2.28)[1] == 1.0
    with pytest.raises(ParameterError):
        loevinger_parameters(5.0)


def test_other_nuclides_and_bad_density_are_refused() -> None:
    with pytest.raises(NuclideError):
        dose_point_kernel("Ga-68")
    with pytest.raises(ParameterError):
        dose_point_kernel("Lu-177", density_g_per_ml=0.0)
