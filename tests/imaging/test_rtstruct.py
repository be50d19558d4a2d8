"""RTSTRUCT reading: (3006,0050) Contour Data parsed from its raw bytes, errors that name it."""

from __future__ import annotations

from pathlib import Path

import hypothesis.strategies as st
import numpy as np
import pydicom
import pytest
from hypothesis import given, settings
from pydicom.dataelem import RawDataElement
from pydicom.valuerep import DSfloat

from theratrial.errors import MaskError
from theratrial.imaging._dicomio import get_floats, read_dataset
from theratrial.imaging._rtstruct import read_rtstruct_rois

CONTOUR_DATA = 0x30060050


def _square(z_mm: float, size_mm: float = 20.0) -> np.ndarray:
    return np.array(
        [[0.0, 0.0, z_mm], [size_mm, 0.0, z_mm], [size_mm, size_mm, z_mm], [0.0, size_mm, z_mm]]
    )


def test_contours_come_back_in_mm_without_converting_each_value(
    tmp_path: Path, rtstruct_writer
) -> None:
    path = rtstruct_writer(
        tmp_path / "rs.dcm",
        {"liver": [_square(-12.5), _square(-9.25)], "lesion_1": [_square(4.0, 5.5)]},
        frame_of_reference_uid="1.2.3",
    )
    ds = read_dataset(path)
    rois = read_rtstruct_rois(ds, path)
    assert [(r.number, r.name, r.frame_of_reference_uid) for r in rois] == [
        (1, "liver", "1.2.3"),
        (2, "lesion_1", "1.2.3"),
    ]
    assert np.array_equal(rois[0].contours[1], _square(-9.25))
    assert np.array_equal(rois[1].contours[0], _square(4.0, 5.5))
    for item in ds.ROIContourSequence:
        for contour in item.ContourSequence:
            assert isinstance(contour.get_item(CONTOUR_DATA), RawDataElement)


def test_real_structure_set_matches_value_by_value_parsing(sts_dir: Path) -> None:
    path = sts_dir / "STS_001" / "PET" / "dicom" / "mask" / "RS.dcm"
    (roi,) = read_rtstruct_rois(read_dataset(path), path)
    reference = pydicom.dcmread(path)
    expected = [
        np.array([float(v) for v in c.ContourData]).reshape(-1, 3)
        for c in reference.ROIContourSequence[0].ContourSequence
    ]
    assert roi.name == "GTV_Mass_PET"
    assert len(roi.contours) == len(expected)
    assert all(np.array_equal(a, b) for a, b in zip(roi.contours, expected, strict=True))


@pytest.mark.parametrize("text", [b"1.5\\abc\\2", b"1.5\\\\2"])
def test_unreadable_contour_data_names_the_field(
    tmp_path: Path, rtstruct_writer, text: bytes
) -> None:
    path = rtstruct_writer(
        tmp_path / "rs.dcm", {"liver": [_square(0.0)]}, frame_of_reference_uid="1.2.3"
    )
    ds = read_dataset(path)
    contour = ds.ROIContourSequence[0].ContourSequence[0]
    contour[CONTOUR_DATA] = RawDataElement(
        pydicom.tag.Tag(CONTOUR_DATA), "DS", len(text), text, 0, True, True
    )
    with pytest.raises(MaskError) as info:
        read_rtstruct_rois(ds, path)
    assert info.value.field == "ContourData (3006,0050)"
    assert info.value.file == str(path)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.floats(min_value=-1e6, max_value=1e6, allow_nan=False).map(lambda v: f"{v:.6g}"),
        min_size=1,
        max_size=30,
    )
)
def test_raw_decimal_strings_parse_like_pydicom(values: list[str]) -> None:
    text = "\\".join(values).encode()
    if len(text) % 2:
        text += b" "  # DICOM pads odd lengths with a space
    ds = pydicom.Dataset()
    ds[CONTOUR_DATA] = RawDataElement(
        pydicom.tag.Tag(CONTOUR_DATA), None, len(text), text, 0, True, True
    )
    parsed = get_floats(ds, CONTOUR_DATA)
    assert parsed is not None
    assert parsed.tolist() == [float(DSfloat(v)) for v in values]
