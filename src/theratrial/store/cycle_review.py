"""A stored cycle's dosimetry as one review document: points, fits, model choice, Ã, doses.

What the physicist reviews before signing the cycle's dosimetry (entity ``cycle_dosimetry``,
bound to :func:`theratrial.store.cycle_views.cycle_view`). Everything comes from the rows
``theratrial cycle record --dosimetry`` (and ``POST .../cycles``) stored: the time-activity
points (:class:`~theratrial.store.models_clinical.TimeActivityRow`) and, per region, the
dosimetry result (:class:`~theratrial.store.models_clinical.DoseResultRow`: the fitted model
and its parameters, the fit report with AICc and fallback, Ã, mass, absorbed dose, BED,
EQD2, warnings). Numbers carry their unit in their key.

Two values are derived here, each named as such:

- the residence time (h), Ã divided by the administered activity (MIRD Pamphlet 21,
  Bolch et al. 2009, J Nucl Med 50:477, "time-integrated activity coefficient");
- the candidate fits: the stored points fitted again with every model by
  :func:`theratrial.dosimetry.select_model` (the function that chose the stored model,
  AICc after Glatting et al. 2007, Med Phys 34:4285), so that the reviewer sees the AICc
  and Akaike weight of each candidate; the store keeps only the chosen one. ``agrees``
  says whether that choice is the stored model. Nothing stored is changed.

Examples
--------
>>> from types import SimpleNamespace as NS
>>> cycle = NS(cycle_number=1, administered_at=None, nuclide="Lu-177", activity_mbq=7400.0,
...            dose_level=None, weight_kg=70.0, tac=[],
...            doses=[NS(region="kidneys", model="mono_exponential", parameters={},
...                      tia_mbq_h=14800.0, mass_g=310.0, dose_gy=3.1, bed_gy=3.9,
...                      eqd2_gy=None, rbe_weighted_dose_gy=None, alpha_beta_gy=2.5,
...                      repair_half_time_h=2.8, effective_half_life_h=50.0,
...                      s_value_mgy_per_mbq_h=None, s_value_source=None,
...                      fit_report={"aicc": -3.2}, warnings=[])])
>>> doc = cycle_review(cycle, refit=False)
>>> region = doc["regions"][0]
>>> region["residence_time_h"], region["aicc"], region["kind"]
(2.0, -3.2, 'organ')
>>> region_kind("lesion_liver_01"), region_kind("kidney_left")
('lesion', 'organ')
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from theratrial.dosimetry import select_model, time_activity_curve
from theratrial.errors import TheratrialError
from theratrial.store.cycle_views import cycle_view

__all__ = ["LESION_PREFIXES", "cycle_review", "region_kind"]

LESION_PREFIXES = ("lesion", "tumour", "tumor", "met")
"""Region names starting with one of these (any case) are shown as lesions, others as organs."""


def region_kind(region: str) -> str:
    """``"lesion"`` or ``"organ"``: how the review groups a region (by its name only).

    Examples
    --------
    >>> region_kind("Tumor 2"), region_kind("liver")
    ('lesion', 'organ')
    """
    return "lesion" if region.strip().lower().startswith(LESION_PREFIXES) else "organ"


def _number(value: Any) -> float | None:
    """A finite float, else None (JSON has no NaN)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _candidates(region: str, nuclide: str, points: Sequence[tuple[float, float]]) -> dict[str, Any]:
    """Every model fitted again to the stored points, with AICc and Akaike weights."""
    try:
        tac = time_activity_curve(
            [t for t, _ in points], [a for _, a in points], region=region, nuclide=nuclide
        )
        selection = select_model(tac)
    except TheratrialError as exc:  # too few or invalid points: said, not raised
        return {"chosen": None, "criterion": None, "candidates": [], "note": exc.message}
    return {
        "chosen": None if selection.best is None else selection.best.model,
        "criterion": selection.criterion,
        "fallback": selection.fallback,
        "note": "; ".join(selection.warnings) or None,
        "candidates": [
            {
                "model": fit.model,
                "success": fit.success,
                "n_parameters": fit.n_parameters,
                "aicc": _number(fit.aicc),
                "akaike_weight": _number(weight),
                "tia_mbq_h": _number(fit.tia_mbq_h) if fit.success else None,
                "message": fit.message,
            }
            for fit, weight in zip(selection.candidates, selection.akaike_weights, strict=True)
        ],
    }


