"""Physical plausibility of a recorded cycle, and enrolment before a plan (pure functions)."""

from __future__ import annotations

import math
from datetime import date

import pytest

from theratrial.errors import InputError
from theratrial.protocol import find_protocol
from theratrial.treatment import (
    DISPENSING_TOLERANCE,
    CycleRecord,
    Enrolment,
    RegionDose,
    activity_ceiling_mbq,
    check_cycle_doses,
    check_cycle_record,
    dose_ceiling_gy,
    require_enrolment,
)
from theratrial.treatment.plausibility import MIN_REGION_MASS_G, chain_energy_per_decay_mev

BORDET = find_protocol("NCT01842165")  # 7.4 GBq fixed
AC225 = find_protocol("NCT06732505")  # DL1 90, DL2 120 kBq/kg
TODAY = date(2026, 12, 4)


@pytest.mark.parametrize(
    ("protocol", "level", "weight", "expected_mbq"),
    [
        (BORDET, None, None, 7400.0 * 1.1),
        (BORDET, "STD", 80.0, 7400.0 * 1.1),
        (AC225, "DL1", 72.0, 90 * 72 / 1000 * 1.1),
        (AC225, "DL2", 72.0, 120 * 72 / 1000 * 1.1),
        (AC225, None, 72.0, 120 * 72 / 1000 * 1.1),  # no level: the highest one
        (AC225, "DL1", None, 90 * 300 / 1000 * 1.1),  # no weight: the heaviest patient
    ],
)
def test_activity_ceiling_is_prescription_plus_dispensing_tolerance(
    protocol: object, level: str | None, weight: float | None, expected_mbq: float
) -> None:
    ceiling, basis = activity_ceiling_mbq(protocol, level_id=level, weight_kg=weight)  # type: ignore[arg-type]
    assert pytest.approx(0.10) == DISPENSING_TOLERANCE
    assert ceiling == pytest.approx(expected_mbq, rel=1e-12)
    assert "10 % dispensing tolerance" in basis


@pytest.mark.parametrize(
    ("record", "field", "needle"),
    [
        (CycleRecord(1, 1e12), "activity_mbq", "at most 8,140 MBq"),
        (CycleRecord(1, 8141.0), "activity_mbq", "7.4 GBq"),
        (CycleRecord(1, 7400.0, date(2099, 1, 1)), "administered_on", "after today (2026-12-04)"),
        (CycleRecord(1, 7400.0, date(2026, 12, 5)), "administered_on", "after today"),
        (CycleRecord(1, 7400.0, date(2026, 3, 1)), "administered_on", "before the patient's"),
        (CycleRecord(1, math.nan), "activity_mbq", "positive"),
        (CycleRecord(1, 7400.0, level_id="DL9"), "dose_level", "DL9"),
    ],
)
def test_implausible_records_are_refused_with_field_and_limit(
    record: CycleRecord, field: str, needle: str
) -> None:
    with pytest.raises(InputError) as info:
        check_cycle_record(BORDET, record, today=TODAY, screening_date=date(2026, 3, 2))
    assert info.value.field == field
    assert needle in str(info.value)


@pytest.mark.parametrize(
    "record",
    [
        CycleRecord(1, 7400.0, date(2026, 3, 2)),  # on the screening day
        CycleRecord(2, 8140.0, TODAY),  # +10 %, today
        CycleRecord(3, 6000.0, date(2026, 9, 1), level_id="STD"),  # a reduced cycle
    ],
)
def test_plausible_records_pass(record: CycleRecord) -> None:
    limits = check_cycle_record(BORDET, record, today=TODAY, screening_date=date(2026, 3, 2))
    assert limits.latest_date == TODAY
    assert limits.max_activity_mbq == pytest.approx(8140.0)


