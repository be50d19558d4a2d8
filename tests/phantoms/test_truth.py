"""The truth file: schema, JSON round trip, consistency."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from theratrial.errors import InputError
from theratrial.phantoms.config import PhantomConfig
from theratrial.phantoms.patient import generate_patient
from theratrial.phantoms.truth import TRUTH_SCHEMA, load_truth, patient_truth

TOP_KEYS = {
    "schema",
    "generator",
    "patient_id",
    "seed",
    "patient",
    "config",
    "grid",
    "frame_of_reference_uid",
    "dose_model",
    "therapy",
    "ga68_pet",
    "ga68_pet_retest",
    "regions",
    "lesions",
    "response_model",
    "lesion_feature_model",
    "time_activity_model",
    "series",
    "masks",
}
REGION_KEYS = {
    "label",
    "kind",
    "type",
    "parent",
    "ellipsoid",
    "density_g_per_ml",
    "hu",
    "volume_ml",
    "mass_g",
    "grid_volume_ml",
    "mask_volume_ml",
    "ga68_suvmean",
    "ga68_suvmax",
    "ga68_suvmean_retest",
    "therapy_uptake_index",
    "uptake_fraction",
    "kinetics",
    "tia_mbq_h",
    "tia_mbq_h_total",
    "absorbed_dose_gy",
    "absorbed_dose_gy_total",
    "rbe_weighted_dose_gy",
}


def test_truth_has_every_documented_key_and_is_plain_json() -> None:
    truth = patient_truth(generate_patient(2))
    assert set(truth) >= TOP_KEYS
    assert truth["schema"] == TRUTH_SCHEMA
    for region in truth["regions"].values():
        assert set(region) >= REGION_KEYS
        assert len(region["absorbed_dose_gy"]) == 4
    assert json.loads(json.dumps(truth)) == truth


def test_labels_are_unique_and_body_is_one() -> None:
    truth = patient_truth(generate_patient(2))
    labels = [r["label"] for r in truth["regions"].values()]
    assert sorted(labels) == list(range(1, len(labels) + 1))
    assert truth["regions"]["body"]["label"] == 1


def test_series_truth_matches_the_patient() -> None:
    p = generate_patient(4)
    truth = patient_truth(p)
    series = {s["name"]: s for s in truth["series"]}
    pet = series["pet_ga68"]
    assert pet["true_suvmean"]["liver"] == p.region("liver").ga68_suvmean
    spect = series["spect_c1_096h"]
    assert spect["hours_post_injection"] == 96.0
    assert spect["true_mean_bq_per_ml"]["kidney_left"] > 0
    assert spect["calibration_bq_per_ml_per_count"] == pytest.approx(
        1.0 / spect["counts_per_bq_per_ml"]
    )
    retest = series["pet_ga68_retest"]
    assert retest["measurement_factor"] == p.retest_calibration


def test_lesion_entries_carry_response_and_features() -> None:
    truth = patient_truth(generate_patient(6))
    for name, lesion in truth["lesions"].items():
        assert name.startswith("lesion_")
        assert len(lesion["followup"]["measured_ld_mm"]) == 4
        assert lesion["fdg_suvmax"] > 0
        assert isinstance(lesion["responder"], bool)


def test_ac225_truth_states_the_dose_model() -> None:
    cfg = PhantomConfig().with_therapy(nuclide="Ac-225")
    truth = patient_truth(generate_patient(6, config=cfg))
    assert truth["dose_model"]["rbe_alpha"] == 5.0
    assert "in situ" in truth["dose_model"]["description"]
    assert truth["therapy"]["nuclide"] == "Ac-225"


def test_load_truth_refuses_other_files(tmp_path: Path) -> None:
    bad = tmp_path / "truth.json"
    bad.write_text('{"schema": "other"}', encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_truth(tmp_path)
    assert info.value.field == "schema"
    good = tmp_path / "good.json"
    good.write_text(json.dumps(patient_truth(generate_patient(1))), encoding="utf-8")
    assert load_truth(good)["seed"] == 1
