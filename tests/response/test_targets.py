"""Measurability and baseline selection of target lesions (RECIST 1.1, 3.1-3.2)."""

from __future__ import annotations

from datetime import date

import pytest

from theratrial.errors import PatientRecordError
from theratrial.response import (
    LesionObservation,
    LesionStatus,
    TimePoint,
    is_measurable,
    select_targets,
)


def _les(lid: str, organ: str, mm: float | None, **kw: object) -> LesionObservation:
    return LesionObservation(lid, organ, measurement_mm=mm, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("lesion", "expected"),
    [
        (_les("a", "liver", 10.0), True),
        (_les("a", "liver", 9.9), False),
        (_les("a", "lung", 20.0, method="xray"), True),
        (_les("a", "lung", 19.9, method="chest x-ray"), False),
        (_les("n", "node", 15.0, nodal=True), True),
        (_les("n", "node", 14.9, nodal=True), False),
        (_les("a", "liver", None), False),
        (_les("a", "liver", 5.0, status=LesionStatus.TOO_SMALL), False),
    ],
)
def test_measurability_both_sides(lesion: LesionObservation, expected: bool) -> None:
    assert is_measurable(lesion) is expected


def test_at_most_two_per_organ_and_five_in_all_nodes_one_organ() -> None:
    lesions = [_les(f"H{i}", "Liver", 50.0 - i) for i in range(4)]
    lesions += [_les(f"N{i}", f"node station {i}", 30.0 - i, nodal=True) for i in range(3)]
    lesions += [_les("P1", "lung", 12.0), _les("K1", "kidney", 11.0)]
    sel = select_targets(TimePoint(date(2024, 1, 1), tuple(lesions)))
    assert len(sel.target_ids) == 5
    assert sum(t.startswith("H") for t in sel.target_ids) == 2
    assert sum(t.startswith("N") for t in sel.target_ids) == 1 + (sel.target_ids.count("N1"))
    assert {"H0", "N0", "P1", "K1"} <= set(sel.target_ids)  # every organ represented first
    assert "H2" in sel.non_target_ids


def test_small_and_normal_lesions() -> None:
    lesions = (
        _les("L1", "liver", 25.0),
        _les("N1", "node", 12.0, nodal=True),  # pathological, non-measurable: non-target
        _les("N2", "node", 8.0, nodal=True),  # normal: not followed
        _les("A1", "peritoneum", None),  # non-measurable (e.g. ascites)
    )
    sel = select_targets(TimePoint(date(2024, 1, 1), lesions))
    assert sel.target_ids == ("L1",)
    assert sel.non_target_ids == ("N1", "A1")
    assert sel.normal_node_ids == ("N2",)


def test_input_flags_are_kept_with_warnings() -> None:
    lesions = tuple(_les(f"H{i}", "liver", 30.0, target=True) for i in range(3))
    sel = select_targets(TimePoint(date(2024, 1, 1), lesions))
    assert sel.selected_by == "input"
    assert sel.warnings == ("3 target lesions in liver (at most 2)",)


def test_no_lesion_at_baseline() -> None:
    with pytest.raises(PatientRecordError, match="no lesion present at baseline"):
        select_targets(TimePoint(date(2024, 1, 1), (_les("L1", "liver", 0.0),)))


def test_explicit_non_targets_leave_the_rest_to_the_rules() -> None:
    lesions = (
        _les("L1", "liver", 40.0, target=False),  # the reader keeps it non-target
        _les("L2", "liver", 20.0),
        _les("P1", "lung", 15.0),
    )
    sel = select_targets(TimePoint(date(2024, 1, 1), lesions))
    assert sel.selected_by == "rules"
    assert sel.target_ids == ("L2", "P1")
    assert sel.non_target_ids == ("L1",)


def test_lesions_without_organ_are_not_capped_together() -> None:
    lesions = tuple(_les(f"L{i}", "", 30.0 - i) for i in range(4))
    sel = select_targets(TimePoint(date(2024, 1, 1), lesions))
    assert sel.target_ids == ("L0", "L1", "L2", "L3")
    assert "2-per-organ rule was not applied" in sel.warnings[0]
