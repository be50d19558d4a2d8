"""RECIST 1.1 Tables 1 and 2, every combination."""

from __future__ import annotations

import itertools

import pytest

from theratrial.errors import ComputationError
from theratrial.response import ResponseCategory, overall_response

C = ResponseCategory
TARGETS = (C.CR, C.PR, C.SD, C.PD, C.NE)
NON_TARGETS = (C.CR, C.NON_CR_NON_PD, C.PD, C.NE, C.NA)


def _table_1(target: C, non_target: C, new: bool) -> C:
    """Eisenhauer et al. 2009, Table 1, written out row by row."""
    if new or target is C.PD or non_target is C.PD:
        return C.PD
    if target is C.CR and non_target in (C.CR, C.NA):
        return C.CR
    if target is C.CR:  # non-CR/non-PD or not all evaluated
        return C.PR
    if target is C.PR:
        return C.PR
    if target is C.SD:
        return C.SD
    return C.NE  # target NE with non-PD non-targets


@pytest.mark.parametrize(
    ("target", "non_target", "new"), list(itertools.product(TARGETS, NON_TARGETS, (False, True)))
)
def test_table_1(target: C, non_target: C, new: bool) -> None:
    assert overall_response(target, non_target, new) is _table_1(target, non_target, new)


@pytest.mark.parametrize(
    ("non_target", "new", "expected"),
    [
        (C.CR, False, C.CR),
        (C.NON_CR_NON_PD, False, C.NON_CR_NON_PD),
        (C.NE, False, C.NE),
        (C.PD, False, C.PD),
        (C.CR, True, C.PD),
        (C.NON_CR_NON_PD, True, C.PD),
    ],
)
def test_table_2_non_target_disease_only(non_target: C, new: bool, expected: C) -> None:
    assert overall_response(C.NA, non_target, new) is expected


@pytest.mark.parametrize(("target", "non_target"), [(C.NON_CR_NON_PD, C.CR), (C.CR, C.PR)])
def test_categories_out_of_place(target: C, non_target: C) -> None:
    with pytest.raises(ComputationError):
        overall_response(target, non_target, False)


def test_nothing_to_assess() -> None:
    with pytest.raises(ComputationError, match="no target and no non-target"):
        overall_response(C.NA, C.NA, False)
