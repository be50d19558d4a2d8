"""Per-region measurements as a Comprehensive 3D SR, TID 1500 Measurement Report.

Built with :mod:`highdicom.sr` (PS3.16 TID 1500 with one TID 1411 Volumetric ROI group per
region). Each group references its segment of the DICOM SEG (TID 1411 "Referenced Segment"
with the source series) and holds, as TID 300 measurements:

- SUVmax, SUVmean, SUVpeak: concept DCM 126401 "SUVbw" (126402 SUVlbm, 126405 SUVlbm(Janma),
  126403 SUVbsa, 126404 SUVibw for the other normalisations) with derivation (DCM 121401)
  SCT 56851009 "Maximum", SCT 373098007 "Mean" or DCM 126031 "Peak Value Within ROI";
  UCUM units ``g/ml{SUVbw}`` (``cm2/ml{SUVbsa}``);
- volume: SCT 118565006 "Volume", UCUM ``ml``;
- with a dose map, the mean absorbed dose: DCM 128513 "Absorbed Dose", derivation Mean, UCUM
  ``Gy``; with a time-integrated activity, "Time-integrated activity" in the
  project's coding scheme ``99THERATRIAL`` (no standard code exists), UCUM ``MBq.h``.

SPECT values in Bq/mL are reported under ``99THERATRIAL`` "Activity concentration", UCUM
``Bq/ml``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeGuard

from pydicom.dataset import Dataset
from pydicom.sr.coding import Code

from theratrial.errors import DicomError
from theratrial.pacs.segmentation import region_codes

__all__ = ["RegionMeasurements", "build_measurement_report", "quantity_concept"]

UCUM = "UCUM"
PRIVATE = "99THERATRIAL"
DERIVATION = {
    "max": Code("56851009", "SCT", "Maximum"),
    "mean": Code("373098007", "SCT", "Mean"),
    "peak": Code("126031", "DCM", "Peak Value Within ROI"),
}
SUV_CONCEPTS: dict[str, tuple[Code, Code]] = {
    "bw": (
        Code("126401", "DCM", "SUVbw"),
        Code("g/ml{SUVbw}", UCUM, "Standardized Uptake Value body weight"),
    ),
    "lbm-janma": (
        Code("126405", "DCM", "SUVlbm(Janma)"),
        Code("g/ml{SUVlbm(Janma)}", UCUM, "Standardized Uptake Value lean body mass (Janma)"),
    ),
    "lbm-james": (
        Code("126402", "DCM", "SUVlbm"),
        Code("g/ml{SUVlbm}", UCUM, "Standardized Uptake Value lean body mass (James)"),
    ),
    "bsa": (
        Code("126403", "DCM", "SUVbsa"),
        Code("cm2/ml{SUVbsa}", UCUM, "Standardized Uptake Value body surface area"),
    ),
    "ibw": (
        Code("126404", "DCM", "SUVibw"),
        Code("g/ml{SUVibw}", UCUM, "Standardized Uptake Value ideal body weight"),
    ),
}
ACTIVITY_CONCENTRATION = (
    Code("ACTCONC", PRIVATE, "Activity concentration"),
    Code("Bq/ml", UCUM, "becquerels per milliliter"),
)
VOLUME = (Code("118565006", "SCT", "Volume"), Code("ml", UCUM, "milliliter"))
ABSORBED_DOSE = (Code("128513", "DCM", "Absorbed Dose"), Code("Gy", UCUM, "gray"))
TIA = (Code("TIA", PRIVATE, "Time-integrated activity"), Code("MBq.h", UCUM, "megabecquerel hour"))
PROCEDURES = {
    "PT": Code("44139-4", "LN", "PET whole body"),
    "NM": Code("39633-3", "LN", "SPECT whole body"),
}


@dataclass(frozen=True, slots=True)
class RegionMeasurements:
    """What is reported for one region (segment ``segment_number`` of the SEG).

    ``uptake`` maps ``max``/``mean``/``peak`` to values in the quantity's units; the dose
    and time-integrated activity are optional.
    """

    name: str
    kind: str
    segment_number: int
    volume_ml: float
    uptake: Mapping[str, float] = field(default_factory=dict)
    mean_absorbed_dose_gy: float | None = None
    time_integrated_activity_mbq_h: float | None = None


def quantity_concept(suv_type: str | None, modality: str) -> tuple[Code, Code]:
    """The concept name and UCUM unit of the uptake values.

    Examples
    --------
    >>> [c.value for c in quantity_concept("bw", "PT")]
    ['126401', 'g/ml{SUVbw}']
    >>> quantity_concept(None, "NM")[1].value
    'Bq/ml'
    """
    if suv_type is not None:
        if suv_type not in SUV_CONCEPTS:
            raise DicomError(f"no DICOM concept for SUV type {suv_type!r}", hint="use SUVbw")
        return SUV_CONCEPTS[suv_type]
    if modality in ("PT", "NM"):
        return ACTIVITY_CONCENTRATION
    raise DicomError(
        f"no quantitative concept for modality {modality!r}",
        hint="export a PET or SPECT series",
    )


def _finite(value: float | None) -> TypeGuard[float]:
    return value is not None and math.isfinite(value)


def build_measurement_report(
    source_images: Sequence[Dataset],
    segmentation: Dataset,
    regions: Sequence[RegionMeasurements],
    *,
    modality: str,
    suv_type: str | None,
    series_uid: str,
    sop_uid: str,
    series_number: int = 901,
) -> Dataset:
    """A Comprehensive 3D SR (TID 1500) of ``regions``, referencing the SEG and the series."""
    import highdicom as hd
    from pydicom.sr.codedict import codes

    concept, unit = quantity_concept(suv_type, modality)
    series = str(source_images[0].SeriesInstanceUID)
    groups = []
    for region in regions:
        measurements = []
        for key in ("max", "mean", "peak"):
            value = region.uptake.get(key)
            if _finite(value):
                measurements.append(
                    hd.sr.Measurement(
                        name=concept,
                        value=float(value),
                        unit=unit,
                        derivation=DERIVATION[key],
                    )
                )
        extra = (
            (VOLUME, region.volume_ml, None),
            (ABSORBED_DOSE, region.mean_absorbed_dose_gy, DERIVATION["mean"]),
            (TIA, region.time_integrated_activity_mbq_h, None),
        )
        for (name, measure_unit), value, derivation in extra:
            if _finite(value):
                measurements.append(
                    hd.sr.Measurement(
                        name=name,
                        value=float(value),
                        unit=measure_unit,
                        derivation=derivation,
                    )
                )
        category, property_type = region_codes(region.name, region.kind)
        groups.append(
            hd.sr.VolumetricROIMeasurementsAndQualitativeEvaluations(
                tracking_identifier=hd.sr.TrackingIdentifier(uid=hd.UID(), identifier=region.name),
                referenced_segment=hd.sr.ReferencedSegment(
                    sop_class_uid=str(segmentation.SOPClassUID),
                    sop_instance_uid=str(segmentation.SOPInstanceUID),
                    segment_number=region.segment_number,
                    source_series=hd.sr.SourceSeriesForSegmentation(series),
                ),
                finding_type=property_type,
                finding_category=category,
                measurements=measurements,
            )
        )
    observer = hd.sr.ObserverContext(
        observer_type=codes.DCM.Device,
        observer_identifying_attributes=hd.sr.DeviceObserverIdentifyingAttributes(
            uid=hd.UID(), name="theratrial"
        ),
    )
    report = hd.sr.MeasurementReport(
        observation_context=hd.sr.ObservationContext(observer_device_context=observer),
        procedure_reported=PROCEDURES.get(modality, PROCEDURES["PT"]),
        imaging_measurements=groups,
    )
    sr: Dataset = hd.sr.Comprehensive3DSR(
        evidence=[*source_images, segmentation],
        content=report,
        series_instance_uid=series_uid,
        series_number=series_number,
        sop_instance_uid=sop_uid,
        instance_number=1,
        manufacturer="theratrial",
        is_complete=True,
        series_description="theratrial measurements",
    )
    return sr
