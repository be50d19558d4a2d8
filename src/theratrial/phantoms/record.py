"""A screening record for a virtual patient, in the eligibility record format.

The virtual patient's truth gives its demographics, WHO grade, lesions and 68Ga PET; the
clinical facts a phantom does not model (labs, prior therapy, consent) are drawn from
plausible distributions with the patient's seed, so a virtual cohort can be screened like
a real one. Lab values follow typical adult reference intervals (creatinine 0.6-1.2
mg/dL, ALT/AST <= 40 U/L...) with a stated share of abnormal values. The record is a plain
JSON-ready mapping: :func:`theratrial.eligibility.parse_patient` validates it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

__all__ = ["screening_record"]

_PRIMARY_SITES = ("ileum", "pancreas", "jejunum", "rectum", "stomach")


def _ki67(grade: int, rng: np.random.Generator) -> float:
    """Ki-67 index (%) inside the WHO 2019 band of the grade (<3, 3-20, >20 %)."""
    low, high = {1: (0.5, 2.9), 2: (3.0, 20.0), 3: (21.0, 55.0)}[grade]
    return round(float(rng.uniform(low, high)), 1)


def _krenning(lesion_suvmax: float, liver_suv: float, spleen_suv: float) -> int:
    """Krenning score from the lesion's SUVmax against liver and spleen mean uptake."""
    if lesion_suvmax > spleen_suv:
        return 4
    if lesion_suvmax > 1.1 * liver_suv:
        return 3
    if lesion_suvmax >= 0.9 * liver_suv:
        return 2
    return 1


