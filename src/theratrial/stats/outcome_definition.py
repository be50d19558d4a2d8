"""How an outcome column is read: continuous, 0/1, labels, or a responder threshold.

A lesion-level outcome is a change in longest diameter (continuous) or a responder flag: a
stated threshold on the change (RECIST's -30 % applied per lesion, say), a 0/1 or yes/no
column, or categorical labels of which some count as positive (CR and PR for an objective
response, CR, PR and SD for disease control; Eisenhauer et al. 2009).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from theratrial.errors import ParameterError, TableError
from theratrial.stats._table import bool_column, numeric_column, require_columns

__all__ = ["OutcomeDefinition", "outcome_values"]


@dataclass(frozen=True, slots=True)
class OutcomeDefinition:
    """How the outcome was read.

    Attributes
    ----------
    column
        Source column.
    kind
        ``continuous`` or ``binary``.
    threshold, below
        For a responder defined from a continuous column: responder when the value is
        <= threshold (``below``) or >= threshold.
    positive_labels
        For a categorical column: the labels that count as 1 (e.g. CR, PR).
    description
        One line for reports.
    """

    column: str
    kind: str
    threshold: float | None
    below: bool
    positive_labels: tuple[str, ...]
    description: str


def outcome_values(
    frame: pd.DataFrame,
    column: str,
    *,
    threshold: float | None = None,
    below: bool = True,
    positive_labels: Sequence[str] = (),
) -> tuple[NDArray[np.float64], OutcomeDefinition]:
    """Read the outcome column as numbers (NaN when missing) and say how it was read.

    A column of 0/1 (or yes/no, true/false) is binary; with ``positive_labels`` any listed
    label is 1; with ``threshold`` a continuous column becomes responder 1/0; otherwise it
    is continuous.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"change_pct": ["-45", "-10", "", "12"]})
    >>> y, d = outcome_values(df, "change_pct", threshold=-30)
    >>> y.tolist(), d.kind
    ([1.0, 0.0, nan, 0.0], 'binary')
    """
    col = require_columns(frame, [column], what="the outcome")[column]
    if positive_labels and threshold is not None:
        raise ParameterError(
            "give either positive labels or a responder threshold, not both",
            field="positive_labels",
            hint="labels for a categorical outcome (CR,PR), a threshold for a continuous one",
        )
    if positive_labels:
        values = bool_column(frame, col, positive=positive_labels)
        labels = tuple(positive_labels)
        if np.any(np.isfinite(values)) and not np.any(values == 1.0):
            found = sorted({str(v).strip() for v in frame[col].tolist() if str(v).strip()})
            raise TableError(
                f"none of the positive labels {', '.join(labels)} occurs in {col!r}",
                file=frame.attrs.get("file"),
                field=col,
                hint=f"the column holds {', '.join(found[:10])}; name the positive ones",
            )
        text = f"{col} in {{{', '.join(labels)}}}"
        return values, OutcomeDefinition(col, "binary", None, below, labels, text)
    try:
        values = numeric_column(frame, col)
    except TableError as numeric_error:
        try:
            values = bool_column(frame, col)
        except TableError:
            numeric_error.hint = (
                "write numbers, 0/1 or yes/no; for a categorical outcome name the positive "
                "labels (e.g. CR,PR)"
            )
            raise numeric_error from None
        return values, OutcomeDefinition(col, "binary", None, below, (), f"{col} (yes/no)")
    if threshold is not None:
        ok = np.isfinite(values)
        binary = np.full(len(values), np.nan)
        binary[ok] = (values[ok] <= threshold) if below else (values[ok] >= threshold)
        sign = "<=" if below else ">="
        text = f"responder: {col} {sign} {threshold:g}"
        return binary, OutcomeDefinition(col, "binary", float(threshold), below, (), text)
    seen = set(values[np.isfinite(values)].tolist())
    if seen and seen <= {0.0, 1.0}:
        return values, OutcomeDefinition(col, "binary", None, below, (), f"{col} (0/1)")
    return values, OutcomeDefinition(col, "continuous", None, below, (), f"{col} (continuous)")
