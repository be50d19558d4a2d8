"""Organ and lesion biodistribution table, tumour-to-organ ratios and the Krenning score.

One row per mask: the VOI statistics of :func:`voi_statistics`; for lesions also the
tumour-to-liver and tumour-to-spleen ratios (lesion metric / organ mean) and a
quantitative Krenning score. The Krenning (Rotterdam) scale grades SSTR uptake of a
lesion against normal organs: 1 below normal liver, 2 equal to liver, 3 above liver,
4 above spleen (Krenning et al., Ann N Y Acad Sci 1994;733:416-424; reference sheet,
section 3). "Equal" is taken as within ``tolerance`` (default 10 %) of the liver mean.

The liver and spleen are the organ masks whose names start with ``liver`` / ``spleen``.

Examples
--------
>>> krenning_score(1.0, liver_uptake=5.0, spleen_uptake=10.0)
1
>>> krenning_score(5.2, liver_uptake=5.0, spleen_uptake=10.0)
2
>>> krenning_score(12.0, liver_uptake=5.0, spleen_uptake=10.0)
4
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import NDArray

from theratrial.errors import ParameterError
from theratrial.imaging.mask import Mask
from theratrial.imaging.voi import MtvThreshold, VoiStatistics, display_units, voi_statistics
from theratrial.imaging.volume import Volume

__all__ = ["Biodistribution", "BiodistributionRow", "biodistribution", "krenning_score"]

LESION_METRICS = ("max", "peak", "mean")


def krenning_score(
    lesion_uptake: float,
    *,
    liver_uptake: float,
    spleen_uptake: float | None = None,
    tolerance: float = 0.1,
) -> int:
    """Quantitative Krenning score (1-4) of a lesion against liver and spleen uptake.

    Parameters
    ----------
    lesion_uptake
        The lesion's uptake metric (e.g. SUVmax).
    liver_uptake, spleen_uptake
        Mean uptake of normal liver and spleen (same units).
    tolerance
        Relative band around the liver uptake counted as "equal to liver" (score 2).
    """
    if not liver_uptake > 0:
        raise ParameterError(f"liver uptake must be positive, got {liver_uptake}")
    if (
        spleen_uptake is not None
        and lesion_uptake > spleen_uptake
        and lesion_uptake > (liver_uptake * (1.0 + tolerance))
    ):
        return 4
    if lesion_uptake > liver_uptake * (1.0 + tolerance):
        return 3
    if lesion_uptake >= liver_uptake * (1.0 - tolerance):
        return 2
    return 1


@dataclass(frozen=True, slots=True)
class BiodistributionRow:
    """One region of the table: its statistics and, for lesions, ratios and Krenning score."""

    region: str
    kind: str
    statistics: VoiStatistics
    tumour_to_liver: float | None = None
    tumour_to_spleen: float | None = None
    krenning_score: int | None = None


@dataclass(frozen=True, slots=True)
class Biodistribution:
    """The per-organ / per-lesion table of one image.

    ``lesion_metric`` names the lesion statistic used for ratios and Krenning scores
    (``max``, ``peak`` or ``mean``), compared with the organ means.
    """

    rows: tuple[BiodistributionRow, ...]
    units: str
    liver_mean: float | None
    spleen_mean: float | None
    lesion_metric: str
    notes: tuple[str, ...] = field(default_factory=tuple)

    def row(self, region: str) -> BiodistributionRow:
        """The row of one region (exact name)."""
        for row in self.rows:
            if row.region == region:
                return row
        raise KeyError(region)


def _organ(rows: Sequence[BiodistributionRow], prefix: str, notes: list[str]) -> float | None:
    hits = [r for r in rows if r.kind == "organ" and r.region.lower().startswith(prefix)]
    if not hits:
        return None
    if len(hits) > 1:
        notes.append(f"several {prefix} masks; {hits[0].region!r} used as reference")
    return hits[0].statistics.mean


def biodistribution(
    image: Volume,
    masks: Sequence[Mask],
    *,
    mtv: MtvThreshold | None = None,
    injected_activity_mbq: float | None = None,
    bqml_per_unit: float | NDArray[np.float64] | None = None,
    lesion_metric: str = "max",
    krenning_tolerance: float = 0.1,
) -> Biodistribution:
    """Statistics of every mask, tumour-to-liver/spleen ratios and Krenning scores.

    Parameters
    ----------
    image
        SUV or Bq/mL image.
    masks
        Organ and lesion masks on the image grid (:func:`load_masks`).
    mtv
        MTV threshold applied to lesions. A liver threshold without liver statistics
        (``MtvThreshold.liver(nan, nan)``) takes them from the liver mask.
    injected_activity_mbq, bqml_per_unit
        As in :func:`voi_statistics`, for total activity and %IA.
    lesion_metric
        Lesion statistic compared with organ means: ``max`` (default), ``peak`` or ``mean``.
    krenning_tolerance
        Relative band around the liver mean counted as "equal to liver".
    """
    if lesion_metric not in LESION_METRICS:
        raise ParameterError(
            f"lesion metric must be one of {', '.join(LESION_METRICS)}, got {lesion_metric!r}"
        )
    notes: list[str] = []
    organs = [
        BiodistributionRow(
            m.name,
            "organ",
            voi_statistics(
                image, m, injected_activity_mbq=injected_activity_mbq, bqml_per_unit=bqml_per_unit
            ),
        )
        for m in masks
        if m.kind == "organ"
    ]
    liver = _organ(organs, "liver", notes)
    spleen = _organ(organs, "spleen", notes)
    if mtv is not None and mtv.kind == "liver" and not np.isfinite(mtv.liver_mean or np.nan):
        if liver is None:
            raise ParameterError("a liver-based MTV threshold needs a liver mask", field="mtv")
        liver_row = next(r for r in organs if r.region.lower().startswith("liver"))
        mtv = replace(mtv, liver_mean=liver, liver_sd=liver_row.statistics.sd)
    lesions: list[BiodistributionRow] = []
    for mask in masks:
        if mask.kind != "lesion":
            continue
        stats = voi_statistics(
            image,
            mask,
            mtv=mtv,
            injected_activity_mbq=injected_activity_mbq,
            bqml_per_unit=bqml_per_unit,
        )
        value = {"max": stats.max, "peak": stats.peak, "mean": stats.mean}[lesion_metric]
        score = (
            krenning_score(
                value, liver_uptake=liver, spleen_uptake=spleen, tolerance=krenning_tolerance
            )
            if liver is not None and liver > 0
            else None
        )
        lesions.append(
            BiodistributionRow(
                mask.name,
                "lesion",
                stats,
                tumour_to_liver=value / liver if liver else None,
                tumour_to_spleen=value / spleen if spleen else None,
                krenning_score=score,
            )
        )
    if lesions and liver is None:
        notes.append("no liver mask: tumour-to-liver ratios and Krenning scores not computed")
    return Biodistribution(
        rows=(*organs, *lesions),
        units=display_units(image.units),
        liver_mean=liver,
        spleen_mean=spleen,
        lesion_metric=lesion_metric,
        notes=tuple(notes),
    )
