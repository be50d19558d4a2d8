"""Validation helpers shared by the dose-finding designs (private)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from theratrial.errors import ParameterError

__all__ = [
    "MAX_SAMPLE_SIZE",
    "binomial_pmf",
    "check_count",
    "check_probability",
    "check_probability_vector",
    "check_sample_size",
    "check_target",
]

MAX_SAMPLE_SIZE = 1000
"""Most patients in one dose-finding trial that the tables and simulations accept.

Phase I dose-finding trials treat tens of patients (BOIN and the CRM are studied up to
N = 60-100); decision tables grow with N^2 and simulations with N, so larger values only
hang the command."""


def check_sample_size(value: int, *, field: str, minimum: int = 1) -> int:
    """Return ``value`` if it is a whole number in ``minimum..MAX_SAMPLE_SIZE``, else raise."""
    value = check_count(value, field=field, minimum=minimum)
    if value > MAX_SAMPLE_SIZE:
        raise ParameterError(
            f"{value} patients is more than the {MAX_SAMPLE_SIZE} a dose-finding trial "
            "table or simulation accepts",
            field=field,
            hint=f"give at most {MAX_SAMPLE_SIZE}: phase I trials treat tens of patients",
        )
    return value


def check_target(target: float, *, field: str = "target") -> float:
    """Return ``target`` as a float if it lies strictly inside (0, 1), else raise."""
    return check_probability(target, field=field)


def check_probability(value: float, *, field: str) -> float:
    """Return ``value`` as a float if it is a finite number strictly inside (0, 1)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ParameterError(
            f"{value!r} is not a number", field=field, hint="give a probability such as 0.25"
        ) from None
    if not math.isfinite(number) or not 0.0 < number < 1.0:
        raise ParameterError(
            f"{value!r} is outside (0, 1)",
            field=field,
            hint="give a probability strictly between 0 and 1, such as 0.25",
        )
    return number


def check_probability_vector(
    values: Sequence[float], *, field: str, increasing: bool = False, open_zero: bool = True
) -> tuple[float, ...]:
    """Validate a vector of probabilities; optionally require it strictly increasing.

    With ``open_zero=False`` a probability of exactly 0 or 1 is accepted (true DLT
    probabilities of a simulation scenario may be 0).
    """
    out: list[float] = []
    for i, value in enumerate(values):
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ParameterError(
                f"{value!r} is not a number", field=f"{field}[{i}]", hint="give probabilities"
            ) from None
        ok = 0.0 < number < 1.0 if open_zero else 0.0 <= number <= 1.0
        if not math.isfinite(number) or not ok:
            bounds = "(0, 1)" if open_zero else "[0, 1]"
            raise ParameterError(
                f"{value!r} is outside {bounds}",
                field=f"{field}[{i}]",
                hint=f"every value must be a probability in {bounds}",
            )
        out.append(number)
    if not out:
        raise ParameterError("no values given", field=field, hint="give one value per dose level")
    if increasing and any(b <= a for a, b in itertools.pairwise(out)):
        raise ParameterError(
            f"values {out} are not strictly increasing",
            field=field,
            hint="order the values from the lowest to the highest dose level",
        )
    return tuple(out)


def check_count(value: int, *, field: str, minimum: int = 0) -> int:
    """Return ``value`` if it is an integer >= ``minimum`` (bools are refused)."""
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            as_float = float(value)
        except (TypeError, ValueError):
            raise ParameterError(
                f"{value!r} is not a whole number", field=field, hint="give a whole number"
            ) from None
        if not as_float.is_integer():
            raise ParameterError(
                f"{value!r} is not a whole number", field=field, hint="give a whole number"
            )
        value = int(as_float)
    if value < minimum:
        raise ParameterError(
            f"{value} is below the minimum {minimum}",
            field=field,
            hint=f"give a whole number >= {minimum}",
        )
    return value


def binomial_pmf(n: int, p: float) -> NDArray[np.float64]:
    """Binomial probabilities of 0..n events in ``n`` trials with probability ``p`` each.

    ``C(n, k) p^k (1 - p)^(n - k)``; exact enough for the small cohorts of dose finding,
    and free of :mod:`scipy.stats` (slow to import).

    >>> [round(float(x), 4) for x in binomial_pmf(3, 0.2)]
    [0.512, 0.384, 0.096, 0.008]
    """
    k = np.arange(n + 1)
    coeff = np.array([math.comb(n, int(i)) for i in k], dtype=np.float64)
    return coeff * np.power(p, k) * np.power(1.0 - p, n - k)
