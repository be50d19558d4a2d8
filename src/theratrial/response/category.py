"""Response categories of RECIST 1.1 and the overall time-point response table.

The overall response at a time point combines the target response, the non-target response
and the appearance of new lesions (Eisenhauer et al. 2009, Eur J Cancer 45:228-247,
Table 1 for patients with target disease, Table 2 for non-target disease only).
"""

from __future__ import annotations

from enum import StrEnum

from theratrial.errors import ComputationError

__all__ = ["ResponseCategory", "overall_response"]


class ResponseCategory(StrEnum):
    """RECIST 1.1 response codes.

    ``NA`` marks a category with nothing to assess (no target, or no non-target lesion at
    baseline); it is never an overall response.
    """

    CR = "CR"
    PR = "PR"
    SD = "SD"
    NON_CR_NON_PD = "NON-CR/NON-PD"
    PD = "PD"
    NE = "NE"
    NA = "NA"


_C = ResponseCategory


def overall_response(
    target: ResponseCategory, non_target: ResponseCategory, new_lesions: bool
) -> ResponseCategory:
    """The overall time-point response of RECIST 1.1 Tables 1 and 2.

    Parameters
    ----------
    target
        CR, PR, SD, PD, NE, or NA when the patient has no target lesion (Table 2 then).
    non_target
        CR, NON-CR/NON-PD, PD, NE, or NA when there is no non-target lesion (read as CR).
    new_lesions
        True when an unequivocal new lesion is seen.

    Returns
    -------
    ResponseCategory
        CR, PR, SD, NON-CR/NON-PD (non-target disease only), PD or NE.

    Raises
    ------
    ComputationError
        A category that the tables do not allow in that place (PR for non-target lesions).

    Examples
    --------
    >>> overall_response(ResponseCategory.CR, ResponseCategory.NON_CR_NON_PD, False).value
    'PR'
    >>> overall_response(ResponseCategory.PR, ResponseCategory.NE, False).value
    'PR'
    >>> overall_response(ResponseCategory.NE, ResponseCategory.CR, False).value
    'NE'
    >>> overall_response(ResponseCategory.SD, ResponseCategory.CR, True).value
    'PD'
    """
    if target not in (_C.CR, _C.PR, _C.SD, _C.PD, _C.NE, _C.NA):
        raise ComputationError(f"{target.value} is not a target-lesion response", field="target")
    if non_target not in (_C.CR, _C.NON_CR_NON_PD, _C.PD, _C.NE, _C.NA):
        raise ComputationError(
            f"{non_target.value} is not a non-target response", field="non_target"
        )
    if new_lesions or target is _C.PD or non_target is _C.PD:
        return _C.PD
    if target is _C.NA:  # Table 2: non-target disease only
        if non_target is _C.NA:
            raise ComputationError(
                "no target and no non-target lesion to assess",
                hint="a RECIST assessment needs at least one lesion at baseline",
            )
        return non_target
    if target is _C.NE:
        return _C.NE
    if target is _C.CR:
        if non_target in (_C.CR, _C.NA):
            return _C.CR
        return _C.PR  # CR with non-CR/non-PD or not-evaluated non-targets
    return target  # PR or SD with non-PD or not-all-evaluated non-targets
