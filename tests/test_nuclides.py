"""Radionuclide data and decay against the reference table (ICRP Publication 107).

Reference sheet section 1: half-lives, mean energies per decay by radiation type, the
Bi-213 branching, and two derived checks (85.32 mGy g MBq^-1 h^-1 for 0.14792 MeV;
27.48 MeV of alpha energy per Ac-225 decay at secular equilibrium).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from theratrial.errors import NuclideError, ParameterError
from theratrial.nuclides import (
    JOULE_PER_MEV,
    chain_activities,
    chain_alpha_energy_mev,
    chain_decays_per_parent_decay,
    decay_activity,
    decay_correct,
    decay_factor,
    dose_rate_constant_mgy_g_per_mbq_h,
    normalise_name,
    nuclide,
)

MIN, HOUR, DAY = 1 / 60, 1.0, 24.0

# name: half-life (h), as printed in the reference table
HALF_LIVES_H = {
    "Lu-177": 6.647 * DAY,
    "Ac-225": 10.0 * DAY,
    "Ga-68": 67.71 * MIN,
    "F-18": 109.77 * MIN,
    "Bi-213": 45.59 * MIN,
    "Tl-209": 2.161 * MIN,
    "Pb-209": 3.253 * HOUR,
    "Fr-221": 4.9 * MIN,
}

# nuclide: alpha, recoil, beta-, IC, Auger, gamma, X-ray, all electrons, all photons (MeV)
TABLE = {
    "Lu-177": (0, 0, 0.1333, 0.0135, 0.00113, 0.0316, 0.00354, 0.1479, 0.0351),
    "Ac-225": (5.7872, 0.1048, 0, 0.0198, 0.00497, 0.0104, 0.00665, 0.0248, 0.0171),
    "Fr-221": (6.3036, 0.1163, 0, 0.0083, 0.00058, 0.0266, 0.00283, 0.0089, 0.0294),
    "At-217": (7.0680, 0.1328, 0, 0.0001, 0, 0.0002, 0.00003, 0.0001, 0.0002),
    "Bi-213": (0.1222, 0.0023, 0.4248, 0.0187, 0.00054, 0.1241, 0.00360, 0.4440, 0.1277),
    "Po-213": (8.3765, 0.1604, 0, 0, 0, 0, 0, 0, 0),
    "Tl-209": (0, 0, 0.6554, 0.0293, 0.00283, 2.1248, 0.01779, 0.6875, 2.1426),
    "Pb-209": (0, 0, 0.1974, 0, 0, 0, 0, 0.1974, 0),
}


@pytest.mark.parametrize(("name", "half_life_h"), HALF_LIVES_H.items())
def test_half_lives(name: str, half_life_h: float) -> None:
    n = nuclide(name)
    assert n.name == name
    assert n.half_life_h == pytest.approx(half_life_h, rel=1e-6)
    assert n.decay_constant_per_h == pytest.approx(math.log(2) / half_life_h, rel=1e-6)
    assert not n.is_stable


def test_bi213_branching() -> None:
    daughters = dict(nuclide("Bi-213").daughters)
    assert daughters == {"Po-213": pytest.approx(0.9791), "Tl-209": pytest.approx(0.0209)}
    assert sum(daughters.values()) == pytest.approx(1.0)


def test_ac225_chain_members() -> None:
    counts = chain_decays_per_parent_decay("Ac-225")
    assert set(counts) == {"Ac-225", "Fr-221", "At-217", "Bi-213", "Po-213", "Tl-209", "Pb-209"}
    assert counts["Ac-225"] == counts["Fr-221"] == 1.0
    # every Bi-213 decay feeds Pb-209, either directly via Po-213 or via Tl-209
    assert counts["Pb-209"] == pytest.approx(counts["Po-213"] + counts["Tl-209"])
    assert counts["Tl-209"] == pytest.approx(counts["Bi-213"] * 0.0209)


@pytest.mark.parametrize("name", TABLE)
def test_emission_energies_match_the_table(name: str) -> None:
    alpha, recoil, beta, ic, auger, gamma, xray, electrons, photons = TABLE[name]
    e = nuclide(name).energies
    assert e is not None
    assert (e.alpha_mev, e.alpha_recoil_mev, e.beta_mev, e.ic_electron_mev, e.auger_mev,
            e.gamma_mev, e.xray_mev) == pytest.approx((alpha, recoil, beta, ic, auger, gamma,
                                                        xray), abs=1e-12)  # fmt: skip
    # the table's summary columns are rounded to 4 decimals
    assert e.electrons_mev == pytest.approx(electrons, abs=6e-5)
    assert e.photons_mev == pytest.approx(photons, abs=6e-5)
    assert e.alpha_total_mev == pytest.approx(alpha + recoil)
    assert e.non_penetrating_mev == pytest.approx(alpha + recoil + e.electrons_mev)


def test_nuclides_without_tabulated_energies() -> None:
    assert nuclide("Ga-68").energies is None
    with pytest.raises(NuclideError):
        chain_alpha_energy_mev("Ga-68")


def test_lu177_dose_rate_constant() -> None:
    # Lu-177 electrons, 0.14792 MeV per decay, fully absorbed -> 85.32 mGy g MBq^-1 h^-1
    assert dose_rate_constant_mgy_g_per_mbq_h(0.14792) == pytest.approx(85.32, abs=0.005)
    independent = 0.14792 * JOULE_PER_MEV * 1e6 * 3600 / 1e-3 * 1e3
    assert dose_rate_constant_mgy_g_per_mbq_h(0.14792) == pytest.approx(independent, rel=1e-12)
    electrons = nuclide("Lu-177").energies
    assert electrons is not None
    assert dose_rate_constant_mgy_g_per_mbq_h(electrons.electrons_mev) == pytest.approx(
        85.32, abs=0.01
    )


def test_ac225_alpha_energy_per_decay() -> None:
    # reference sheet: 27.48 MeV of alpha energy per Ac-225 decay at secular equilibrium
    assert chain_alpha_energy_mev("Ac-225") == pytest.approx(27.48, abs=0.005)
    counts = chain_decays_per_parent_decay("Ac-225")
    by_hand = sum(counts[n] * TABLE[n][0] for n in counts)
    assert chain_alpha_energy_mev("Ac-225") == pytest.approx(by_hand, rel=1e-12)


# -- decay -----------------------------------------------------------------------------------
def test_decay_factor_values() -> None:
    assert decay_factor(6.0, elapsed_h=12.0) == pytest.approx(0.25)
    assert decay_factor(6.0, elapsed_h=0.0) == 1.0
    assert decay_factor(6.0, elapsed_h=-6.0) == pytest.approx(2.0)
    arr = decay_factor(6.0, elapsed_h=np.array([0.0, 6.0, 18.0]))
    assert isinstance(arr, np.ndarray)
    np.testing.assert_allclose(arr, [1.0, 0.5, 0.125])
    with pytest.raises(ParameterError):
        decay_factor(0.0, elapsed_h=1.0)


def test_decay_activity_lu177() -> None:
    lu = nuclide("Lu-177")
    assert decay_activity(7400.0, elapsed_h=lu.half_life_h, nuclide_name="Lu-177") == (
        pytest.approx(3700.0)
    )
    expected = 7400.0 * math.exp(-math.log(2) * 24.0 / (6.647 * 24))
    assert decay_activity(7400.0, elapsed_h=24.0, nuclide_name="177Lu") == pytest.approx(expected)


@given(
    half_life=st.floats(0.01, 1e5),
    t1=st.floats(0, 1e4),
    dt=st.floats(1e-3, 1e4),
)
def test_decay_is_monotone(half_life: float, t1: float, dt: float) -> None:
    a = decay_factor(half_life, elapsed_h=t1)
    b = decay_factor(half_life, elapsed_h=t1 + dt)
    assert b <= a
    assert 0.0 <= b <= 1.0


@given(
    activity=st.floats(1e-3, 1e5),
    minutes=st.integers(-10_000, 10_000),
    name=st.sampled_from(["Lu-177", "Ga-68", "F-18", "Ac-225"]),
)
def test_decay_correct_round_trip(activity: float, minutes: int, name: str) -> None:
    t0 = datetime(2026, 3, 2, 9, 30)
    t1 = t0 + timedelta(minutes=minutes)
    there = decay_correct(activity, measured_at=t0, to=t1, nuclide_name=name)
    back = decay_correct(there, measured_at=t1, to=t0, nuclide_name=name)
    assert back == pytest.approx(activity, rel=1e-9)


def test_decay_correct_ga68_one_half_life() -> None:
    t0 = datetime(2026, 1, 5, 9, 0)
    later = decay_correct(100.0, measured_at=t0, to=t0 + timedelta(minutes=67.71),
                          nuclide_name="Ga-68")  # fmt: skip
    assert later == pytest.approx(50.0, rel=1e-6)


# -- chain activities against the Bateman solution ------------------------------------------------
@pytest.mark.parametrize("t_h", [0.0, 0.01, 0.05, 0.1, 0.5, 1.0, 24.0, 240.0, 1000.0])
def test_fr221_ingrowth_is_the_bateman_solution(t_h: float) -> None:
    # A_Fr(t) = A0 lambda_Fr / (lambda_Fr - lambda_Ac) (exp(-lambda_Ac t) - exp(-lambda_Fr t))
    lam_ac = math.log(2) / HALF_LIVES_H["Ac-225"]
    lam_fr = math.log(2) / HALF_LIVES_H["Fr-221"]
    a0 = 3.0  # MBq
    parent = a0 * math.exp(-lam_ac * t_h)
    daughter = a0 * lam_fr / (lam_fr - lam_ac) * (math.exp(-lam_ac * t_h) - math.exp(-lam_fr * t_h))
    acts = chain_activities("Ac-225", a0, [t_h])
    assert acts["Ac-225"][0] == pytest.approx(parent, rel=1e-9)
    assert acts["Fr-221"][0] == pytest.approx(daughter, rel=1e-6, abs=1e-12)


def test_chain_reaches_secular_equilibrium() -> None:
    acts = chain_activities("Ac-225", 1.0, [0.0, 240.0])
    assert set(acts) == {"Ac-225", "Fr-221", "At-217", "Bi-213", "Po-213", "Tl-209", "Pb-209"}
    assert acts["Fr-221"][0] == 0.0
    ratio_fr = acts["Fr-221"][1] / acts["Ac-225"][1]
    lam_ac = math.log(2) / HALF_LIVES_H["Ac-225"]
    lam_fr = math.log(2) / HALF_LIVES_H["Fr-221"]
    assert ratio_fr == pytest.approx(lam_fr / (lam_fr - lam_ac), rel=1e-6)  # transient eq.
    assert acts["Tl-209"][1] / acts["Bi-213"][1] == pytest.approx(0.0209, rel=0.01)


def test_chain_rejects_negative_times() -> None:
    with pytest.raises(ParameterError):
        chain_activities("Ac-225", 1.0, [-1.0])


# -- names -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("Lu-177", "Lu-177"), ("lu177", "Lu-177"), ("177Lu", "Lu-177"), ("177-Lu", "Lu-177"),
        ("LU_177", "Lu-177"), (" 225Ac ", "Ac-225"), ("ga68", "Ga-68"), ("F18", "F-18"),
        ("Tc-99m", "Tc-99m"), ("99mTc", "Tc-99m"), ("bi 213", "Bi-213"),
    ],
)  # fmt: skip
def test_name_normalisation(text: str, canonical: str) -> None:
    assert normalise_name(text) == canonical


@pytest.mark.parametrize("text", ["", "lutetium", "Lu-", "177", "L-u177", "Lu-1777"])
def test_unreadable_name(text: str) -> None:
    with pytest.raises(NuclideError) as err:
        normalise_name(text)
    assert err.value.field == "nuclide"


@pytest.mark.parametrize("text", ["Xx-999", "Lu-999", "Zz-1"])
def test_unknown_nuclide(text: str) -> None:
    with pytest.raises(NuclideError) as err:
        nuclide(text)
    assert err.value.hint


def test_lookup_is_case_and_order_insensitive() -> None:
    assert nuclide("177lu") is nuclide("177lu")
    assert nuclide("177lu").half_life_h == nuclide("Lu-177").half_life_h
