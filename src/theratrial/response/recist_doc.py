"""A RECIST 1.1 evaluation as a JSON document (the contract of ``recist --json`` and the API).

Per time point: the sum of diameters (mm), its change from baseline and from the nadir
(percent), the target, non-target and new-lesion responses and the overall response; then
the best overall response, confirmed when a confirmation interval was asked for
(Eisenhauer et al. 2009, Eur J Cancer 45:228-247, sections 4.3-4.4).
"""

from __future__ import annotations

import dataclasses
import enum
import math
from datetime import date, datetime
from typing import Any

from theratrial.response.recist import RecistEvaluation

__all__ = ["recist_payload"]

CRITERIA = "RECIST 1.1 (Eisenhauer et al. 2009, Eur J Cancer 45:228-247)"


def _plain(value: Any) -> Any:
    """Dataclasses, enums, dates and numbers as JSON values (NaN as None)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return _plain(value.value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and hasattr(value, "dtype"):  # a NumPy scalar
        return _plain(value.item())
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def recist_payload(evaluation: RecistEvaluation) -> dict[str, Any]:
    """The JSON document of one patient's RECIST 1.1 evaluation.

    Examples
    --------
    >>> from theratrial.response import evaluate_recist_dict
    >>> ev = evaluate_recist_dict({"time_points": [
    ...     {"date": "2025-01-01", "lesions": [
    ...         {"id": "L1", "organ": "liver", "measurement_mm": 40, "target": True}]},
    ...     {"date": "2025-03-01", "lesions": [{"id": "L1", "measurement_mm": 20}]}]})
    >>> doc = recist_payload(ev)
    >>> doc["best_overall_response"], doc["time_points"][1]["sum_mm"]
    ('PR', 20.0)
    """
    bor = evaluation.best_overall_response
    confirmed = evaluation.best_overall_response_confirmed
    return {
        "criteria": CRITERIA,
        "time_points": _plain(list(evaluation.time_points)),
        "best_overall_response": bor.response.value,
        "best_overall_response_detail": _plain(bor),
        "best_overall_response_unconfirmed": (
            evaluation.best_overall_response_unconfirmed.response.value
        ),
        "best_overall_response_confirmed": None if confirmed is None else confirmed.response.value,
        "best_change_from_baseline_pct": evaluation.best_change_from_baseline_pct,
        "baseline": _plain(evaluation.baseline),
        "options": {"confirm_days": evaluation.confirm_days, "min_sd_days": evaluation.min_sd_days},
        "units": {
            "sum_mm": "mm",
            "nadir_mm": "mm",
            "change_*_pct": "percent",
            "day": "days from the reference date (baseline_date or first scan)",
        },
    }
