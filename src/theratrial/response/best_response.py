"""Best overall response (BOR) of RECIST 1.1, with or without confirmation.

Rules (Eisenhauer et al. 2009, Eur J Cancer 45:228-247, section 4.4 and Table 3):

- Only time points up to and including the first PD count.
- Without confirmation: the best time-point response; CR and PR count at once, SD (or
  NON-CR/NON-PD for non-target disease only) only at a time point at least
  ``min_sd_days`` after the reference date (start of treatment). If no response
  qualifies: PD if a PD was recorded, else NE ("SD then PD before the minimum duration"
  is PD; "SD then lost to follow-up" is NE).
- With confirmation (``confirm_days``): a CR counts when a later CR at least
  ``confirm_days`` after it confirms it, a PR when a later PR or CR does; an unconfirmed CR
  or PR falls back to SD when its time point meets the SD minimum duration (Table 3).

Interpretations (documented, as the guideline leaves them open):

- Between a response and its confirmation, NE time points are allowed; any other
  intervening response breaks the chain (PR, SD, PR confirms nothing; CR, PR, CR confirms
  PR only). A CR followed by a PR confirms PR (Table 3, footnote a: the first CR was
  likely a PR).
- The minimum SD duration applies to every SD-level time point, including those of Table
  3's "PR then SD" row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from theratrial.errors import ParameterError
from theratrial.response.category import ResponseCategory

__all__ = ["BestResponse", "best_overall_response"]

_C = ResponseCategory


@dataclass(frozen=True, slots=True)
class BestResponse:
    """Best overall response and where it came from.

    Attributes
    ----------
    response
        CR, PR, SD, NON-CR/NON-PD, PD or NE.
    day
        Day (from the reference date) of the time point that earned it; None for NE.
    confirmation_day
        Day of the confirming time point (confirmed CR/PR only).
    reason
        One sentence that explains the result.
    """

    response: ResponseCategory
    day: int | None
    confirmation_day: int | None
    reason: str


def _until_first_pd(
    responses: Sequence[tuple[int, ResponseCategory]],
) -> list[tuple[int, ResponseCategory]]:
    kept: list[tuple[int, ResponseCategory]] = []
    for day, response in responses:
        kept.append((day, response))
        if response is _C.PD:
            break
    return kept


def _confirmed(
    seq: list[tuple[int, ResponseCategory]],
    start: frozenset[ResponseCategory],
    confirm: frozenset[ResponseCategory],
    confirm_days: int,
) -> tuple[int, int] | None:
    allowed_between = confirm | {_C.NE}
    for i, (day_i, resp_i) in enumerate(seq):
        if resp_i not in start:
            continue
        for day_j, resp_j in seq[i + 1 :]:
            if resp_j in confirm and day_j - day_i >= confirm_days:
                return day_i, day_j
            if resp_j not in allowed_between:
                break
    return None


def best_overall_response(
    responses: Sequence[tuple[int, ResponseCategory]],
    *,
    confirm_days: int | None = None,
    min_sd_days: int = 0,
    target_disease: bool = True,
) -> BestResponse:
    """Best overall response from the follow-up time-point responses.

    Parameters
    ----------
    responses
        ``(day, overall response)`` of each follow-up time point in date order, the day
        counted from the reference date (start of treatment). The baseline is not included.
    confirm_days
        None: no confirmation (randomised trials). Otherwise the minimum interval in days
        between a CR/PR and the assessment that confirms it (RECIST 1.1: >= 28 days).
    min_sd_days
        Minimum days from the reference date for a time point to count as SD
        (protocol-defined, often 42-56 days); 0 for none.
    target_disease
        False for a patient with non-target disease only: the SD-level category is then
        NON-CR/NON-PD (RECIST 1.1, Table 2).

    Returns
    -------
    BestResponse

    Examples
    --------
    >>> C = ResponseCategory
    >>> best_overall_response([(56, C.PR), (112, C.PR)], confirm_days=28).response.value
    'PR'
    >>> best_overall_response([(56, C.PR), (70, C.PR)], confirm_days=28).response.value
    'SD'
    >>> best_overall_response([(30, C.SD), (60, C.PD)], min_sd_days=42).response.value
    'PD'
    >>> best_overall_response([(30, C.SD)], min_sd_days=42).response.value
    'NE'
    """
    if confirm_days is not None and confirm_days < 0:
        raise ParameterError(f"confirm_days must be >= 0, got {confirm_days}", field="confirm_days")
    if min_sd_days < 0:
        raise ParameterError(f"min_sd_days must be >= 0, got {min_sd_days}", field="min_sd_days")
    seq = _until_first_pd(responses)
    if confirm_days is None:
        for target in (_C.CR, _C.PR):
            for day, response in seq:
                if response is target:
                    return BestResponse(target, day, None, f"{target.value} on day {day}")
        sd_level = frozenset({_C.SD, _C.NON_CR_NON_PD})
    else:
        hit = _confirmed(seq, frozenset({_C.CR}), frozenset({_C.CR}), confirm_days)
        if hit is not None:
            return BestResponse(
                _C.CR, hit[0], hit[1], f"CR on day {hit[0]} confirmed on day {hit[1]}"
            )
        both = frozenset({_C.CR, _C.PR})
        hit = _confirmed(seq, both, both, confirm_days)
        if hit is not None:
            return BestResponse(
                _C.PR, hit[0], hit[1], f"PR on day {hit[0]} confirmed on day {hit[1]}"
            )
        sd_level = frozenset({_C.CR, _C.PR, _C.SD, _C.NON_CR_NON_PD})
    label = _C.SD if target_disease else _C.NON_CR_NON_PD
    for day, response in seq:
        if response in sd_level and day >= min_sd_days:
            note = "" if response is label else f" (from {response.value})"
            return BestResponse(
                label,
                day,
                None,
                f"{label.value} on day {day}{note}, at least {min_sd_days} days in",
            )
    for day, response in seq:
        if response is _C.PD:
            return BestResponse(_C.PD, day, None, f"PD on day {day}; no earlier response counts")
    return BestResponse(_C.NE, None, None, "no time point qualifies for a response")
