"""Derived clinical values: age, body size, renal function, multiples of normal.

Formulas and their sources:

- Cockcroft & Gault (1976), Nephron 16:31-41: CrCl (mL/min) = (140 - age) x weight (kg)
  / (72 x SCr (mg/dL)), x 0.85 for women.
- CKD-EPI 2021 race-free equation, Inker et al. (2021), N Engl J Med 385:1737-1749:
  eGFR (mL/min/1.73 m2) = 142 x min(SCr/k, 1)^a x max(SCr/k, 1)^-1.200 x 0.9938^age
  (x 1.012 for women); k = 0.7 (F) / 0.9 (M), a = -0.241 (F) / -0.302 (M).
- Body-mass index: weight (kg) / height (m)^2.
- Body-surface area: Mosteller (1987), N Engl J Med 317:1098: sqrt(height cm x weight kg
  / 3600); Du Bois & Du Bois (1916): 0.007184 x W^0.425 x H^0.725.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Literal

from theratrial.errors import ParameterError

__all__ = [
    "age_years",
    "bmi_kg_m2",
    "bsa_m2",
    "cockcroft_gault_ml_min",
    "egfr_ckd_epi_2021",
    "uln_multiple",
]

Sex = Literal["male", "female"]


def age_years(birth_date: date, *, on: date) -> int:
    """Age in completed years on the date ``on``.

    Examples
    --------
    >>> born = date(1960, 3, 15)
    >>> age_years(born, on=date(2026, 3, 14)), age_years(born, on=date(2026, 3, 15))
    (65, 66)
    """
    if on < birth_date:
        raise ParameterError(f"date {on} is before the birth date", field="birth_date")
    before_birthday = (on.month, on.day) < (birth_date.month, birth_date.day)
    return on.year - birth_date.year - int(before_birthday)


def _positive(name: str, value: float) -> None:
    if not (value > 0 and math.isfinite(value)):
        raise ParameterError(f"{name} must be a positive number, got {value}", field=name)


def cockcroft_gault_ml_min(
    *, age_years: float, weight_kg: float, creatinine_mg_dl: float, sex: Sex
) -> float:
    """Creatinine clearance by Cockcroft-Gault (mL/min).

    Reference check (reference sheet section 6): man, 60 y, 70 kg, SCr 1.0 mg/dL ->
    77.78 mL/min.

    Examples
    --------
    >>> kw = dict(age_years=60, weight_kg=70, creatinine_mg_dl=1.0)
    >>> man = cockcroft_gault_ml_min(**kw, sex="male")
    >>> woman = cockcroft_gault_ml_min(**kw, sex="female")
    >>> round(man, 2), round(woman, 2)
    (77.78, 66.11)
    """
    _positive("weight_kg", weight_kg)
    _positive("creatinine_mg_dl", creatinine_mg_dl)
    crcl = (140.0 - age_years) * weight_kg / (72.0 * creatinine_mg_dl)
    return crcl * 0.85 if sex == "female" else crcl


def egfr_ckd_epi_2021(*, age_years: float, creatinine_mg_dl: float, sex: Sex) -> float:
    """Estimated GFR by the race-free CKD-EPI 2021 creatinine equation (mL/min/1.73 m2).

    Examples
    --------
    >>> round(egfr_ckd_epi_2021(age_years=60, creatinine_mg_dl=1.0, sex="male"), 1)
    86.2
    >>> round(egfr_ckd_epi_2021(age_years=50, creatinine_mg_dl=0.7, sex="female"), 1)
    105.3
    """
    _positive("creatinine_mg_dl", creatinine_mg_dl)
    kappa, alpha = (0.7, -0.241) if sex == "female" else (0.9, -0.302)
    ratio = creatinine_mg_dl / kappa
    egfr = float(142.0 * min(ratio, 1.0) ** alpha * max(ratio, 1.0) ** -1.200 * 0.9938**age_years)
    return egfr * 1.012 if sex == "female" else egfr


def bmi_kg_m2(*, weight_kg: float, height_cm: float) -> float:
    """Body-mass index (kg/m2).

    Examples
    --------
    >>> round(bmi_kg_m2(weight_kg=70, height_cm=175), 2)
    22.86
    """
    _positive("weight_kg", weight_kg)
    _positive("height_cm", height_cm)
    return weight_kg / (height_cm / 100.0) ** 2


def bsa_m2(
    *, weight_kg: float, height_cm: float, method: Literal["mosteller", "dubois"] = "mosteller"
) -> float:
    """Body-surface area (m2), by Mosteller (default) or Du Bois.

    Examples
    --------
    >>> mosteller = bsa_m2(weight_kg=70, height_cm=175)
    >>> dubois = bsa_m2(weight_kg=70, height_cm=175, method="dubois")
    >>> round(mosteller, 3), round(dubois, 3)
    (1.845, 1.848)
    """
    _positive("weight_kg", weight_kg)
    _positive("height_cm", height_cm)
    if method == "mosteller":
        return math.sqrt(height_cm * weight_kg / 3600.0)
    return float(0.007184 * weight_kg**0.425 * height_cm**0.725)


def uln_multiple(value: float, *, upper_limit: float) -> float:
    """A lab value as a multiple of the lab's own upper limit of normal.

    Examples
    --------
    >>> uln_multiple(60.0, upper_limit=40.0)
    1.5
    """
    _positive("upper_limit", upper_limit)
    return value / upper_limit
