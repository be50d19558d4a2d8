"""A dose decision as a JSON document (the contract of ``design next``, ``escalation``, the API).

The document lists the levels (in the protocol's unit: kBq/kg or GBq), the current and next
level, the design's boundaries and per-level estimates behind the decision, and what is
missing before a decision can be made (a cohort not complete, a DLT window still open).
"""

from __future__ import annotations

from typing import Any

from theratrial.design.decision import Decision
from theratrial.design.dosedata import DoseData
from theratrial.design.simulation import OperatingCharacteristics

__all__ = ["decision_as_dict", "simulation_as_dict"]


def decision_as_dict(decision: Decision, data: DoseData, start: float, unit: str) -> dict[str, Any]:
    """The JSON document of one dose decision.

    Parameters
    ----------
    decision
        The design's decision.
    data
        The DLT data per level it was made from.
    start
        The start level (value, in ``unit``).
    unit
        The unit of the level values (``"kBq/kg"``, ``"GBq"``; empty: none).

    Examples
    --------
    >>> from theratrial.design import Boin, DoseData
    >>> data = DoseData.empty([1.0, 2.0, 3.0])
    >>> doc = decision_as_dict(Boin(target=0.25).decide(data, start=1.0), data, 1.0, "GBq")
    >>> doc["levels"], doc["level_unit"], doc["units"]["n"]
    ([1.0, 2.0, 3.0], 'GBq', 'patients')
    """
    return {
        "design": decision.design,
        "target": decision.target,
        "levels": list(data.levels),
        "level_unit": unit or None,
        "start_level": start,
        "current_level": decision.current_level,
        "current_level_inferred": decision.current_inferred,
        "decision": decision.action.value,
        "next_level": decision.next_level,
        "mtd": decision.mtd_level,
        "eliminated_levels": list(decision.eliminated_levels),
        "boundaries": dict(decision.evidence),
        "estimates": [
            {
                "level": e.level,
                "n": e.n,
                "dlt": e.dlt,
                "observed_rate": e.observed_rate,
                "estimated_rate": e.estimated_rate,
                "p_overdose": e.p_overdose,
                "eliminated": e.eliminated,
            }
            for e in decision.estimates
        ],
        "reason": decision.reason,
        "missing": [
            {
                "kind": m.kind,
                "level": m.level,
                "patients": m.patients,
                "patient_id": m.patient_id,
                "window_ends": m.window_ends,
                "description": m.description,
            }
            for m in decision.missing
        ],
        "units": {"levels": unit or None, "n": "patients", "dlt": "patients with a DLT"},
    }


def simulation_as_dict(oc: OperatingCharacteristics, unit: str | None) -> dict[str, Any]:
    """The JSON document of simulated operating characteristics, every number with its unit.

    The one form of ``theratrial design simulate --json`` and of a ``design_simulation`` job's
    result.
    """
    return {
        "design": oc.design,
        "target": oc.target,
        "truth": list(oc.truth),
        "levels": list(oc.levels),
        "level_unit": unit or None,
        "start_level": oc.levels[oc.start_index],
        "cohort_size": oc.cohort_size,
        "max_n": oc.max_n,
        "n_trials": oc.n_trials,
        "seed": oc.seed,
        "selection_pct": list(oc.selection_pct),
        "n_treated_mean": list(oc.n_treated_mean),
        "dlt_mean_per_level": list(oc.dlt_mean_per_level),
        "n_mean": oc.n_mean,
        "dlt_mean": oc.dlt_mean,
        "stop_pct": oc.stop_pct,
        "units": {
            "selection_pct": "% of trials",
            "stop_pct": "% of trials",
            "n_treated_mean": "patients per trial",
            "dlt_mean_per_level": "DLTs per trial",
            "n_mean": "patients per trial",
            "dlt_mean": "DLTs per trial",
            "levels": unit or None,
        },
    }
