"""A stored cycle as one JSON document: what a cycle-dosimetry signature is bound to.

The trial service signs this view (entity ``cycle_dosimetry``, 21 CFR 11.70: the signature
is linked to a SHA-256 of exactly this content), lists it (``GET .../cycles``), audits its
changes, and the cycle report (:mod:`theratrial.report.cycle_report`) checks the stored
signatures against it; one function keeps the four in step.

Examples
--------
>>> from types import SimpleNamespace as NS
>>> cycle = NS(cycle_number=1, administered_at=None, nuclide="Lu-177", activity_mbq=7400.0,
...            dose_level=None, weight_kg=70.0,
...            doses=[NS(region="kidneys", model="mono_exponential", dose_gy=3.1, mass_g=310.0,
...                      tia_mbq_h=1e5, bed_gy=3.9, rbe_weighted_dose_gy=None)])
>>> view = cycle_view(cycle)
>>> view["activity_mbq"], view["dosimetry"][0]["dose_gy"]
(7400.0, 3.1)
"""

from __future__ import annotations

import datetime as dt
from typing import Any

__all__ = ["DOSE_KEYS", "cycle_view"]

DOSE_KEYS = ("region", "model", "dose_gy", "mass_g", "tia_mbq_h", "bed_gy", "rbe_weighted_dose_gy")
"""The per-region dosimetry fields a signature covers (doses in Gy, mass in g, Ã in MBq h)."""


def _iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(dt.UTC).isoformat() if value.tzinfo else value.isoformat()


def cycle_view(cycle: Any) -> dict[str, Any]:
    """The stored cycle (a :class:`~theratrial.store.models_clinical.CycleRow`) as JSON.

    Keys: ``cycle``, ``administered_at`` (ISO 8601, UTC when zoned), ``nuclide``,
    ``activity_mbq``, ``dose_level``, ``weight_kg`` and ``dosimetry`` (one object per
    stored region with :data:`DOSE_KEYS`, in stored order).
    """
    return {
        "cycle": cycle.cycle_number,
        "administered_at": _iso(cycle.administered_at),
        "nuclide": cycle.nuclide,
        "activity_mbq": cycle.activity_mbq,
        "dose_level": cycle.dose_level,
        "weight_kg": cycle.weight_kg,
        "dosimetry": [{k: getattr(d, k, None) for k in DOSE_KEYS} for d in cycle.doses],
    }
