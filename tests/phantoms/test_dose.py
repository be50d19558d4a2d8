"""The local-deposition dose model against ICRP 107 and OpenDose reference values."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from theratrial.errors import NuclideError, ParameterError
from theratrial.phantoms.dose import dose_model


def test_lu177_dose_factor_is_the_reference_85_32() -> None:
    # reference sheet section 1: 0.14792 MeV/decay -> 85.32 mGy g MBq^-1 h^-1
    model = dose_model("Lu-177")
    assert model.mgy_g_per_mbq_h == pytest.approx(85.32, abs=0.01)
    assert model.alpha_mev == 0.0
    assert model.rbe_weighted_mgy_g_per_mbq_h == pytest.approx(model.mgy_g_per_mbq_h)


def test_ac225_chain_in_situ_carries_27_48_mev_of_alpha() -> None:
    model = dose_model("Ac-225")
    alpha_only = model.alpha_mev - model.alpha_recoil_mev
    assert alpha_only == pytest.approx(27.48, abs=0.01)
    names = dict(model.chain)
    assert set(names) >= {"Ac-225", "Fr-221", "At-217", "Bi-213", "Po-213", "Tl-209", "Pb-209"}
    # electrons: Ac-225 0.0248 + Fr 0.0089 + At 0.0001 + Bi 0.4440*0.99988 + Pb 0.1974*0.99988
    # + Tl 0.6875 * 0.0209 (ICRP 107 table, reference sheet)
    expected_e = 0.0248 + 0.0089 + 0.0001 + (0.4440 + 0.1974) * 0.99988 + 0.6875 * 0.020897
    assert model.electron_mev == pytest.approx(expected_e, rel=2e-3)


def test_rbe_weighted_dose_weights_only_the_alpha_part() -> None:
    model = dose_model("Ac-225", rbe_alpha=5.0)
    d = model.absorbed_dose_gy(10.0, mass_g=100.0)
    d_rbe = model.rbe_weighted_dose_gy(10.0, mass_g=100.0)
    expected = d * (5.0 * model.alpha_mev + model.electron_mev) / model.non_penetrating_mev
    assert d_rbe == pytest.approx(expected)
    assert 4.5 < d_rbe / d < 5.0


@pytest.mark.parametrize(
    ("mass_g", "opendose_mgy_per_mbq_s"),
    [(309.99, 7.706e-5), (149.97, 1.5967e-4), (1799.78, 1.3713e-5)],
    ids=["kidneys", "spleen", "liver"],
)
def test_local_deposition_is_within_5_percent_below_opendose(
    mass_g: float, opendose_mgy_per_mbq_s: float
) -> None:
    # OpenDose ICRP 110 adult male self S-values (reference sheet section 2) include photon
    # self-absorption, which the local model leaves out: ours must be lower, but not by much.
    ours = dose_model("Lu-177").mgy_g_per_mbq_h / mass_g / 3600.0
    assert 0.95 * opendose_mgy_per_mbq_s < ours <= opendose_mgy_per_mbq_s


@given(tia=st.floats(0.0, 1e6), scale=st.floats(0.1, 10.0))
def test_dose_is_linear_in_time_integrated_activity(tia: float, scale: float) -> None:
    model = dose_model("Lu-177")
    assert model.absorbed_dose_gy(tia * scale, mass_g=150.0) == pytest.approx(
        scale * model.absorbed_dose_gy(tia, mass_g=150.0), rel=1e-12, abs=1e-15
    )


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ParameterError):
        dose_model("Lu-177").absorbed_dose_gy(1.0, mass_g=0.0)
    with pytest.raises(ParameterError):
        dose_model("Ac-225", rbe_alpha=0.0)
    with pytest.raises(NuclideError):
        dose_model("Xx-999")


def test_description_names_the_model() -> None:
    text = dose_model("Ac-225").describe()
    assert "non-penetrating" in text
    assert "RBE 5" in text
