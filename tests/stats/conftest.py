"""Simulated lesion tables with a known generating model, for the outcome-model tests."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

#: Generating model of the simulated change in diameter (percent).
TRUE_INTERCEPT = 20.0
TRUE_DOSE_EFFECT = -0.8  # percent per Gy
TRUE_SUV_EFFECT = -1.0  # percent per SUV unit
PATIENT_SD = 8.0
LESION_SD = 10.0


def simulate_lesions(n_patients: int = 40, seed: int = 0) -> pd.DataFrame:
    """Lesions clustered in patients; change_pct depends on dose and SUV, not on ADC."""
    rng = np.random.default_rng(seed)
    rows = []
    for p in range(n_patients):
        u = rng.normal(0.0, PATIENT_SD)
        for lesion in range(int(rng.integers(2, 6))):
            suv = float(rng.lognormal(np.log(15.0), 0.4))
            dose = float(2.0 * suv * rng.lognormal(0.0, 0.3))
            adc = float(rng.normal(1.1, 0.2))
            change = (
                TRUE_INTERCEPT
                + TRUE_DOSE_EFFECT * dose
                + TRUE_SUV_EFFECT * suv
                + u
                + rng.normal(0.0, LESION_SD)
            )
            rows.append(
                {
                    "patient": f"P{p:03d}",
                    "lesion": f"L{lesion}",
                    "ga68_suvmax": suv,
                    "dose_gy": dose,
                    "adc_mean": adc,
                    "change_pct": change,
                }
            )
    return pd.DataFrame(rows)


@pytest.fixture
def lesion_table() -> Callable[..., pd.DataFrame]:
    """Factory ``lesion_table(n_patients=40, seed=0)`` of simulated lesion rows."""
    return simulate_lesions


@pytest.fixture
def true_effects() -> dict[str, float]:
    """The generating coefficients of :func:`simulate_lesions`."""
    return {"dose_gy": TRUE_DOSE_EFFECT, "ga68_suvmax": TRUE_SUV_EFFECT, "adc_mean": 0.0}
