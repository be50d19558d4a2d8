"""Best overall response: RECIST 1.1 section 4.4 and Table 3."""

from __future__ import annotations

import pytest

from theratrial.errors import ParameterError
from theratrial.response import ResponseCategory, best_overall_response

C = ResponseCategory


@pytest.mark.parametrize(
    ("first", "second", "sd_met", "expected"),
    [
        # Table 3 (confirmation required), second assessment >= 28 days after the first
        (C.CR, C.CR, True, C.CR),
        (C.CR, C.PR, True, C.PR),  # footnote a: the first CR was likely a PR
        (C.CR, C.SD, True, C.SD),
        (C.CR, C.SD, False, C.PD if False else C.NE),  # no PD recorded: NE (see below)
        (C.CR, C.PD, True, C.SD),
        (C.CR, C.PD, False, C.PD),
        (C.CR, C.NE, True, C.SD),
        (C.CR, C.NE, False, C.NE),
        (C.PR, C.CR, True, C.PR),
        (C.PR, C.PR, True, C.PR),
        (C.PR, C.SD, True, C.SD),
        (C.PR, C.PD, True, C.SD),
        (C.PR, C.PD, False, C.PD),
        (C.PR, C.NE, True, C.SD),
        (C.PR, C.NE, False, C.NE),
        (C.NE, C.NE, True, C.NE),
    ],
)
def test_table_3(first: C, second: C, sd_met: bool, expected: C) -> None:
    # first assessment on day 56; SD minimum 42 days (met) or 120 days (not met)
    responses = [(56, first), (100, second)]
    result = best_overall_response(responses, confirm_days=28, min_sd_days=42 if sd_met else 120)
    assert result.response is expected


def test_confirmation_may_skip_an_ne_but_not_an_sd() -> None:
    with_ne = [(56, C.PR), (84, C.NE), (112, C.PR)]
    with_sd = [(56, C.PR), (84, C.SD), (112, C.PR)]
    assert best_overall_response(with_ne, confirm_days=28).response is C.PR
    assert best_overall_response(with_sd, confirm_days=28).response is C.SD


def test_confirmation_exactly_at_the_interval() -> None:
    assert best_overall_response([(56, C.CR), (84, C.CR)], confirm_days=28).response is C.CR
    early = best_overall_response([(56, C.CR), (83, C.CR)], confirm_days=28)
    assert early.response is C.SD
    assert "from CR" in early.reason


def test_later_confirmation_of_an_early_response() -> None:
    result = best_overall_response([(30, C.PR), (45, C.PR), (70, C.PR)], confirm_days=28)
    assert (result.response, result.day, result.confirmation_day) == (C.PR, 30, 70)


def test_unconfirmed_best_is_the_best_time_point() -> None:
    result = best_overall_response([(56, C.SD), (112, C.PR), (168, C.PD)])
    assert (result.response, result.day) == (C.PR, 112)


def test_non_target_only_disease() -> None:
    result = best_overall_response(
        [(56, C.NON_CR_NON_PD), (112, C.NON_CR_NON_PD)], target_disease=False
    )
    assert result.response is C.NON_CR_NON_PD
    unconfirmed_cr = best_overall_response(
        [(56, C.CR), (70, C.NON_CR_NON_PD)], confirm_days=28, target_disease=False
    )
    assert unconfirmed_cr.response is C.NON_CR_NON_PD


def test_empty_and_bad_options() -> None:
    assert best_overall_response([]).response is C.NE
    with pytest.raises(ParameterError):
        best_overall_response([], confirm_days=-1)
    with pytest.raises(ParameterError):
        best_overall_response([], min_sd_days=-5)
