"""PET header facts: radionuclide names and codes, per-slice timing."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from theratrial.imaging import load_volume
from theratrial.imaging.petheader import radionuclide_name


@pytest.mark.parametrize(
    ("meaning", "name"),
    [("^18^Fluorine", "F-18"), ("^68^Gallium", "Ga-68"), ("^99m^Technetium", "Tc-99m"),
     ("^177^Lutetium", "Lu-177"), ("Unobtainium", None), (None, None)],
)  # fmt: skip
def test_radionuclide_code_meaning(meaning, name) -> None:
    assert radionuclide_name(meaning) == name


def test_dro_5_0_code_value_names_ga66(dro_dir: Path) -> None:
    pet = load_volume(dro_dir / "DRO_5_0" / "PT").pet
    assert pet is not None
    assert (pet.radionuclide, pet.radionuclide_code, pet.half_life_s) == ("Ga-68", "Ga-66", 4057.7)


def test_dro_3_4_has_per_slice_acquisition_times(dro_dir: Path) -> None:
    pet = load_volume(dro_dir / "DRO_3_4" / "PT").pet
    assert pet is not None
    assert pet.decay_correction == "NONE"
    assert set(pet.acquisition_datetimes) == {
        datetime(2025, 1, 1, 11, 0),
        datetime(2025, 1, 1, 11, 5),
    }
    assert pet.earliest_acquisition == datetime(2025, 1, 1, 11, 0)
    assert set(pet.frame_reference_times_ms) == {300000.0, 600000.0}


def test_philips_private_factors_are_read(dro_dir: Path) -> None:
    pet = load_volume(dro_dir / "DRO_2_4" / "PT").pet
    assert pet is not None
    assert set(pet.philips_suv_factors) == {0.0005}
    assert set(pet.philips_activity_factors) == {None}
