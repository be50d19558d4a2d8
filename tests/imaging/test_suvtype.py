"""SUV types and their DICOM names."""

from __future__ import annotations

import pytest

from theratrial.imaging.suvtype import DICOM_SUV_TYPE, SuvType


@pytest.mark.parametrize(
    ("dicom", "kind"),
    [("BW", SuvType.BW), ("LBMJAMES128", SuvType.LBM_JAMES), ("LBMJANMA", SuvType.LBM_JANMA),
     ("IBW", SuvType.IBW), ("BSA", SuvType.BSA)],
)  # fmt: skip
def test_dicom_names(dicom: str, kind: SuvType) -> None:
    assert DICOM_SUV_TYPE[dicom] is kind


def test_units() -> None:
    assert {t.units for t in SuvType} == {"g/mL", "cm2/mL"}
    assert SuvType("bsa").units == "cm2/mL"
