"""Lesion-level change in diameter (the Bordet lesion endpoint)."""

from __future__ import annotations

import pytest

from theratrial.response import assessment_from_dict, lesion_changes, lesion_summaries

RECORD = [
    {
        "date": "2024-01-01",
        "lesions": [
            {"id": "L1", "organ": "liver", "measurement_mm": 40},
            {"id": "N1", "organ": "node", "nodal": True, "measurement_mm": 20},
            {"id": "B1", "organ": "bone", "measurement_mm": None, "target": False},
            {"id": "L2", "organ": "liver", "measurement_mm": 8, "target": False},
        ],
    },
    {
        "date": "2024-03-01",
        "lesions": [
            {"id": "L1", "measurement_mm": 30},
            {"id": "N1", "measurement_mm": 12},
            {"id": "L2", "measurement_mm": 10},
        ],
    },
    {"date": "2024-05-01", "not_done": True},
    {
        "date": "2024-07-01",
        "lesions": [
            {"id": "L1", "measurement_mm": 36},
            {"id": "N1", "measurement_mm": None},
            {"id": "L2", "status": "absent"},
        ],
    },
]


def test_changes_per_lesion_and_time_point() -> None:
    changes = lesion_changes(assessment_from_dict(RECORD))
    assert len(changes) == 3 * 3  # three measured lesions (not B1) x three follow-ups
    first = {c.lesion_id: c for c in changes[:3]}
    assert first["L1"].change_pct == pytest.approx(-25.0)
    assert first["N1"].axis == "short"
    assert first["N1"].role == "target"
    assert first["L2"].role == "non-target"
    assert first["L2"].change_mm == pytest.approx(2.0)
    assert all(c.measurement_mm is None for c in changes[3:6])  # not done


def test_summaries() -> None:
    summaries = {s.lesion_id: s for s in lesion_summaries(assessment_from_dict(RECORD))}
    l1 = summaries["L1"]
    assert (l1.nadir_mm, l1.best_change_pct, l1.last_change_pct) == (30.0, -25.0, -10.0)
    assert l1.n_measured == 2
    n1 = summaries["N1"]
    assert n1.last_change_pct == pytest.approx(-40.0)  # last measured: the first follow-up
    assert summaries["L2"].best_change_pct == pytest.approx(-100.0)
    assert "B1" not in summaries