def screening_record(
    truth: dict[str, Any], *, abnormal_lab_fraction: float = 0.1
) -> dict[str, Any]:
    """The eligibility record of a virtual patient (JSON-ready).

    Parameters
    ----------
    truth
        The patient's truth (``VirtualPatient.truth()`` or ``load_truth``).
    abnormal_lab_fraction
        Probability that a lab value is drawn outside its reference interval.

    Examples
    --------
    >>> from theratrial.phantoms import generate_patient
    >>> rec = screening_record(generate_patient(7).truth())
    >>> rec["patient_id"], rec["diagnosis"]["grade"], len(rec["labs"]) > 5
    ('VP-000007', 'G2', True)
    """
    rng = np.random.default_rng([int(truth["seed"]), 0x5C4EE7])
    person = truth["patient"]
    pet_day = dt.datetime.fromisoformat(truth["ga68_pet"]["injection_datetime"]).date()
    cycles = truth.get("therapy", {}).get("cycles", [])
    treat_day = (
        dt.datetime.fromisoformat(cycles[0]["injection_datetime"]).date()
        if cycles
        else pet_day + dt.timedelta(days=21)
    )
    screen_day = min(pet_day + dt.timedelta(days=7), treat_day - dt.timedelta(days=1))
    lab_day = (screen_day - dt.timedelta(days=int(rng.integers(1, 10)))).isoformat()
    grade = int(person["who_grade"])

    def lab(
        name: str,
        normal: tuple[float, float],
        unit: str,
        *,
        ref_high: float | None,
        abnormal: float,
    ) -> dict[str, Any]:
        value = rng.uniform(*normal)
        if rng.random() < abnormal_lab_fraction:
            value *= abnormal
        entry: dict[str, Any] = {
            "name": name,
            "value": round(float(value), 2),
            "unit": unit,
            "date": lab_day,
        }
        if ref_high is not None:
            entry["ref_high"] = ref_high
        return entry

    labs = [
        lab("creatinine", (0.6, 1.15), "mg/dL", ref_high=1.2, abnormal=1.9),
        lab("haemoglobin", (11.5, 15.5), "g/dL", ref_high=None, abnormal=0.7),
        lab("neutrophils", (2.0, 6.5), "10^9/L", ref_high=None, abnormal=0.5),
        lab("platelets", (150, 380), "10^9/L", ref_high=None, abnormal=0.45),
        lab("bilirubin_total", (0.3, 1.1), "mg/dL", ref_high=1.2, abnormal=2.2),
        lab("albumin", (36, 48), "g/L", ref_high=None, abnormal=0.75),
        lab("alt", (10, 38), "U/L", ref_high=40, abnormal=3.5),
        lab("ast", (12, 36), "U/L", ref_high=40, abnormal=3.5),
        lab("aptt", (26, 36), "s", ref_high=38, abnormal=1.7),
        lab("glucose_fasting", (4.2, 5.9), "mmol/L", ref_high=6.1, abnormal=2.3),
        lab("prothrombin_time_pct", (80, 110), "%", ref_high=None, abnormal=0.7),
        lab("gfr_measured", (65, 110), "mL/min/1.73m2", ref_high=None, abnormal=0.6),
    ]
    regions = truth["regions"]
    liver = float(regions["liver"]["ga68_suvmean"])
    spleen = float(regions["spleen"]["ga68_suvmean"])
    lesions = []
    for name, les in truth["lesions"].items():
        nodal = les["type"] == "node"
        lesions.append(
            {
                "id": name,
                "site": {"node": "lymph node"}.get(les["type"], les["type"]),
                "nodal": nodal,
                "long_axis_mm": round(float(les["longest_diameter_mm"]), 1),
                "short_axis_mm": round(float(les["short_axis_mm"]), 1),
                "modality": "PET/CT",
                "date": pet_day.isoformat(),
                "krenning_score": _krenning(float(les["ga68_suvmax"]), liver, spleen),
                "progressive": float(les.get("growth_per_month", 0.0)) > 0,
                "previously_irradiated": False,
            }
        )
    ssa_end = treat_day - dt.timedelta(days=int(rng.integers(30, 60)))
    sex = "female" if person["sex"] == "F" else "male"
    return {
        "patient_id": truth["patient_id"],
        "screening_date": screen_day.isoformat(),
        "planned_treatment_date": treat_day.isoformat(),
        "demographics": {
            "age_years": person["age_y"],
            "sex": sex,
            "weight_kg": person["weight_kg"],
            "height_cm": person["height_cm"],
        },
        "ecog": int(rng.choice([0, 1, 2], p=[0.55, 0.38, 0.07])),
        "life_expectancy_weeks": 52,
        "diagnosis": {
            "histology": "NET",
            "histology_confirmed": True,
            "grade": f"G{grade}",
            "ki67_pct": _ki67(grade, rng),
            "differentiation": "well",
            "primary_site": str(rng.choice(_PRIMARY_SITES)),
            "extent": "metastatic",
            "resectable": False,
        },
        "labs": labs,
        "lesions": lesions,
        "imaging": [
            {
                "modality": "PET/CT",
                "tracer": "68Ga-DOTATATE",
                "date": pet_day.isoformat(),
                "findings": {"sstr_positive": True},
            },
            {"modality": "PET/CT", "tracer": "18F-FDG", "date": pet_day.isoformat()},
            {"modality": "MR", "date": pet_day.isoformat(), "findings": {"dwi": True}},
            {"modality": "CT", "date": pet_day.isoformat()},
        ],
        "therapies": [
            {
                "category": "ssa_lar",
                "agent": "octreotide LAR 30 mg",
                "start_date": (
                    ssa_end - dt.timedelta(days=int(rng.integers(120, 700)))
                ).isoformat(),
                "end_date": ssa_end.isoformat(),
                "progression_on_therapy": True,
            },
        ],
        "events": [
            {
                "type": "progression_radiological",
                "date": (screen_day - dt.timedelta(days=int(rng.integers(20, 200)))).isoformat(),
            },
        ],
        "conditions": [
            {"name": "pregnancy", "present": False},
            {"name": "lactation", "present": False},
        ],
        "flags": {"childbearing_potential": False, "contraception_agreed": True},
        "consent": {"signed": True, "date": screen_day.isoformat()},
    }
