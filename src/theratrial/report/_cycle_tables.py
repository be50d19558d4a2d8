"""Tables of the cycle report: fitted models, doses per region, assumptions, methods (private).

The rows are the dosimetry stored with the cycle (``theratrial cycle record --dosimetry``):
model name and parameters (amplitudes in MBq, effective decay constants in 1/h), AICc and
warnings of the fit, Ã, mass, S-value and its source, absorbed dose, BED, EQD2 and, for an
alpha emitter, the RBE and RBE-weighted dose (MIRD Pamphlet 22, Sgouros et al. 2010,
J Nucl Med 51:311). A value that was not stored is shown as ``–``, never guessed.

Examples
--------
>>> _parameters({"a_mbq": 12.5, "lambda_per_h": 0.0139})
'a = 12.5 MBq; lambda = 0.0139 1/h'
"""

from __future__ import annotations

from typing import Any

from theratrial.errors import TheratrialError
from theratrial.report._render import fmt
from theratrial.report.documents import Section, Table
from theratrial.store.models_clinical import CycleRow

__all__ = ["assumptions", "dose_table", "methods", "model_table"]


def _aicc(fit_report: Any) -> str:
    if isinstance(fit_report, dict):
        for key in ("aicc", "AICc"):
            if isinstance(fit_report.get(key), int | float):
                return fmt(float(fit_report[key]))
    return "–"


def _unit_of(name: str) -> tuple[str, str]:
    """A stored parameter name and its unit: ``a_mbq`` -> (``a``, ``MBq``)."""
    for suffix, unit in _PARAMETER_UNITS:
        if name.endswith(suffix):
            return name[: -len(suffix)], unit
    return name, ""


_PARAMETER_UNITS = (("_mbq_h", "MBq h"), ("_mbq", "MBq"), ("_per_h", "1/h"), ("_h", "h"))


def _parameters(parameters: Any) -> str:
    if not isinstance(parameters, dict) or not parameters:
        return "–"
    parts = []
    for name, value in parameters.items():
        label, unit = _unit_of(str(name))
        shown = fmt(float(value)) if isinstance(value, int | float) else str(value)
        parts.append(f"{label} = {shown}{' ' + unit if unit else ''}")
    return "; ".join(parts)


def model_table(cycle: CycleRow) -> Table | None:
    """The fitted model of each region with its parameters, AICc and warnings (if stored)."""
    doses = sorted(cycle.doses, key=lambda d: d.region)
    if not any(d.model or d.parameters or d.warnings for d in doses):
        return None
    rows = []
    for d in doses:
        report = d.fit_report if isinstance(d.fit_report, dict) else {}
        rows.append(
            (
                d.region,
                d.model or "–",
                _parameters(d.parameters),
                _aicc(report),
                fmt(d.effective_half_life_h),
                str(report.get("fallback") or "–"),
                "; ".join(str(w) for w in d.warnings or []) or "none",
            )
        )
    return Table(
        ("region", "model", "parameters", "AICc", "T_eff (h)", "fallback", "warnings"),
        tuple(rows),
        "Time-activity model per region as stored: amplitudes in MBq, effective decay "
        "constants in 1/h; AICc (Akaike corrected for small samples) where a fit chose it.",
    )


def dose_table(cycle: CycleRow) -> Table:
    rows = []
    for d in sorted(cycle.doses, key=lambda d: d.region):
        rows.append(
            (
                d.region,
                fmt(d.tia_mbq_h),
                fmt(d.mass_g),
                fmt(d.dose_gy),
                fmt(d.bed_gy),
                fmt(d.eqd2_gy),
                fmt(d.rbe_weighted_dose_gy),
            )
        )
    return Table(
        (
            "region",
            "Ã (MBq h)",
            "mass (g)",
            "absorbed dose (Gy)",
            "BED (Gy)",
            "EQD2 (Gy)",
            "RBE-weighted dose (Gy)",
        ),
        tuple(rows),
        "Per region: time-integrated activity (MIRD Ã), absorbed dose, BED and EQD2.",
    )


