"""A screening as a JSON document (the contract of ``screen --json`` and the API).

Each criterion carries its section, kind, label, protocol source, status (met, not met,
unknown, needs review) and the evidence it was decided on, so that a reviewer sees why.
"""

from __future__ import annotations

from typing import Any

from theratrial.eligibility.evidence import Screening, Status

__all__ = ["screening_as_dict"]


def screening_as_dict(s: Screening) -> dict[str, Any]:
    """The JSON form of a screening: verdict, cohorts, counts per status, criteria, evidence.

    Examples
    --------
    >>> from theratrial.eligibility import parse_patient, screen
    >>> from theratrial.protocol import bundled_protocols
    >>> patient = parse_patient('{"patient_id": "PT-001", "screening_date": "2025-01-15", '
    ...                         '"demographics": {"age_years": 61, "sex": "female"}}')
    >>> doc = screening_as_dict(screen(patient, bundled_protocols()[0]))
    >>> list(doc["counts"]) == ["met", "not_met", "unknown", "needs_review"]
    True
    """
    return {
        "patient_id": s.patient_id,
        "trial_id": s.trial_id,
        "screening_date": s.screening_date.isoformat(),
        "verdict": s.verdict.value,
        "cohorts": list(s.cohorts),
        "counts": {st.value: sum(1 for c in s.criteria if c.status is st) for st in Status},
        "assumptions": list(s.assumptions),
        "criteria": [
            {
                "id": c.id,
                "section": c.section,
                "kind": c.kind,
                "label": c.label,
                "source": c.source,
                "status": c.status.value,
                "reason": c.reason,
                "evidence": [e.as_dict() for e in c.evidence],
            }
            for c in s.criteria
        ],
    }