def test_per_weight_activity_uses_the_recorded_weight() -> None:
    ok = CycleRecord(1, 6.48, TODAY, weight_kg=72.0, level_id="DL1")
    check_cycle_record(AC225, ok, today=TODAY)
    with pytest.raises(InputError, match="90 kBq/kg x 72 kg") as info:
        check_cycle_record(AC225, CycleRecord(1, 7.2, TODAY, 72.0, "DL1"), today=TODAY)
    assert info.value.field == "activity_mbq"


def test_dose_ceiling_from_the_reference_energy_of_lu177() -> None:
    # reference sheet s.1: Lu-177 electrons 0.14792 MeV/decay = 85.32 mGy g MBq^-1 h^-1;
    # all emissions 0.1479 + 0.0351 MeV; mean life 6.647 d / ln 2
    tau_h = 6.647 * 24 / math.log(2)
    expected = 85.32e-3 * tau_h * (0.1479 + 0.0351) / 0.14792  # Gy for 1 MBq in 1 g
    assert dose_ceiling_gy("Lu-177", 1.0, mass_g=1.0) == pytest.approx(expected, rel=2e-3)
    assert chain_energy_per_decay_mev("Lu-177") == pytest.approx(0.1830, abs=2e-4)


def test_ac225_chain_energy_counts_every_daughter() -> None:
    # 27.48 MeV of alpha energy per Ac-225 decay at equilibrium (reference sheet s.1),
    # plus recoils, electrons and photons
    assert 27.48 + 0.4 < chain_energy_per_decay_mev("Ac-225") < 30.0


@pytest.mark.parametrize("activity", [1.0, 7400.0])
@pytest.mark.parametrize("mass_g", [1.0, 300.0, 1800.0])
def test_dose_ceiling_is_linear_in_activity_and_inverse_in_mass(
    activity: float, mass_g: float
) -> None:
    unit = dose_ceiling_gy("Lu-177", 1.0, mass_g=1.0)
    assert dose_ceiling_gy("Lu-177", activity, mass_g=mass_g) == pytest.approx(
        unit * activity / mass_g, rel=1e-12
    )
    assert dose_ceiling_gy("Lu-177", activity) == pytest.approx(unit * activity / MIN_REGION_MASS_G)


def test_dose_ceiling_refuses_the_impossible_and_keeps_real_doses() -> None:
    real = [RegionDose("kidneys", 23.0, 300.0), RegionDose("lesion", 400.0, 5.0)]
    check_cycle_doses("Lu-177", 7400.0, real)
    check_cycle_doses("Ac-225", 6.3, [RegionDose("kidneys", 2.0, 300.0)])
    with pytest.raises(InputError, match="physical ceiling of 599 Gy") as info:
        check_cycle_doses("Lu-177", 7400.0, [*real, RegionDose("kidneys", 1e308, 300.0)])
    assert info.value.field == "[2].dose_gy"
    with pytest.raises(InputError, match="ceiling"):
        check_cycle_doses("Ac-225", 6.3, [RegionDose("kidneys", 200.0, 300.0)])


def test_enrolment_needs_an_eligible_screening_or_a_cycle() -> None:
    march, may = date(2026, 3, 2), date(2026, 5, 4)
    unknown = Enrolment("NET-1", "NCT01842165")
    with pytest.raises(InputError, match="no eligible screening and no recorded cycle") as info:
        require_enrolment(unknown)
    assert info.value.field == "patient_id"
    assert "--weight-kg" in str(info.value)
    ineligible = Enrolment("NET-1", "NCT01842165", ((march, "ineligible"),))
    with pytest.raises(InputError, match="screened ineligible on 2026-03-02"):
        require_enrolment(ineligible)
    rescreened = Enrolment("NET-1", "NCT01842165", ((may, "eligible"), (march, "ineligible")))
    assert require_enrolment(rescreened).eligible_since == may
    treated = Enrolment("NET-1", "NCT01842165", ((march, "ineligible"),), cycles_given=(1,))
    assert require_enrolment(treated).eligible_since is None
