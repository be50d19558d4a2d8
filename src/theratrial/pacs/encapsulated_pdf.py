"""A PDF report as an Encapsulated PDF instance (DICOM PS3.3 A.45.1), with pydicom.

The IOD (SOP Class 1.2.840.10008.5.1.4.1.1.104.1) is made of the Patient, General Study,
Encapsulated Document Series, General Equipment, SC Equipment, Encapsulated Document and
SOP Common modules. Patient and study attributes are copied from an image of the study, so
the report files beside the images; the report gets a series of its own:

- Encapsulated Document Series (C.24.1): (0008,0060) Modality ``DOC``, a new
  (0020,000E) Series Instance UID and (0020,0011) Series Number;
- SC Equipment (C.8.6.1): (0008,0064) Conversion Type ``WSD`` (workstation);
- Encapsulated Document (C.24.2): (0020,0013) Instance Number, (0008,0023)/(0008,0033)
  Content Date/Time, (0008,002A) Acquisition DateTime, (0028,0301) Burned In Annotation
  (type 1; ``YES`` by default, a theratrial report names the patient's pseudonym and the
  study date), (0042,0010) Document Title, (0040,A043) Concept Name Code Sequence (LOINC
  18748-4 "Diagnostic imaging report", CID 7000), (0042,0012) MIME Type of Encapsulated
  Document ``application/pdf``, (0042,0011) Encapsulated Document and (0042,0015)
  Encapsulated Document Length.

An OB value has even length (PS3.5 7.1.1), so an odd-length PDF is padded with one NUL
byte and (0042,0015) keeps the true length; :func:`encapsulated_pdf_bytes` strips it.
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import PYDICOM_IMPLEMENTATION_UID, UID, ExplicitVRLittleEndian

from theratrial.errors import DicomError, InputError

__all__ = [
    "ENCAPSULATED_PDF_STORAGE",
    "build_encapsulated_pdf",
    "encapsulated_pdf_bytes",
    "read_pdf",
]

ENCAPSULATED_PDF_STORAGE = "1.2.840.10008.5.1.4.1.1.104.1"
_PDF_MAGIC = b"%PDF-"
_COPIED = (
    "SpecificCharacterSet",
    "PatientName",
    "PatientID",
    "PatientBirthDate",
    "PatientSex",
    "StudyInstanceUID",
    "StudyDate",
    "StudyTime",
    "StudyID",
    "AccessionNumber",
    "ReferringPhysicianName",
)
_TYPE_2 = frozenset(_COPIED[1:]) - {"StudyInstanceUID"}


def read_pdf(path: str | Path, *, field: str = "--report") -> bytes:
    """The bytes of a PDF file, checked to start with the ``%PDF-`` header (ISO 32000-1 7.5.2).

    Raises
    ------
    InputError
        When the file does not exist, cannot be read, is empty or is not a PDF.
    """
    source = Path(path)
    if not source.is_file():
        raise InputError("the report does not exist", file=source, field=field)
    try:
        data = source.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the report: {exc}", file=source, field=field) from exc
    if not data.startswith(_PDF_MAGIC):
        raise InputError(
            "the report is not a PDF (no %PDF- header)",
            file=source,
            field=field,
            hint="give the report as a PDF file",
        )
    return data


def build_encapsulated_pdf(
    pdf: bytes,
    reference: Dataset,
    *,
    series_uid: str,
    sop_uid: str,
    title: str = "theratrial report",
    series_number: int = 903,
    burned_in_annotation: bool = True,
    created: _dt.datetime | None = None,
) -> Dataset:
    """An Encapsulated PDF data set holding ``pdf``, in the study of ``reference``.

    Parameters
    ----------
    pdf
        The document, starting with ``%PDF-``.
    reference
        An image of the study: patient and study attributes are copied from it.
    series_uid, sop_uid
        The new series and the instance.
    title
        (0042,0010) Document Title and (0008,103E) Series Description.
    series_number
        (0020,0011) Series Number.
    burned_in_annotation
        (0028,0301): whether the document identifies the patient and the date.
    created
        Content and acquisition date/time (default: now).

    Raises
    ------
    DicomError
        When ``pdf`` is not a PDF or the reference has no Study Instance UID.

    Examples
    --------
    >>> from pydicom.dataset import Dataset
    >>> ref = Dataset(); ref.StudyInstanceUID = "1.2.3"; ref.PatientID = "NET-101"
    >>> ds = build_encapsulated_pdf(b"%PDF-1.4 x", ref, series_uid="1.2.4", sop_uid="1.2.5")
    >>> ds.Modality, ds.MIMETypeOfEncapsulatedDocument, ds.EncapsulatedDocumentLength
    ('DOC', 'application/pdf', 10)
    >>> len(ds.EncapsulatedDocument), encapsulated_pdf_bytes(ds)
    (10, b'%PDF-1.4 x')
    >>> odd = build_encapsulated_pdf(b"%PDF-1.4 ", ref, series_uid="1.2.4", sop_uid="1.2.6")
    >>> len(odd.EncapsulatedDocument), odd.EncapsulatedDocumentLength, odd.EncapsulatedDocument[-1]
    (10, 9, 0)
    """
    if not pdf.startswith(_PDF_MAGIC):
        raise DicomError(
            "the document to encapsulate is not a PDF (no %PDF- header)",
            field="EncapsulatedDocument (0042,0011)",
            hint="give the report as a PDF file",
        )
    study_uid = reference.get("StudyInstanceUID", "")
    if not study_uid:
        raise DicomError(
            "the reference image has no Study Instance UID",
            field="StudyInstanceUID (0020,000D)",
            hint="give an image of the study the report belongs to",
        )
    when = created if created is not None else _dt.datetime.now()
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = UID(ENCAPSULATED_PDF_STORAGE)
    ds.file_meta.MediaStorageSOPInstanceUID = UID(sop_uid)
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    for keyword in _COPIED:
        if keyword in reference:
            setattr(ds, keyword, reference[keyword].value)
        elif keyword in _TYPE_2:
            setattr(ds, keyword, "")
    # SOP Common (C.12.1)
    ds.SOPClassUID = ENCAPSULATED_PDF_STORAGE
    ds.SOPInstanceUID = sop_uid
    ds.InstanceCreationDate = when.strftime("%Y%m%d")
    ds.InstanceCreationTime = when.strftime("%H%M%S")
    # Encapsulated Document Series (C.24.1)
    ds.Modality = "DOC"
    ds.SeriesInstanceUID = series_uid
    ds.SeriesNumber = series_number
    ds.SeriesDescription = title
    # General Equipment (C.7.5.1) and SC Equipment (C.8.6.1)
    ds.Manufacturer = "theratrial"
    ds.ConversionType = "WSD"
    # Encapsulated Document (C.24.2)
    ds.InstanceNumber = 1
    ds.ContentDate = ds.InstanceCreationDate
    ds.ContentTime = ds.InstanceCreationTime
    ds.AcquisitionDateTime = when.strftime("%Y%m%d%H%M%S")
    ds.BurnedInAnnotation = "YES" if burned_in_annotation else "NO"
    ds.DocumentTitle = title
    code = Dataset()
    code.CodeValue = "18748-4"
    code.CodingSchemeDesignator = "LN"
    code.CodeMeaning = "Diagnostic imaging report"
    ds.ConceptNameCodeSequence = [code]
    ds.MIMETypeOfEncapsulatedDocument = "application/pdf"
    ds.EncapsulatedDocument = pdf + b"\x00" if len(pdf) % 2 else pdf
    ds.EncapsulatedDocumentLength = len(pdf)
    return ds


def encapsulated_pdf_bytes(ds: Dataset) -> bytes:
    """The PDF held by an Encapsulated PDF data set, without the even-length pad byte.

    Uses (0042,0015) Encapsulated Document Length when present; otherwise drops a trailing
    NUL after the PDF's last ``%%EOF`` marker (ISO 32000-1 7.5.5).
    """
    data = bytes(ds.EncapsulatedDocument)
    length = ds.get("EncapsulatedDocumentLength")
    if length is not None:
        return data[: int(length)]
    if data.endswith(b"\x00") and data.rstrip(b"\x00").rstrip().endswith(b"%%EOF"):
        return data[:-1]
    return data
