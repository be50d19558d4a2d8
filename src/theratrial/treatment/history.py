"""Cycle dose history: what each organ at risk received in each cycle, and the totals.

Each cycle's dosimetry gives, per organ at risk, the absorbed dose, the dose-rate G-factor
and (alpha emitters) the RBE-weighted dose. Cycles add: absorbed dose by sum; BED as the
sum of per-cycle BEDs, ``BED_k = D_k (1 + G_k D_k / (alpha/beta))``, which holds for cycles
weeks apart (reference sheet section 2: 4 x 5.75 Gy, T_eff 50 h -> 25.70 Gy kidney BED).

Examples
--------
>>> four = [CycleDose(c, "kidneys", 7400.0, 5.75, g_factor=0.053032) for c in (1, 2, 3, 4)]
>>> round(cumulative_doses(four)["kidneys"].bed_gy, 2)
25.7
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from theratrial.dosimetry.dose import RegionDose
from theratrial.dosimetry.pipeline import PatientDosimetry
from theratrial.dosimetry.radiobiology import KIDNEY, Radiobiology, bed_gy
from theratrial.dosimetry.svalues import canonical_organ
from theratrial.errors import ParameterError

__all__ = [
    "CycleDose",
    "OrganTotal",
    "cumulative_doses",
    "cycle_dose_from_region",
    "history_from_dosimetry",
    "organ_of",
    "per_cycle_organ_doses",
]


_MARROW = ("bone_marrow", "red_marrow", "marrow", "redmarrow", "bonemarrow")


def organ_of(region: str) -> str:
    """The organ-at-risk name a region counts toward (``kidney_left`` -> ``kidneys``).

    Examples
    --------
    >>> organ_of("kidney_right"), organ_of("Red Marrow"), organ_of("lesion_01")
    ('kidneys', 'bone_marrow', 'lesion_01')
    """
    organ = canonical_organ(region)
    if organ is not None:
        return organ
    text = region.strip().lower().replace(" ", "_").replace("-", "_")
    return "bone_marrow" if text in _MARROW else region


@dataclass(frozen=True, slots=True)
class CycleDose:
    """The dose one organ received in one cycle.

    Attributes
    ----------
    cycle
        Cycle number (1-based).
    organ
        Organ at risk (a protocol ``organ_limits`` name such as ``kidneys``).
    administered_activity_mbq
        Activity administered in the cycle (MBq).
    absorbed_dose_gy
        Absorbed dose of the cycle (Gy).
    g_factor
        Lea-Catcheside G-factor of the cycle's dose rate (None: BED unknown).
    radiobiology
        alpha/beta and repair half-time of the organ.
    rbe_weighted_dose_gy
        RBE-weighted dose (alpha emitters).
    """

    cycle: int
    organ: str
    administered_activity_mbq: float
    absorbed_dose_gy: float
    g_factor: float | None = None
    radiobiology: Radiobiology = KIDNEY
    rbe_weighted_dose_gy: float | None = None

    def __post_init__(self) -> None:
        if self.cycle < 1:
            raise ParameterError(f"cycle numbers start at 1, got {self.cycle}", field="cycle")
        if not (
            math.isfinite(self.administered_activity_mbq) and self.administered_activity_mbq > 0
        ):
            raise ParameterError(
                f"administered activity must be positive, got {self.administered_activity_mbq}",
                field="administered_activity_mbq",
            )
        if not (math.isfinite(self.absorbed_dose_gy) and self.absorbed_dose_gy >= 0):
            raise ParameterError(
                f"absorbed dose must be >= 0, got {self.absorbed_dose_gy}", field="absorbed_dose_gy"
            )

    @property
    def bed_gy(self) -> float | None:
        """BED of this cycle (Gy), or None without a G-factor."""
        if self.g_factor is None:
            return None
        return bed_gy(
            self.absorbed_dose_gy, g_factor=self.g_factor,
            alpha_beta_gy=self.radiobiology.alpha_beta_gy,
        )  # fmt: skip

    @property
    def dose_gy_per_gbq(self) -> float:
        """Absorbed dose per administered GBq."""
        return self.absorbed_dose_gy / (self.administered_activity_mbq / 1000.0)


def cycle_dose_from_region(
    dose: RegionDose, *, cycle: int, administered_activity_mbq: float, organ: str | None = None
) -> CycleDose:
    """A :class:`CycleDose` from one region's dosimetry (G-factor from its own TAC shape)."""
    g = None
    if dose.alpha is None:
        g = dose.tia.g_factor(repair_half_time_h=dose.radiobiology.repair_half_time_h)
    return CycleDose(
        cycle=cycle,
        organ=organ or organ_of(dose.region),
        administered_activity_mbq=administered_activity_mbq,
        absorbed_dose_gy=dose.dose_gy,
        g_factor=g,
        radiobiology=dose.radiobiology,
        rbe_weighted_dose_gy=dose.alpha.rbe_weighted_dose_gy if dose.alpha else None,
    )


