"""Persisting imaging quantification results (one transaction per series)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from theratrial.imaging import StudyQuantification
from theratrial.store.clinical import VoiRecord, save_series_vois
from theratrial.store.models_clinical import ImagingSeriesRow

__all__ = ["save_quantification"]

# quantity -> unit; ``None`` means the series' own units (SUV g/mL, Bq/mL ...)
_QUANTITIES: Mapping[str, str | None] = {
    "volume_ml": "mL",
    "min": None,
    "max": None,
    "mean": None,
    "median": None,
    "sd": None,
    "peak": None,
    "mtv_ml": "mL",
    "tlu": None,
    "total_activity_mbq": "MBq",
    "percent_injected_activity": "%",
    "tumour_to_liver": "1",
    "tumour_to_spleen": "1",
    "krenning_score": "1",
}


def save_quantification(
    session: Session,
    result: StudyQuantification,
    *,
    patient_id: str | None = None,
    masks_source: str | None = None,
) -> ImagingSeriesRow:
    """Store a study's biodistribution table with the conventions used.

    Every VOI becomes a row of ``vois`` and each statistic a ``measurements`` row in the
    series' units (``tlu`` in units x mL). Storing the same series again replaces it.
    """
    vois = []
    for row in result.table.rows:
        stats: Any = row.statistics
        values: dict[str, Any] = {name: getattr(stats, name, None) for name in _QUANTITIES}
        values.update(
            tumour_to_liver=row.tumour_to_liver,
            tumour_to_spleen=row.tumour_to_spleen,
            krenning_score=row.krenning_score,
        )
        measurements = {
            name: (
                None if value is None else float(value),
                _QUANTITIES[name] or (f"{result.units}*mL" if name == "tlu" else result.units),
            )
            for name, value in values.items()
        }
        vois.append(VoiRecord(row.region, row.kind, masks_source, measurements))
    conventions = list(result.assumptions)
    if result.suv_type:
        conventions.insert(0, f"SUV type: {result.suv_type}")
    return save_series_vois(
        session,
        patient_id=patient_id,
        study_uid=result.study_uid,
        study_date=None,
        series_uid=result.series_uid,
        modality=result.modality,
        units=result.units,
        quantity=result.quantity,
        conventions=conventions,
        vois=vois,
    )
