"""Figures of the cycle report: stored TAC points with the stored fits, and the MIP (private).

A stored fit is its model name (one of :data:`theratrial.dosimetry.fit.MODEL_NAMES`) and its
reported parameters (amplitudes in MBq, effective decay constants per hour). The curve is
drawn by the dosimetry package's own model: the reported parameters are mapped back to the
model's internal parameters and evaluated as the same sum of exponentials the fit used
(:class:`theratrial.dosimetry._models.TacModel`, after NUKFIT, Kletting et al. 2013,
Med Phys 40:102504). Nothing is refitted: the figure shows what was stored.

Examples
--------
>>> import numpy as np
>>> curve = fitted_activity_mbq("mono_exponential", {"a_mbq": 10.0, "lambda_per_h": 0.1},
...                             nuclide_name="Lu-177", times_h=np.array([0.0, 10.0]))
>>> [round(float(v), 3) for v in curve]
[10.0, 3.679]
>>> fitted_activity_mbq("trapezoid", {}, nuclide_name="Lu-177", times_h=np.array([1.0])) is None
True
"""

from __future__ import annotations

import base64
import math
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure as MplFigure
from matplotlib.lines import Line2D
from numpy.typing import NDArray

from theratrial.dosimetry._models import MODELS
from theratrial.errors import TheratrialError
from theratrial.nuclides import nuclide

__all__ = ["fitted_activity_mbq", "mip_uri", "tac_fit_figure"]


def fitted_activity_mbq(
    model: str,
    parameters: Mapping[str, Any],
    *,
    nuclide_name: str,
    times_h: NDArray[np.float64],
) -> NDArray[np.float64] | None:
    """Activity (MBq) of a stored fit at ``times_h`` (h), or None when it cannot be drawn.

    None when the model is not a fitted sum of exponentials (trapezoid, single time point),
    a reported parameter is missing or not a finite number, or the nuclide is unknown.
    """
    spec = MODELS.get(model)
    if spec is None:
        return None
    values = [parameters.get(label) for label in spec.labels]
    if not all(isinstance(v, int | float) and math.isfinite(v) for v in values):
        return None
    try:
        lam_p = nuclide(nuclide_name).decay_constant_per_h
    except TheratrialError:
        return None
    matrix, offset = spec.report(lam_p)
    reported = np.asarray(values, dtype=np.float64)
    theta = np.asarray(np.linalg.solve(matrix, reported - offset), dtype=np.float64)
    amplitudes, rates = spec.terms(theta, lam_p)
    t = np.asarray(times_h, dtype=np.float64)
    return np.asarray(np.exp(-np.outer(t, rates)) @ amplitudes, dtype=np.float64)


def tac_fit_figure(cycle: Any) -> tuple[MplFigure, list[str]] | None:
    """Measured points per region and, where stored, the fitted curve in the same colour.

    Returns the figure and the regions drawn with a curve; None when no point is stored.
    """
    series: dict[str, list[tuple[float, float]]] = {}
    for p in cycle.tac:
        series.setdefault(p.region, []).append((p.time_h, p.activity_mbq))
    if not series:
        return None
    fits = {d.region: d for d in cycle.doses}
    fig = MplFigure(figsize=(6.4, 3.4), layout="constrained")
    ax = fig.add_subplot()
    t_end = 1.25 * max(t for points in series.values() for t, _ in points)
    grid = np.linspace(0.0, t_end, 300)
    curved: list[str] = []
    positive: list[float] = []
    handles: list[Line2D] = []
    for number, (region, points) in enumerate(sorted(series.items())):
        points.sort()
        colour = f"C{number % 10}"
        # past ten regions the colours repeat: line style and marker keep each one distinct
        style = ("-", "--", ":", "-.")[(number // 10) % 4]
        marker = ("o", "s", "^", "D")[(number // 10) % 4]
        xs, ys = [t for t, _ in points], [a for _, a in points]
        positive += [a for a in ys if a > 0]
        dose = fits.get(region)
        curve = None
        if dose is not None:
            curve = fitted_activity_mbq(
                dose.model, dose.parameters or {}, nuclide_name=cycle.nuclide, times_h=grid
            )
        label = region
        if curve is not None:
            ax.plot(grid, curve, style, color=colour, lw=1.2)
            curved.append(region)
            label = f"{region} ({dose.model.replace('_', '-')})" if dose else region
        ax.plot(xs, ys, marker, color=colour, ms=4)
        handles.append(
            Line2D([], [], color=colour, ls=style if curve is not None else "", lw=1.2,
                   marker=marker, ms=4, label=label)
        )  # fmt: skip
    ax.set_xlabel("time after administration (h)")
    ax.set_ylabel(f"{cycle.nuclide} activity (MBq)")
    ax.set_yscale("log")
    if positive:
        ax.set_ylim(min(positive) / 3.0, max(positive) * 2.0)
    ax.set_xlim(0.0, t_end)
    ax.grid(True, which="major", lw=0.3, alpha=0.5)
    ax.legend(
        handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False
    )
    return fig, curved


def mip_uri(study: Path, masks: Path, *, title: str) -> str:
    """A coronal MIP of the study's quantitative series with its VOIs outlined, as a data URI.

    The series is the one ``theratrial quantify`` picks (PET, else SPECT); the masks are
    read onto its grid (:func:`theratrial.imaging.load_masks`) and drawn by
    :func:`theratrial.report.mip.write_mip_png`.

    Raises
    ------
    DicomError, MaskError, ParameterError
        No image series, unreadable masks, or a mask off the image grid.
    """
    from theratrial.imaging import load_masks, load_volume
    from theratrial.imaging.study import pick_quantitative_series
    from theratrial.report.mip import write_mip_png

    volume = load_volume(pick_quantitative_series(study))
    regions = load_masks(masks, reference=volume)
    with tempfile.TemporaryDirectory() as tmp:
        png = write_mip_png(volume, regions, Path(tmp) / "mip.png", title=title)
        data = png.read_bytes()
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")
