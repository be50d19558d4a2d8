"""Trial protocols as validated data, and the bundled seed trials.

Public API
----------
:class:`Protocol` and its parts (:mod:`theratrial.protocol.schema`), the eligibility rule
language (:mod:`theratrial.protocol.rules`), :func:`load_protocol`, :func:`parse_protocol`,
:func:`bundled_protocols` and :func:`find_protocol`.
"""

from theratrial.protocol.loader import (
    bundled_protocols,
    find_protocol,
    load_protocol,
    parse_protocol,
)
from theratrial.protocol.schema import (
    Cohort,
    Criterion,
    DoseLevel,
    Dosing,
    Endpoint,
    ImagingTimepoint,
    OrganLimit,
    Protocol,
    Radiopharmaceutical,
    Schedule,
)

__all__ = [
    "Cohort",
    "Criterion",
    "DoseLevel",
    "Dosing",
    "Endpoint",
    "ImagingTimepoint",
    "OrganLimit",
    "Protocol",
    "Radiopharmaceutical",
    "Schedule",
    "bundled_protocols",
    "find_protocol",
    "load_protocol",
    "parse_protocol",
]
