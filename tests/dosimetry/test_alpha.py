"""Ac-225 chain dose: energies per decay, redistribution, RBE weighting."""

from __future__ import annotations

import pytest

from theratrial.dosimetry.alpha import alpha_chain_dose, chain_energy_per_decay
from theratrial.errors import ParameterError
from theratrial.nuclides import chain_alpha_energy_mev, dose_rate_constant_mgy_g_per_mbq_h


def test_chain_alpha_energy_is_the_reference_27_48_mev() -> None:
    energy = chain_energy_per_decay("Ac-225")
    assert energy.alpha_mev == pytest.approx(27.48, abs=0.005)
    assert energy.alpha_mev == pytest.approx(chain_alpha_energy_mev("Ac-225"))
    assert not energy.recoil_included
    assert dict(energy.decays)["Po-213"] == pytest.approx(0.97898, rel=1e-4)


def test_recoil_adds_about_half_an_mev() -> None:
    with_recoil = chain_energy_per_decay("Ac-225", include_recoil=True).alpha_mev
    recoil = 0.1048 + 0.1163 + 0.1328 + 0.99988 * (0.0023 + 0.9791 * 0.1604)
    assert with_recoil - 27.48 == pytest.approx(recoil, abs=0.006)


def test_releasing_bi213_removes_its_subtree() -> None:
    full = chain_energy_per_decay("Ac-225", released={"Bi-213": 1.0})
    assert full.alpha_mev == pytest.approx(5.7872 + 6.3036 + 7.0680)
    assert "Po-213" in dict(full.decays)
    assert dict(full.decays)["Po-213"] == 0.0
    half = chain_energy_per_decay("Ac-225", released={"Bi-213": 0.5})
    assert full.alpha_mev < half.alpha_mev < chain_energy_per_decay("Ac-225").alpha_mev


def test_absorbed_and_rbe_weighted_dose_apart() -> None:
    dose = alpha_chain_dose(10.0, mass_g=300.0)
    k = dose_rate_constant_mgy_g_per_mbq_h(1.0) * 10.0 / 300.0 / 1000.0
    assert dose.alpha_dose_gy == pytest.approx(27.48 * k, rel=1e-3)
    assert dose.absorbed_dose_gy == pytest.approx(dose.alpha_dose_gy + dose.electron_dose_gy)
    assert dose.rbe_weighted_dose_gy == pytest.approx(
        5 * dose.alpha_dose_gy + dose.electron_dose_gy
    )
    assert dose.assumption == "daughters decay in situ"
    other = alpha_chain_dose(10.0, mass_g=300.0, rbe_alpha=3.0)
    assert other.absorbed_dose_gy == pytest.approx(dose.absorbed_dose_gy)
    assert other.rbe_weighted_dose_gy < dose.rbe_weighted_dose_gy


def test_bad_alpha_requests() -> None:
    with pytest.raises(ParameterError):
        chain_energy_per_decay("Ac-225", released={"Bi-213": 1.5})
    with pytest.raises(ParameterError):
        chain_energy_per_decay("Ac-225", released={"Lu-177": 0.5})
    with pytest.raises(ParameterError):
        chain_energy_per_decay("Ac-225", released={"Ac-225": 0.5})
    with pytest.raises(ParameterError):
        alpha_chain_dose(1.0, mass_g=0.0)
    with pytest.raises(ParameterError):
        alpha_chain_dose(-1.0, mass_g=1.0)
