"""Generator settings and their validation."""

from __future__ import annotations

import pytest

from theratrial.errors import NuclideError, ParameterError
from theratrial.phantoms.config import PhantomConfig, ScannerConfig, TherapyConfig


def test_defaults_follow_netter_1_and_the_dosimetry_time_points() -> None:
    cfg = PhantomConfig()
    assert cfg.therapy.activity_for(80.0) == 7400.0
    assert cfg.therapy.interval_days == 56.0
    assert cfg.therapy.spect_times_h == (4.0, 24.0, 96.0, 168.0)
    assert cfg.therapy.cycles_imaged() == (1, 2, 3, 4)


def test_actinium_activity_scales_with_weight() -> None:
    therapy = TherapyConfig(nuclide="ac225")
    assert therapy.nuclide == "Ac-225"
    assert therapy.activity_for(70.0) == pytest.approx(7.0)
    assert therapy.scanner is therapy.ac225_scanner


@pytest.mark.parametrize(
    "kwargs",
    [{"nuclide": "Y-90"}, {"cycles": 0}, {"spect_units": "SUV"}, {"spect_times_h": (0.0,)}],
)
def test_invalid_therapy_settings_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ParameterError):
        TherapyConfig(**kwargs)  # type: ignore[arg-type]


def test_unreadable_nuclide_names_are_refused() -> None:
    with pytest.raises(NuclideError):
        TherapyConfig(nuclide="lutetium")


def test_scanner_validation_and_noise_free_copy() -> None:
    with pytest.raises(ParameterError):
        ScannerConfig(-1.0, 1.0, 1.0)
    ideal = PhantomConfig().noise_free()
    assert ideal.pet.scanner.fwhm_mm == 0.0
    assert not ideal.therapy.scanner.noise
    assert PhantomConfig().with_therapy(imaged_cycles=(2, 9)).therapy.cycles_imaged() == (2,)
