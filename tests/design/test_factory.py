"""Designs built by name."""

from __future__ import annotations

import pytest

from theratrial.design import Boin, Crm, I3plus3, Mtpi2, ThreePlusThree, create_design
from theratrial.errors import ParameterError


@pytest.mark.parametrize(
    ("name", "kind"),
    [("BOIN", Boin), ("mtpi-2", Mtpi2), ("i3plus3", I3plus3), ("3+3", ThreePlusThree)],
)
def test_names_and_aliases(name: str, kind: type) -> None:
    assert isinstance(create_design(name, target=0.3), kind)


def test_crm_needs_a_skeleton_and_others_a_target() -> None:
    assert isinstance(create_design("crm", target=0.3, skeleton=[0.1, 0.3, 0.5]), Crm)
    with pytest.raises(ParameterError, match="skeleton"):
        create_design("crm", target=0.3)
    with pytest.raises(ParameterError, match="target"):
        create_design("boin")


def test_unknown_design_lists_the_known_ones() -> None:
    with pytest.raises(ParameterError, match="3\\+3, boin, crm, mtpi2, i3\\+3"):
        create_design("tpi")
