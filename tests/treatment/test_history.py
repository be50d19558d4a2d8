"""Cycle dose history: per-organ cycle doses, cumulative absorbed dose and BED."""

from __future__ import annotations

import math

import numpy as np
import pytest

from theratrial.dosimetry.dose import region_dose
from theratrial.dosimetry.radiobiology import g_factor_mono_exponential
from theratrial.dosimetry.tac import time_activity_curve
from theratrial.errors import ParameterError
from theratrial.protocol import find_protocol
from theratrial.treatment.history import (
    CycleDose,
    cumulative_doses,
    cycle_dose_from_region,
    organ_of,
)
from theratrial.treatment.planning import plan_next_cycle

BORDET = find_protocol("NCT01842165")
G50 = g_factor_mono_exponential(50.0, repair_half_time_h=2.8)


def _kidney(cycle: int, dose: float, activity: float = 7400.0) -> CycleDose:
    return CycleDose(cycle, "kidneys", activity, dose, g_factor=G50)


def test_four_cycles_reference_bed() -> None:
    totals = cumulative_doses([_kidney(c, 5.75) for c in range(1, 5)])
    assert totals["kidneys"].absorbed_dose_gy == pytest.approx(23.0)
    assert totals["kidneys"].bed_gy == pytest.approx(25.70, abs=0.01)
    assert totals["kidneys"].cycles == (1, 2, 3, 4)


def test_left_and_right_kidney_count_once_per_cycle() -> None:
    history = [
        CycleDose(1, organ_of("kidney_left"), 7400.0, 4.0, g_factor=G50),
        CycleDose(1, organ_of("kidney_right"), 7400.0, 5.0, g_factor=G50),
    ]
    assert cumulative_doses(history)["kidneys"].absorbed_dose_gy == pytest.approx(5.0)
    assert cumulative_doses(history, combine="mean")["kidneys"].absorbed_dose_gy == pytest.approx(
        4.5
    )


def test_cycle_dose_from_region_dose_carries_the_g_factor() -> None:
    t = np.array([4.0, 24.0, 72.0, 168.0])
    tac = time_activity_curve(t, 60 * np.exp(-math.log(2) / 50 * t), region="kidney_left")
    dose = region_dose(tac, mass_g=150.0, administered_activity_mbq=7400.0)
    cycle = cycle_dose_from_region(dose, cycle=1, administered_activity_mbq=7400.0)
    assert cycle.organ == "kidneys"
    assert cycle.g_factor == pytest.approx(G50, rel=1e-6)
    assert cycle.bed_gy == pytest.approx(dose.bed_gy)


def test_history_from_image_dosimetry_feeds_the_plan(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    from theratrial.dosimetry.pipeline import patient_dosimetry
    from theratrial.phantoms import PhantomConfig, write_patient
    from theratrial.treatment.history import history_from_dosimetry

    folder = tmp_path_factory.mktemp("plan") / "patient"
    config = PhantomConfig().noise_free().with_therapy(cycles=2).with_grid((48, 48, 48))
    write_patient(folder, 4, config=config)
    history = history_from_dosimetry(patient_dosimetry(folder), organs=["kidneys", "bone_marrow"])
    assert {c.organ for c in history} == {"kidneys", "bone_marrow"}
    assert {c.cycle for c in history} == {1, 2}
    assert all(c.g_factor is not None for c in history)
    plan = plan_next_cycle(BORDET, history)
    assert plan.cycle == 3
    assert all(c.max_activity_mbq is not None for c in plan.checks)


def test_bad_cycle_doses() -> None:
    with pytest.raises(ParameterError):
        CycleDose(0, "kidneys", 7400.0, 1.0)
    with pytest.raises(ParameterError):
        CycleDose(1, "kidneys", 0.0, 1.0)
    with pytest.raises(ParameterError):
        cumulative_doses([_kidney(1, 1.0)], combine="median")
