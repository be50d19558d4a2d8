"""End to end on a virtual cohort whose truth links dose and uptake to lesion response.

The phantoms package generates lesions whose fractional change of the longest diameter at
the last follow-up is ``g t - Emax m(S) D/(D50 + D) + u`` plus measurement error
(:mod:`theratrial.phantoms.response`): more absorbed dose ``D`` and more 68Ga uptake ``S``
mean more shrinkage. The outcome models must recover the direction of both effects and,
for the linear GEE, a slope near the least-squares projection of the noise-free truth on
the same predictors (the "generating effect" a linear model can estimate).
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from theratrial.cli.main import app
from theratrial.phantoms import Cohort, generate_cohort, lesion_table, write_lesion_table
from theratrial.response import ResponseCategory, evaluate_recist_dict
from theratrial.stats import analyse_lesions, analyse_patients, read_csv_table

pytestmark = pytest.mark.slow
PREDICTORS = ["dose_gy_cumulative", "ga68_suvmean"]


@pytest.fixture(scope="module")
def cohort() -> Cohort:
    return generate_cohort(60, seed=2024)


@pytest.fixture(scope="module")
def table_csv(cohort: Cohort, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_lesion_table(
        tmp_path_factory.mktemp("cohort") / "lesions.csv", lesion_table(cohort)
    )


def _truth_projection(cohort: Cohort) -> np.ndarray:
    """OLS of the noise-free expected change (no lesion effect) on dose and SUVmean."""
    x, y = [], []
    for patient in cohort.patients:
        for lesion in patient.lesions:
            response = patient.responses[lesion.name]
            y.append(response.true_change[-1] - response.lesion_effect)
            x.append([response.dose_delivered_gy[-1], lesion.ga68_suvmean])
    design = np.column_stack([np.ones(len(y)), np.asarray(x)])
    beta, *_ = np.linalg.lstsq(design, np.asarray(y), rcond=None)
    return np.asarray(beta)


def test_lesion_change_recovers_direction_and_size(cohort: Cohort, table_csv: Path) -> None:
    frame = read_csv_table(table_csv)
    res = analyse_lesions(
        frame,
        outcome="last_change",
        predictors=PREDICTORS,
        patient="patient_id",
        n_bootstrap=0,
        n_folds=4,
    )
    truth = _truth_projection(cohort)
    for j, name in enumerate(PREDICTORS, start=1):
        coef = res.multivariable.term(name)
        assert coef.ci_high < 0.0, name  # more dose / more uptake: more shrinkage
        assert coef.ci_low < truth[j] < coef.ci_high, (name, coef, truth[j])
        assert coef.estimate == pytest.approx(truth[j], rel=0.5)
    assert res.n_clusters == 60
    assert res.cross_validation.r2 > 0.2


def test_lesion_responder_model_discriminates(table_csv: Path) -> None:
    frame = read_csv_table(table_csv)
    res = analyse_lesions(
        frame,
        outcome="responder",
        predictors=PREDICTORS,
        patient="patient_id",
        n_bootstrap=100,
        n_folds=4,
        seed=3,
    )
    assert res.outcome.kind == "binary"
    for fit in res.univariable:  # each predictor alone: more is better
        assert fit.coefficients[1].odds_ratio_ci[0] > 1.0
    auc = res.apparent_auc
    assert auc.ci_low > 0.75
    assert res.cross_validation.auc > 0.75
    assert res.calibration.slope == pytest.approx(1.0, abs=0.5)
    # Dose and uptake are correlated (dose follows uptake) and the dose effect saturates
    # (Emax): a logit linear in dose leaves the dose CI across 1, log dose recovers both.
    dose = frame["dose_gy_cumulative"].astype(float)
    logged = frame.assign(log_dose_gy=np.log(dose).astype(str))
    res = analyse_lesions(
        logged,
        outcome="responder",
        predictors=["log_dose_gy", "ga68_suvmean"],
        patient="patient_id",
        n_bootstrap=0,
        n_folds=4,
    )
    for coef in res.multivariable.coefficients[1:]:
        assert coef.odds_ratio_ci[0] > 1.0, coef


def test_patient_recist_response_model(cohort: Cohort) -> None:
    rows = [r.as_row() for r in lesion_table(cohort)]
    table = pd.DataFrame(rows)
    start = date(2024, 1, 1)
    patients = []
    for pid, lesions in table.groupby("patient_id", sort=False):
        weeks = [float(c.removeprefix("ld_mm_w")) for c in lesions.columns if c.startswith("ld_")]
        visits = [(0.0, "baseline_ld_mm"), *((w, f"ld_mm_w{w:g}") for w in weeks)]
        record = [
            {
                "date": (start + timedelta(weeks=w)).isoformat(),
                "lesions": [
                    {
                        "id": r.lesion_id,
                        "organ": r.lesion_type,
                        "nodal": False,
                        "measurement_mm": float(getattr(r, col)),
                    }
                    for r in lesions.itertuples()
                ],
            }
            for w, col in visits
        ]
        bor = evaluate_recist_dict(record).best_overall_response.response
        patients.append(
            {"patient": pid, "bor": bor.value, "mean_dose_gy": lesions["dose_gy_cumulative"].mean()}
        )
    frame = pd.DataFrame(patients)
    assert set(frame["bor"]) <= {c.value for c in ResponseCategory}
    res = analyse_patients(
        frame,
        outcome="bor",
        positive_labels=["CR", "PR"],
        predictors=["mean_dose_gy"],
        n_bootstrap=100,
        n_folds=4,
    )
    assert res.multivariable.term("mean_dose_gy").ci_low > 0.0
    assert res.apparent_auc.auc > 0.7


def test_cli_on_the_cohort_table(table_csv: Path, tmp_path: Path) -> None:
    args = [
        "model",
        "lesions",
        str(table_csv),
        "--outcome",
        "last_change",
        "--threshold",
        "-0.3",
        "--predictors",
        ",".join(PREDICTORS),
        "--patient",
        "patient_id",
        "--bootstrap",
        "50",
        "--folds",
        "3",
        "--json",
        "--figures",
        str(tmp_path),
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["n_patients"] == 60
    assert out["multivariable"]["coefficients"][1]["odds_ratio"] > 1.0
    assert (tmp_path / "lesion_model.png").is_file()
