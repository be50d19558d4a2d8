"""The voxel grid shared by every image of a virtual patient.

Arrays are indexed ``(z, y, x)`` (slice, row, column) as ``SimpleITK.GetArrayFromImage``
returns them; ``origin_xyz_mm`` (the centre of voxel ``[0, 0, 0]``) and
``spacing_xyz_mm`` follow ITK's ``(x, y, z)`` order in patient (LPS) coordinates, with the
identity direction: rows along +x, columns down +y, slices up +z. In DICOM terms
(PS3.3 C.7.6.2): Image Orientation (Patient) (0020,0037) ``1\\0\\0\\0\\1\\0``, Image Position
(Patient) (0020,0032) of slice ``k`` = ``origin + k dz``, Pixel Spacing (0028,0030)
``dy\\dx``.

Examples
--------
>>> g = Grid((4, 3, 2), (2.0, 2.0, 5.0), (-1.0, -2.0, 0.0))
>>> g.voxel_volume_ml
0.02
>>> g.axis_mm(2).tolist()  # z of the slice centres
[0.0, 5.0, 10.0, 15.0]
>>> g.nifti_affine()[0].tolist()
[-2.0, 0.0, 0.0, 1.0]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from theratrial.errors import ParameterError

__all__ = ["Grid"]


@dataclass(frozen=True, slots=True)
class Grid:
    """A regular axial grid.

    Attributes
    ----------
    shape_zyx
        Number of slices, rows and columns.
    spacing_xyz_mm
        Voxel size along x (column), y (row) and z (slice), mm.
    origin_xyz_mm
        Patient (LPS) position of the centre of voxel ``[0, 0, 0]``, mm.
    """

    shape_zyx: tuple[int, int, int]
    spacing_xyz_mm: tuple[float, float, float]
    origin_xyz_mm: tuple[float, float, float]

    def __post_init__(self) -> None:
        if any(n < 1 for n in self.shape_zyx):
            raise ParameterError(
                f"grid shape must be positive, got {self.shape_zyx}", field="shape_zyx"
            )
        if any(not s > 0 for s in self.spacing_xyz_mm):
            raise ParameterError(
                f"voxel size must be positive, got {self.spacing_xyz_mm}", field="spacing_xyz_mm"
            )

    @property
    def spacing_zyx_mm(self) -> tuple[float, float, float]:
        """Voxel size in array order (z, y, x), mm."""
        x, y, z = self.spacing_xyz_mm
        return (z, y, x)

    @property
    def voxel_volume_ml(self) -> float:
        """Volume of one voxel (mL)."""
        x, y, z = self.spacing_xyz_mm
        return x * y * z / 1000.0

    def axis_mm(self, axis: int) -> NDArray[np.float64]:
        """Voxel-centre coordinates (mm) along x (0), y (1) or z (2)."""
        n = self.shape_zyx[2 - axis]
        return self.origin_xyz_mm[axis] + self.spacing_xyz_mm[axis] * np.arange(n, dtype=np.float64)

    def index_range(self, low_mm: float, high_mm: float, axis: int) -> tuple[int, int]:
        """Voxel index range ``[start, stop)`` along ``axis`` whose voxels touch the interval."""
        o, s = self.origin_xyz_mm[axis], self.spacing_xyz_mm[axis]
        n = self.shape_zyx[2 - axis]
        start = int(np.floor((low_mm - o) / s + 0.5))
        stop = int(np.ceil((high_mm - o) / s + 0.5))
        return max(start, 0), min(stop, n)

    def affine_lps(self) -> NDArray[np.float64]:
        """4x4 matrix from ``(column, row, slice, 1)`` indices to LPS mm."""
        m = np.eye(4)
        m[0, 0], m[1, 1], m[2, 2] = self.spacing_xyz_mm
        m[:3, 3] = self.origin_xyz_mm
        return m

    def nifti_affine(self) -> NDArray[np.float64]:
        """NIfTI (RAS) affine for data stored as ``array.transpose(2, 1, 0)``."""
        flip = np.diag([-1.0, -1.0, 1.0, 1.0])
        result: NDArray[np.float64] = flip @ self.affine_lps()
        return result

    def as_dict(self) -> dict[str, list[float] | list[int] | float]:
        """JSON-ready description for the truth file."""
        return {
            "shape_zyx": list(self.shape_zyx),
            "spacing_xyz_mm": list(self.spacing_xyz_mm),
            "origin_xyz_mm": list(self.origin_xyz_mm),
            "direction": [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0],
            "voxel_volume_ml": self.voxel_volume_ml,
        }
