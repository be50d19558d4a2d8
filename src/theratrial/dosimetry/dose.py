"""Absorbed dose of a region from its time-activity curve: Ã x S, BED, alpha chains.

MIRD schema ``D = Ã x S`` (Bolch et al., MIRD Pamphlet No. 21, J. Nucl. Med. 50 (2009)
477), self-dose only, with the S-value of :func:`~theratrial.dosimetry.svalues.region_s_value`
(Lu-177: OpenDose organs scaled by mass, sphere model otherwise) or, for Ac-225, the chain
in situ with RBE weighting (:mod:`~theratrial.dosimetry.alpha`). BED uses the G-factor of
the same curve that gave Ã (:mod:`~theratrial.dosimetry.radiobiology`); by default the
kidney's alpha/beta 2.6 Gy and repair half-time 2.8 h for every region, configurable per
region.

Examples
--------
>>> from theratrial.dosimetry.tac import time_activity_curve
>>> import numpy as np
>>> t = np.array([4.0, 24.0, 72.0, 168.0])
>>> tac = time_activity_curve(t, 60 * np.exp(-np.log(2) / 50 * t), region="kidney_left")
>>> d = region_dose(tac, mass_g=155.0, administered_activity_mbq=7400.0)
>>> round(d.dose_gy, 2), round(d.dose_gy_per_gbq, 3), round(d.bed_gy, 2)
(2.4, 0.324, 2.52)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from theratrial.dosimetry.alpha import AlphaDose, alpha_chain_dose
from theratrial.dosimetry.fit import MODEL_NAMES
from theratrial.dosimetry.radiobiology import KIDNEY, Radiobiology, bed_gy, eqd2_gy
from theratrial.dosimetry.svalues import Phantom, SValue, canonical_organ, region_s_value
from theratrial.dosimetry.tac import TimeActivityCurve
from theratrial.dosimetry.tia import TiaResult, time_integrated_activity
from theratrial.errors import ParameterError
from theratrial.nuclides import nuclide as _nuclide

__all__ = [
    "KIDNEY_DOSE_PER_ACTIVITY_RANGE_GY_PER_GBQ",
    "RegionDose",
    "region_dose",
    "regions_dose",
]

KIDNEY_DOSE_PER_ACTIVITY_RANGE_GY_PER_GBQ = (0.1, 2.0)
"""Plausible Lu-177 kidney dose per activity; typical 0.38-0.47 Gy/GBq (reference sheet)."""


@dataclass(frozen=True, slots=True)
class RegionDose:
    """Dose of one region in one cycle.

    Attributes
    ----------
    region, nuclide
        What and which nuclide.
    tia
        The time-integrated activity and how it was obtained.
    mass_g
        Region mass (g).
    s_value
        S-value used (None for alpha-chain dosimetry).
    dose_gy
        Absorbed dose (Gy).
    dose_gy_per_gbq
        Absorbed dose per administered GBq (None without the administered activity).
    bed_gy, eqd2_gy
        BED and EQD2 (Gy; None for alpha emitters).
    radiobiology
        The alpha/beta and repair half-time used.
    alpha
        Alpha-chain details (absorbed and RBE-weighted dose) for alpha emitters.
    warnings
        Everything a reader should know: fit fallbacks, implausible values, assumptions.
    """

    region: str
    nuclide: str
    tia: TiaResult
    mass_g: float
    s_value: SValue | None
    dose_gy: float
    dose_gy_per_gbq: float | None
    bed_gy: float | None
    eqd2_gy: float | None
    radiobiology: Radiobiology
    alpha: AlphaDose | None
    warnings: tuple[str, ...]

    @property
    def model(self) -> str:
        """The Ã method: fitted model name, trapezoid or single-time-point method."""
        return self.tia.method

    def parameters(self) -> dict[str, float]:
        """Parameters of the Ã method, with units in their names."""
        if self.tia.fit is not None:
            return self.tia.fit.parameter_values()
        if self.tia.parts_mbq_h:
            values = {f"{k}_mbq_h": v for k, v in self.tia.parts_mbq_h}
            values["tail_decay_per_h"] = self.tia.tail_decay_per_h
            return values
        return {
            "effective_half_life_h": self.tia.effective_half_life_h,
            "time_h": self.tia.samples_h[0],
            "activity_mbq": self.tia.samples_mbq[0],
        }

    def as_record(self) -> dict[str, object]:
        """A flat, JSON-ready summary (numbers with units in the keys)."""
        fit = self.tia.fit
        record: dict[str, object] = {
            "region": self.region,
            "nuclide": self.nuclide,
            "model": self.model,
            "parameters": self.parameters(),
            "parameter_se": fit.standard_errors() if fit is not None else {},
            "aicc": fit.aicc if fit is not None else None,
            "fallback": self.tia.fallback,
            "effective_half_life_h": self.tia.effective_half_life_h,
            "tia_mbq_h": self.tia.tia_mbq_h,
            "tia_se_mbq_h": self.tia.tia_se_mbq_h,
            "mass_g": self.mass_g,
            "s_value_mgy_per_mbq_h": self.s_value.s_value_mgy_per_mbq_h if self.s_value else None,
            "s_value_method": self.s_value.method if self.s_value else "alpha_chain_local",
            "s_value_source": self.s_value.source if self.s_value else self.alpha_assumption,
            "dose_gy": self.dose_gy,
            "dose_gy_per_gbq": self.dose_gy_per_gbq,
            "bed_gy": self.bed_gy,
            "eqd2_gy": self.eqd2_gy,
            "alpha_beta_gy": self.radiobiology.alpha_beta_gy,
            "repair_half_time_h": self.radiobiology.repair_half_time_h,
            "warnings": list(self.warnings),
        }
        if self.alpha is not None:
            record["alpha_dose_gy"] = self.alpha.alpha_dose_gy
            record["electron_dose_gy"] = self.alpha.electron_dose_gy
            record["rbe_alpha"] = self.alpha.rbe_alpha
            record["rbe_weighted_dose_gy"] = self.alpha.rbe_weighted_dose_gy
        return record

    @property
    def alpha_assumption(self) -> str | None:
        """The daughter-redistribution assumption of an alpha-chain dose."""
        return self.alpha.assumption if self.alpha is not None else None


def region_dose(
    tac: TimeActivityCurve,
    *,
    mass_g: float,
    administered_activity_mbq: float | None = None,
    method: str = "auto",
    models: Sequence[str] = MODEL_NAMES,
    phantom: Phantom = "adult_male",
    radiobiology: Radiobiology = KIDNEY,
    population_half_life_h: float | None = None,
    rbe_alpha: float = 5.0,
    released: Mapping[str, float] | None = None,
    s_values: str = "auto",
) -> RegionDose:
    """Ã, absorbed dose, dose per GBq and BED of one region.

    Parameters
    ----------
    tac
        Time-activity curve of the region (MBq, as measured).
    mass_g
        Region mass (g), e.g. CT volume x density.
    administered_activity_mbq
        Administered activity of the cycle (MBq), for ``dose_gy_per_gbq``.
    method, models
        Ã method (:func:`~theratrial.dosimetry.tia.time_integrated_activity`).
    phantom
        Reference phantom for organ S-values.
    radiobiology
        alpha/beta and repair half-time of the tissue.
    population_half_life_h
        Population effective half-life for single-time-point data (Madsen).
    rbe_alpha, released
        Alpha emitters: RBE of alpha particles, daughters released from the region.
    s_values
        ``"auto"`` (organ table, else sphere model) or ``"local"`` (local absorption).
    """
    if administered_activity_mbq is not None and not administered_activity_mbq > 0:
        raise ParameterError(
            f"administered activity must be positive, got {administered_activity_mbq} MBq",
            field="administered_activity_mbq",
        )
    tia = time_integrated_activity(
        tac, method=method, models=models, population_half_life_h=population_half_life_h
    )
    warnings = list(tia.warnings)
    if tia.fallback is not None:
        warnings.insert(0, f"fit not usable: Ã from {tia.fallback}")
    nuc = _nuclide(tac.nuclide)
    alpha = None
    s_value = None
    is_alpha = nuc.energies is not None and nuc.energies.alpha_mev > 0
    if released and not is_alpha:
        raise ParameterError(
            f"daughter release ({', '.join(released)}) applies to alpha-emitter chains, "
            f"not to {nuc.name}",
            field="released",
            hint="drop the release, or give the alpha emitter (e.g. Ac-225) as the nuclide",
        )
    if is_alpha:
        alpha = alpha_chain_dose(
            tia.tia_mbq_h, mass_g=mass_g, nuclide=nuc.name, rbe_alpha=rbe_alpha, released=released
        )
        dose = alpha.absorbed_dose_gy
        bed = eqd2 = None
        warnings.append(
            f"alpha emitter: {alpha.assumption}; RBE-weighted dose uses RBE {rbe_alpha:g}; "
            "BED not computed (no established LQ repair model for alpha particles)"
        )
    else:
        s_value = region_s_value(
            tac.region, mass_g=mass_g, nuclide_name=nuc.name, phantom=phantom, method=s_values
        )
        dose = tia.tia_mbq_h * s_value.s_value_mgy_per_mbq_h / 1000.0
        if s_value.method == "sphere" and not _is_lesion(tac.region):
            warnings.append(f"no organ S-value for {tac.region!r}: sphere model at its mass")
        try:
            g = tia.g_factor(repair_half_time_h=radiobiology.repair_half_time_h)
            bed = bed_gy(dose, g_factor=g, alpha_beta_gy=radiobiology.alpha_beta_gy)
            eqd2 = eqd2_gy(bed, alpha_beta_gy=radiobiology.alpha_beta_gy)
        except ParameterError as exc:
            bed = eqd2 = None
            warnings.append(f"BED not computed: {exc.message}")
    per_gbq = None
    if administered_activity_mbq is not None:
        per_gbq = dose / (administered_activity_mbq / 1000.0)
        low, high = KIDNEY_DOSE_PER_ACTIVITY_RANGE_GY_PER_GBQ
        if (
            nuc.name == "Lu-177"
            and canonical_organ(tac.region) == "kidneys"
            and not (low <= per_gbq <= high)
        ):
            warnings.append(
                f"kidney dose {per_gbq:.3g} Gy/GBq is outside the plausible {low}-{high} Gy/GBq "
                "(typical 0.38-0.47): check activities, units and masses"
            )
    return RegionDose(
        region=tac.region,
        nuclide=nuc.name,
        tia=tia,
        mass_g=float(mass_g),
        s_value=s_value,
        dose_gy=dose,
        dose_gy_per_gbq=per_gbq,
        bed_gy=bed,
        eqd2_gy=eqd2,
        radiobiology=radiobiology,
        alpha=alpha,
        warnings=tuple(warnings),
    )


def _is_lesion(region: str) -> bool:
    text = region.strip().lower()
    return text.startswith(("lesion", "tumour", "tumor", "gtv", "met", "les_", "node"))


def regions_dose(
    tacs: Sequence[TimeActivityCurve],
    masses_g: Mapping[str, float],
    *,
    administered_activity_mbq: float | None = None,
    radiobiology: Mapping[str, Radiobiology] | None = None,
    default_radiobiology: Radiobiology = KIDNEY,
    method: str = "auto",
    phantom: Phantom = "adult_male",
    rbe_alpha: float = 5.0,
    released: Mapping[str, float] | None = None,
    s_values: str = "auto",
    population_half_life_h: float | Mapping[str, float] | None = None,
) -> tuple[RegionDose, ...]:
    """:func:`region_dose` for every curve, with masses and radiobiology looked up by region.

    Raises
    ------
    ParameterError
        When a region has no mass (the message lists the regions missing).

    Notes
    -----
    ``population_half_life_h`` (Madsen single-time-point method) is one effective
    half-life (h) for every region or a ``{region: half-life}`` mapping.

    Examples
    --------
    >>> from theratrial.dosimetry.tac import time_activity_curve
    >>> tac = time_activity_curve([4.0, 24.0, 96.0], [9.0, 8.0, 4.0], region="spleen")
    >>> [round(r.dose_gy, 3) for r in regions_dose([tac], {"spleen": 150.0})]
    [0.593]
    """
    missing = [t.region for t in tacs if t.region not in masses_g]
    if missing:
        raise ParameterError(
            f"no mass for region(s) {', '.join(repr(m) for m in missing)}",
            field="mass_g",
            hint="add a row region,mass_g for each region of the time-activity table",
        )
    chosen = radiobiology or {}

    def population(region: str) -> float | None:
        if population_half_life_h is None or isinstance(population_half_life_h, (int, float)):
            return population_half_life_h
        return population_half_life_h.get(region)

    return tuple(
        region_dose(
            tac,
            mass_g=masses_g[tac.region],
            administered_activity_mbq=administered_activity_mbq,
            method=method,
            phantom=phantom,
            radiobiology=chosen.get(tac.region, default_radiobiology),
            rbe_alpha=rbe_alpha,
            released=released,
            s_values=s_values,
            population_half_life_h=population(tac.region),
        )
        for tac in tacs
    )
