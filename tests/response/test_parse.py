"""The tolerant JSON reader of assessments."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from theratrial.errors import PatientRecordError
from theratrial.response import LesionStatus, assessment_from_dict


def _one(lesion: dict[str, Any]) -> Any:
    base = {"id": "L1", "organ": "liver", "measurement_mm": 20}
    return (
        assessment_from_dict(
            [{"date": "2024-01-01", "lesions": [base]}, {"date": "2024-02-01", "lesions": [lesion]}]
        )
        .time_points[1]
        .lesions[0]
    )


@pytest.mark.parametrize(
    ("lesion", "measurement", "status"),
    [
        ({"id": "L1", "measurement_mm": 12}, 12.0, None),
        ({"id": "L1", "measurement_mm": "12 mm"}, 12.0, None),
        ({"id": "L1", "measurement_mm": "TSTM"}, 5.0, LesionStatus.TOO_SMALL),
        ({"id": "L1", "status": "disappeared"}, 0.0, LesionStatus.ABSENT),
        ({"id": "L1", "measurement_mm": None}, None, None),
        ({"id": "L1", "status": "NE", "measurement_mm": 4}, None, LesionStatus.NOT_EVALUATED),
        ({"lesion_id": "L1", "diameter_mm": [3, 4.5]}, 7.5, None),
        ({"id": "L1", "long_axis_mm": 9}, 9.0, None),
    ],
)
def test_measurement_forms(lesion: dict[str, Any], measurement: Any, status: Any) -> None:
    parsed = _one(lesion)
    assert parsed.measurement_mm == measurement
    assert parsed.status is status


def test_nodal_inference_and_inheritance() -> None:
    a = assessment_from_dict(
        {
            "visits": [
                {
                    "scan_date": "2024-01-01",
                    "lesions": [
                        {
                            "id": "N1",
                            "site": "Mediastinal lymph node",
                            "short_axis_mm": 18,
                            "long_axis_mm": 30,
                            "is_target": "yes",
                        }
                    ],
                },
                {"scan_date": "2024-02-01T10:00:00", "lesions": [{"id": "N1", "short_axis_mm": 9}]},
            ]
        }
    )
    base, follow = a.time_points[0].lesions[0], a.time_points[1].lesions[0]
    assert base.nodal
    assert base.measurement_mm == 18.0  # short axis for a node
    assert base.target is True
    assert follow.nodal
    assert follow.organ == "Mediastinal lymph node"
    assert a.time_points[1].date == date(2024, 2, 1)


def test_type_field_and_equivocal_new() -> None:
    a = assessment_from_dict(
        [
            {
                "date": "2024-01-01",
                "lesions": [
                    {"id": "L1", "organ": "liver", "measurement_mm": 20, "type": "non-target"}
                ],
            },
            {"date": "2024-02-01", "lesions": [{"id": "X", "organ": "bone", "new": "equivocal"}]},
        ]
    )
    assert a.time_points[0].lesions[0].target is False
    new = a.time_points[1].lesions[0]
    assert (new.new, new.equivocal) == (True, True)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"time_points": []}, "time_points", "non-empty list"),
        ({"foo": []}, "time_points", "no time points"),
        ([{"date": "01/02/2024", "lesions": []}], "time_points[0].date", "expected a date"),
        (
            [{"date": "2024-01-01", "lesions": [{"organ": "liver"}]}],
            "time_points[0].lesions[0].id",
            "no id",
        ),
        (
            [{"date": "2024-01-01", "lesions": [{"id": "a", "measurement_mm": -3}]}],
            "time_points[0].lesions[0].measurement_mm",
            ">= 0",
        ),
        (
            [{"date": "2024-01-01", "lesions": [{"id": "a", "status": "gone?"}]}],
            "time_points[0].lesions[0].status",
            "unknown lesion status",
        ),
        (
            [{"date": "2024-01-01", "lesions": [{"id": "a", "nodal": "maybe"}]}],
            "time_points[0].lesions[0].nodal",
            "true or false",
        ),
        (
            [{"date": "2024-01-01", "lesions": [{"id": "a"}, {"id": "a"}]}],
            "time_points[0].lesions[1].id",
            "appears twice",
        ),
        (
            [{"date": "2024-01-01", "lesions": [{"id": "a", "new": True}]}],
            "time_points[0].lesions[0].new",
            "new at baseline",
        ),
        (
            [{"date": "2024-02-01", "lesions": []}, {"date": "2024-01-01", "lesions": []}],
            "time_points[1].date",
            "not after",
        ),
        (
            {
                "baseline_date": "2024-03-01",
                "time_points": [{"date": "2024-01-01"}, {"date": "2024-02-01"}],
            },
            "baseline_date",
            "not before the first follow-up",
        ),
    ],
)
def test_errors_name_the_field(data: Any, field: str, message: str) -> None:
    with pytest.raises(PatientRecordError, match=message) as info:
        assessment_from_dict(data, file="a.json")
    assert info.value.field == field
    assert info.value.file == "a.json"