def assumptions(cycle: CycleRow) -> Section:
    """S-value source, masses, radiobiology and RBE per region, as stored with the results."""
    rows = []
    for d in sorted(cycle.doses, key=lambda d: d.region):
        rbe = _rbe(d)
        rows.append(
            (
                d.region,
                d.s_value_source or "not stored",
                fmt(d.s_value_mgy_per_mbq_h),
                fmt(d.mass_g),
                fmt(d.alpha_beta_gy),
                fmt(d.repair_half_time_h),
                fmt(rbe),
            )
        )
    table = Table(
        (
            "region",
            "S-value source",
            "S (mGy/(MBq h))",
            "mass (g)",
            "alpha/beta (Gy)",
            "repair half-time (h)",
            "RBE (alpha)",
        ),
        tuple(rows),
        "Assumptions behind each dose; '–' where none was stored.",
    )
    paragraphs = []
    if not any(d.s_value_source for d in cycle.doses):
        paragraphs.append("S-value source: not stored with the results.")
    no_mass = sorted(d.region for d in cycle.doses if d.mass_g is None)
    if no_mass:
        paragraphs.append(
            f"Mass: not stored for {', '.join(no_mass)}; the dose there is as recorded, "
            "with the mass its S-value assumed."
        )
    if cycle.doses and _is_alpha(cycle.nuclide):
        stored = {r for r in map(_rbe, cycle.doses) if r is not None}
        paragraphs.append(
            "Alpha emitter: RBE-weighted dose = RBE x alpha absorbed dose + electron dose; "
            + (
                "RBE " + ", ".join(fmt(r) for r in sorted(stored)) + " as stored."
                if stored
                else "no RBE stored with the results (RBE-weighted dose not reported)."
            )
        )
    return Section("Assumptions", tuple(paragraphs), (table,))


def _rbe(dose: Any) -> float | None:
    """The RBE for alpha particles stored with a region's result, if any."""
    report = dose.fit_report if isinstance(dose.fit_report, dict) else {}
    rbe = report.get("rbe_alpha")
    return float(rbe) if isinstance(rbe, int | float) else None


def _is_alpha(nuclide_name: str) -> bool:
    from theratrial.nuclides import chain_alpha_energy_mev

    try:
        return chain_alpha_energy_mev(nuclide_name) > 0
    except TheratrialError:  # an unknown nuclide: the record names it, no guess here
        return False


def methods(cycle: CycleRow) -> tuple[str, ...]:
    bio = sorted(
        {
            (d.alpha_beta_gy, d.repair_half_time_h)
            for d in cycle.doses
            if d.alpha_beta_gy is not None
        }
    )
    out = [
        "Time-activity fits: sums of exponentials by weighted least squares, model chosen "
        "by AICc (Glatting et al. 2007, Med Phys 34:4121; NUKFIT, Kletting et al. 2013, "
        "Med Phys 40:102504).",
        "Absorbed dose D = Ã x S (MIRD Pamphlet 21, Bolch et al. 2009, J Nucl Med 50:477).",
        "BED = D (1 + G D / (alpha/beta)) with the G-factor of the fitted dose rate "
        "(Dale 1985, Br J Radiol 58:515); EQD2 = BED / (1 + 2 Gy / (alpha/beta)).",
    ]
    out += [f"alpha/beta {fmt(a)} Gy, repair half-time {fmt(r)} h" for a, r in bio]
    if any(d.rbe_weighted_dose_gy is not None for d in cycle.doses):
        out.append(
            "Alpha emitter: RBE-weighted dose (Gy) = RBE x alpha absorbed dose, "
            "no LQ BED for the alpha component (Sgouros et al. 2010, J Nucl Med 51:311)."
        )
    out.append(
        "Next-cycle activity: the protocol's prescription, reduced to the largest "
        "activity that keeps every organ under its limit from the measured dose per GBq."
    )
    return tuple(out)
