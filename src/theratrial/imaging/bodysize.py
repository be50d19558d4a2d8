"""Body-size normalisers for SUV: lean body mass, body surface area, ideal body weight.

Sex is ``"M"`` or ``"F"`` as in (0010,0040) Patient's Sex. For any other value (``"O"``,
absent) the mean of the male and female formulas is returned; the SUV code reports this
as an assumption. This matches the IBSI-SUV digital reference objects (Vácha et al.,
"Standardizing SUV computation", 2026), whose SUVibw series with sex "O" was written with
the mean of Sugawara's male and female ideal body weights.

References
----------
- Janmahasatian S, et al. Quantification of lean bodyweight. Clin Pharmacokinet
  2005;44:1051-65 (recommended LBM for SUL by the IBSI-SUV manual).
- James WPT. Research on obesity. London: HMSO; 1976 ("James 128" LBM, used by
  PERCIST 1.0, Wahl et al. J Nucl Med 2009;50:122S-150S).
- Du Bois D, Du Bois EF. A formula to estimate the approximate surface area if height and
  weight be known. Arch Intern Med 1916;17:863-71.
- Sugawara Y, Zasadny KR, Neuhoff AW, Wahl RL. Reevaluation of the standardized uptake
  value for FDG. Radiology 1999;213:521-5 (ideal body weight for SUV).
"""

from __future__ import annotations

from collections.abc import Callable

from theratrial.errors import ParameterError

__all__ = [
    "body_surface_area_m2",
    "ideal_body_weight_kg",
    "lean_body_mass_james_kg",
    "lean_body_mass_janmahasatian_kg",
    "sex_is_known",
]


def sex_is_known(sex: str | None) -> bool:
    """True for ``"M"`` or ``"F"`` (case-insensitive), the values the formulas need.

    Examples
    --------
    >>> sex_is_known("m"), sex_is_known("O"), sex_is_known(None)
    (True, False, False)
    """
    return sex is not None and sex.strip().upper() in ("M", "F")


def _check(weight_kg: float | None, height_m: float | None) -> None:
    if weight_kg is not None and not weight_kg > 0:
        raise ParameterError(f"body weight must be positive, got {weight_kg} kg", field="weight_kg")
    if height_m is not None and not height_m > 0:
        raise ParameterError(f"height must be positive, got {height_m} m", field="height_m")


def _by_sex(sex: str | None, formula: Callable[[bool], float]) -> float:
    if sex_is_known(sex):
        return formula(str(sex).strip().upper() == "M")
    return 0.5 * (formula(True) + formula(False))


def lean_body_mass_janmahasatian_kg(weight_kg: float, height_m: float, sex: str | None) -> float:
    """Lean body mass (kg) by Janmahasatian et al. (2005).

    LBM = 9270 W / (6680 + 216 BMI) for men, 9270 W / (8780 + 244 BMI) for women, with
    W in kg and BMI = W / H^2 (H in m).

    Examples
    --------
    >>> round(lean_body_mass_janmahasatian_kg(70.0, 1.75, "M"), 2)
    55.86
    >>> round(lean_body_mass_janmahasatian_kg(70.0, 1.75, "F"), 2)
    45.2
    """
    _check(weight_kg, height_m)
    bmi = weight_kg / height_m**2

    def formula(male: bool) -> float:
        return 9270.0 * weight_kg / ((6680.0 + 216.0 * bmi) if male else (8780.0 + 244.0 * bmi))

    return _by_sex(sex, formula)


def lean_body_mass_james_kg(weight_kg: float, height_m: float, sex: str | None) -> float:
    """Lean body mass (kg) by James (1976), the "James 128" form used by PERCIST.

    LBM = 1.10 W - 128 (W/H)^2 for men, 1.07 W - 148 (W/H)^2 for women, W in kg, H in cm.

    Examples
    --------
    >>> round(lean_body_mass_james_kg(70.0, 1.75, "M"), 2)
    56.52
    """
    _check(weight_kg, height_m)
    ratio_sq = (weight_kg / (100.0 * height_m)) ** 2

    def formula(male: bool) -> float:
        return 1.10 * weight_kg - 128.0 * ratio_sq if male else 1.07 * weight_kg - 148.0 * ratio_sq

    return _by_sex(sex, formula)


def body_surface_area_m2(weight_kg: float, height_m: float) -> float:
    """Body surface area (m^2) by Du Bois and Du Bois (1916): 0.007184 W^0.425 H^0.725 (cm).

    Examples
    --------
    >>> round(body_surface_area_m2(70.0, 1.75), 4)
    1.8481
    """
    _check(weight_kg, height_m)
    return float(0.007184 * weight_kg**0.425 * (100.0 * height_m) ** 0.725)


def ideal_body_weight_kg(height_m: float, sex: str | None) -> float:
    """Ideal body weight (kg) by Sugawara et al. (1999).

    IBW = 48.0 + 1.06 (H - 152) for men, 45.5 + 0.91 (H - 152) for women, H in cm.

    Examples
    --------
    >>> round(ideal_body_weight_kg(1.75, "M"), 2), round(ideal_body_weight_kg(1.75, "F"), 2)
    (72.38, 66.43)
    >>> round(ideal_body_weight_kg(1.75, "O"), 3)
    69.405
    """
    _check(None, height_m)
    height_cm = 100.0 * height_m

    def formula(male: bool) -> float:
        return 48.0 + 1.06 * (height_cm - 152.0) if male else 45.5 + 0.91 * (height_cm - 152.0)

    return _by_sex(sex, formula)
