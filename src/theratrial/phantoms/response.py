"""The lesion response model of the virtual patients: diameter change from dose and uptake.

The true fractional change of a lesion's longest axial diameter ``t`` months after the
first cycle is

.. math::

    \\Delta(t) = g\\,t - E_{max}\\, m\\, \\frac{D(t)^n}{D_{50}^n + D(t)^n} + u,
    \\qquad m = \\min\\bigl((S / S_{ref})^{\\gamma}, m_{max}\\bigr)

with ``g`` the untreated growth per month (by WHO grade), ``D(t)`` the lesion's mean
absorbed dose delivered up to ``t`` (Gy; RBE-weighted for alpha emitters), ``S`` its
68Ga-DOTATATE SUVmean at baseline (receptor density beyond dose: a higher SSTR expression
marks a better differentiated, more radiosensitive tumour), and ``u ~ N(0, sigma_lesion)``
a lesion effect present from the first follow-up on. The true diameter is
``LD0 max(0, 1 + Delta)``; the measured one multiplies it by ``1 + e``,
``e ~ N(0, sigma_measurement)`` independently at each time point (reader variability), and
reads 0 once the true diameter falls below ``disappear_mm``. A lesion responds when its
measured change at the last follow-up is at most ``responder_threshold`` (-30 %, the
RECIST 1.1 partial-response threshold applied per lesion).

The dose-response shape (an Emax model in absorbed dose) follows the tumour
dose-response of 177Lu-DOTATATE reported by Ilan et al. (J Nucl Med 2015;56:177-182)
and Jahn et al. (Cancers 2021;13:962); its parameters are stated, not fitted.

Examples
--------
>>> m = ResponseModel()
>>> round(m.true_change(months=6.0, dose_gy=100.0, suv=20.0, growth_per_month=0.0,
...                     lesion_effect=0.0), 4)
-0.4
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["ResponseModel"]


@dataclass(frozen=True, slots=True)
class ResponseModel:
    """Parameters of the lesion response relation (see the module docstring).

    Attributes
    ----------
    emax
        Largest fractional shrinkage from dose (at ``S = S_ref``).
    d50_gy
        Dose giving half the largest shrinkage (Gy).
    hill
        Steepness ``n`` of the dose-response.
    suv_ref
        Reference 68Ga SUVmean ``S_ref``.
    uptake_exponent
        ``gamma``: how receptor density scales the dose effect.
    max_modifier
        Cap ``m_max`` on the uptake modifier (keeps ``emax m`` below 1).
    growth_per_month_by_grade
        Untreated fractional growth of the diameter per month for grades 1, 2, 3.
    sigma_lesion
        SD of the lesion effect ``u``.
    sigma_measurement
        SD of the relative measurement error of a diameter.
    disappear_mm
        True diameter below which a lesion is no longer measurable (reads 0).
    responder_threshold
        Fractional change at the last follow-up at or below which a lesion responds.
    followup_weeks
        Follow-up CT times, weeks after the first cycle.
    """

    emax: float = 0.6
    d50_gy: float = 50.0
    hill: float = 1.0
    suv_ref: float = 20.0
    uptake_exponent: float = 0.3
    max_modifier: float = 1.5
    growth_per_month_by_grade: tuple[float, float, float] = (0.005, 0.015, 0.04)
    sigma_lesion: float = 0.06
    sigma_measurement: float = 0.04
    disappear_mm: float = 3.0
    responder_threshold: float = -0.30
    followup_weeks: tuple[float, ...] = (12.0, 24.0, 36.0, 48.0)

    def modifier(self, suv: float) -> float:
        """The uptake modifier ``m`` for a baseline 68Ga SUVmean."""
        return float(min((suv / self.suv_ref) ** self.uptake_exponent, self.max_modifier))

    def dose_effect(self, dose_gy: float) -> float:
        """The saturating dose term ``D^n / (D50^n + D^n)``."""
        if dose_gy <= 0:
            return 0.0
        d = dose_gy**self.hill
        return float(d / (self.d50_gy**self.hill + d))

    def true_change(
        self,
        *,
        months: float,
        dose_gy: float,
        suv: float,
        growth_per_month: float,
        lesion_effect: float,
    ) -> float:
        """True fractional change of the longest diameter (no measurement error)."""
        return (
            growth_per_month * months
            - self.emax * self.modifier(suv) * self.dose_effect(dose_gy)
            + lesion_effect
        )

    def measured_diameter_mm(self, true_diameter_mm: float, rng: np.random.Generator) -> float:
        """A measured longest diameter (mm): relative error, 0 when disappeared."""
        if true_diameter_mm < self.disappear_mm:
            return 0.0
        return float(
            max(true_diameter_mm * (1.0 + self.sigma_measurement * rng.standard_normal()), 0.0)
        )

    def as_dict(self) -> dict[str, object]:
        """JSON-ready parameters and the formula, for the truth file."""
        return {
            "formula": (
                "delta(t) = g*t_months - emax*m*D(t)^n/(d50^n + D(t)^n) + u; "
                "m = min((suv/suv_ref)^gamma, max_modifier); LD_true = LD0*max(0, 1+delta); "
                "LD_measured = LD_true*(1+e), e~N(0, sigma_measurement), 0 if LD_true < "
                "disappear_mm; u~N(0, sigma_lesion); responder: measured change at the last "
                "follow-up <= responder_threshold"
            ),
            "dose_metric": "lesion mean absorbed dose delivered up to t (Gy; RBE-weighted for "
            "Ac-225)",
            "suv_metric": "baseline 68Ga-DOTATATE SUVmean of the lesion (true)",
            "emax": self.emax,
            "d50_gy": self.d50_gy,
            "hill": self.hill,
            "suv_ref": self.suv_ref,
            "uptake_exponent": self.uptake_exponent,
            "max_modifier": self.max_modifier,
            "growth_per_month_by_grade": list(self.growth_per_month_by_grade),
            "sigma_lesion": self.sigma_lesion,
            "sigma_measurement": self.sigma_measurement,
            "disappear_mm": self.disappear_mm,
            "responder_threshold": self.responder_threshold,
            "followup_weeks": list(self.followup_weeks),
        }
