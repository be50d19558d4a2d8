"""Uptake and kinetics distributions."""

from __future__ import annotations

import numpy as np
import pytest

from theratrial.errors import ParameterError
from theratrial.phantoms.uptake import DEFAULT_UPTAKE, LogNormal, Uniform, draw_kinetics


def test_lognormal_has_the_stated_median_and_cv() -> None:
    values = LogNormal(12.0, 0.3).draw(np.random.default_rng(1), 200_000)
    assert np.median(values) == pytest.approx(12.0, rel=0.01)
    assert values.std() / values.mean() == pytest.approx(0.3, rel=0.02)


def test_lognormal_at_is_quantile_of_the_log() -> None:
    d = LogNormal(10.0, 0.5)
    assert d.at(0.0) == 10.0
    assert d.at(1.0) == pytest.approx(10.0 * np.exp(d.sigma))


def test_invalid_distributions_are_refused() -> None:
    with pytest.raises(ParameterError):
        LogNormal(0.0, 0.1)
    with pytest.raises(ParameterError):
        Uniform(2.0, 1.0)


def test_physiological_ordering_follows_kuyumcu_2013() -> None:
    # spleen > kidneys > adrenals > liver (Kuyumcu et al., Ann Nucl Med 2013;27:538)
    med = {k: DEFAULT_UPTAKE[k].ga68_suv.median for k in ("spleen", "kidney", "adrenal", "liver")}
    assert med["spleen"] > med["kidney"] > med["adrenal"] > med["liver"]
    assert DEFAULT_UPTAKE["lesion_liver"].ga68_suv.median > med["liver"]


@pytest.mark.parametrize("region_type", sorted(DEFAULT_UPTAKE))
def test_drawn_kinetics_are_valid_and_lu177_effective_half_life_is_bounded(
    region_type: str,
) -> None:
    rng = np.random.default_rng(5)
    for _ in range(50):
        k = draw_kinetics(DEFAULT_UPTAKE[region_type], rng)
        t_eff = k.effective_slow_half_life_h("Lu-177")
        assert 0.0 < t_eff < 159.53
        assert 0.0 <= k.fast_fraction <= 1.0


def test_tumour_retention_is_longer_than_kidney() -> None:
    kidney = DEFAULT_UPTAKE["kidney"].slow_effective_half_life_h.median
    assert kidney == pytest.approx(50.0)
    assert DEFAULT_UPTAKE["lesion_liver"].slow_effective_half_life_h.median > kidney


def test_ratio_without_direct_index_is_the_transfer_ratio_draw() -> None:
    model = DEFAULT_UPTAKE["kidney"]
    assert model.therapy_index is None
    a = model.draw_ratio(np.random.default_rng(4), 11.0)
    b = model.transfer_ratio.draw_one(np.random.default_rng(4))
    assert a == b


def test_direct_index_does_not_depend_on_the_ga68_suv_and_uses_one_draw() -> None:
    body = DEFAULT_UPTAKE["body"]
    assert body.therapy_index is not None
    for suv in (0.3, 0.6, 1.2):
        rng = np.random.default_rng(9)
        index = suv * body.draw_ratio(rng, suv)
        assert index == pytest.approx(body.therapy_index.draw_one(np.random.default_rng(9)))
        # one standard-normal draw, like the ratio: the streams of other regions stay aligned
        after = rng.standard_normal()
        ref = np.random.default_rng(9)
        ref.standard_normal()
        assert after == ref.standard_normal()
