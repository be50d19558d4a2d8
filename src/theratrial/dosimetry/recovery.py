"""Partial-volume correction by recovery coefficients (RC) against VOI volume.

A camera of finite resolution spreads the activity of a small hot object over its
surroundings: the activity summed inside the object's own VOI is only a fraction, the
recovery coefficient RC, of the true activity (Hoffman, Huang & Phelps, J Comput Assist
Tomogr 1979;3:299; Soret, Bacharach & Buvat, J Nucl Med 2007;48:932). The correction
divides the measured activity by RC of the VOI's volume: ``A_true = A_measured / RC``.

Two calibration curves are offered:

- **measured** (:func:`recovery_curve`, :func:`read_recovery_csv`): pairs of sphere volume
  (mL) and recovery from the user's own sphere-phantom (NEMA/IEC) acquisitions and
  reconstruction, interpolated monotonically (PCHIP, Fritsch & Carlson 1980) in
  log-volume and clamped, with a note, outside the measured range;
- **sphere** (:func:`gaussian_recovery_curve`): the analytic recovery of a uniform sphere of
  radius R blurred by an isotropic 3-D Gaussian PSF of standard deviation
  sigma = FWHM / (2 sqrt(2 ln 2)), averaged over the sphere's own volume.

Derivation of the analytic curve. The mean over the sphere S of the blurred indicator is
RC = (1/V) integral_S integral_S g(x - y) dx dy, which depends only on the distance d
between the two points: RC = (1/V) integral_0^2R 4 pi d^2 g(d) V_ov(d) dd, where
g(d) = (2 pi sigma^2)^(-3/2) exp(-d^2 / 2 sigma^2) and V_ov(d) = pi/12 (4R + d)(2R - d)^2
= pi/12 (16 R^3 - 12 R^2 d + d^3) is the overlap of two spheres of radius R a distance d
apart. With a = 2R, u = a^2 / 2 sigma^2 and E = exp(-u) the three moments are

- I2 = integral_0^a d^2 exp(-d^2/2s^2) dd = s^3 sqrt(pi/2) erf(a / (sqrt(2) s)) - s^2 a E,
- I3 = 2 s^4 (1 - (1 + u) E),
- I5 = 4 s^6 (2 - (u^2 + 2u + 2) E),

and RC = pi / (4 R^3 (2 pi)^(3/2) sigma^3) (16 R^3 I2 - 12 R^2 I3 + I5). It tends to 1 for
R >> sigma and to V (2 pi sigma^2)^(-3/2) for R << sigma. It assumes a cold background:
a VOI in warm tissue (a liver lesion) also receives spill-in, and RC over-corrects it.

Small VOIs. The *resolution volume* is FWHM^3 (a cube of side FWHM, in mL: FWHM_mm^3 /
1000). A VOI smaller than ``SMALL_VOI_FACTOR`` = 3 resolution volumes is flagged: its
equivalent sphere has a diameter below 3^(1/3) x 1.24 FWHM = 1.79 FWHM, where the sphere RC
is 0.47 at most, so more than half of its activity is lost to partial volume (Soret et al.
2007: objects smaller than 2-3 FWHM across are affected).

Examples
--------
>>> round(sphere_recovery_coefficient(1000.0, fwhm_mm=12.0), 3)
0.902
>>> round(sphere_recovery_coefficient(2.0, fwhm_mm=12.0), 3)
0.329
>>> curve = recovery_curve([0.5, 2.6, 11.5, 26.5], [0.30, 0.52, 0.71, 0.80])
>>> round(curve.coefficient(2.6).recovery_coefficient, 2)
0.52
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.interpolate import PchipInterpolator

from theratrial.dosimetry._recovery_csv import checked_pairs, read_pairs
from theratrial.errors import ParameterError, TableError

__all__ = [
    "PVC_METHODS",
    "SMALL_VOI_FACTOR",
    "TYPICAL_SPECT_FWHM_MM",
    "RecoveryCoefficient",
    "RecoveryCurve",
    "RegionRecovery",
    "correction_curve",
    "gaussian_recovery_curve",
    "read_recovery_csv",
    "recovery_curve",
    "region_recoveries",
    "resolution_volume_ml",
    "sphere_recovery_coefficient",
]

PVC_METHODS = ("none", "sphere")
"""Partial-volume options of the dosimetry pipeline."""

SMALL_VOI_FACTOR = 3.0
"""A VOI below this many resolution volumes (FWHM^3) is flagged as small."""

TYPICAL_SPECT_FWHM_MM: dict[str, float] = {"Lu-177": 12.0, "Ac-225": 20.0}
"""Typical reconstructed SPECT resolution (FWHM, mm), used only to flag small VOIs when the
user gives none: 177Lu with medium-energy collimation and resolution recovery about 12 mm,
225Ac with high-energy collimation about 20 mm (MIRD Pamphlet No. 26, Ljungberg et al.,
J Nucl Med 2016;57:151; the project's virtual-patient defaults)."""

_FWHM_TO_SIGMA = 1.0 / (2.0 * math.sqrt(2.0 * math.log(2.0)))


def resolution_volume_ml(fwhm_mm: float) -> float:
    """Resolution volume FWHM^3 in mL (``fwhm_mm ** 3 / 1000``).

    Examples
    --------
    >>> resolution_volume_ml(12.0)
    1.728
    """
    _check_fwhm(fwhm_mm)
    return fwhm_mm**3 / 1000.0


def _check_fwhm(fwhm_mm: float) -> None:
    if not (math.isfinite(fwhm_mm) and fwhm_mm > 0):
        raise ParameterError(
            f"system resolution must be a positive FWHM in mm, got {fwhm_mm}",
            field="resolution_mm",
            hint="give the reconstructed FWHM, e.g. --resolution-mm 12 for 177Lu SPECT",
        )


def sphere_recovery_coefficient(volume_ml: float, *, fwhm_mm: float) -> float:
    """Recovery of a uniform sphere of this volume under an isotropic Gaussian PSF.

    The mean of the blurred sphere over its own volume (closed form in the module
    docstring; Hoffman et al. 1979, Soret et al. 2007).

    ``volume_ml`` is the sphere volume (mL), ``fwhm_mm`` the PSF FWHM (mm).

    Examples
    --------
    >>> round(sphere_recovery_coefficient(26.5, fwhm_mm=10.0), 3)  # 37 mm NEMA sphere
    0.73
    """
    _check_fwhm(fwhm_mm)
    if not (math.isfinite(volume_ml) and volume_ml > 0):
        raise ParameterError(f"volume must be positive, got {volume_ml} mL", field="volume_ml")
    radius = (3.0 * volume_ml * 1000.0 / (4.0 * math.pi)) ** (1.0 / 3.0)
    s = fwhm_mm * _FWHM_TO_SIGMA
    if radius < 0.05 * s:  # series: mean squared distance of two points in a ball is 6R^2/5
        peak = volume_ml * 1000.0 / (2.0 * math.pi * s * s) ** 1.5
        return float(peak * (1.0 - 0.6 * (radius / s) ** 2))
    a = 2.0 * radius
    u = a * a / (2.0 * s * s)
    e = math.exp(-u)
    i2 = s**3 * math.sqrt(math.pi / 2.0) * math.erf(a / (math.sqrt(2.0) * s)) - s * s * a * e
    i3 = 2.0 * s**4 * (1.0 - (1.0 + u) * e)
    i5 = 4.0 * s**6 * (2.0 - (u * u + 2.0 * u + 2.0) * e)
    total = 16.0 * radius**3 * i2 - 12.0 * radius**2 * i3 + i5
    rc = float(math.pi / (4.0 * radius**3 * (2.0 * math.pi) ** 1.5 * s**3) * total)
    return min(max(rc, 0.0), 1.0)


@dataclass(frozen=True, slots=True)
class RecoveryCoefficient:
    """The recovery coefficient read from a curve for one volume.

    Attributes
    ----------
    volume_ml
        Volume asked for (mL).
    recovery_coefficient
        RC (measured / true activity).
    clamped
        True when the volume lay outside the measured range (end value used).
    note
        Why it was clamped, else None.
    """

    volume_ml: float
    recovery_coefficient: float
    clamped: bool
    note: str | None


@dataclass(frozen=True, slots=True)
class RecoveryCurve:
    """Recovery against volume: analytic (``method="sphere"``) or measured.

    Attributes
    ----------
    method
        ``"sphere"`` (Gaussian PSF, analytic) or ``"measured"`` (sphere-phantom pairs).
    resolution_mm
        PSF FWHM (mm) of the analytic curve, or the one stated for the measurements.
    volumes_ml, recoveries
        Measured pairs, volumes increasing (empty for the analytic curve).
    source
        Where the measurements came from (file), if anywhere.
    """

    method: str
    resolution_mm: float | None
    volumes_ml: tuple[float, ...] = ()
    recoveries: tuple[float, ...] = ()
    source: str | None = None

    def coefficient(self, volume_ml: float) -> RecoveryCoefficient:
        """RC for a VOI of this volume (equivalent sphere)."""
        if not (math.isfinite(volume_ml) and volume_ml > 0):
            raise ParameterError(f"volume must be positive, got {volume_ml} mL", field="volume_ml")
        if self.method == "sphere":
            assert self.resolution_mm is not None
            rc = sphere_recovery_coefficient(volume_ml, fwhm_mm=self.resolution_mm)
            return RecoveryCoefficient(volume_ml, rc, False, None)
        low, high = self.volumes_ml[0], self.volumes_ml[-1]
        if low <= volume_ml <= high:
            spline = PchipInterpolator(np.log(self.volumes_ml), self.recoveries)
            return RecoveryCoefficient(volume_ml, float(spline(math.log(volume_ml))), False, None)
        end = 0 if volume_ml < low else -1
        note = (
            f"volume {volume_ml:.3g} mL outside the measured recovery curve "
            f"({low:g}-{high:g} mL): RC {self.recoveries[end]:.3g} of the "
            f"{'smallest' if end == 0 else 'largest'} sphere used"
        )
        return RecoveryCoefficient(volume_ml, self.recoveries[end], True, note)


def gaussian_recovery_curve(fwhm_mm: float) -> RecoveryCurve:
    """The analytic sphere recovery curve for a system of this resolution (FWHM, mm)."""
    _check_fwhm(fwhm_mm)
    return RecoveryCurve("sphere", float(fwhm_mm))


def recovery_curve(
    volumes_ml: Sequence[float],
    recoveries: Sequence[float],
    *,
    resolution_mm: float | None = None,
    source: str | None = None,
) -> RecoveryCurve:
    """A measured recovery curve from sphere volumes (mL) and their recoveries.

    Raises
    ------
    ParameterError
        Fewer than two pairs, unequal lengths, volumes not positive and strictly
        increasing, recoveries outside (0, 2].
    """
    v, r = checked_pairs(volumes_ml, recoveries)
    if resolution_mm is not None:
        _check_fwhm(resolution_mm)
    return RecoveryCurve("measured", resolution_mm, v, r, source)


def read_recovery_csv(path: str | Path, *, resolution_mm: float | None = None) -> RecoveryCurve:
    """Read a measured recovery curve: CSV with columns ``volume_ml`` and ``recovery``.

    Rows may come in any order; they are sorted by volume.

    Raises
    ------
    TableError
        Missing column, non-numeric value or an invalid curve (file and line named).
    """
    volumes, recoveries = read_pairs(Path(path))
    try:
        return recovery_curve(volumes, recoveries, resolution_mm=resolution_mm, source=str(path))
    except ParameterError as exc:
        raise TableError(exc.message, file=path, field=exc.field, hint=exc.hint) from exc


def correction_curve(
    pvc: str,
    *,
    resolution_mm: float | None = None,
    recovery: RecoveryCurve | None = None,
    margin_mm: float = 0.0,
) -> RecoveryCurve | None:
    """The curve a partial-volume option asks for (None for ``"none"``).

    Raises
    ------
    ParameterError
        Unknown ``pvc``; a curve without ``"sphere"``; ``"sphere"`` with neither a
        resolution nor a measured curve, or together with a grown VOI (``margin_mm`` > 0).

    Examples
    --------
    >>> correction_curve("sphere", resolution_mm=12.0).method
    'sphere'
    >>> correction_curve("none") is None
    True
    """
    if pvc not in PVC_METHODS:
        raise ParameterError(
            f"unknown partial-volume correction {pvc!r}", field="pvc",
            hint=f"use one of {', '.join(PVC_METHODS)}",
        )  # fmt: skip
    if pvc == "none":
        if recovery is not None:
            raise ParameterError(
                "a recovery curve was given but no correction asked", field="pvc",
                hint="add --pvc sphere to apply the recovery curve",
            )  # fmt: skip
        return None
    if margin_mm > 0:
        raise ParameterError(
            "partial-volume correction and a grown activity VOI both recover spill-out",
            field="pvc", hint="use either --pvc sphere or --activity-margin-mm, not both",
        )  # fmt: skip
    if recovery is not None:
        return recovery
    if resolution_mm is None:
        raise ParameterError(
            "the sphere correction needs the system resolution or a measured curve",
            field="resolution_mm",
            hint="give --resolution-mm FWHM (e.g. 12 for 177Lu SPECT) or --recovery-csv FILE",
        )
    return gaussian_recovery_curve(resolution_mm)


@dataclass(frozen=True, slots=True)
class RegionRecovery:
    """Partial-volume facts of one region.

    Attributes
    ----------
    region
        Region name.
    volume_ml
        Mask volume (mL) used for the equivalent sphere.
    method
        ``"none"`` (no correction), ``"sphere"`` or ``"measured"``.
    recovery_coefficient
        RC divided into the measured activity (1.0 when ``method`` is ``"none"``).
    expected_recovery
        Sphere RC at the resolution known (even when not applied); None if unknown.
    resolution_mm
        Resolution (FWHM, mm) behind the curve or the small-VOI check; None if unknown.
    small_voi
        True when the VOI is below ``SMALL_VOI_FACTOR`` resolution volumes.
    """

    region: str
    volume_ml: float
    method: str
    recovery_coefficient: float
    expected_recovery: float | None
    resolution_mm: float | None
    small_voi: bool

    def as_record(self) -> dict[str, object]:
        """JSON-ready fields."""
        return {
            "method": self.method,
            "recovery_coefficient": self.recovery_coefficient,
            "expected_recovery": self.expected_recovery,
            "resolution_mm": self.resolution_mm,
            "volume_ml": self.volume_ml,
            "small_voi": self.small_voi,
        }


def region_recoveries(
    volumes_ml: Mapping[str, float],
    *,
    curve: RecoveryCurve | None,
    resolution_mm: float | None,
    assumed: bool = False,
) -> tuple[dict[str, RegionRecovery], list[str]]:
    """Recovery of each region, and the warnings to give (small VOIs, clamping).

    Parameters
    ----------
    volumes_ml
        Region name -> VOI volume (mL).
    curve
        The curve to apply; None for no correction.
    resolution_mm
        System FWHM (mm) for the small-VOI check; None skips it.
    assumed
        True when ``resolution_mm`` is a typical value rather than the user's (said so).
    """
    out: dict[str, RegionRecovery] = {}
    warnings: list[str] = []
    limit = (
        None if resolution_mm is None else SMALL_VOI_FACTOR * resolution_volume_ml(resolution_mm)
    )
    for region, volume in volumes_ml.items():
        expected = (
            None if resolution_mm is None
            else sphere_recovery_coefficient(volume, fwhm_mm=resolution_mm)
        )  # fmt: skip
        rc, method = 1.0, "none"
        if curve is not None:
            found = curve.coefficient(volume)
            rc, method = found.recovery_coefficient, curve.method
            if found.note:
                warnings.append(f"{region}: {found.note}")
        small = limit is not None and volume < limit
        if small and expected is not None and limit is not None:
            basis = "assumed typical " if assumed else ""
            action = (
                f"activity divided by RC {rc:.2f}" if curve is not None
                else "no partial-volume correction: activity and dose read low "
                "(use --pvc sphere)"
            )  # fmt: skip
            warnings.append(
                f"{region}: VOI {volume:.3g} mL is below {SMALL_VOI_FACTOR:g} resolution volumes "
                f"({limit:.3g} mL at {basis}{resolution_mm:g} mm FWHM); sphere recovery "
                f"{expected:.2f}, {action}"
            )
        out[region] = RegionRecovery(region, volume, method, rc, expected, resolution_mm, small)
    return out, warnings
