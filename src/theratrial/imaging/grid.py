"""The voxel grid of a volume or mask: shape, origin, spacing, direction, frame of reference.

Conventions follow ITK/SimpleITK: arrays are indexed ``(z, y, x)``; ``origin_mm`` and
``spacing_mm`` are in ``(x, y, z)`` order, in patient (DICOM LPS) coordinates;
``direction`` is the row-major 3x3 matrix whose columns are the unit vectors of the x, y and
z array axes. The physical position of the voxel with index ``(i, j, k)`` (x, y, z) is
``origin + direction @ (spacing * (i, j, k))`` -- the DICOM relation of
(0020,0032) Image Position (Patient), (0020,0037) Image Orientation (Patient) and
(0028,0030) Pixel Spacing (DICOM PS3.3 C.7.6.2.1.1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from theratrial.imaging._sitk import sitk

__all__ = ["Grid", "ascending_slices", "grid_from_affine", "grid_from_slices", "shape3"]


@dataclass(frozen=True, slots=True)
class Grid:
    """The geometry of a 3-D voxel array.

    Attributes
    ----------
    shape
        Array shape ``(z, y, x)``.
    origin_mm
        Centre of voxel ``(0, 0, 0)`` in patient coordinates, mm, ``(x, y, z)``.
    spacing_mm
        Voxel size along the x, y and z array axes, mm.
    direction
        Row-major 3x3 direction cosines; column ``c`` is the unit vector of array axis ``c``
        (x, y, z).
    frame_of_reference_uid
        (0020,0052) Frame of Reference UID; empty when unknown (NIfTI).

    Examples
    --------
    >>> g = Grid((2, 3, 4), (0.0, 0.0, 0.0), (2.0, 2.0, 5.0), (1, 0, 0, 0, 1, 0, 0, 0, 1))
    >>> g.voxel_volume_ml
    0.02
    >>> g.index_to_physical([[3, 2, 1]]).tolist()
    [[6.0, 4.0, 5.0]]
    """

    shape: tuple[int, int, int]
    origin_mm: tuple[float, float, float]
    spacing_mm: tuple[float, float, float]
    direction: tuple[float, ...]
    frame_of_reference_uid: str = ""

    @property
    def voxel_volume_ml(self) -> float:
        """Volume of one voxel in mL (cm^3)."""
        sx, sy, sz = self.spacing_mm
        return float(sx * sy * sz / 1000.0)

    @property
    def direction_matrix(self) -> NDArray[np.float64]:
        """The 3x3 direction matrix (columns are the x, y, z axis unit vectors)."""
        return np.asarray(self.direction, dtype=np.float64).reshape(3, 3)

    @property
    def affine(self) -> NDArray[np.float64]:
        """4x4 matrix mapping a homogeneous index ``(i, j, k, 1)`` (x, y, z) to mm."""
        out = np.eye(4)
        out[:3, :3] = self.direction_matrix * np.asarray(self.spacing_mm)[None, :]
        out[:3, 3] = self.origin_mm
        return out

    def index_to_physical(self, index_xyz: ArrayLike) -> NDArray[np.float64]:
        """Physical positions (mm, N x 3) of continuous indices given in ``(x, y, z)`` order."""
        idx = np.atleast_2d(np.asarray(index_xyz, dtype=np.float64))
        return idx @ self.affine[:3, :3].T + self.affine[:3, 3]

    def physical_to_index(self, points_mm: ArrayLike) -> NDArray[np.float64]:
        """Continuous indices ``(x, y, z)`` (N x 3) of physical points given in mm."""
        pts = np.atleast_2d(np.asarray(points_mm, dtype=np.float64))
        inverse = np.linalg.inv(self.affine[:3, :3])
        return (pts - self.affine[:3, 3]) @ inverse.T

    def matches(self, other: Grid, *, tolerance_mm: float = 1e-3) -> bool:
        """True when both grids have the same shape and the same voxel centres.

        Examples
        --------
        >>> a = Grid((1, 1, 1), (0.0, 0.0, 0.0), (1.0, 1.0, 1.0), (1, 0, 0, 0, 1, 0, 0, 0, 1))
        >>> a.matches(a)
        True
        """
        if tuple(self.shape) != tuple(other.shape):
            return False
        corners = np.array(
            [[0, 0, 0], [self.shape[2] - 1, self.shape[1] - 1, self.shape[0] - 1]],
            dtype=np.float64,
        )
        diff = self.index_to_physical(corners) - other.index_to_physical(corners)
        return bool(np.all(np.abs(diff) <= tolerance_mm)) and bool(
            np.allclose(self.direction_matrix, other.direction_matrix, atol=1e-4)
        )

    def with_frame_of_reference(self, uid: str) -> Grid:
        """A copy of this grid with another frame of reference UID."""
        return Grid(self.shape, self.origin_mm, self.spacing_mm, self.direction, uid)

    def to_sitk(self, array: NDArray[np.generic] | None = None) -> sitk.Image:
        """A SimpleITK image on this grid (holding ``array`` or zeros)."""
        data = np.zeros(self.shape, dtype=np.uint8) if array is None else array
        image = sitk.GetImageFromArray(np.ascontiguousarray(data))
        image.SetOrigin(tuple(float(v) for v in self.origin_mm))
        image.SetSpacing(tuple(float(v) for v in self.spacing_mm))
        image.SetDirection(tuple(float(v) for v in self.direction))
        return image

    @staticmethod
    def from_sitk(
        image: sitk.Image | sitk.ImageFileReader, *, frame_of_reference_uid: str = ""
    ) -> Grid:
        """The grid of a 3-D SimpleITK image, or of a reader that read its header only."""
        size = image.GetSize()
        return Grid(
            (int(size[2]), int(size[1]), int(size[0])),
            tuple(float(v) for v in image.GetOrigin()),  # type: ignore[arg-type]
            tuple(float(v) for v in image.GetSpacing()),  # type: ignore[arg-type]
            tuple(float(v) for v in image.GetDirection()),
            frame_of_reference_uid,
        )


def shape3(array: NDArray[np.generic]) -> tuple[int, int, int]:
    """The shape of a 3-D array as a typed triple."""
    z, y, x = array.shape
    return int(z), int(y), int(x)


def grid_from_affine(
    affine: NDArray[np.float64], shape: tuple[int, int, int], frame_of_reference_uid: str
) -> Grid:
    """Convert a (slice, row, column) index affine (highdicom convention) into a :class:`Grid`."""
    axes = [affine[:3, 2], affine[:3, 1], affine[:3, 0]]  # x (column), y (row), z (slice)
    spacing = [float(np.linalg.norm(a)) for a in axes]
    direction = np.stack([a / s for a, s in zip(axes, spacing, strict=True)], axis=1)
    return Grid(
        shape,
        (float(affine[0, 3]), float(affine[1, 3]), float(affine[2, 3])),
        (spacing[0], spacing[1], spacing[2]),
        tuple(float(v) for v in direction.ravel()),
        frame_of_reference_uid,
    )


def grid_from_slices(
    iop: NDArray[np.float64],
    pixel_spacing: NDArray[np.float64],
    last_position: NDArray[np.float64],
    slice_spacing: float,
    shape: tuple[int, int, int],
    frame_uid: str,
) -> Grid:
    """Grid of a stack of slices, z along row x column, origin at the first slice.

    ``iop`` is (0020,0037), ``pixel_spacing`` (0028,0030) (row spacing, column spacing),
    ``last_position`` the (0020,0032) of the last slice along row x column.

    The arithmetic follows highdicom's volume affine (slices along column x row from the
    last slice, then reversed), so grids are identical to earlier theratrial versions.

    Examples
    --------
    >>> grid = grid_from_slices(np.array([1.0, 0, 0, 0, 1, 0]), np.array([2.0, 3.0]),
    ...                         np.array([0.0, 0.0, 8.0]), 4.0, (3, 5, 5), "1.2.3")
    >>> grid.origin_mm, grid.spacing_mm
    ((0.0, 0.0, 0.0), (3.0, 2.0, 4.0))
    """
    row, col = iop[:3], iop[3:]
    affine = np.eye(4)
    affine[:3, 0] = np.cross(col, row) * slice_spacing
    affine[:3, 1] = col * float(pixel_spacing[0])
    affine[:3, 2] = row * float(pixel_spacing[1])
    affine[:3, 3] = last_position
    grid = grid_from_affine(affine, shape, frame_uid)
    return _reversed_z(grid) if _z_descends(grid) else grid


def _reversed_z(grid: Grid) -> Grid:
    """The same voxels with the z axis reversed: origin at the last slice."""
    last = grid.index_to_physical([[0, 0, grid.shape[0] - 1]])[0]
    direction = grid.direction_matrix.copy()
    direction[:, 2] = -direction[:, 2]
    return Grid(
        grid.shape,
        (float(last[0]), float(last[1]), float(last[2])),
        grid.spacing_mm,
        tuple(float(v) for v in direction.ravel()),
        grid.frame_of_reference_uid,
    )


def _z_descends(grid: Grid) -> bool:
    direction = grid.direction_matrix
    normal = np.cross(direction[:, 0], direction[:, 1])
    return float(direction[:, 2] @ normal) < 0


def ascending_slices(array: NDArray[np.float64], grid: Grid) -> tuple[NDArray[np.float64], Grid]:
    """Reorder slices so that z runs along the slice normal (row x column direction).

    highdicom stacks slices in its own order; theratrial, like SimpleITK's series reader,
    keeps z along (0020,0037) row x column cosines, so index 0 is the first slice.
    """
    if not _z_descends(grid):
        return array, grid
    return np.ascontiguousarray(array[::-1]), _reversed_z(grid)
