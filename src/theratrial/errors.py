"""The exceptions theratrial raises, all rooted in :class:`TheratrialError`.

Every exception carries context: the file, the field (a dotted path, a DICOM tag or a
CSV column), the line or row where known, and a hint that tells the user how to fix it.
``str(err)`` reads as one line: ``FILE:LINE: field 'FIELD': MESSAGE (fix: HINT)``.

The tree::

    TheratrialError
    ├── InputError                    bad input that the user can fix
    │   ├── ProtocolError             a malformed trial protocol file
    │   ├── PatientRecordError        a malformed patient record
    │   ├── UnitError                 an unknown or incompatible unit
    │   ├── TableError                a malformed CSV/JSON table (row and column named)
    │   ├── DicomError                an unreadable or inconsistent DICOM input
    │   │   ├── DicomHeaderError      a missing or implausible header attribute (tag named)
    │   │   ├── SeriesGeometryError   missing, duplicated or non-parallel slices
    │   │   └── MaskError             a mask that does not fit its image or frame of reference
    │   └── ParameterError            an option outside its valid range
    │       └── JobNotFoundError      no job with that id (theratrial.jobs.service)
    ├── AuthError                     login, session or signature refused (theratrial.api.accounts)
    ├── NuclideError                  a radionuclide theratrial has no data for
    ├── ComputationError              a method that cannot give an answer for these data
    └── StoreError                    the database refused or failed a write; nothing was kept
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "ComputationError",
    "DicomError",
    "DicomHeaderError",
    "InputError",
    "MaskError",
    "NuclideError",
    "ParameterError",
    "PatientRecordError",
    "ProtocolError",
    "SeriesGeometryError",
    "StoreError",
    "TableError",
    "TheratrialError",
    "UnitError",
]


class TheratrialError(Exception):
    """Root of every exception raised by theratrial.

    Parameters
    ----------
    message
        What is wrong, in one sentence.
    file
        The file at fault, when there is one.
    field
        The field at fault: a dotted path (``labs[2].unit``), a DICOM keyword and tag
        (``PatientWeight (0010,1030)``) or a column name.
    line
        1-based line (text files) or row (tables) at fault.
    hint
        What the user should do about it.

    Examples
    --------
    >>> err = TheratrialError("unknown unit 'mg/dl/x'", file="p.yaml", field="labs[0].unit",
    ...                       line=12, hint="use mg/dL or umol/L")
    >>> print(err)
    p.yaml:12: field 'labs[0].unit': unknown unit 'mg/dl/x' (fix: use mg/dL or umol/L)
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        field: str | None = None,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = str(file) if file is not None else None
        self.field = field
        self.line = line
        self.hint = hint

    def __str__(self) -> str:
        parts: list[str] = []
        if self.file is not None:
            parts.append(f"{self.file}:{self.line}" if self.line is not None else self.file)
        elif self.line is not None:
            parts.append(f"line {self.line}")
        if self.field is not None:
            parts.append(f"field '{self.field}'")
        text = ": ".join([*parts, self.message])
        if self.hint:
            text += f" (fix: {self.hint})"
        return text


class InputError(TheratrialError):
    """Input that the user can correct: a file, a field or an option."""


class ProtocolError(InputError):
    """A trial protocol file that does not match the protocol schema."""


class PatientRecordError(InputError):
    """A patient record that does not match the patient schema."""


class UnitError(InputError):
    """A unit that is unknown, or incompatible with the quantity asked for."""


class TableError(InputError):
    """A tabular input (CSV/JSON) with a missing column or a bad value in a row."""


class DicomError(InputError):
    """A DICOM input that cannot be read or assembled."""


class DicomHeaderError(DicomError):
    """A missing or implausible DICOM attribute; ``field`` names keyword and tag."""


class SeriesGeometryError(DicomError):
    """A series whose slices cannot make one regular volume."""


class MaskError(DicomError):
    """A mask that does not match its image grid or frame of reference."""


class ParameterError(InputError):
    """An option outside its valid range (a probability outside (0, 1), say)."""


class NuclideError(TheratrialError):
    """A radionuclide with no data in theratrial."""


class ComputationError(TheratrialError):
    """A method that cannot produce a result for the data given."""


class StoreError(TheratrialError):
    """A database write that failed; the transaction was rolled back."""
