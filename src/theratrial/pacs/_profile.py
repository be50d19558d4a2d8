"""The action table of DICOM PS3.15 Annex E, with the options a quantitative trial needs (private).

The Basic Application Level Confidentiality Profile is PS3.15 Table E.1-1. Its action codes
per attribute (D, Z, X, U and the combined X/Z, X/D, Z/D, X/Z/D, X/Z/U*) are taken from the
maintained ``dicom-anonymizer`` package (KitwareMedical, BSD-3), which regenerates them from
the standard's own table (database ``dicomfields_2026c``, i.e. DICOM 2026c); this module only
reads that data and adds the two option columns theratrial applies:

- Retain Patient Characteristics Option (E.3.8, code DCM 113108): the "K" entries of that
  column are kept (sex, age, size, weight, ethnic group, sex neutered, pregnancy and smoking
  status). Its "C" entries (allergies, medical alerts, special needs, patient state) are
  removed, which is stricter than cleaning them.
- Retain Longitudinal Temporal Information with Modified Dates Option (E.3.6, DCM 113107):
  every date is shifted by the same whole number of days per pseudonym, so all time
  differences (injection to acquisition, series to series) are kept exactly; times of day
  are therefore unchanged.

Private attributes are removed (Table E.1-1, "Private attributes: X") except the allow-list
:data:`SAFE_PRIVATE` (Retain Safe Private Option, E.3.10, DCM 113111): the vendor fields that
SUV needs.
"""

from __future__ import annotations

import importlib
from typing import Final

__all__ = [
    "PATIENT_CHARACTERISTICS",
    "SAFE_PRIVATE",
    "TABLE_SOURCE",
    "action_table",
    "masked_actions",
]

TABLE_SOURCE: Final = "DICOM PS3.15 Table E.1-1 (2026c) via dicom-anonymizer 2.1.0"
"""Where the basic profile's action codes come from."""

_CATEGORIES: Final = {
    "D_TAGS": "D",
    "Z_TAGS": "Z",
    "X_TAGS": "X",
    "U_TAGS": "U",
    "Z_D_TAGS": "Z/D",
    "X_Z_TAGS": "X/Z",
    "X_D_TAGS": "X/D",
    "X_Z_D_TAGS": "X/Z/D",
    "X_Z_U_STAR_TAGS": "X/Z/U*",
}

PATIENT_CHARACTERISTICS: Final = frozenset(
    {
        0x00100040,  # Patient's Sex
        0x00101010,  # Patient's Age
        0x00101020,  # Patient's Size
        0x00101030,  # Patient's Weight
        0x00102160,  # Ethnic Group
        0x00102203,  # Patient's Sex Neutered
        0x001021A0,  # Smoking Status
        0x001021C0,  # Pregnancy Status
    }
)
"""Tags kept by the Retain Patient Characteristics Option ("K" in its column of E.1-1)."""

SAFE_PRIVATE: Final[dict[tuple[int, int], tuple[str, str, str]]] = {
    (0x7053, 0x00): ("Philips PET Private Group", "keep", "SUV scale factor (7053,xx00)"),
    (0x7053, 0x09): (
        "Philips PET Private Group",
        "keep",
        "activity concentration scale factor (7053,xx09)",
    ),
    (0x0009, 0x0D): ("GEMS_PETD_01", "shift", "GE PET scan date-time (0009,xx0D)"),
}
"""Private allow-list: (group, element offset) -> (private creator, action, meaning).

"keep" keeps the value; "shift" keeps it with its date moved like every other date. An
element is kept when its block's private creator is the one named, or when the block has no
creator at all (old Philips and GE exports write the elements at xx=10 without one).
"""

_TABLE: dict[int, str] | None = None
_MASKED: list[tuple[int, int, str]] | None = None


def _load() -> tuple[dict[int, str], list[tuple[int, int, str]]]:
    global _TABLE, _MASKED
    if _TABLE is None or _MASKED is None:
        module = importlib.import_module(
            "dicomanonymizer.dicom_anonymization_databases.dicomfields_2026c"
        )
        table: dict[int, str] = {}
        masked: list[tuple[int, int, str]] = []
        for name, code in _CATEGORIES.items():
            for entry in getattr(module, name):
                if len(entry) == 2:
                    table[(entry[0] << 16) | entry[1]] = code
                else:
                    group, element, group_mask, element_mask = entry
                    masked.append(
                        ((group << 16) | element, (group_mask << 16) | element_mask, code)
                    )
        _TABLE, _MASKED = table, masked
    return _TABLE, _MASKED


def action_table() -> dict[int, str]:
    """Basic-profile action code of every single attribute of Table E.1-1, by tag.

    Examples
    --------
    >>> table = action_table()
    >>> table[0x00100010], table[0x00080018], table[0x00101030]
    ('Z', 'U', 'X')
    """
    return dict(_load()[0])


def masked_actions() -> list[tuple[int, int, str]]:
    """The repeating-group entries of E.1-1 (curves, overlays): (value, mask, action)."""
    return list(_load()[1])
