"""The public API of theratrial.design is pinned."""

from __future__ import annotations

import theratrial.design as design


def test_public_names() -> None:
    assert sorted(design.__all__) == sorted(
        [
            "DESIGN_NAMES",
            "Action",
            "Boin",
            "BoinBoundaries",
            "CohortDecision",
            "CohortPlan",
            "Crm",
            "CrmPosterior",
            "Decision",
            "DecisionRow",
            "DecisionTable",
            "DltRecord",
            "DoseData",
            "DoseFindingDesign",
            "I3plus3",
            "LevelEstimate",
            "MtdSelection",
            "Mtpi2",
            "OperatingCharacteristics",
            "ThreePlusThree",
            "boin_boundaries",
            "canonical_name",
            "create_design",
            "crm_posterior_rows",
            "crm_skeleton",
            "current_level_from_records",
            "decide_per_cohort",
            "decision_table",
            "escalation_probability",
            "exact_operating_characteristics",
            "infer_current_index",
            "mtpi2_intervals",
            "pava",
            "read_dose_data",
            "select_isotonic",
            "simulate",
            "split_by_cohort",
            "tally_dlt",
            "MAX_SAMPLE_SIZE",
            "MAX_SEED",
            "MAX_TRIALS",
            "check_seed",
            "decide_when_complete",
            "missing_enrolment",
            "MissingData",
            "DoseFile",
            "read_dose_file",
            "enumerate_threeplusthree",
            "open_dlt_windows",
        ]
    )
    for name in design.__all__:
        assert getattr(design, name) is not None
