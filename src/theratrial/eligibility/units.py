"""Unit handling for clinical values, built on pint.

Lab units arrive in many spellings (``mg/dL``, ``umol/L``, ``µmol/l``, ``10^3/uL``,
``x10^9/L``, ``10E9/L``, ``G/L``, ``Gpt/l``, ``g/100 mL``). :func:`convert` reads them, and
converts between mass and molar concentrations of creatinine, bilirubin, glucose and
haemoglobin with their molar masses.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import pint

from theratrial.errors import UnitError

__all__ = ["MOLAR_MASS_G_PER_MOL", "convert", "parse_unit", "same_dimension"]

MOLAR_MASS_G_PER_MOL = {
    "creatinine": 113.12,  # 1 mg/dL = 88.4 umol/L (reference sheet uses 88.42)
    "bilirubin_total": 584.66,  # 1 mg/dL = 17.1 umol/L
    "bilirubin_direct": 584.66,
    "glucose_fasting": 180.156,  # 1 mg/dL = 0.0555 mmol/L
    "glucose": 180.156,
    # haemoglobin per haem (monomer, 16 114.5 g/mol), the convention of laboratories that
    # report Hb in mmol/L (the Netherlands): 1 g/dL = 0.6206 mmol/L
    "haemoglobin": 16114.5,
}
"""Molar masses (g/mol) used for mass <-> molar conversion of lab values."""

_CREATININE_UMOL_PER_MGDL = 88.42  # reference sheet section 6 (SCr umol/L / 88.42 = mg/dL)


@cache
def _registry() -> pint.UnitRegistry:  # type: ignore[type-arg]
    ureg: pint.UnitRegistry = pint.UnitRegistry(autoconvert_offset_to_baseunit=True)  # type: ignore[type-arg]
    return ureg


_SPELLINGS = (
    (re.compile(r"\s*/\s*\(?\s*1[.,]73\s*m(²|2|\^2)\s*\)?"), ""),  # indexed GFR: per 1.73 m2
    (re.compile(r"\s*\([^()]*\)\s*$"), ""),  # a trailing note: "U/L (37 °C)"
    (re.compile(r"(?i)^\s*(ratio|index|inr|-)\s*$"), "1"),  # INR and other ratios
    (re.compile(r"µ|μ"), "u"),
    (re.compile(r"^\s*[x×]\s*"), ""),
    (re.compile(r"10\^(\d+)"), r"1e\1 "),
    (re.compile(r"10\*(\d+)"), r"1e\1 "),
    (re.compile(r"\b10[eE](\d+)"), r"1e\1 "),  # LIS spelling 10E9/L = 10^9/L, not 10 x 10^9
    (re.compile(r"^K/(?=u?L|mm)"), "1e3/"),  # K/uL = 10^3/uL (thousands)
    (re.compile(r"(?i)^cells\s*/"), "1/"),
    (re.compile(r"/\s*mm(3|\^3|³)"), "/uL"),  # per cubic millimetre = per microlitre
    (re.compile(r"^/"), "1/"),
    (re.compile(r"^G(pt)?/[lL]$"), "1e9/L"),  # giga(particles) per litre
    (re.compile(r"^T(pt)?/[lL]$"), "1e12/L"),
    (re.compile(r"/\s*100\s*m[lL]\b"), "/dL"),  # g/100 mL (g%) = g/dL
    (re.compile(r"(?<![A-Za-z])([mkun]?)I?U(?=/)"), r"\1U"),  # IU/L, mIU/mL, uIU/mL
    (re.compile(r"(?<![A-Za-z])(iu|u)(?=/)"), "U"),
    (re.compile(r"/\s*24\s*h(ours?|rs?)?\b"), "/day"),  # g/24 h = g per day
    (re.compile(r"(?<=/)m2\b"), "m^2"),  # kg/m2
    (re.compile(r"%"), "percent"),
    (re.compile(r"\bdl\b|\bdL\b"), "dL"),
    (re.compile(r"(?<=/)l\b"), "L"),
    (re.compile(r"(?i)\bsec\b"), "s"),
)


def _normalise(text: str) -> str:
    out = text.strip()
    for pattern, repl in _SPELLINGS:
        out = pattern.sub(repl, out)
    return out.replace("  ", " ")


def parse_unit(text: str, *, field: str = "unit") -> pint.Quantity:  # type: ignore[type-arg]
    """Read a unit string as a pint quantity of magnitude 1 in that unit.

    Raises :class:`UnitError` naming ``field`` when the unit is unknown. Indexed GFR units
    (``mL/min/1.73m2``) are read as mL/min: theratrial compares such values only with
    thresholds given in the same indexed unit.

    Examples
    --------
    >>> str(parse_unit("umol/L").units)
    'micromole / liter'
    >>> parse_unit("mg/dl/x", field="labs[0].unit")
    Traceback (most recent call last):
    ...
    theratrial.errors.UnitError: field 'labs[0].unit': unknown unit 'mg/dl/x' (fix: ...)
    """
    if not text.strip():
        raise UnitError("empty unit", field=field, hint="give the unit, e.g. mg/dL or 10^9/L")
    try:
        quantity = _parse(text)
    except Exception as exc:  # pint raises several unrelated exception types for bad strings
        raise UnitError(
            f"unknown unit {text!r}",
            field=field,
            hint="use a unit such as mg/dL, umol/L, g/L, 10^9/L, U/L, s or %",
        ) from exc
    if not isinstance(quantity, pint.Quantity):  # a bare number is not a unit
        raise UnitError(f"unknown unit {text!r}", field=field, hint="give a unit, e.g. mg/dL")
    return quantity


@cache
def _parse(text: str) -> Any:
    return _registry().parse_expression(_normalise(text))


def same_dimension(unit_a: str, unit_b: str) -> bool:
    """True when the two units measure the same kind of quantity."""
    return bool(parse_unit(unit_a).dimensionality == parse_unit(unit_b).dimensionality)


def convert(
    value: float, from_unit: str, to_unit: str, *, analyte: str | None = None, field: str = "unit"
) -> float:
    """Convert ``value`` from one unit to another, molar <-> mass with a known analyte.

    Examples
    --------
    >>> round(convert(88.42, "umol/L", "mg/dL", analyte="creatinine"), 4)
    1.0
    >>> convert(9.0, "g/dL", "g/L")
    90.0
    >>> round(convert(150.0, "10^3/uL", "10^9/L"), 6)
    150.0
    >>> round(convert(1.0, "mg/dL", "umol/L", analyte="bilirubin_total"), 2)
    17.1
    """
    return value * _factor(from_unit, to_unit, analyte, field)


@cache
def _factor(from_unit: str, to_unit: str, analyte: str | None, field: str) -> float:
    """The conversion factor (clinical units are all linear), cached per unit pair."""
    value = 1.0
    ureg = _registry()
    q_from = value * parse_unit(from_unit, field=field)
    q_to = parse_unit(to_unit, field=field)
    if q_from.dimensionality == q_to.dimensionality:
        return float((q_from / q_to).to("dimensionless").magnitude)
    molar = ureg.Quantity(1.0, "mol/L").dimensionality
    mass = ureg.Quantity(1.0, "g/L").dimensionality
    if analyte is not None and {q_from.dimensionality, q_to.dimensionality} == {molar, mass}:
        if analyte == "creatinine":
            # reference sheet section 6: SCr umol/L / 88.42 = mg/dL
            per = ureg.Quantity(_CREATININE_UMOL_PER_MGDL, "umol/L") / ureg.Quantity(1, "mg/dL")
            factor = per if q_from.dimensionality == mass else 1 / per
            return float((q_from * factor / q_to).to("dimensionless").magnitude)
        if analyte in MOLAR_MASS_G_PER_MOL:
            mm = ureg.Quantity(MOLAR_MASS_G_PER_MOL[analyte], "g/mol")
            converted = q_from * mm if q_from.dimensionality == molar else q_from / mm
            return float((converted / q_to).to("dimensionless").magnitude)
    raise UnitError(
        f"cannot convert {from_unit!r} to {to_unit!r}" + (f" for {analyte}" if analyte else ""),
        field=field,
        hint=f"give the value in a unit compatible with {to_unit}",
    )
