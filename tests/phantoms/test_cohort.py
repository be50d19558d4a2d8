"""Cohorts and the per-lesion table."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from theratrial.errors import ParameterError
from theratrial.phantoms.cohort import (
    cohort_member_seed,
    generate_cohort,
    lesion_table,
    write_lesion_table,
)

from .conftest import small_config


def test_members_do_not_change_when_the_cohort_grows() -> None:
    small = generate_cohort(3, seed=5)
    large = generate_cohort(6, seed=5)
    assert [p.truth() for p in small.patients] == [p.truth() for p in large.patients[:3]]
    assert cohort_member_seed(5, 2) == small.patients[2].seed


def test_lesion_table_rows_match_the_truth() -> None:
    cohort = generate_cohort(4, seed=2)
    rows = lesion_table(cohort)
    assert len(rows) == sum(len(p.lesions) for p in cohort.patients)
    first = cohort.patients[0]
    truth = first.truth()
    row = next(r for r in rows if r.patient_id == first.patient_id)
    lesion = truth["lesions"][row.lesion_id]
    assert row.ga68_suvmean == lesion["ga68_suvmean"]
    assert row.dose_gy_per_cycle == tuple(truth["regions"][row.lesion_id]["absorbed_dose_gy"])
    assert row.dose_gy_cumulative == pytest.approx(sum(row.dose_gy_per_cycle))
    assert row.followup_ld_mm == tuple(lesion["followup"]["measured_ld_mm"])
    assert row.responder == lesion["responder"]


def test_large_table_shows_the_generating_effects() -> None:
    rows = lesion_table(generate_cohort(150, seed=9))
    dose = np.array([r.dose_gy_cumulative for r in rows])
    change = np.array([r.last_change for r in rows])
    suv = np.log([r.ga68_suvmean for r in rows])
    fdg = np.log([r.fdg_suvmax for r in rows])
    assert np.corrcoef(np.log(dose), change)[0, 1] < -0.3  # more dose, more shrinkage
    assert np.corrcoef(suv, np.log(dose))[0, 1] > 0.4  # SSTR uptake predicts dose
    assert np.corrcoef(suv, fdg)[0, 1] < -0.2  # flip-flop
    responders = [r for r in rows if r.responder]
    assert 0 < len(responders) < len(rows)
    assert np.median([r.dose_gy_cumulative for r in responders]) > np.median(dose)


def test_cohort_folder_with_images(tmp_path: Path) -> None:
    cfg = small_config(spect_times_h=(24.0,)).with_grid((24, 32, 32))
    cohort = generate_cohort(2, seed=1, config=cfg, out_dir=tmp_path, images=True)
    index = json.loads((tmp_path / "cohort.json").read_text(encoding="utf-8"))
    assert [p["patient_id"] for p in index["patients"]] == ["VP-1-001", "VP-1-002"]
    for d in cohort.patient_dirs:
        assert d is not None
        assert (d / "truth.json").is_file()
        assert (d / "dicom" / "spect_c1_024h" / "NM_0001.dcm").is_file()
    with (tmp_path / "lesions.csv").open(encoding="utf-8") as handle:
        table = list(csv.DictReader(handle))
    assert {"dose_gy_c1", "ld_mm_w12", "responder", "fdg_suvmax"} <= set(table[0])


def test_table_only_cohort_and_bad_sizes(tmp_path: Path) -> None:
    generate_cohort(3, seed=4, out_dir=tmp_path)
    assert (tmp_path / "lesions.csv").is_file()
    assert not any(p.is_dir() for p in tmp_path.iterdir())
    with pytest.raises(ParameterError):
        generate_cohort(0, seed=1)
    with pytest.raises(ParameterError):
        generate_cohort(1, seed=1, images=True)
    assert write_lesion_table(tmp_path / "empty.csv", []).read_text(encoding="utf-8")


def test_output_folders_are_never_created_above_the_cohort(tmp_path: Path) -> None:
    # the cohort's own folder may be made inside an existing one ...
    generate_cohort(1, seed=3, out_dir=tmp_path / "cohort")
    assert (tmp_path / "cohort" / "lesions.csv").is_file()
    # ... but a missing parent is an error, raised before anything is written
    with pytest.raises(ParameterError, match="does not exist") as info:
        generate_cohort(1, seed=3, out_dir=tmp_path / "missing" / "cohort")
    assert info.value.field == "out_dir"
    assert not (tmp_path / "missing").exists()
    with pytest.raises(ParameterError, match="does not exist"):
        write_lesion_table(tmp_path / "missing" / "lesions.csv", [])
    with pytest.raises(ParameterError, match="a file name was expected"):
        write_lesion_table(tmp_path, [])
    assert not (tmp_path / "missing").exists()
