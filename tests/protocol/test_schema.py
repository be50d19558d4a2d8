"""The protocol schema: dosing, schedule, cohort and rule validators, and the seed trials."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pydantic import ValidationError

from theratrial.nuclides import nuclide
from theratrial.protocol import (
    Cohort,
    DoseLevel,
    Dosing,
    Protocol,
    Schedule,
    bundled_protocols,
    find_protocol,
)
from theratrial.protocol.rules import Compare, Lab, Therapy

_BASE: dict[str, Any] = {
    "schema_version": 1,
    "id": "T-1",
    "registry_ids": ["T-1"],
    "title": "t",
    "short_title": "t",
    "sponsor": "s",
    "phase": "1",
    "radiopharmaceuticals": [{"name": "x", "nuclide": "Lu-177", "role": "therapy"}],
    "dosing": {"rule": "fixed", "levels": [{"id": "STD", "activity_gbq": 7.4}]},
    "schedule": {"interval_weeks": 8, "window_min_weeks": 7, "window_max_weeks": 9,
                 "max_cycles": 4},
    "criteria": [
        {"id": "IN01", "section": "inclusion", "label": "adult", "source": "T-1 inclusion 1",
         "rule": {"rule": "compare", "fact": "age_years", "op": ">=", "value": 18}},
    ],
}  # fmt: skip


def _protocol(**changes: Any) -> Protocol:
    data = copy.deepcopy(_BASE)
    data.update(changes)
    return Protocol.model_validate(data)


def test_minimal_therapy_protocol() -> None:
    protocol = _protocol()
    assert protocol.therapy_nuclide() == "Lu-177"
    assert [c.id for c in protocol.inclusion] == ["IN01"]
    assert protocol.exclusion == []
    assert protocol.lab_max_age_days == 28


# -- dosing ------------------------------------------------------------------------------------
def test_dose_level_needs_exactly_one_amount() -> None:
    assert DoseLevel(id="A", activity_gbq=7.4).activity_kbq_per_kg is None
    assert DoseLevel(id="B", activity_kbq_per_kg=100).activity_gbq is None
    with pytest.raises(ValidationError, match="exactly one"):
        DoseLevel(id="C")
    with pytest.raises(ValidationError, match="exactly one"):
        DoseLevel(id="D", activity_gbq=7.4, activity_kbq_per_kg=100)
    with pytest.raises(ValidationError):
        DoseLevel(id="E", activity_gbq=0)


@pytest.mark.parametrize(
    ("rule", "levels", "start", "message"),
    [
        ("fixed", [{"id": "A", "activity_kbq_per_kg": 90}], None, "needs activity_gbq"),
        ("per_weight", [{"id": "A", "activity_gbq": 7.4}], None, "needs activity_kbq_per_kg"),
        ("per_weight", [{"id": "A", "activity_kbq_per_kg": 90},
                        {"id": "A", "activity_kbq_per_kg": 120}], None, "unique"),
        ("per_weight", [{"id": "A", "activity_kbq_per_kg": 90}], "B", "start_level"),
        ("fixed", [], None, "at least 1"),
    ],
)  # fmt: skip
def test_dosing_validators(
    rule: str, levels: list[dict[str, Any]], start: str | None, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        Dosing.model_validate({"rule": rule, "levels": levels, "start_level": start})


def test_dosing_per_weight_levels() -> None:
    dosing = Dosing.model_validate(
        {"rule": "per_weight", "start_level": "DL1",
         "levels": [{"id": "DL1", "activity_kbq_per_kg": 90},
                    {"id": "DL2", "activity_kbq_per_kg": 120}]}
    )  # fmt: skip
    assert [lv.activity_kbq_per_kg for lv in dosing.levels] == [90, 120]


@pytest.mark.parametrize(("given", "read"), [("BOIN", "boin"), ("3 + 3", "3+3"), ("i3+3", "i3+3")])
def test_dosing_states_its_design_in_any_spelling(given: str, read: str) -> None:
    dosing = Dosing.model_validate(
        {"rule": "fixed", "levels": [{"id": "A", "activity_gbq": 7.4}], "design": given,
         "target_dlt_rate": 0.3}
    )  # fmt: skip
    assert (dosing.design, dosing.target_dlt_rate) == (read, 0.3)


@pytest.mark.parametrize(
    ("extra", "field"), [({"design": "boinn"}, "design"), ({"target_dlt_rate": 1.2}, "target")]
)
def test_dosing_refuses_an_unknown_design_or_a_target_outside_0_1(
    extra: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError, match=field):
        Dosing.model_validate({"rule": "fixed", "levels": [{"id": "A", "activity_gbq": 7.4}],
                               **extra})  # fmt: skip


def test_the_designs_a_protocol_may_state_are_those_the_design_package_has() -> None:
    from typing import get_args

    from theratrial.design import DESIGN_NAMES

    stated = get_args(get_args(Dosing.model_fields["design"].annotation)[0])
    assert set(stated) == set(DESIGN_NAMES)


# -- schedule ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("interval", "low", "high", "ok"),
    [(8, 8, 8, True), (12, 11, 13, True), (8, 9, 10, False), (8, 6, 7, False)],
)
def test_schedule_window_must_hold_the_interval(
    interval: float, low: float, high: float, ok: bool
) -> None:
    data = {"interval_weeks": interval, "window_min_weeks": low, "window_max_weeks": high,
            "max_cycles": 4}  # fmt: skip
    if ok:
        assert Schedule.model_validate(data).interval_weeks == interval
    else:
        with pytest.raises(ValidationError, match="window_min_weeks <= interval_weeks"):
            Schedule.model_validate(data)


@pytest.mark.parametrize(
    "bad", [{"interval_weeks": 0}, {"max_cycles": 0}, {"window_min_weeks": -1}]
)
def test_schedule_positive_values(bad: dict[str, float]) -> None:
    data = {"interval_weeks": 8, "window_min_weeks": 7, "window_max_weeks": 9, "max_cycles": 4}
    with pytest.raises(ValidationError):
        Schedule.model_validate({**data, **bad})


# -- cohorts and protocol-level consistency ------------------------------------------------------
def test_cohort_with_an_assignment_rule() -> None:
    cohort = Cohort.model_validate(
        {"id": "c", "label": "c", "phase": "expansion",
         "assign_if": {"rule": "compare", "fact": "diagnosis.ki67_pct", "op": "<", "value": 3}}
    )  # fmt: skip
    assert isinstance(cohort.assign_if, Compare)
    with pytest.raises(ValidationError):
        Cohort.model_validate({"id": "c", "label": "c", "phase": "phase-9"})


def test_cohort_dose_levels_must_exist() -> None:
    good = [{"id": "main", "label": "all", "phase": "single_arm", "dose_levels": ["STD"]}]
    assert _protocol(cohorts=good).cohorts[0].dose_levels == ["STD"]
    bad = [{"id": "main", "label": "all", "phase": "single_arm", "dose_levels": ["DL9"]}]
    with pytest.raises(ValidationError, match="unknown dose levels"):
        _protocol(cohorts=bad)


def test_therapy_trial_needs_dosing_and_schedule() -> None:
    with pytest.raises(ValidationError, match="needs 'dosing' and 'schedule'"):
        _protocol(dosing=None)
    with pytest.raises(ValidationError, match="needs 'dosing' and 'schedule'"):
        _protocol(schedule=None)
    diagnostic = [{"name": "x", "nuclide": "Ga-68", "role": "diagnostic"}]
    assert _protocol(radiopharmaceuticals=diagnostic, dosing=None, schedule=None).dosing is None


def test_criterion_ids_must_be_unique() -> None:
    twice = _BASE["criteria"] * 2
    with pytest.raises(ValidationError, match="repeated: \\['IN01'\\]"):
        _protocol(criteria=twice)


def test_criterion_label_is_short() -> None:
    long = [{**_BASE["criteria"][0], "label": "x" * 121}]
    with pytest.raises(ValidationError):
        _protocol(criteria=long)


def test_schema_version_and_unknown_fields() -> None:
    with pytest.raises(ValidationError):
        _protocol(schema_version=2)
    with pytest.raises(ValidationError, match="Extra inputs"):
        _protocol(sponsr="typo")


# -- rules ---------------------------------------------------------------------------------------
def test_compare_membership_needs_a_list() -> None:
    assert Compare(rule="compare", fact="ecog", op="in", value=[0, 1]).value == [0, 1]
    with pytest.raises(ValidationError, match="list value"):
        Compare(rule="compare", fact="ecog", op="in", value=1)
    with pytest.raises(ValidationError, match="list value"):
        Compare(rule="compare", fact="ecog", op="<=", value=[1])


@pytest.mark.parametrize(
    ("fields", "ok"),
    [
        ({"value": 9, "unit": "g/dL"}, True), ({"uln": 2.5}, True), ({"lln": 1}, True),
        ({"value": 9}, False), ({}, False), ({"uln": 2.5, "lln": 1}, False),
        ({"value": 9, "unit": "g/dL", "uln": 2}, False),
    ],
)  # fmt: skip
def test_lab_threshold_forms(fields: dict[str, Any], ok: bool) -> None:
    data = {"rule": "lab", "lab": "haemoglobin", "op": ">=", **fields}
    if ok:
        Lab.model_validate(data)
    else:
        with pytest.raises(ValidationError):
            Lab.model_validate(data)


@pytest.mark.parametrize(
    ("fields", "days"), [({}, None), ({"within_days": 10}, 10.0), ({"within_weeks": 4}, 28.0)]
)
def test_therapy_window_days(fields: dict[str, Any], days: float | None) -> None:
    rule = Therapy.model_validate(
        {"rule": "therapy", "categories": ["chemotherapy"], "require": "absent", **fields}
    )
    assert rule.window_days == days


# -- the seed trials as data -------------------------------------------------------------------
def test_225ac_dosing_and_schedule() -> None:
    p = find_protocol("NCT06732505")
    assert p.therapy_nuclide() == "Ac-225"
    assert p.dosing is not None
    assert p.dosing.rule == "per_weight"
    assert {lv.id: lv.activity_kbq_per_kg for lv in p.dosing.levels} == {"DL1": 90, "DL2": 120}
    assert p.dosing.start_level == "DL1"
    assert p.schedule is not None
    assert (p.schedule.interval_weeks, p.schedule.max_cycles) == (8, 4)
    assert p.lab_max_age_days == 14
    escalation = [c for c in p.cohorts if c.phase == "escalation"]
    assert len(escalation) == 2
    assert all(c.escalated_independently for c in escalation)
    assert len([c for c in p.cohorts if c.phase == "expansion"]) == 3


def test_bordet_dosing_schedule_and_limits() -> None:
    p = find_protocol("NCT01842165")
    assert p.therapy_nuclide() == "Lu-177"
    assert p.dosing is not None
    assert p.dosing.levels[0].activity_gbq == 7.4
    assert p.schedule is not None
    assert (p.schedule.window_min_weeks, p.schedule.interval_weeks,
            p.schedule.window_max_weeks, p.schedule.max_cycles) == (11, 12, 13, 4)  # fmt: skip
    limits = {(o.organ, o.quantity, o.applies_if): o.limit for o in p.organ_limits}
    assert limits[("kidneys", "absorbed_dose_gy", None)] == 23
    assert limits[("kidneys", "bed_gy", None)] == 40
    assert limits[("kidneys", "bed_gy", "renal_risk_factors")] == 28
    assert limits[("bone_marrow", "absorbed_dose_gy", None)] == 2


def test_pentixafor_is_diagnostic() -> None:
    p = find_protocol("NCT03335670")
    assert p.therapy_nuclide() is None
    assert p.dosing is None
    assert p.schedule is None
    assert [r.nuclide for r in p.radiopharmaceuticals] == ["Ga-68"]


def test_every_seed_nuclide_is_known() -> None:
    for protocol in bundled_protocols():
        for rp in protocol.radiopharmaceuticals:
            assert nuclide(rp.nuclide).name == rp.nuclide
