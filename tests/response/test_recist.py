"""RECIST 1.1 time-point and best overall responses (Eisenhauer et al. 2009)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from theratrial.errors import PatientRecordError
from theratrial.response import (
    ResponseCategory,
    assessment_from_dict,
    evaluate_recist,
    evaluate_recist_dict,
)

C = ResponseCategory
START = date(2024, 1, 1)


def _lesion(lid: str, mm: Any, **extra: Any) -> dict[str, Any]:
    organ = extra.pop("organ", "liver")
    return {"id": lid, "organ": organ, "measurement_mm": mm, **extra}


def _record(*visits: tuple[int, list[dict[str, Any]]], **top: Any) -> dict[str, Any]:
    return {
        **top,
        "time_points": [
            {"date": (START + timedelta(days=day)).isoformat(), "lesions": lesions}
            for day, lesions in visits
        ],
    }


def _one_target(*sizes: float | None, step: int = 56) -> dict[str, Any]:
    return _record(*((i * step, [_lesion("L1", s)]) for i, s in enumerate(sizes)))


def _overall(record: dict[str, Any], **opts: Any) -> list[str]:
    ev = evaluate_recist_dict(record, **opts)
    return [tp.overall.value for tp in ev.time_points[1:] if tp.overall is not None]


# --- target thresholds, both sides -------------------------------------------------------


@pytest.mark.parametrize(
    ("follow_up", "expected"),
    [
        (35.0, "PR"),  # exactly -30 %
        (34.9, "PR"),
        (35.1, "SD"),  # -29.8 %
        (50.0, "SD"),
    ],
)
def test_partial_response_threshold(follow_up: float, expected: str) -> None:
    assert _overall(_one_target(50.0, follow_up)) == [expected]


@pytest.mark.parametrize(
    ("follow_up", "expected"),
    [
        (60.0, "PD"),  # +20 % and +10 mm over the 50 mm nadir
        (59.9, "SD"),  # +19.8 %
        (60.1, "PD"),
    ],
)
def test_progression_relative_threshold(follow_up: float, expected: str) -> None:
    assert _overall(_one_target(50.0, follow_up)) == [expected]


@pytest.mark.parametrize(
    ("follow_up", "expected"),
    [
        (15.0, "PD"),  # 10 -> 15: +50 % and exactly +5 mm
        (14.9, "SD"),  # +49 % but only 4.9 mm: the absolute rule blocks PD
        (14.0, "PR"),  # +40 %, +4 mm: not PD, and still -30 % from the 20 mm baseline
    ],
)
def test_progression_absolute_5mm_rule(follow_up: float, expected: str) -> None:
    # baseline 20 mm, nadir 10 mm (PR), then regrowth
    record = _one_target(20.0, 10.0, follow_up)
    assert _overall(record) == ["PR", expected]


def test_progression_is_measured_from_the_nadir_not_baseline() -> None:
    # 100 -> 60 (PR, nadir 60) -> 72: +20 % over nadir, still -28 % from baseline
    ev = evaluate_recist_dict(_one_target(100.0, 60.0, 72.0))
    tp = ev.time_points[2]
    assert tp.target is C.PD
    assert tp.change_from_baseline_pct == pytest.approx(-28.0)
    assert tp.change_from_nadir_pct == pytest.approx(20.0)
    assert tp.nadir_mm == 60.0


def test_pd_wins_over_pr_when_both_thresholds_are_met() -> None:
    # 100 -> 10 -> 60: 40 % below baseline (PR level) but 500 % over the nadir
    assert _overall(_one_target(100.0, 10.0, 60.0)) == ["PR", "PD"]


def test_stable_disease_when_sum_unchanged() -> None:
    ev = evaluate_recist_dict(_one_target(40.0, 42.0))
    assert ev.time_points[1].target is C.SD
    assert ev.time_points[1].change_from_baseline_pct == pytest.approx(5.0)


# --- complete response and nodes ----------------------------------------------------------


def test_complete_response_when_non_nodal_target_disappears() -> None:
    assert _overall(_one_target(30.0, 0.0)) == ["CR"]


def test_nodal_cr_with_nonzero_sum() -> None:
    record = _record(
        (0, [_lesion("L1", 25.0), _lesion("N1", 18.0, organ="lymph node", nodal=True)]),
        (56, [_lesion("L1", 0.0), _lesion("N1", 9.0)]),
    )
    tp = evaluate_recist_dict(record).time_points[1]
    assert tp.target is C.CR
    assert tp.sum_mm == 9.0  # nodes keep their short axis in the sum


def test_node_at_10mm_is_not_cr() -> None:
    record = _record(
        (0, [_lesion("L1", 25.0), _lesion("N1", 18.0, organ="lymph node", nodal=True)]),
        (56, [_lesion("L1", 0.0), _lesion("N1", 10.0)]),
    )
    tp = evaluate_recist_dict(record).time_points[1]
    assert tp.target is C.PR  # 43 -> 10 mm, -77 %


def test_too_small_to_measure_is_5mm_and_not_cr() -> None:
    ev = evaluate_recist_dict(_one_target(30.0, "too_small"))
    tp = ev.time_points[1]
    assert tp.sum_mm == 5.0
    assert tp.target is C.PR


def test_split_lesion_sums_fragments() -> None:
    ev = evaluate_recist_dict(_one_target(30.0, [10.0, 12.0]))
    assert ev.time_points[1].sum_mm == 22.0


# --- non-target lesions and new lesions ----------------------------------------------------


def _with_non_target(status: Any, markers: bool | None = None) -> dict[str, Any]:
    record = _record(
        (0, [_lesion("L1", 30.0, target=True), _lesion("B1", None, organ="bone", target=False)]),
        (56, [_lesion("L1", 0.0), {"id": "B1", "status": status}]),
    )
    if markers is not None:
        record["time_points"][1]["tumour_markers_normal"] = markers
    return record


@pytest.mark.parametrize(
    ("status", "non_target", "overall"),
    [
        ("absent", "CR", "CR"),
        ("present", "NON-CR/NON-PD", "PR"),  # target CR + non-target persisting = PR
        ("not_evaluated", "NE", "PR"),  # target CR + non-target NE = PR (Table 1)
        ("unequivocal_progression", "PD", "PD"),
    ],
)
def test_table1_with_target_cr(status: str, non_target: str, overall: str) -> None:
    tp = evaluate_recist_dict(_with_non_target(status)).time_points[1]
    assert tp.non_target.value == non_target
    assert tp.overall.value == overall


def test_abnormal_tumour_markers_block_non_target_cr() -> None:
    tp = evaluate_recist_dict(_with_non_target("absent", markers=False)).time_points[1]
    assert tp.non_target is C.NON_CR_NON_PD
    assert tp.overall is C.PR


def test_non_target_node_below_10mm_is_normal() -> None:
    record = _record(
        (0, [_lesion("L1", 30.0, target=True), _lesion("N2", 12.0, organ="node", target=False)]),
        (56, [_lesion("L1", 0.0), _lesion("N2", 9.5)]),
    )
    assert evaluate_recist_dict(record).time_points[1].overall is C.CR


def test_missing_non_target_lesion_is_ne() -> None:
    record = _record(
        (0, [_lesion("L1", 30.0, target=True), _lesion("B1", None, organ="bone", target=False)]),
        (56, [_lesion("L1", 25.0)]),
    )
    tp = evaluate_recist_dict(record).time_points[1]
    assert tp.non_target is C.NE
    assert tp.overall is C.SD  # SD with non-target NE stays SD


def test_new_lesion_is_pd_even_with_shrinkage() -> None:
    record = _record(
        (0, [_lesion("L1", 30.0)]),
        (56, [_lesion("L1", 10.0), _lesion("L9", 6.0, organ="lung", new=True)]),
    )
    tp = evaluate_recist_dict(record).time_points[1]
    assert tp.target is C.PR
    assert tp.new_lesions
    assert tp.new_lesion_ids == ("L9",)
    assert tp.overall is C.PD


def test_equivocal_new_lesion_confirmed_later_dates_pd_back() -> None:
    record = _record(
        (0, [_lesion("L1", 30.0)]),
        (56, [_lesion("L1", 28.0), _lesion("X", None, organ="lung", new="equivocal")]),
        (112, [_lesion("L1", 28.0), _lesion("X", 8.0, organ="lung", new=True)]),
    )
    ev = evaluate_recist_dict(record)
    assert [tp.overall for tp in ev.time_points[1:]] == [C.PD, C.PD]
    assert any("confirmed" in note for note in ev.time_points[1].notes)


def test_equivocal_new_lesion_never_confirmed_is_not_pd() -> None:
    record = _record(
        (0, [_lesion("L1", 30.0)]),
        (56, [_lesion("L1", 28.0), _lesion("X", None, organ="lung", new="equivocal")]),
        (112, [_lesion("L1", 28.0), _lesion("X", None, status="absent")]),
    )
    ev = evaluate_recist_dict(record)
    assert [tp.overall for tp in ev.time_points[1:]] == [C.SD, C.SD]
    assert ev.time_points[1].equivocal_new_lesion_ids == ("X",)


def test_unknown_lesion_not_marked_new_is_an_error() -> None:
    record = _record((0, [_lesion("L1", 30.0)]), (56, [_lesion("L1", 28.0), _lesion("L7", 9)]))
    with pytest.raises(PatientRecordError, match="not recorded at baseline") as info:
        evaluate_recist_dict(record)
    assert info.value.field == "time_points[1].lesions[1].id"


def test_non_target_only_disease_uses_table_2() -> None:
    record = _record(
        (0, [_lesion("B1", None, organ="bone", target=False)]),
        (56, [{"id": "B1", "status": "present"}]),
        (112, [{"id": "B1", "status": "absent"}]),
    )
    ev = evaluate_recist_dict(record)
    assert [tp.target for tp in ev.time_points[1:]] == [C.NA, C.NA]
    assert [tp.overall for tp in ev.time_points[1:]] == [C.NON_CR_NON_PD, C.CR]


# --- reappearing lesions ---------------------------------------------------------------------


def test_reappearance_after_cr_is_pd() -> None:
    ev = evaluate_recist_dict(_one_target(30.0, 0.0, 4.0))
    assert [tp.overall for tp in ev.time_points[1:]] == [C.CR, C.PD]
    assert any("reappeared" in n for n in ev.time_points[2].notes)


def test_reappearance_without_prior_cr_reenters_the_sum() -> None:
    # two targets; one disappears (PR), then reappears small: sum rule decides
    record = _record(
        (0, [_lesion("L1", 30.0), _lesion("L2", 20.0, organ="lung")]),
        (56, [_lesion("L1", 20.0), _lesion("L2", 0.0)]),  # 20 mm: PR (-60 %)
        (112, [_lesion("L1", 20.0), _lesion("L2", 4.0)]),  # 24 mm: +20 % but < 5 mm: PR
        (168, [_lesion("L1", 20.0), _lesion("L2", 5.0)]),  # 25 mm: +25 %, +5 mm: PD
    )
    assert _overall(record) == ["PR", "PR", "PD"]


def test_nodal_target_back_to_10mm_after_cr_is_pd() -> None:
    record = _record(
        (0, [_lesion("N1", 20.0, organ="node", nodal=True)]),
        (56, [_lesion("N1", 8.0)]),
        (112, [_lesion("N1", 10.0)]),
    )
    assert _overall(record) == ["CR", "PD"]


def test_cr_persists_when_node_stays_below_10mm() -> None:
    record = _record(
        (0, [_lesion("N1", 20.0, organ="node", nodal=True)]),
        (56, [_lesion("N1", 8.0)]),
        (112, [_lesion("N1", 9.0)]),
    )
    assert _overall(record) == ["CR", "CR"]


# --- missing assessments -------------------------------------------------------------------


def _two_targets(l1: float | None, l2: float | None) -> dict[str, Any]:
    return _record(
        (0, [_lesion("L1", 30.0), _lesion("L2", 20.0, organ="lung")]),
        (56, [_lesion("L1", l1), _lesion("L2", l2, organ="lung")]),
    )


def test_missing_target_makes_the_sum_ne() -> None:
    tp = evaluate_recist_dict(_two_targets(10.0, None)).time_points[1]
    assert tp.target is C.NE
    assert tp.overall is C.NE
    assert tp.sum_mm is None
    assert tp.change_from_baseline_pct is None
    assert tp.missing_target_ids == ("L2",)
    assert tp.measured_sum_mm == 10.0


def test_missing_target_but_measured_sum_already_pd() -> None:
    # RECIST 1.1, 4.3.4: baseline 50 mm, the measured lesion alone is 61 mm
    tp = evaluate_recist_dict(_two_targets(61.0, None)).time_points[1]
    assert tp.target is C.PD
    assert tp.overall is C.PD


def test_missing_target_that_could_still_matter_is_ne_not_pd() -> None:
    tp = evaluate_recist_dict(_two_targets(59.0, None)).time_points[1]
    assert tp.target is C.NE


def test_target_omitted_from_the_list_counts_as_not_assessed() -> None:
    record = _record(
        (0, [_lesion("L1", 30.0), _lesion("L2", 20.0, organ="lung")]),
        (56, [_lesion("L1", 10.0)]),
    )
    assert evaluate_recist_dict(record).time_points[1].target is C.NE


def test_not_done_time_point_is_ne_and_does_not_move_the_nadir() -> None:
    record = _one_target(50.0, 40.0, 40.0, 49.0)
    record["time_points"][2] = {"date": record["time_points"][2]["date"], "not_done": True}
    ev = evaluate_recist_dict(record)
    assert [tp.overall for tp in ev.time_points[1:]] == [C.SD, C.NE, C.PD]
    assert ev.time_points[3].nadir_mm == 40.0


# --- best overall response -------------------------------------------------------------------


def test_bor_confirmation_interval_both_sides() -> None:
    on_time = _record(
        (0, [_lesion("L1", 50.0)]), (56, [_lesion("L1", 30.0)]), (84, [_lesion("L1", 30.0)])
    )
    early = _record(
        (0, [_lesion("L1", 50.0)]), (56, [_lesion("L1", 30.0)]), (83, [_lesion("L1", 30.0)])
    )
    assert evaluate_recist_dict(on_time, confirm_days=28).best_overall_response.response is C.PR
    ev = evaluate_recist_dict(early, confirm_days=28)
    assert ev.best_overall_response.response is C.SD
    assert ev.best_overall_response_unconfirmed.response is C.PR


def test_bor_confirmed_cr_and_cr_then_pr() -> None:
    cr = evaluate_recist_dict(_one_target(30.0, 0.0, 0.0), confirm_days=28)
    assert cr.best_overall_response.response is C.CR
    assert cr.best_overall_response.confirmation_day == 112


def test_bor_without_confirmation_is_best_time_point() -> None:
    ev = evaluate_recist_dict(_one_target(50.0, 34.0, 70.0))
    assert ev.best_overall_response.response is C.PR
    assert ev.best_overall_response_confirmed is None


def test_bor_ignores_responses_after_first_pd() -> None:
    record = _record(
        (0, [_lesion("L1", 50.0)]),
        (56, [_lesion("L1", 50.0), _lesion("N", 10.0, organ="lung", new=True)]),
        (112, [_lesion("L1", 20.0), _lesion("N", 0.0)]),
    )
    assert evaluate_recist_dict(record).best_overall_response.response is C.PD


@pytest.mark.parametrize(("min_days", "expected"), [(55, "SD"), (56, "SD"), (57, "PD")])
def test_bor_minimum_sd_duration(min_days: int, expected: str) -> None:
    ev = evaluate_recist_dict(_one_target(50.0, 50.0, 80.0), min_sd_days=min_days)
    assert ev.best_overall_response.response.value == expected


def test_bor_sd_too_early_then_lost_to_follow_up_is_ne() -> None:
    ev = evaluate_recist_dict(_one_target(50.0, 50.0, step=30), min_sd_days=42)
    assert ev.best_overall_response.response is C.NE


def test_min_sd_days_counted_from_treatment_start() -> None:
    record = _one_target(50.0, 50.0, step=40)
    record["baseline_date"] = (START - timedelta(days=5)).isoformat()
    ev = evaluate_recist_dict(record, min_sd_days=42)
    assert ev.time_points[1].day == 45
    assert ev.best_overall_response.response is C.SD


def test_best_change_for_waterfall_stops_at_pd() -> None:
    ev = evaluate_recist_dict(_one_target(50.0, 40.0, 70.0, 10.0))
    assert ev.best_change_from_baseline_pct == pytest.approx(-20.0)


# --- baseline ---------------------------------------------------------------------------------


def test_targets_selected_by_rules_when_flags_absent() -> None:
    lesions = [_lesion(f"H{i}", 30.0 + i) for i in range(3)]
    lesions += [_lesion("P1", 12.0, organ="lung"), _lesion("S1", 9.0, organ="spleen")]
    lesions += [_lesion("N1", 15.0, organ="node", nodal=True)]
    lesions += [_lesion("N2", 14.0, organ="node", nodal=True)]
    ev = evaluate_recist_dict(_record((0, lesions), (56, [])))
    assert ev.baseline.selected_by == "rules"
    assert set(ev.baseline.target_ids) == {"H2", "H1", "P1", "N1"}
    assert set(ev.baseline.non_target_ids) == {"H0", "S1", "N2"}
    assert ev.baseline.baseline_sum_mm == pytest.approx(32 + 31 + 12 + 15)


def test_flagged_target_without_measurement_is_an_error() -> None:
    record = _record((0, [_lesion("L1", None, target=True)]), (56, []))
    with pytest.raises(PatientRecordError, match="no baseline measurement"):
        evaluate_recist_dict(record)


def test_flagged_non_measurable_target_gives_a_warning() -> None:
    record = _record((0, [_lesion("L1", 8.0, target=True)]), (56, [_lesion("L1", 8.0)]))
    ev = evaluate_recist_dict(record)
    assert ev.baseline.warnings == ("target lesion L1 is not measurable at baseline",)


# --- invariants -------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    baseline=st.floats(10.0, 200.0),
    ratios=st.lists(st.floats(0.0, 2.5), min_size=1, max_size=6),
)
def test_single_target_invariants(baseline: float, ratios: list[float]) -> None:
    sizes = [baseline, *(baseline * r for r in ratios)]
    ev = evaluate_recist(assessment_from_dict(_one_target(*sizes)))
    nadir = baseline
    previous = None
    for tp, size in zip(ev.time_points[1:], sizes[1:], strict=True):
        if tp.target is C.PR:
            assert size <= 0.7 * baseline + 1e-6
        if tp.target is C.PD and previous is not C.CR:  # after CR, any reappearance is PD
            assert size - nadir >= 5.0 - 1e-6
            assert size >= 1.2 * nadir - 1e-6
        if tp.target is C.SD:
            assert size > 0.7 * baseline - 1e-6
        nadir = min(nadir, size)
        previous = tp.overall
        if tp.overall is C.PD:
            break
    assert ev.best_overall_response.response in {C.CR, C.PR, C.SD, C.PD}
