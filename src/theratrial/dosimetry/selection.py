"""Choosing among time-activity fits: AICc, with an F-test fallback for sparse data.

Every model is fitted (:func:`~theratrial.dosimetry.fit.fit_tac`) and the usable fit with the
lowest corrected Akaike criterion is kept (Glatting et al., Med. Phys. 34 (2007) 4285;
Kletting et al., Med. Phys. 40 (2013) 102504), with Akaike weights. With too few points for
AICc (n <= K + 1 for every model), the simplest usable model is kept, among those with an
uptake phase when the data rise before they fall, unless the extra-sum-of-squares F-test
(p < 0.05) favours a richer model that nests it. No usable fit: ``best`` is None and
``fallback`` names the model-free method.

Examples
--------
>>> import numpy as np
>>> from theratrial.dosimetry.tac import time_activity_curve
>>> t = np.array([1.0, 4.0, 24.0, 48.0, 72.0, 96.0, 168.0, 240.0])
>>> a = 80 * np.exp(-0.02 * t) + 40 * np.exp(-0.3 * t)
>>> sel = select_model(time_activity_curve(t, a), models=["mono_exponential", "bi_exponential"])
>>> sel.best.model, sel.criterion
('bi_exponential', 'AICc')
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from scipy.stats import f as f_distribution

from theratrial.dosimetry.fit import (
    EXACT_RELATIVE_RESIDUAL,
    FALLBACK,
    MODEL_NAMES,
    TacFit,
    fit_tac,
)
from theratrial.dosimetry.tac import TimeActivityCurve

__all__ = ["ModelSelection", "select_model"]

_UPTAKE_MODELS = ("uptake_washout", "tri_exponential")
_NESTED = {
    ("mono_exponential", "uptake_washout"),
    ("mono_exponential", "bi_exponential"),
    ("mono_exponential", "tri_exponential"),
    ("uptake_washout", "tri_exponential"),
    ("bi_exponential", "tri_exponential"),
}
_F_ALPHA = 0.05
_ORDERS_OF_MAGNITUDE = 100.0


def _f_test(simple: TacFit, rich: TacFit) -> float:
    """p-value of the extra-sum-of-squares F-test of a nested richer model (1 if untestable)."""
    n = simple.n_points
    extra = rich.n_parameters - simple.n_parameters
    dof = n - rich.n_parameters
    if extra <= 0 or dof <= 0:
        return 1.0
    floor = n * EXACT_RELATIVE_RESIDUAL**2
    rss_simple = max(simple.weighted_rss, floor)
    rss_rich = max(rich.weighted_rss, floor)
    if rss_rich >= rss_simple:
        return 1.0
    statistic = ((rss_simple - rss_rich) / extra) / (rss_rich / dof)
    return float(f_distribution.sf(statistic, extra, dof))


def _prefer_richer(
    best: TacFit, criterion: str, unscored: Sequence[TacFit]
) -> tuple[TacFit, str, str]:
    """Replace ``best`` by a richer nested fit whose AICc is undefined when it fits better.

    With residual degrees of freedom, the extra-sum-of-squares F-test decides (p < 0.05);
    an exactly determined richer fit (n = p) wins when its weighted RSS is orders of
    magnitude (x 1/100) below that of ``best``: the richer model then describes the data
    and the simpler one does not, whatever the noise (Kletting et al. 2013).
    """
    notes = []
    for other in sorted(unscored, key=lambda f: f.n_parameters):
        if other.n_parameters <= best.n_parameters or (best.model, other.model) not in _NESTED:
            continue
        if other.n_points > other.n_parameters:
            p_value = _f_test(best, other)
            if p_value < _F_ALPHA:
                notes.append(
                    f"{other.model} (AICc undefined with {other.n_points} points) preferred "
                    f"to {best.model} by the F-test (p = {p_value:.2g})"
                )
                best, criterion = other, "F-test"
        elif _floored(other) * _ORDERS_OF_MAGNITUDE <= _floored(best):
            notes.append(
                f"{other.model} fits the {other.n_points} points exactly (no residual "
                f"degrees of freedom: no AICc, no F-test) while {best.model} leaves residuals "
                f"{_floored(best) / _floored(other):.2g} times larger: {other.model} kept"
            )
            best, criterion = other, "exact fit"
    return best, criterion, "; ".join(notes)


def _floored(fit: TacFit) -> float:
    return max(fit.weighted_rss, fit.n_points * EXACT_RELATIVE_RESIDUAL**2)


@dataclass(frozen=True, slots=True)
class ModelSelection:
    """The outcome of fitting several models and choosing one.

    Attributes
    ----------
    region
        Region name.
    best
        The chosen fit, or None when no fit is usable.
    candidates
        Every fit tried, in the order of the models asked for.
    akaike_weights
        Akaike weight of each candidate (NaN where AICc is undefined or the fit failed).
    criterion
        How ``best`` was chosen.
    fallback
        :data:`FALLBACK` when no fit is usable, else None.
    warnings
        Cautions about the choice.
    """

    region: str
    best: TacFit | None
    candidates: tuple[TacFit, ...]
    akaike_weights: tuple[float, ...]
    criterion: str
    fallback: str | None
    warnings: tuple[str, ...]


def select_model(
    tac: TimeActivityCurve,
    *,
    models: Sequence[str] = MODEL_NAMES,
    weighting: str = "relative",
) -> ModelSelection:
    """Fit every model in ``models`` and keep the one with the lowest AICc.

    When AICc is undefined for every usable fit (n <= p + 2), the usable fit with the
    fewest parameters is kept (among models with an uptake phase when the data rise before
    they fall), unless the extra-sum-of-squares F-test at p < 0.05 favours a richer model
    that nests it (Glatting et al. 2007 compare both criteria); a warning says which.
    When no fit is usable, ``best`` is None and ``fallback`` names the model-free method.

    Examples
    --------
    >>> import numpy as np
    >>> from theratrial.dosimetry.tac import time_activity_curve
    >>> t = np.array([1.0, 4.0, 24.0, 48.0, 72.0, 96.0, 168.0, 240.0])
    >>> a = 80 * np.exp(-0.02 * t) + 40 * np.exp(-0.3 * t)
    >>> sel = select_model(time_activity_curve(t, a), models=["mono_exponential", "bi_exponential"])
    >>> sel.best.model, sel.criterion
    ('bi_exponential', 'AICc')
    """
    fits = tuple(fit_tac(tac, m, weighting=weighting) for m in models)
    usable = [f for f in fits if f.success]
    scored = [f for f in usable if math.isfinite(f.aicc)]
    warnings: list[str] = []
    weights = [math.nan] * len(fits)
    if scored:
        low = min(f.aicc for f in scored)
        raw = {id(f): math.exp(-0.5 * (f.aicc - low)) for f in scored}
        total = sum(raw.values())
        weights = [raw[id(f)] / total if id(f) in raw else math.nan for f in fits]
        best: TacFit | None = min(scored, key=lambda f: f.aicc)
        criterion = "AICc"
    elif usable:
        shaped = [f for f in usable if f.model in _UPTAKE_MODELS] if tac.peak_index > 0 else []
        pool = shaped or usable
        best = min(pool, key=lambda f: (f.n_parameters, f.weighted_rss))
        criterion = "fewest parameters"
        shape = "with an uptake phase " if shaped else ""
        warnings.append(
            f"AICc undefined with {tac.n_points} points for every usable model; kept the "
            f"simplest model {shape}unless a richer nested model fits significantly better"
        )
    else:
        best, criterion = None, "none"
        warnings.append(
            "no fit usable (" + "; ".join(f"{f.model}: {f.message}" for f in fits) + f"); "
            f"falling back to {FALLBACK}"
        )
    if best is not None:
        unscored = [f for f in usable if not math.isfinite(f.aicc)]
        best, criterion, note = _prefer_richer(best, criterion, unscored)
        if note:
            warnings.append(note)
    if (
        best is not None
        and best.model in ("mono_exponential", "bi_exponential")
        and (tac.peak_index > 0)
    ):
        warnings.append(
            "the data rise before they fall but the chosen model has no uptake phase: "
            "the activity before the peak is extrapolated"
        )
    return ModelSelection(
        tac.region, best, fits, tuple(weights), criterion,
        None if best is not None else FALLBACK, tuple(warnings),
    )  # fmt: skip
