"""Biodistribution table, tumour-to-organ ratios and the quantitative Krenning score."""

from __future__ import annotations

import math

import numpy as np
import pytest

from theratrial.errors import ParameterError
from theratrial.imaging import (
    Grid,
    Mask,
    MtvThreshold,
    Volume,
    biodistribution,
    krenning_score,
)

GRID = Grid((10, 20, 20), (0.0, 0.0, 0.0), (5.0, 5.0, 5.0), (1, 0, 0, 0, 1, 0, 0, 0, 1), "1.2")


@pytest.mark.parametrize(
    ("lesion", "score"),
    [(2.0, 1), (4.5, 2), (5.0, 2), (5.5, 2), (6.0, 3), (9.9, 3), (10.1, 4), (30.0, 4)],
)
def test_krenning_score_scale(lesion: float, score: int) -> None:
    assert krenning_score(lesion, liver_uptake=5.0, spleen_uptake=10.0) == score


def test_krenning_without_spleen_stops_at_three() -> None:
    assert krenning_score(50.0, liver_uptake=5.0) == 3
    with pytest.raises(ParameterError):
        krenning_score(1.0, liver_uptake=0.0)


def _study() -> tuple[Volume, list[Mask]]:
    values = np.full(GRID.shape, 1.0)
    masks = []
    regions = {
        "liver": ((slice(0, 4), slice(0, 10), slice(0, 10)), 5.0),
        "spleen": ((slice(0, 4), slice(10, 20), slice(0, 10)), 8.0),
        "lesion_01": ((slice(6, 9), slice(2, 5), slice(2, 5)), 20.0),
        "lesion_02": ((slice(6, 9), slice(12, 15), slice(12, 15)), 4.0),
    }
    for name, (box, value) in regions.items():
        values[box] = value
        array = np.zeros(GRID.shape, bool)
        array[box] = True
        masks.append(Mask(array, GRID, name))
    return Volume(values, GRID, "PT", "g/mL"), masks


def test_table_rows_ratios_and_scores() -> None:
    image, masks = _study()
    table = biodistribution(image, masks)
    assert [r.region for r in table.rows] == ["liver", "spleen", "lesion_01", "lesion_02"]
    assert (table.liver_mean, table.spleen_mean) == (5.0, 8.0)
    hot, cold = table.row("lesion_01"), table.row("lesion_02")
    assert hot.tumour_to_liver == pytest.approx(4.0)
    assert hot.tumour_to_spleen == pytest.approx(2.5)
    assert (hot.krenning_score, cold.krenning_score) == (4, 1)
    assert table.row("liver").krenning_score is None
    with pytest.raises(KeyError):
        table.row("kidney")


def test_liver_threshold_uses_the_liver_mask() -> None:
    image, masks = _study()
    table = biodistribution(image, masks, mtv=MtvThreshold.liver(math.nan, math.nan))
    hot = table.row("lesion_01").statistics
    assert hot.mtv_threshold == pytest.approx(1.5 * 5.0)  # liver SD is 0
    assert hot.mtv_ml == pytest.approx(27 * 0.125)
    assert table.row("lesion_02").statistics.mtv_ml == 0.0


def test_missing_liver_is_noted_and_metric_checked() -> None:
    image, masks = _study()
    table = biodistribution(image, [m for m in masks if m.name != "liver"], lesion_metric="peak")
    assert table.row("lesion_01").krenning_score is None
    assert any("no liver mask" in n for n in table.notes)
    with pytest.raises(ParameterError):
        biodistribution(image, masks, lesion_metric="sum")
    with pytest.raises(ParameterError, match="liver mask"):
        biodistribution(image, masks[1:], mtv=MtvThreshold.liver(math.nan, math.nan))
