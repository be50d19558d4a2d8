"""Encapsulated PDF (PS3.3 A.45.1): passes dciodvfy, reads back byte for byte, via ``export``."""

from __future__ import annotations

import dataclasses
import io
import shutil
import subprocess
from pathlib import Path

import nibabel as nib
import numpy as np
import pydicom
import pytest
import typer
from matplotlib.figure import Figure
from pydicom.dataset import Dataset
from typer.testing import CliRunner

from theratrial.cli.pacs import register
from theratrial.errors import DicomError, InputError
from theratrial.pacs.encapsulated_pdf import (
    ENCAPSULATED_PDF_STORAGE,
    build_encapsulated_pdf,
    encapsulated_pdf_bytes,
    read_pdf,
)
from theratrial.phantoms import PhantomConfig, write_patient

pytestmark = pytest.mark.filterwarnings("ignore:The value length:UserWarning")

runner = CliRunner()


def _app() -> typer.Typer:
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    register(app)
    return app


def _pdf(odd: bool) -> bytes:
    """A real one-page PDF made by matplotlib, of odd or even length on request."""
    fig = Figure(figsize=(3, 2))
    ax = fig.add_subplot()
    ax.plot([0, 24, 48, 96], [0.0, 3.1, 2.2, 0.9], marker="o")
    ax.set_xlabel("time (h)")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="pdf")
    data = buffer.getvalue()
    if (len(data) % 2 == 1) != odd:
        data += b"\n"  # trailing whitespace after %%EOF keeps the PDF valid
    return data


def _reference() -> Dataset:
    ref = Dataset()
    ref.PatientName = "NET-101"
    ref.PatientID = "NET-101"
    ref.PatientBirthDate = "19600101"
    ref.PatientSex = "F"
    ref.StudyInstanceUID = "1.2.826.0.1.3680043.8.498.1"
    ref.StudyDate = "20240115"
    ref.StudyTime = "101500"
    ref.StudyID = "1"
    ref.AccessionNumber = "A1"
    ref.ReferringPhysicianName = ""
    ref.FrameOfReferenceUID = "1.2.826.0.1.3680043.8.498.2"
    return ref


def dciodvfy_errors(path: Path) -> list[str]:
    """The error lines dciodvfy prints for ``path`` (skip when dicom3tools is absent)."""
    exe = shutil.which("dciodvfy")
    if exe is None:
        pytest.skip("dciodvfy (Debian dicom3tools) is not installed")
    done = subprocess.run([exe, str(path)], capture_output=True, text=True, check=False)
    return [line for line in (done.stdout + done.stderr).splitlines() if "Error" in line]


@pytest.mark.parametrize("odd", [True, False])
def test_encapsulated_pdf_is_valid_and_reads_back_identical(odd: bool, tmp_path: Path) -> None:
    pdf = _pdf(odd)
    assert len(pdf) % 2 == int(odd)
    ref = _reference()
    ds = build_encapsulated_pdf(
        pdf, ref, series_uid="1.2.826.0.1.3680043.8.498.3", sop_uid="1.2.826.0.1.3680043.8.498.4"
    )
    path = tmp_path / "report.dcm"
    ds.save_as(path, enforce_file_format=True)
    assert dciodvfy_errors(path) == []
    back = pydicom.dcmread(path)
    assert back.SOPClassUID == ENCAPSULATED_PDF_STORAGE
    assert back.file_meta.MediaStorageSOPClassUID == ENCAPSULATED_PDF_STORAGE
    assert (back.Modality, back.ConversionType, back.BurnedInAnnotation) == ("DOC", "WSD", "YES")
    assert back.MIMETypeOfEncapsulatedDocument == "application/pdf"
    assert len(back.EncapsulatedDocument) % 2 == 0
    assert back.EncapsulatedDocumentLength == len(pdf)
    assert encapsulated_pdf_bytes(back) == pdf
    for keyword in ("PatientName", "PatientID", "StudyInstanceUID", "StudyDate", "AccessionNumber"):
        assert back[keyword].value == ref[keyword].value, keyword
    assert "FrameOfReferenceUID" not in back  # no Frame of Reference module in A.45.1
    code = back.ConceptNameCodeSequence[0]
    assert (code.CodeValue, code.CodingSchemeDesignator) == ("18748-4", "LN")


def test_pad_is_stripped_without_length_attribute() -> None:
    pdf = _pdf(odd=True)
    ds = build_encapsulated_pdf(pdf, _reference(), series_uid="1.2.3", sop_uid="1.2.4")
    del ds.EncapsulatedDocumentLength
    assert encapsulated_pdf_bytes(ds) == pdf


def test_not_a_pdf_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DicomError, match="not a PDF"):
        build_encapsulated_pdf(b"<html>", _reference(), series_uid="1.2.3", sop_uid="1.2.4")
    with pytest.raises(DicomError, match="Study Instance UID"):
        build_encapsulated_pdf(_pdf(odd=False), Dataset(), series_uid="1.2.3", sop_uid="1.2.4")
    text = tmp_path / "report.pdf"
    text.write_text("not a pdf")
    with pytest.raises(InputError, match="--report"):
        read_pdf(text)


@pytest.fixture(scope="module")
def patient(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny virtual patient; masks with no voxel on the coarse grid are left out."""
    root = tmp_path_factory.mktemp("vp")
    base = PhantomConfig().with_grid((24, 32, 32))
    config = dataclasses.replace(base, therapy=dataclasses.replace(base.therapy, cycles=1))
    write_patient(root / "vp", 3, config=config)
    masks = root / "masks"
    masks.mkdir()
    for path in sorted((root / "vp/masks").glob("*.nii.gz")):
        if np.asarray(nib.load(path).get_fdata()).any():  # type: ignore[attr-defined]
            shutil.copy(path, masks / path.name)
    return root


def test_export_report_writes_encapsulated_pdf_beside_the_others(
    patient: Path, tmp_path: Path
) -> None:
    pet = patient / "vp/dicom/pet_ga68"
    pdf = _pdf(odd=True)
    (tmp_path / "report.pdf").write_bytes(pdf)
    out = tmp_path / "out"
    args = ["export", str(pet), "--masks", str(patient / "masks"), "--out", str(out)]
    result = runner.invoke(_app(), [*args, "--report", str(tmp_path / "report.pdf")])
    assert result.exit_code == 0, result.output
    assert "report.dcm" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["report.dcm", "seg.dcm", "sr.dcm"]
    assert dciodvfy_errors(out / "report.dcm") == []
    back = pydicom.dcmread(out / "report.dcm")
    source = pydicom.dcmread(next(pet.iterdir()), stop_before_pixels=True)
    seg = pydicom.dcmread(out / "seg.dcm", stop_before_pixels=True)
    assert back.StudyInstanceUID == source.StudyInstanceUID == seg.StudyInstanceUID
    assert back.PatientID == source.PatientID
    assert back.SeriesInstanceUID not in (source.SeriesInstanceUID, seg.SeriesInstanceUID)
    assert encapsulated_pdf_bytes(back) == pdf


def test_export_bad_report_is_one_line_and_writes_nothing(patient: Path, tmp_path: Path) -> None:
    (tmp_path / "report.pdf").write_text("plain text")
    out = tmp_path / "out"
    args = ["export", str(patient / "vp/dicom/pet_ga68"), "--masks", str(patient / "masks")]
    result = runner.invoke(
        _app(), [*args, "--out", str(out), "--report", str(tmp_path / "report.pdf")]
    )
    assert result.exit_code == 2
    assert "--report" in result.output
    assert "not a PDF" in result.output
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]