def history_from_dosimetry(
    result: PatientDosimetry, *, organs: Iterable[str] | None = None
) -> tuple[CycleDose, ...]:
    """Per-organ cycle doses from an image-based dosimetry (regions mapped by :func:`organ_of`).

    Parameters
    ----------
    result
        :func:`theratrial.dosimetry.patient_dosimetry` output.
    organs
        Keep only these organs (e.g. the protocol's limited organs); default every region.

    Raises
    ------
    ParameterError
        When a cycle has no administered activity in its headers.
    """
    wanted = set(organs) if organs is not None else None
    out: list[CycleDose] = []
    for cycle in result.cycles:
        if cycle.administered_activity_mbq is None:
            raise ParameterError(
                f"cycle {cycle.cycle} has no administered activity",
                field="administered_activity_mbq",
                hint="the SPECT headers need (0018,1074) Radionuclide Total Dose",
            )
        for dose in cycle.regions:
            organ = organ_of(dose.region)
            if wanted is None or organ in wanted:
                out.append(
                    cycle_dose_from_region(
                        dose,
                        cycle=cycle.cycle,
                        administered_activity_mbq=cycle.administered_activity_mbq,
                        organ=organ,
                    )
                )
    return tuple(out)


def per_cycle_organ_doses(
    history: Iterable[CycleDose], combine: str = "max"
) -> dict[str, list[CycleDose]]:
    """Per organ, one entry per cycle: several regions of one organ (two kidneys) combined.

    ``combine="max"`` keeps the region with the higher dose (conservative), ``"mean"``
    averages them.
    """
    if combine not in ("max", "mean"):
        raise ParameterError(
            f"unknown combine rule {combine!r}", field="combine", hint="max | mean"
        )
    groups: dict[tuple[str, int], list[CycleDose]] = {}
    for item in history:
        groups.setdefault((item.organ, item.cycle), []).append(item)
    out: dict[str, list[CycleDose]] = {}
    for (organ, _), items in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        if combine == "max" or len(items) == 1:
            chosen = max(items, key=lambda c: c.absorbed_dose_gy)
        else:
            n = len(items)
            gs = [c.g_factor for c in items]
            rbe = [c.rbe_weighted_dose_gy for c in items]
            chosen = CycleDose(
                items[0].cycle, organ, items[0].administered_activity_mbq,
                sum(c.absorbed_dose_gy for c in items) / n,
                None if None in gs else sum(g for g in gs if g is not None) / n,
                items[0].radiobiology,
                None if None in rbe else sum(r for r in rbe if r is not None) / n,
            )  # fmt: skip
        out.setdefault(organ, []).append(chosen)
    return out


@dataclass(frozen=True, slots=True)
class OrganTotal:
    """Cumulative dose of one organ over the cycles given.

    Attributes
    ----------
    organ, cycles
        The organ and the cycles counted.
    absorbed_dose_gy
        Sum of absorbed doses (Gy).
    bed_gy
        Sum of per-cycle BEDs (Gy), None if a cycle lacks a G-factor.
    rbe_weighted_dose_gy
        Sum of RBE-weighted doses (Gy), None if a cycle lacks one.
    """

    organ: str
    cycles: tuple[int, ...]
    absorbed_dose_gy: float
    bed_gy: float | None
    rbe_weighted_dose_gy: float | None

    def value(self, quantity: str) -> float | None:
        """The cumulative value of a protocol limit quantity."""
        return {
            "absorbed_dose_gy": self.absorbed_dose_gy,
            "bed_gy": self.bed_gy,
            "rbe_weighted_dose_gy": self.rbe_weighted_dose_gy,
        }[quantity]


def cumulative_doses(
    history: Sequence[CycleDose], *, combine: str = "max"
) -> dict[str, OrganTotal]:
    """Cumulative absorbed dose, BED and RBE-weighted dose per organ.

    Several regions of one organ in one cycle (left and right kidney) count once, by the
    higher dose (``combine="max"``, conservative) or their mean.
    """
    totals: dict[str, OrganTotal] = {}
    for organ, cycles in per_cycle_organ_doses(history, combine).items():
        beds = [c.bed_gy for c in cycles]
        rbes = [c.rbe_weighted_dose_gy for c in cycles]
        totals[organ] = OrganTotal(
            organ,
            tuple(c.cycle for c in cycles),
            sum(c.absorbed_dose_gy for c in cycles),
            None if None in beds else sum(b for b in beds if b is not None),
            None if None in rbes else sum(r for r in rbes if r is not None),
        )
    return totals
