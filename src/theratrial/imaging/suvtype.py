"""The body-size normalisations of an SUV and their DICOM (0054,1006) SUV Type names.

Examples
--------
>>> SuvType("lbm-janma").units, SuvType.BSA.units
('g/mL', 'cm2/mL')
>>> DICOM_SUV_TYPE["LBMJAMES128"].value
'lbm-james'
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["DICOM_SUV_TYPE", "SuvType"]


class SuvType(StrEnum):
    """Body-size normalisation of an SUV."""

    BW = "bw"
    LBM_JANMA = "lbm-janma"
    LBM_JAMES = "lbm-james"
    BSA = "bsa"
    IBW = "ibw"

    @property
    def units(self) -> str:
        """``g/mL`` for mass normalisers, ``cm2/mL`` for body surface area."""
        return "cm2/mL" if self is SuvType.BSA else "g/mL"


DICOM_SUV_TYPE = {
    "BW": SuvType.BW,
    "LBM": SuvType.LBM_JAMES,
    "LBMJAMES128": SuvType.LBM_JAMES,
    "LBMJANMA": SuvType.LBM_JANMA,
    "IBW": SuvType.IBW,
    "BSA": SuvType.BSA,
}
