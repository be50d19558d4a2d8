"""Screening throughput: 10,000 generated patients x the 3 bundled trials.

Run: ``.venv/bin/python benchmarks/bench_screening.py [N]``. Prints screenings per second
and the verdict mix. Patients are generated from a seeded generator with realistic spreads
of age, labs in mixed units, lesions, therapies and conditions.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
import tracemalloc

import numpy as np

from theratrial.eligibility import Patient, screen
from theratrial.protocol import bundled_protocols

SCREEN_DAY = dt.date(2026, 3, 2)


def make_patient(i: int, rng: np.random.Generator) -> Patient:
    day = SCREEN_DAY
    lab_day = (day - dt.timedelta(days=int(rng.integers(1, 40)))).isoformat()
    sex = "female" if rng.random() < 0.5 else "male"
    grade = str(rng.choice(["G1", "G2", "G3"]))
    creat_umol = bool(rng.random() < 0.5)
    creat = float(rng.lognormal(np.log(85), 0.3))
    labs = [
        {
            "name": "creatinine",
            "value": creat if creat_umol else creat / 88.42,
            "unit": "umol/L" if creat_umol else "mg/dL",
            "ref_high": 110 if creat_umol else 1.24,
            "date": lab_day,
        },
        {
            "name": "haemoglobin",
            "value": float(rng.normal(12.5, 1.8)),
            "unit": "g/dL",
            "date": lab_day,
        },
        {
            "name": "neutrophils",
            "value": float(rng.lognormal(np.log(3.5), 0.4)),
            "unit": "10^9/L",
            "date": lab_day,
        },
        {
            "name": "platelets",
            "value": float(rng.lognormal(np.log(220), 0.35)),
            "unit": "10^3/uL",
            "date": lab_day,
        },
        {
            "name": "bilirubin_total",
            "value": float(rng.lognormal(np.log(10), 0.5)),
            "unit": "umol/L",
            "ref_high": 21,
            "date": lab_day,
        },
        {"name": "albumin", "value": float(rng.normal(38, 5)), "unit": "g/L", "date": lab_day},
        {
            "name": "alt",
            "value": float(rng.lognormal(np.log(35), 0.6)),
            "unit": "U/L",
            "ref_high": 40,
            "date": lab_day,
        },
        {
            "name": "ast",
            "value": float(rng.lognormal(np.log(32), 0.6)),
            "unit": "U/L",
            "ref_high": 40,
            "date": lab_day,
        },
        {
            "name": "aptt",
            "value": float(rng.normal(31, 4)),
            "unit": "s",
            "ref_high": 38,
            "date": lab_day,
        },
        {
            "name": "glucose_fasting",
            "value": float(rng.lognormal(np.log(5.5), 0.25)),
            "unit": "mmol/L",
            "ref_high": 6.1,
            "date": lab_day,
        },
        {
            "name": "gfr_measured",
            "value": float(rng.normal(80, 20)),
            "unit": "mL/min/1.73m2",
            "date": lab_day,
        },
    ]
    record = {
        "patient_id": f"BENCH-{i:05d}",
        "screening_date": day.isoformat(),
        "planned_treatment_date": (day + dt.timedelta(days=14)).isoformat(),
        "demographics": {
            "age_years": float(rng.integers(25, 90)),
            "sex": sex,
            "weight_kg": float(rng.normal(75, 14)),
            "height_cm": float(rng.normal(170, 9)),
        },
        "ecog": int(rng.choice([0, 1, 2], p=[0.5, 0.4, 0.1])),
        "life_expectancy_weeks": float(rng.choice([8, 26, 52])),
        "diagnosis": {
            "histology": "NEC" if rng.random() < 0.1 else "NET",
            "grade": grade,
            "ki67_pct": float(rng.uniform(1, 40)),
            "primary_site": str(rng.choice(["pancreas", "ileum", "lung", "rectum"])),
            "histology_confirmed": True,
            "extent": "metastatic",
            "resectable": bool(rng.random() < 0.05),
        },
        "labs": labs,
        "lesions": [
            {
                "id": f"L{k}",
                "site": str(rng.choice(["liver", "lymph node", "bone"])),
                "long_axis_mm": float(rng.uniform(8, 60)),
                "short_axis_mm": float(rng.uniform(5, 30)),
                "nodal": bool(rng.random() < 0.3),
                "modality": "CT",
                "date": (day - dt.timedelta(days=int(rng.integers(1, 60)))).isoformat(),
                "krenning_score": int(rng.integers(1, 5)),
                "progressive": bool(rng.random() < 0.7),
            }
            for k in range(int(rng.integers(1, 5)))
        ],
        "imaging": [
            {
                "modality": "PET/CT",
                "tracer": "68Ga-DOTATATE",
                "date": (day - dt.timedelta(days=int(rng.integers(1, 120)))).isoformat(),
                "findings": {"sstr_positive": bool(rng.random() < 0.85)},
            }
        ],
        "therapies": [
            {
                "category": "ssa_lar",
                "start_date": "2024-01-01",
                "end_date": (day - dt.timedelta(days=int(rng.integers(5, 200)))).isoformat(),
                "progression_on_therapy": bool(rng.random() < 0.8),
            }
        ],
        "events": [
            {
                "type": "progression_radiological",
                "date": (day - dt.timedelta(days=int(rng.integers(10, 500)))).isoformat(),
            }
        ],
        "conditions": [{"name": "pregnancy", "present": False}],
        "flags": {"childbearing_potential": bool(rng.random() < 0.2), "contraception_agreed": True},
        "consent": {"signed": True, "date": day.isoformat()},
    }
    return Patient.model_validate(record)


def main(n: int = 10_000) -> None:
    rng = np.random.default_rng(20261120)
    protocols = bundled_protocols()
    t0 = time.perf_counter()
    patients = [make_patient(i, rng) for i in range(n)]
    t_gen = time.perf_counter() - t0
    t0 = time.perf_counter()
    verdicts: dict[str, int] = {}
    for patient in patients:
        for protocol in protocols:
            v = screen(patient, protocol).verdict.value
            verdicts[v] = verdicts.get(v, 0) + 1
    elapsed = time.perf_counter() - t0
    # memory on a separate pass: tracemalloc slows Python down several-fold
    tracemalloc.start()
    for patient in patients[:500]:
        for protocol in protocols:
            screen(patient, protocol)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    total = n * len(protocols)
    print(f"patients generated and validated: {n} in {t_gen:.2f} s")
    print(f"screenings: {total} ({n} patients x {len(protocols)} trials) in {elapsed:.2f} s")
    per_ms = elapsed / total * 1e3
    print(f"throughput: {total / elapsed:,.0f} screenings/s ({per_ms:.3f} ms per screening)")
    print(f"peak traced memory while screening 500 patients: {peak / 2**10:.0f} KiB")
    print("verdicts: " + ", ".join(f"{k} {v}" for k, v in sorted(verdicts.items())))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
