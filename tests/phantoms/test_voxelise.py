"""Partial-volume voxelisation: conservation of volume and activity."""

from __future__ import annotations

import numpy as np
import pytest

from theratrial.errors import ParameterError
from theratrial.phantoms._voxelise import voxelise
from theratrial.phantoms.anatomy import BodyOutline, Ellipsoid, Region
from theratrial.phantoms.config import PhantomConfig
from theratrial.phantoms.grid import Grid
from theratrial.phantoms.patient import generate_patient

BODY = BodyOutline(
    vertex_z_mm=200.0,
    head_semi_mm=(1.0, 1.0, 1.0),
    neck_semi_mm=(1.0, 1.0),
    neck_z_mm=(150.0, 151.0),
    trunk_semi_mm=(90.0, 80.0),
    trunk_z_mm=(-200.0, 190.0),
)
GRID = Grid((40, 48, 48), (4.0, 4.0, 5.0), (-94.0, -94.0, -97.5))


def _regions() -> list[Region]:
    host = Region(
        "liver", "liver", "organ", Ellipsoid((-10.0, 0.0, 0.0), (60.0, 45.0, 50.0)), 1.06, 60.0
    )
    les = Region(
        "lesion_liver_01",
        "lesion_liver",
        "lesion",
        Ellipsoid((-20.0, 5.0, 3.0), (12.0, 10.0, 9.0), 30.0),
        1.04,
        35.0,
        parent="liver",
        profile_beta=0.4,
    )
    return [host, les]


def test_fractions_match_analytic_volumes_and_nest() -> None:
    vox = voxelise(_regions(), BODY, GRID, supersample=5)
    les = _regions()[1].ellipsoid.volume_ml
    host = _regions()[0].ellipsoid.volume_ml - les
    assert vox.grid_volume_ml("lesion_liver_01") == pytest.approx(les, rel=0.02)
    assert vox.grid_volume_ml("liver") == pytest.approx(host, rel=0.005)
    total = vox.body_fraction.copy()
    for m in vox.maps.values():
        total[m.slices] += m.fraction
    assert float(total.max()) <= 1.0 + 1e-6


def test_profile_weight_keeps_the_mean_concentration() -> None:
    vox = voxelise(_regions(), BODY, GRID, supersample=5)
    m = vox.maps["lesion_liver_01"]
    # activity = C_mean * sum(weight) * voxel volume = C_mean * volume
    assert m.weight.sum() == pytest.approx(m.fraction.sum(), rel=0.02)
    assert m.weight.max() > m.fraction.max()  # the centre is hotter than the mean


def test_every_region_gets_a_label_even_when_subvoxel() -> None:
    tiny = Region(
        "pituitary", "pituitary", "organ", Ellipsoid((1.0, 1.0, 1.0), (1.0, 1.0, 1.0)), 1.03, 45.0
    )
    vox = voxelise([tiny], BODY, GRID)
    assert vox.mask("pituitary").sum() == 1
    assert vox.mask("body").sum() > 1000


def test_even_supersampling_is_refused() -> None:
    with pytest.raises(ParameterError):
        voxelise(_regions(), BODY, GRID, supersample=2)


def test_whole_patient_grid_volumes_are_close_to_analytic() -> None:
    cfg = PhantomConfig().with_grid((64, 64, 64))
    p = generate_patient(2, config=cfg)
    regions = [r.region for r in p.regions if r.name != "body"]
    vox = voxelise(regions, p.body, p.grid)
    for name in ("liver", "spleen", "kidney_left", "lung_right", "brain"):
        assert vox.grid_volume_ml(name) == pytest.approx(p.region(name).volume_ml, rel=0.03)
    assert vox.grid_volume_ml("body") == pytest.approx(p.region("body").volume_ml, rel=0.02)
    assert np.all(vox.labels[vox.body_inside == 0] == 0)


@pytest.mark.parametrize("seed", [3, 8, 21])
def test_body_volume_holds_on_coarse_slices(seed: int) -> None:
    # 56 slices over ~1.8 m: ~32 mm slices cut the trunk and neck ends; sampling each
    # slice through its thickness keeps the remainder of the body, which now holds most
    # of the 177Lu activity, within 1 % of its analytic volume
    p = generate_patient(seed, config=PhantomConfig().with_grid((56, 64, 64)))
    regions = [r.region for r in p.regions if r.name != "body"]
    vox = voxelise(regions, p.body, p.grid)
    assert vox.grid_volume_ml("body") == pytest.approx(p.region("body").volume_ml, rel=0.01)
    # the labels stay "voxel centre inside": a body voxel lies inside the outline
    assert np.all(vox.body_inside[vox.labels == 1] > 0.0)
