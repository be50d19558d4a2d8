"""Region dose: Ã x S, dose per GBq, BED, alpha chains, missing masses, warnings."""

from __future__ import annotations

import math

import numpy as np
import pytest

from theratrial.dosimetry.dose import region_dose, regions_dose
from theratrial.dosimetry.radiobiology import Radiobiology, bed_mono_exponential_gy
from theratrial.dosimetry.svalues import organ_s_value
from theratrial.dosimetry.tac import TimeActivityCurve, time_activity_curve
from theratrial.errors import ParameterError

T = np.array([4.0, 24.0, 72.0, 168.0])


def _kidney(
    a0: float = 60.0, t_eff: float = 50.0, region: str = "kidney_left"
) -> TimeActivityCurve:
    return time_activity_curve(T, a0 * np.exp(-math.log(2) / t_eff * T), region=region)


def test_dose_is_tia_times_mass_scaled_s_value() -> None:
    d = region_dose(_kidney(), mass_g=155.0, administered_activity_mbq=7400.0)
    s = organ_s_value("kidneys", mass_g=155.0).s_value_mgy_per_mbq_h
    tia = 60.0 * 50.0 / math.log(2)
    assert d.tia.tia_mbq_h == pytest.approx(tia, rel=1e-6)
    assert d.dose_gy == pytest.approx(tia * s / 1000.0, rel=1e-6)
    assert d.dose_gy_per_gbq == pytest.approx(d.dose_gy / 7.4)
    assert d.bed_gy == pytest.approx(bed_mono_exponential_gy(d.dose_gy, effective_half_life_h=50.0))
    assert d.model == "mono_exponential"
    record = d.as_record()
    for key in ("region", "model", "parameters", "tia_mbq_h", "dose_gy", "dose_gy_per_gbq",
                "bed_gy", "warnings"):  # fmt: skip
        assert key in record


def test_radiobiology_is_configurable_per_region() -> None:
    tumour = time_activity_curve(T, [10.0, 14.0, 11.0, 7.0], region="lesion_01")
    results = regions_dose(
        [_kidney(), tumour],
        {"kidney_left": 150.0, "lesion_01": 20.0},
        radiobiology={"lesion_01": Radiobiology(10.0, 1.5)},
    )
    assert results[0].radiobiology.alpha_beta_gy == 2.6
    assert results[1].radiobiology.alpha_beta_gy == 10.0
    assert results[1].s_value is not None
    assert results[1].s_value.method == "sphere"


def test_implausible_kidney_dose_per_gbq_is_flagged() -> None:
    d = region_dose(_kidney(a0=6000.0), mass_g=150.0, administered_activity_mbq=7400.0)
    assert any("outside the plausible" in w for w in d.warnings)
    fine = region_dose(_kidney(), mass_g=150.0, administered_activity_mbq=7400.0)
    assert not any("plausible" in w for w in fine.warnings)


def test_failed_fit_is_visible_in_the_result() -> None:
    tac = time_activity_curve([4.0, 24.0, 96.0], [1.0, 2.0, 3.0], region="spleen")
    d = region_dose(tac, mass_g=150.0)
    assert d.model == "trapezoid_physical_tail"
    assert d.tia.fallback == "trapezoid_physical_tail"
    assert d.warnings[0].startswith("fit not usable")
    assert set(d.parameters()) >= {"head_mbq_h", "samples_mbq_h", "tail_mbq_h"}


def test_ac225_reports_absorbed_and_rbe_weighted_dose() -> None:
    tac = time_activity_curve(T, [0.05, 0.04, 0.025, 0.01], region="kidney_left", nuclide="Ac-225")
    d = region_dose(tac, mass_g=300.0, administered_activity_mbq=8.0)
    assert d.alpha is not None
    assert d.bed_gy is None
    assert d.alpha.rbe_weighted_dose_gy > 4.5 * d.dose_gy
    record = d.as_record()
    assert record["rbe_weighted_dose_gy"] == pytest.approx(d.alpha.rbe_weighted_dose_gy)
    assert "in situ" in str(record["s_value_source"])


def test_missing_masses_and_bad_activity() -> None:
    with pytest.raises(ParameterError, match="no mass for region"):
        regions_dose([_kidney()], {"liver": 1500.0})
    with pytest.raises(ParameterError):
        region_dose(_kidney(), mass_g=150.0, administered_activity_mbq=0.0)
