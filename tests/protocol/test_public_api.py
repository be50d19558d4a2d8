"""The curated export list of the protocol package and its modules (one test pins it)."""

from __future__ import annotations

import importlib

import pytest

EXPORTS = {
    "theratrial.protocol": [
        "Cohort", "Criterion", "DoseLevel", "Dosing", "Endpoint", "ImagingTimepoint",
        "OrganLimit", "Protocol", "Radiopharmaceutical", "Schedule", "bundled_protocols",
        "find_protocol", "load_protocol", "parse_protocol",
    ],
    "theratrial.protocol.loader": [
        "bundled_protocols", "find_protocol", "load_protocol", "parse_protocol",
    ],
    "theratrial.protocol.rules": [
        "DIAGNOSIS_FACTS", "FACT_NAMES", "FACT_PREFIXES", "AllOf", "AnyOf", "Attestation",
        "Compare", "Condition", "Event", "IfThen", "Imaging",
        "Lab", "Lesion", "Op", "ReferencePoint", "Rule", "Therapy",
    ],
    "theratrial.protocol.schema": [
        "Cohort", "Criterion", "DoseLevel", "Dosing", "Endpoint", "ImagingTimepoint",
        "OrganLimit", "Protocol", "Radiopharmaceutical", "Schedule",
    ],
}  # fmt: skip


@pytest.mark.parametrize("module_name", EXPORTS)
def test_export_list(module_name: str) -> None:
    module = importlib.import_module(module_name)
    assert module.__all__ == EXPORTS[module_name]
    for name in module.__all__:
        assert hasattr(module, name), name
