"""Organ S-values (OpenDose, mass-scaled) and the region S-value dispatcher."""

from __future__ import annotations

import pytest

from theratrial.dosimetry.sphere import sphere_s_value_mgy_per_mbq_h
from theratrial.dosimetry.svalues import (
    OPENDOSE_LU177,
    Phantom,
    canonical_organ,
    organ_s_value,
    region_s_value,
)
from theratrial.errors import ParameterError


@pytest.mark.parametrize(
    ("organ", "phantom", "s_ref", "mass_g"),
    [
        ("kidneys", "adult_male", 7.706e-5, 309.99),
        ("liver", "adult_male", 1.3713e-5, 1799.78),
        ("spleen", "adult_male", 1.5967e-4, 149.97),
        ("kidneys", "adult_female", 8.6906e-5, 275.01),
        ("liver", "adult_female", 1.7533e-5, 1400.0),
        ("spleen", "adult_female", 1.8361e-4, 130.0),
    ],
)
def test_opendose_values_at_phantom_mass(
    organ: str, phantom: Phantom, s_ref: float, mass_g: float
) -> None:
    s = organ_s_value(organ, phantom=phantom)
    assert s.s_value_mgy_per_mbq_s == pytest.approx(s_ref, rel=1e-12)
    assert s.mass_g == mass_g


@pytest.mark.parametrize("factor", [0.5, 0.8, 1.3, 2.0])
def test_scaling_is_inverse_to_patient_mass(factor: float) -> None:
    ref = OPENDOSE_LU177[("kidneys", "adult_male")]
    s = organ_s_value("kidney_left", mass_g=ref.mass_g * factor)
    assert s.s_value_mgy_per_mbq_s == pytest.approx(ref.s_value_mgy_per_mbq_s / factor)


@pytest.mark.parametrize(("organ", "phantom"), list(OPENDOSE_LU177))
def test_sphere_model_agrees_with_opendose_organs(organ: str, phantom: Phantom) -> None:
    entry = OPENDOSE_LU177[(organ, phantom)]
    sphere = sphere_s_value_mgy_per_mbq_h(entry.mass_g)
    assert sphere == pytest.approx(entry.s_value_mgy_per_mbq_s * 3600.0, rel=0.05)


def test_region_names_and_dispatch() -> None:
    assert canonical_organ("Right Kidney") == "kidneys"
    assert canonical_organ("kidney_r") == "kidneys"
    assert canonical_organ("kidneys") == "kidneys"
    assert canonical_organ("lesion_liver_01") is None
    assert region_s_value("liver", mass_g=1500.0).method == "organ"
    assert region_s_value("lesion_node_02", mass_g=12.0).method == "sphere"
    local = region_s_value("bone_marrow", mass_g=100.0, nuclide_name="Ac-225")
    assert local.method == "local"


def test_bad_requests() -> None:
    with pytest.raises(ParameterError):
        organ_s_value("pancreas")
    with pytest.raises(ParameterError):
        organ_s_value("liver", mass_g=0.0)
    with pytest.raises(ParameterError):
        region_s_value("lesion", mass_g=-3.0)
