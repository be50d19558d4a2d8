"""Maximum-intensity projection (MIP) of a volume with VOI outlines, written as PNG.

The projection runs along the patient's anterior-posterior axis (coronal MIP) or the
left-right axis (sagittal MIP), picked from the grid's direction cosines; the head is up and
the pixel aspect follows the voxel spacing. Each VOI is outlined by the contour of its
projection. Rendering uses matplotlib's object API (no global pyplot state).

Examples
--------
>>> import tempfile, numpy as np
>>> from pathlib import Path
>>> from theratrial.imaging import Grid, Mask, Volume
>>> grid = Grid((8, 8, 8), (0.0, 0.0, 0.0), (4.0, 4.0, 4.0), (1, 0, 0, 0, 1, 0, 0, 0, 1))
>>> image = Volume(np.random.default_rng(0).random((8, 8, 8)), grid, "PT", "g/mL")
>>> voi = np.zeros((8, 8, 8), bool); voi[2:6, 2:6, 2:6] = True
>>> with tempfile.TemporaryDirectory() as tmp:
...     out = write_mip_png(image, [Mask(voi, grid, "lesion_1")], Path(tmp) / "mip.png")
...     out.stat().st_size > 1000
True
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from numpy.typing import NDArray

from theratrial.errors import ParameterError
from theratrial.imaging import Mask, Volume
from theratrial.report._paths import output_path

__all__ = ["mip_projection", "write_mip_png"]

_VIEWS = {"coronal": 1, "sagittal": 0}  # patient axis projected away: y (A-P) or x (L-R)


def _array_axis(volume: Volume, patient_axis: int) -> int:
    """Array axis (0 = z, 1 = y, 2 = x) that runs most along a patient axis (LPS index)."""
    direction = volume.grid.direction_matrix  # columns: x, y, z array axes
    column = int(np.argmax(np.abs(direction[patient_axis, :])))
    return 2 - column


def mip_projection(
    volume: Volume, *, view: str = "coronal"
) -> tuple[NDArray[np.float64], int, tuple[float, float]]:
    """The 2-D MIP, the projected array axis, and the (row, column) pixel size in mm.

    Rows run from head to feet.
    """
    if view not in _VIEWS:
        raise ParameterError(f"view must be coronal or sagittal, got {view!r}", field="view")
    axis = _array_axis(volume, _VIEWS[view])
    image = np.nanmax(np.where(np.isfinite(volume.array), volume.array, np.nan), axis=axis)
    kept = [a for a in (0, 1, 2) if a != axis]
    spacing_zyx = volume.spacing_mm[::-1]
    vertical = _array_axis(volume, 2)
    if kept[0] != vertical:
        image = image.T
        kept = kept[::-1]
    if volume.grid.direction_matrix[2, 2 - vertical] > 0:
        image = image[::-1]
    return image, axis, (float(spacing_zyx[kept[0]]), float(spacing_zyx[kept[1]]))


def write_mip_png(
    volume: Volume,
    masks: Sequence[Mask],
    path: str | Path,
    *,
    view: str = "coronal",
    title: str | None = None,
    vmax: float | None = None,
) -> Path:
    """Write a MIP of ``volume`` with the outlines of ``masks`` (on its grid) to a PNG file.

    Raises
    ------
    ParameterError
        When ``path`` is a folder or its folder does not exist (checked before any work;
        the folder is never created), or a mask is not on the image grid.
    """
    out = output_path(path)
    image, _, (row_mm, col_mm) = mip_projection(volume, view=view)
    figure = Figure(figsize=(6.5, 7), dpi=100)
    FigureCanvasAgg(figure)
    ax = figure.add_subplot(1, 1, 1)
    height, width = image.shape
    extent = (0.0, width * col_mm, height * row_mm, 0.0)
    top = vmax if vmax is not None else float(np.nanpercentile(image, 99.5)) or 1.0
    ax.imshow(image, cmap="gray_r", vmin=0.0, vmax=top, extent=extent, interpolation="nearest")
    colours = ("tab:red", "tab:blue", "tab:green", "tab:orange", "tab:purple", "tab:cyan")
    for number, mask in enumerate(masks):
        if not mask.grid.matches(volume.grid):
            raise ParameterError(f"mask {mask.name!r} is not on the image grid", field="masks")
        projected, _, _ = mip_projection(
            volume.with_array(mask.array.astype(np.float64)), view=view
        )
        if not projected.any():
            continue
        ys = (np.arange(height) + 0.5) * row_mm
        xs = (np.arange(width) + 0.5) * col_mm
        colour = colours[number % len(colours)]
        ax.contour(xs, ys, projected, levels=[0.5], colors=[colour], linewidths=1.0)
        ax.plot([], [], color=colour, label=mask.name)
    if masks:
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=7, frameon=False)
    ax.set_title(title or f"{view} MIP ({volume.units or 'values'})", fontsize=9)
    ax.set_xlabel("mm")
    ax.set_ylabel("mm (head up)")
    figure.savefig(out, format="png", bbox_inches="tight")
    return out
