"""Every rule kind of the protocol rule language, on both sides of its threshold.

Each test screens the reference patient (see ``conftest.py``) against a one-criterion
protocol, changing only the fact the rule looks at.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from theratrial.eligibility import Status
from theratrial.eligibility._rules import recist_measurable
from theratrial.eligibility.patient import LesionRecord

MET, NOT_MET, UNKNOWN, REVIEW = "met", "not_met", "unknown", "needs_review"


def _status(check_rule: Any, rule: dict[str, Any], patient: Any, **kw: Any) -> str:
    return str(check_rule(rule, patient, **kw).status.value)


# -- compare ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("birth", "expected"),
    [(date(2008, 3, 2), MET), (date(2008, 3, 3), NOT_MET)],  # 18th birthday on / after screening
)
def test_compare_age_on_the_18th_birthday(
    builder: Any, check_rule: Any, birth: date, expected: str
) -> None:
    rule = {"rule": "compare", "fact": "age_years", "op": ">=", "value": 18}
    assert _status(check_rule, rule, builder.set("demographics.birth_date", birth).build()) == (
        expected
    )


@pytest.mark.parametrize(
    ("birth", "expected"), [(date(1945, 3, 3), MET), (date(1945, 3, 2), NOT_MET)]
)
def test_225ac_upper_age_limit_in_completed_years(
    builder: Any, ac225: Any, status_of: Any, birth: date, expected: str
) -> None:
    # 80 years and 364 days is still 80; the 81st birthday on the screening date is not
    patient = builder.set("demographics.birth_date", birth).build()
    assert status_of(patient, ac225, "IN02") == expected


@pytest.mark.parametrize(
    ("op", "value", "ecog", "expected"),
    [
        ("<=", 1, 1, MET), ("<=", 1, 2, NOT_MET), ("<", 1, 1, NOT_MET), ("<", 1, 0, MET),
        (">", 1, 2, MET), (">", 1, 1, NOT_MET), (">=", 2, 2, MET), (">=", 2, 1, NOT_MET),
        ("==", 0, 0, MET), ("==", 0, 1, NOT_MET), ("!=", 0, 1, MET), ("!=", 0, 0, NOT_MET),
        ("in", [0, 1], 1, MET), ("in", [0, 1], 2, NOT_MET),
        ("not_in", [3, 4], 2, MET), ("not_in", [3, 4], 3, NOT_MET),
    ],
)  # fmt: skip
def test_compare_operators(
    builder: Any, check_rule: Any, op: str, value: Any, ecog: int, expected: str
) -> None:
    rule = {"rule": "compare", "fact": "ecog", "op": op, "value": value}
    assert _status(check_rule, rule, builder.set("ecog", ecog).build()) == expected


@pytest.mark.parametrize(("weight_kg", "expected"), [(75.0, MET), (74.99, NOT_MET)])
def test_compare_converts_units(
    builder: Any, check_rule: Any, weight_kg: float, expected: str
) -> None:
    rule = {"rule": "compare", "fact": "weight_kg", "op": ">=", "value": 75000, "unit": "g"}
    patient = builder.set("demographics.weight_kg", weight_kg).build()
    assert _status(check_rule, rule, patient) == expected


@pytest.mark.parametrize(("umol_l", "expected"), [(88.42, MET), (88.5, NOT_MET)])
def test_compare_on_a_lab_fact_converts_molar_to_mass(
    builder: Any, check_rule: Any, umol_l: float, expected: str
) -> None:
    rule = {"rule": "compare", "fact": "lab.creatinine", "op": "<=", "value": 1.0, "unit": "mg/dL"}
    patient = builder.lab("creatinine", umol_l, "umol/L").build()
    assert _status(check_rule, rule, patient) == expected


def test_compare_missing_and_incomparable_facts_are_unknown(builder: Any, check_rule: Any) -> None:
    missing = {"rule": "compare", "fact": "life_expectancy_weeks", "op": ">=", "value": 12}
    result = check_rule(missing, builder.set("life_expectancy_weeks", None).build())
    assert result.status is Status.UNKNOWN
    assert "not recorded" in result.reason
    wrong_type = {"rule": "compare", "fact": "sex", "op": ">", "value": 3}
    assert _status(check_rule, wrong_type, builder.build()) == UNKNOWN


@pytest.mark.parametrize(
    ("fact", "expected"),
    [
        ("diagnosis.gep", True), ("diagnosis.grade", "G2"), ("flags.childbearing_potential", False),
        ("consent.signed", True), ("has_liver_metastases", True),
    ],
)  # fmt: skip
def test_compare_reads_nested_and_derived_facts(
    builder: Any, check_rule: Any, fact: str, expected: Any
) -> None:
    rule = {"rule": "compare", "fact": fact, "op": "==", "value": expected}
    assert _status(check_rule, rule, builder.build()) == MET


@pytest.mark.parametrize(
    ("fact", "value"),
    [("bmi_kg_m2", 24.49), ("bsa_m2", 1.909), ("egfr_ckd_epi_2021", 97.78),
     ("crcl_cockcroft_gault", 92.59)],
)  # fmt: skip
def test_compare_derived_body_and_renal_values(
    builder: Any, check_rule: Any, fact: str, value: float
) -> None:
    # reference patient: man, 60 y, 75 kg, 175 cm, SCr 0.9 mg/dL
    above = {"rule": "compare", "fact": fact, "op": ">=", "value": value - 0.01}
    below = {"rule": "compare", "fact": fact, "op": ">=", "value": value + 0.01}
    assert _status(check_rule, above, builder.build()) == MET
    assert _status(check_rule, below, builder.build()) == NOT_MET


# -- lab --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [(9.0, "g/dL", MET), (8.99, "g/dL", NOT_MET), (90.0, "g/L", MET), (89.9, "g/L", NOT_MET)],
)
def test_lab_absolute_threshold_with_unit_conversion(
    builder: Any, check_rule: Any, value: float, unit: str, expected: str
) -> None:
    rule = {"rule": "lab", "lab": "haemoglobin", "op": ">=", "value": 9, "unit": "g/dL"}
    assert _status(check_rule, rule, builder.lab("haemoglobin", value, unit).build()) == expected


@pytest.mark.parametrize(("albumin_g_dl", "expected"), [(3.0, NOT_MET), (3.01, MET)])
def test_lab_strict_threshold(
    builder: Any, bordet: Any, status_of: Any, albumin_g_dl: float, expected: str
) -> None:
    # Bordet IN08 asks albumin > 3 g/dL: exactly 3 fails; the other IN08 parts are met
    builder.lab("albumin", albumin_g_dl, "g/dL").lab("prothrombin_time_pct", 90, "%")
    assert status_of(builder.build(), bordet, "IN08") == expected


@pytest.mark.parametrize(("count", "unit", "expected"),
                         [(1.5, "10^3/uL", MET), (1.49, "10^3/uL", NOT_MET), (1.5, "G/L", MET),
                          (1500.0, "10^6/L", MET), (1.5, "10E9/L", MET)])  # fmt: skip
def test_lab_counts_in_any_spelling(
    builder: Any, ac225: Any, status_of: Any, count: float, unit: str, expected: str
) -> None:
    patient = builder.lab("neutrophils", count, unit).build()
    assert status_of(patient, ac225, "IN10c") == expected


@pytest.mark.parametrize(("value", "expected"), [(1.8, MET), (1.79, NOT_MET)])
def test_lab_multiple_of_lower_limit(
    builder: Any, check_rule: Any, value: float, expected: str
) -> None:
    rule = {"rule": "lab", "lab": "neutrophils", "op": ">=", "lln": 1.0}
    patient = builder.lab("neutrophils", value, "10^9/L", ref_low=1.8).build()
    assert _status(check_rule, rule, patient) == expected


def test_lab_without_its_normal_range_is_unknown(builder: Any, check_rule: Any) -> None:
    rule = {"rule": "lab", "lab": "alt", "op": "<=", "uln": 2.5}
    result = check_rule(rule, builder.lab("alt", 30.0, "U/L").build())
    assert result.status is Status.UNKNOWN
    assert "reference range" in result.reason


def test_lab_uln_multiple_uses_the_lab_s_own_unit_and_range(builder: Any, check_rule: Any) -> None:
    rule = {"rule": "lab", "lab": "creatinine", "op": "<=", "uln": 1.5}
    result = check_rule(rule, builder.lab("creatinine", 126.0, "umol/L", ref_high=84.0).build())
    assert result.status is Status.MET  # exactly 1.5 x ULN
    derived = next(e for e in result.evidence if e.item == "creatinine_x_normal_limit")
    assert derived.value == pytest.approx(1.5)


@pytest.mark.parametrize(
    ("lab", "value", "unit", "ref_high", "rule", "expected"),
    [
        # 1.05 / 0.7 = 1.5000000000000002 in floating point: exactly 1.5 x ULN all the same
        ("bilirubin_total", 1.05, "mg/dL", 0.7, {"op": "<=", "uln": 1.5}, MET),
        ("bilirubin_total", 1.06, "mg/dL", 0.7, {"op": "<=", "uln": 1.5}, NOT_MET),
        ("alt", 2.1, "ukat/L", 0.7, {"op": "<=", "uln": 3}, MET),  # 3.0000000000000004
        ("alt", 2.11, "ukat/L", 0.7, {"op": "<=", "uln": 3}, NOT_MET),
        # 700 /uL -> 0.7000000000000001 x 10^9/L
        ("neutrophils", 700.0, "/uL", None, {"op": "<=", "value": 0.7, "unit": "10^9/L"}, MET),
        ("neutrophils", 701.0, "/uL", None, {"op": "<=", "value": 0.7, "unit": "10^9/L"}, NOT_MET),
    ],
)  # fmt: skip
def test_lab_exactly_on_the_threshold_after_arithmetic_is_on_it(
    builder: Any,
    check_rule: Any,
    lab: str,
    value: float,
    unit: str,
    ref_high: float | None,
    rule: dict[str, Any],
    expected: str,
) -> None:
    patient = builder.lab(lab, value, unit, ref_high=ref_high).build()
    assert _status(check_rule, {"rule": "lab", "lab": lab, **rule}, patient) == expected


@pytest.mark.parametrize(("age_days", "expected"), [(7, MET), (8, UNKNOWN)])
def test_lab_rule_max_age_overrides_the_protocol(
    builder: Any, check_rule: Any, age_days: int, expected: str
) -> None:
    rule = {"rule": "lab", "lab": "haemoglobin", "op": ">=", "value": 9, "unit": "g/dL",
            "max_age_days": 7}  # fmt: skip
    patient = builder.lab("haemoglobin", 12.0, "g/dL", on=builder.before(age_days)).build()
    assert _status(check_rule, rule, patient) == expected


def test_lab_uses_the_latest_result_on_or_before_screening(builder: Any, check_rule: Any) -> None:
    rule = {"rule": "lab", "lab": "hb", "op": ">=", "value": 9, "unit": "g/dL"}  # an alias
    builder.lab("haemoglobin", 8.0, "g/dL", on=builder.before(10))
    builder.record["labs"].append(
        {"name": "Hb", "value": 10.0, "unit": "g/dL", "date": builder.before(2)}
    )
    builder.record["labs"].append(
        {"name": "HGB", "value": 7.0, "unit": "g/dL", "date": builder.screening + timedelta(1)}
    )
    result = check_rule(rule, builder.build())
    assert result.status is Status.MET
    assert result.evidence[0].value == 10.0


def test_lab_never_measured_is_unknown(builder: Any, check_rule: Any) -> None:
    rule = {"rule": "lab", "lab": "calcitonin", "op": "<=", "uln": 1}
    assert _status(check_rule, rule, builder.build()) == UNKNOWN


# -- therapy ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("days", "expected"), [(84, MET), (83, NOT_MET)])
def test_therapy_minimum_duration(
    builder: Any, ac225: Any, status_of: Any, days: int, expected: str
) -> None:
    # 225Ac IN05 for G1/G2 NET: at least 12 weeks of octreotide LAR with progression on it
    start = date(2025, 1, 6)
    builder.therapies(
        {
            "category": "ssa_lar",
            "start_date": start,
            "end_date": start + timedelta(days=days),
            "progression_on_therapy": True,
        }
    )
    assert status_of(builder.build(), ac225, "IN05") == expected


@pytest.mark.parametrize(("progression", "expected"),
                         [(True, MET), (False, NOT_MET), (None, UNKNOWN)])  # fmt: skip
def test_therapy_with_progression(
    builder: Any, ac225: Any, status_of: Any, progression: bool | None, expected: str
) -> None:
    entry: dict[str, Any] = {"category": "ssa_lar", "start_date": date(2024, 1, 1),
                             "end_date": date(2025, 12, 1)}  # fmt: skip
    if progression is not None:
        entry["progression_on_therapy"] = progression
    assert status_of(builder.therapies(entry).build(), ac225, "IN05") == expected


@pytest.mark.parametrize(
    ("category", "expected"),
    [("chemotherapy", MET), ("prrt_lu177", MET), ("surgery_major", NOT_MET), ("biopsy", NOT_MET)],
)
def test_g3_needs_progression_on_a_prior_treatment_line(
    builder: Any, ac225: Any, status_of: Any, category: str, expected: str
) -> None:
    builder.set("diagnosis.grade", "G3").therapies(
        {"category": category, "start_date": date(2025, 1, 1), "end_date": date(2025, 6, 1),
         "progression_on_therapy": True}
    )  # fmt: skip
    assert status_of(builder.build(), ac225, "IN05") == expected


@pytest.mark.parametrize(
    ("category", "expected"), [("ssa_lar", MET), ("ssa_short", MET), ("prrt_lu177", NOT_MET)]
)
def test_planned_therapy_between_the_scans(
    builder: Any, pentixafor: Any, status_of: Any, category: str, expected: str
) -> None:
    assert status_of(builder.build(), pentixafor, "EX04") == MET
    builder.therapy(category, planned=True)
    assert status_of(builder.build(), pentixafor, "EX04") == expected


def test_therapy_window_over_the_whole_history(builder: Any, bordet: Any, status_of: Any) -> None:
    assert status_of(builder.build(), bordet, "EX05") == MET
    builder.therapy("ebrt_kidney", start_date=date(2009, 5, 4), end_date=date(2009, 5, 29))
    assert status_of(builder.build(), bordet, "EX05") == NOT_MET


def test_therapy_still_given_reaches_the_reference_date(builder: Any, check_rule: Any) -> None:
    rule = {"rule": "therapy", "categories": ["tki"], "require": "absent", "within_days": 7}
    builder.therapy("tki", start_date=date(2024, 1, 1), ongoing=True)
    assert _status(check_rule, rule, builder.build()) == NOT_MET


# -- condition -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("fields", "expected"),
                         [(None, MET), ({"present": False}, MET), ({}, NOT_MET)])  # fmt: skip
def test_condition_absent(
    builder: Any, ac225: Any, status_of: Any, fields: dict[str, Any] | None, expected: str
) -> None:
    if fields is not None:
        builder.condition("active_infection", **fields)
    assert status_of(builder.build(), ac225, "EX14") == expected


@pytest.mark.parametrize(("controlled", "expected"),
                         [(True, MET), (False, NOT_MET), (None, UNKNOWN)])  # fmt: skip
def test_condition_unless_controlled(
    builder: Any, ac225: Any, status_of: Any, controlled: bool | None, expected: str
) -> None:
    fields = {} if controlled is None else {"controlled": controlled}
    builder.condition("heart_failure", **fields)
    assert status_of(builder.build(), ac225, "EX09") == expected


@pytest.mark.parametrize(("days", "expected"), [(168, MET), (167, NOT_MET), (None, NOT_MET)])
def test_condition_unless_stable_for_24_weeks(
    builder: Any, ac225: Any, status_of: Any, days: int | None, expected: str
) -> None:
    fields = {} if days is None else {"stable_since": builder.before(days)}
    builder.condition("brain_metastases", controlled=True, **fields)
    assert status_of(builder.build(), ac225, "EX08") == expected


@pytest.mark.parametrize(("grade", "expected"),
                         [(0, MET), (1, MET), (2, NOT_MET), (None, UNKNOWN)])  # fmt: skip
def test_condition_up_to_a_toxicity_grade(
    builder: Any, ac225: Any, status_of: Any, grade: int | None, expected: str
) -> None:
    fields = {} if grade is None else {"grade": grade}
    builder.condition("prior_therapy_toxicity", **fields)
    assert status_of(builder.build(), ac225, "EX06") == expected


@pytest.mark.parametrize(("fields", "expected"),
                         [(None, UNKNOWN), ({}, MET), ({"present": False}, NOT_MET)])  # fmt: skip
def test_condition_required_present(
    builder: Any, check_rule: Any, fields: dict[str, Any] | None, expected: str
) -> None:
    rule = {"rule": "condition", "condition": "carcinoid_syndrome", "require": "present"}
    if fields is not None:
        builder.condition("carcinoid_syndrome", **fields)
    assert _status(check_rule, rule, builder.build()) == expected


def test_condition_latest_record_wins(builder: Any, ac225: Any, status_of: Any) -> None:
    builder.condition("active_infection", date=builder.before(40))
    builder.condition("active_infection", present=False, date=builder.before(2))
    assert status_of(builder.build(), ac225, "EX14") == MET


# -- event ---------------------------------------------------------------------------------------
def test_event_required_absent(builder: Any, ac225: Any, status_of: Any) -> None:
    assert status_of(builder.build(), ac225, "EX04") == MET
    builder.event("rapid_progression_on_prrt", date(2025, 11, 3))
    assert status_of(builder.build(), ac225, "EX04") == NOT_MET


def test_event_after_the_reference_date_is_ignored(builder: Any, check_rule: Any) -> None:
    rule = {"rule": "event", "types": ["progression_radiological"], "within_days": 30}
    builder.event("progression_radiological", builder.screening + timedelta(days=1))
    assert _status(check_rule, rule, builder.build()) == UNKNOWN
    builder.event("progression_radiological", builder.screening)
    assert _status(check_rule, rule, builder.build()) == MET


# -- lesion --------------------------------------------------------------------------------------
def _lesion(**fields: Any) -> dict[str, Any]:
    base = {"id": "X1", "site": "liver", "modality": "CT", "date": date(2026, 2, 20)}
    return {**base, **fields}


@pytest.mark.parametrize(
    ("lesion", "expected"),
    [
        (_lesion(long_axis_mm=15.0), MET),
        (_lesion(long_axis_mm=14.9), NOT_MET),
        (_lesion(site="node", nodal=True, long_axis_mm=14.0, short_axis_mm=15.0), MET),
        (_lesion(long_axis_mm=40.0, modality="PET"), UNKNOWN),  # no CT/MR measurement
        (_lesion(long_axis_mm=40.0, date=date(2025, 11, 30)), UNKNOWN),  # 92 days old
        (_lesion(long_axis_mm=40.0, date=date(2025, 12, 1)), MET),  # 91 days old
        (_lesion(), UNKNOWN),  # size not recorded
    ],
)
def test_lesion_size_in_any_dimension(
    builder: Any, pentixafor: Any, status_of: Any, lesion: dict[str, Any], expected: str
) -> None:
    assert status_of(builder.lesions(lesion).build(), pentixafor, "IN04") == expected


_TARGET = {"long_axis_mm": 20.0, "krenning_score": 3, "progressive": True,
           "previously_irradiated": False}  # fmt: skip


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({}, MET),
        ({"long_axis_mm": 19.9}, NOT_MET),
        ({"krenning_score": 2}, NOT_MET),
        ({"krenning_score": 4}, MET),
        ({"krenning_score": None}, UNKNOWN),
        ({"progressive": False}, NOT_MET),
        ({"previously_irradiated": True}, NOT_MET),
        ({"previously_irradiated": None}, UNKNOWN),
    ],
)
def test_lesion_target_for_bordet(
    builder: Any, bordet: Any, status_of: Any, change: dict[str, Any], expected: str
) -> None:
    lesion = {k: v for k, v in _lesion(**{**_TARGET, **change}).items() if v is not None}
    assert status_of(builder.lesions(lesion).build(), bordet, "IN13") == expected


def test_lesion_minimum_count(builder: Any, check_rule: Any) -> None:
    rule = {"rule": "lesion", "min_count": 2, "min_diameter_mm": 10}
    builder.lesions(_lesion(long_axis_mm=12.0), _lesion(id="X2", long_axis_mm=9.0))
    assert _status(check_rule, rule, builder.build()) == NOT_MET
    builder.record["lesions"][1]["long_axis_mm"] = 10.0
    assert _status(check_rule, rule, builder.build()) == MET


@pytest.mark.parametrize(
    ("lesion", "expected"),
    [
        (_lesion(long_axis_mm=10.0), True),
        (_lesion(long_axis_mm=9.9), False),
        (_lesion(long_axis_mm=10.0, modality="MR"), True),
        (_lesion(site="node", nodal=True, long_axis_mm=30.0, short_axis_mm=15.0), True),
        (_lesion(site="node", nodal=True, long_axis_mm=30.0, short_axis_mm=14.9), False),
        (_lesion(site="lung", long_axis_mm=20.0, modality="XR"), True),
        (_lesion(site="lung", long_axis_mm=19.9, modality="XR"), False),
        (_lesion(long_axis_mm=40.0, modality="US"), False),
        (_lesion(long_axis_mm=40.0, measurable=False), False),
        (_lesion(), None),
    ],
)
def test_recist_measurability(lesion: dict[str, Any], expected: bool | None) -> None:
    # RECIST 1.1 (Eisenhauer et al. 2009): >= 10 mm on CT/MR, nodes >= 15 mm short axis,
    # >= 20 mm on chest X-ray
    assert recist_measurable(LesionRecord.model_validate(lesion)) is expected


@pytest.mark.parametrize(
    ("lesion", "expected"),
    [
        # a node is judged by its short axis even when the record does not say nodal: true
        (_lesion(site="para-aortic lymph node", long_axis_mm=25.0, short_axis_mm=12.0), False),
        (_lesion(site="mesenteric LN", long_axis_mm=25.0, short_axis_mm=15.0), True),
        (_lesion(site="retroperitoneal nodes", long_axis_mm=25.0), None),
        (_lesion(site="lung nodule", long_axis_mm=12.0), True),  # a nodule is no node
        (_lesion(site="lymph node", nodal=False, long_axis_mm=12.0), True),  # stated wins
    ],
)
def test_recist_measurability_of_nodes_named_by_site(
    lesion: dict[str, Any], expected: bool | None
) -> None:
    assert recist_measurable(LesionRecord.model_validate(lesion)) is expected


@pytest.mark.parametrize(
    ("lesion", "expected"),
    [(_lesion(site="node", nodal=True, long_axis_mm=22.0, short_axis_mm=15.0), MET),
     (_lesion(site="node", nodal=True, long_axis_mm=22.0, short_axis_mm=14.9), NOT_MET)],
)  # fmt: skip
def test_225ac_measurable_node(
    builder: Any, ac225: Any, status_of: Any, lesion: dict[str, Any], expected: str
) -> None:
    assert status_of(builder.lesions(lesion).build(), ac225, "IN06") == expected


# -- imaging -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("study", "expected"),
    [
        ({"tracer": "68Ga-DOTATATE", "findings": {"sstr_positive": True}}, MET),
        ({"tracer": "68Ga-DOTATOC", "findings": {"sstr_positive": True}}, MET),
        ({"tracer": "[64Cu]Cu-DOTATATE", "findings": {"sstr_positive": True}}, MET),
        ({"tracer": "68Ga-DOTATATE", "findings": {"sstr_positive": False}}, NOT_MET),
        ({"tracer": "68Ga-DOTATATE"}, UNKNOWN),
        ({"tracer": "18F-FDG", "findings": {"sstr_positive": True}}, UNKNOWN),  # not SSTR
    ],
)
def test_imaging_finding(
    builder: Any, ac225: Any, status_of: Any, study: dict[str, Any], expected: str
) -> None:
    builder.imaging({"modality": "PET/CT", "date": builder.before(10), **study})
    assert status_of(builder.build(), ac225, "IN07") == expected


def test_imaging_tracer_and_modality_must_both_match(builder: Any, check_rule: Any) -> None:
    rule = {"rule": "imaging", "modalities": ["PET"], "tracers": ["FDG"], "within_days": 28}
    builder.imaging({"modality": "CT", "tracer": "FDG", "date": builder.before(3)})
    assert _status(check_rule, rule, builder.build()) == UNKNOWN
    builder.imaging({"modality": "PET/CT", "tracer": "[18F]fluorodeoxyglucose",
                     "date": builder.before(3)})  # fmt: skip
    assert _status(check_rule, rule, builder.build()) == MET


# -- attestation and combinators -------------------------------------------------------------
def test_attestation_uses_the_criterion_id(builder: Any, check_rule: Any) -> None:
    rule = {"rule": "attestation", "question": "Is the patient fit?"}
    assert _status(check_rule, rule, builder.build()) == REVIEW
    assert _status(check_rule, rule, builder.attest("C1", True).build()) == MET
    assert _status(check_rule, rule, builder.attest("C1", False).build()) == NOT_MET


_T = {"rule": "compare", "fact": "ecog", "op": "==", "value": 0}  # met
_F = {"rule": "compare", "fact": "ecog", "op": "==", "value": 1}  # not met
_U = {"rule": "compare", "fact": "flags.unrecorded", "op": "==", "value": True}  # unknown
_R = {"rule": "attestation", "question": "?"}  # needs review


@pytest.mark.parametrize(
    ("rules", "all_of", "any_of"),
    [
        ([_T, _T], MET, MET),
        ([_T, _F], NOT_MET, MET),
        ([_F, _F], NOT_MET, NOT_MET),
        ([_T, _U], UNKNOWN, MET),
        ([_F, _U], NOT_MET, UNKNOWN),
        ([_T, _R], REVIEW, MET),
        ([_F, _R], NOT_MET, REVIEW),
        ([_U, _R], UNKNOWN, UNKNOWN),
    ],
)
def test_all_of_and_any_of(
    builder: Any, check_rule: Any, rules: list[dict[str, Any]], all_of: str, any_of: str
) -> None:
    patient = builder.build()
    assert _status(check_rule, {"rule": "all_of", "rules": rules}, patient) == all_of
    assert _status(check_rule, {"rule": "any_of", "rules": rules}, patient) == any_of


@pytest.mark.parametrize(
    ("condition", "then", "otherwise", "expected"),
    [
        (_T, _T, _F, MET), (_T, _F, _T, NOT_MET), (_F, _F, _T, MET), (_F, _T, _F, NOT_MET),
        (_F, _F, None, MET),  # not applicable
        (_U, _T, _T, MET), (_U, _F, _F, NOT_MET), (_U, _T, _F, UNKNOWN), (_U, _T, None, MET),
        (_U, _F, None, UNKNOWN),
    ],
)  # fmt: skip
def test_if_then_otherwise(
    builder: Any, check_rule: Any, condition: Any, then: Any, otherwise: Any, expected: str
) -> None:
    rule: dict[str, Any] = {"rule": "if", "condition": condition, "then": then}
    if otherwise is not None:
        rule["otherwise"] = otherwise
    assert _status(check_rule, rule, builder.build()) == expected