def cycle_review(cycle: Any, *, refit: bool = True) -> dict[str, Any]:
    """The review document of a stored cycle (a stored ``CycleRow`` with its points and doses).

    Keys: those of :func:`~theratrial.store.cycle_views.cycle_view` (``cycle``,
    ``administered_at``, ``nuclide``, ``activity_mbq``, ``dose_level``, ``weight_kg``,
    ``dosimetry``: the signed content) plus ``times_h`` (every scan time, h) and
    ``regions``, one per region with dosimetry or points, sorted by name: ``region``,
    ``kind``, ``points`` ([{``time_h``, ``activity_mbq``}]), ``model``, ``parameters``
    (amplitudes in MBq, decay constants in 1/h), ``parameter_se``, ``aicc``, ``fallback``,
    ``effective_half_life_h``, ``tia_mbq_h``, ``tia_se_mbq_h``, ``residence_time_h``,
    ``mass_g``, ``s_value_mgy_per_mbq_h``, ``s_value_source``, ``dose_gy``,
    ``dose_gy_per_gbq``, ``bed_gy``, ``eqd2_gy``, ``rbe_weighted_dose_gy``,
    ``alpha_beta_gy``, ``repair_half_time_h``, ``warnings`` and, with ``refit``,
    ``selection`` (``chosen``, ``criterion``, ``fallback``, ``note``, ``candidates``:
    [{``model``, ``success``, ``n_parameters``, ``aicc``, ``akaike_weight``,
    ``tia_mbq_h``, ``message``}], ``agrees``). A value not stored is None.
    """
    series: dict[str, list[tuple[float, float]]] = {}
    for p in cycle.tac:
        series.setdefault(p.region, []).append((float(p.time_h), float(p.activity_mbq)))
    doses = {d.region: d for d in cycle.doses}
    activity = _number(cycle.activity_mbq)
    regions = []
    for name in sorted(set(series) | set(doses)):
        points = sorted(series.get(name, []))
        d = doses.get(name)
        report = d.fit_report if d is not None and isinstance(d.fit_report, dict) else {}
        tia = _number(getattr(d, "tia_mbq_h", None))
        entry: dict[str, Any] = {
            "region": name,
            "kind": region_kind(name),
            "points": [{"time_h": t, "activity_mbq": a} for t, a in points],
            "model": (d.model or None) if d is not None else None,
            "parameters": dict(d.parameters or {}) if d is not None else {},
            "parameter_se": report.get("parameter_se"),
            "aicc": _number(report.get("aicc", report.get("AICc"))),
            "fallback": report.get("fallback"),
            "tia_se_mbq_h": _number(report.get("tia_se_mbq_h")),
            "dose_gy_per_gbq": _number(report.get("dose_gy_per_gbq")),
            "tia_mbq_h": tia,
            "residence_time_h": tia / activity if tia is not None and activity else None,
            "warnings": [str(w) for w in (d.warnings or [])] if d is not None else [],
        }
        for key in (
            "effective_half_life_h",
            "mass_g",
            "s_value_mgy_per_mbq_h",
            "dose_gy",
            "bed_gy",
            "eqd2_gy",
            "rbe_weighted_dose_gy",
            "alpha_beta_gy",
            "repair_half_time_h",
        ):
            entry[key] = _number(getattr(d, key, None))
        entry["s_value_source"] = getattr(d, "s_value_source", None)
        if refit:
            selection = _candidates(name, cycle.nuclide, points) if points else None
            if selection is not None:
                selection["agrees"] = selection["chosen"] == entry["model"]
            entry["selection"] = selection
        regions.append(entry)
    times = sorted({round(t, 6) for pts in series.values() for t, _ in pts})
    return {**cycle_view(cycle), "times_h": times, "regions": regions}
