"""Events per variable: is a binary outcome model fitted on enough events?

Peduzzi et al. (1996) simulated logistic regression with 2 to 25 events per predictor
variable (EPV) and found that below about 10 EPV the coefficients are biased (in both
directions), their variances misestimated, the 90 % confidence intervals miss their
nominal coverage and the Wald tests lose validity; 10 EPV has since been the usual
minimum (Peduzzi P, Concato J, Kemper E, Holford TR, Feinstein AR. A simulation study of
the number of events per variable in logistic regression analysis. J Clin Epidemiol
1996;49:1373-1379). The "events" are the rows in the less frequent outcome class (the
responders when responses are rare, the non-responders when they are common); the
"variables" are the model's predictor parameters, the intercept excluded.

The check applies to a binary outcome. A linear model of a continuous outcome needs far
fewer subjects per predictor (about 2, Austin & Steyerberg 2015, J Clin Epidemiol
68:627-636), so no such warning is given for it. With lesions clustered in patients the
rule is counted over lesions; the effective sample size is smaller, so the warning is, if
anything, lenient there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from theratrial.errors import ParameterError

__all__ = ["MIN_EVENTS_PER_VARIABLE", "EventsPerVariable", "events_per_variable"]

MIN_EVENTS_PER_VARIABLE = 10.0
"""Events per predictor below which a binary outcome model is flagged (Peduzzi 1996)."""


@dataclass(frozen=True, slots=True)
class EventsPerVariable:
    """Events per predictor variable of a binary outcome model.

    Attributes
    ----------
    n_events
        Rows in the less frequent outcome class.
    n_rows
        Rows in the model (complete cases).
    n_predictors
        Predictor parameters (the intercept excluded).
    epv
        ``n_events / n_predictors``.
    minimum
        The threshold the model was held to (default 10, Peduzzi et al. 1996).
    adequate
        ``epv >= minimum``.
    warning
        One sentence for the user when the model is not adequate, else ``None``.
    """

    n_events: int
    n_rows: int
    n_predictors: int
    epv: float
    minimum: float
    adequate: bool
    warning: str | None


def events_per_variable(
    outcome: ArrayLike, n_predictors: int, *, minimum: float = MIN_EVENTS_PER_VARIABLE
) -> EventsPerVariable:
    """Events per predictor variable of a binary outcome, with a warning below ``minimum``.

    Parameters
    ----------
    outcome
        The 0/1 outcome of the rows in the model; non-finite values are left out.
    n_predictors
        Number of predictor parameters (>= 1).
    minimum
        Events per variable below which to warn (> 0; Peduzzi et al. 1996: 10).

    Returns
    -------
    EventsPerVariable

    Raises
    ------
    ParameterError
        ``n_predictors`` below 1, ``minimum`` not positive, an outcome other than 0/1.

    Examples
    --------
    >>> res = events_per_variable([1] * 7 + [0] * 23, 2)
    >>> res.n_events, res.epv, res.adequate
    (7, 3.5, False)
    >>> print(res.warning)
    7 events (the less frequent outcome) for 2 predictors: 3.5 events per predictor, below 10 (Peduzzi et al. 1996); estimates may be biased and their intervals too narrow: use fewer predictors or more patients
    >>> events_per_variable([1] * 40 + [0] * 25, 2).adequate
    True
    """  # noqa: E501
    if n_predictors < 1:
        raise ParameterError(f"need at least one predictor, got {n_predictors}", field="predictors")
    if not (np.isfinite(minimum) and minimum > 0):
        raise ParameterError(f"minimum must be positive, got {minimum:g}", field="minimum")
    y = np.asarray(outcome, dtype=float).ravel()
    y = y[np.isfinite(y)]
    if np.any((y != 0.0) & (y != 1.0)):
        raise ParameterError(
            "events per variable needs a 0/1 outcome", field="outcome", hint="code it 0/1"
        )
    positives = int(np.count_nonzero(y == 1.0))
    n_events = min(positives, y.size - positives)
    epv = n_events / n_predictors
    adequate = epv >= minimum
    warning = None
    if not adequate:
        noun = "predictor" if n_predictors == 1 else "predictors"
        warning = (
            f"{n_events} events (the less frequent outcome) for {n_predictors} {noun}: "
            f"{epv:.3g} events per predictor, below {minimum:g} (Peduzzi et al. 1996); "
            "estimates may be biased and their intervals too narrow: use fewer predictors "
            "or more patients"
        )
    return EventsPerVariable(
        n_events=n_events,
        n_rows=int(y.size),
        n_predictors=n_predictors,
        epv=epv,
        minimum=float(minimum),
        adequate=adequate,
        warning=warning,
    )
