"""De-identification (PS3.15 Annex E): SUV unchanged, no profile tag survives, all or nothing."""

from __future__ import annotations

import math
from pathlib import Path

import pydicom
import pytest
from pydicom.dataset import Dataset

from theratrial.errors import DicomError, DicomHeaderError, InputError
from theratrial.imaging import compute_suv, load_mask, load_volume, voi_statistics
from theratrial.pacs._profile import PATIENT_CHARACTERISTICS, action_table
from theratrial.pacs.deid import DeidSettings, deidentify_dataset, remap_uid
from theratrial.pacs.deid_folder import deidentify_folder

pytestmark = pytest.mark.filterwarnings("ignore:The value length:UserWarning")
"""The real data hold a few over-long SH values; reading them warns (their flaw, not ours)."""

SECRET = b"test-secret"
DRO = [
    "DRO_0_0", "DRO_1_0", "DRO_2_0", "DRO_2_1", "DRO_2_2", "DRO_2_3", "DRO_2_4", "DRO_2_5",
    "DRO_3_0", "DRO_3_1", "DRO_3_2", "DRO_3_3", "DRO_3_4", "DRO_4_0", "DRO_4_1", "DRO_4_2",
    "DRO_5_0",
]  # fmt: skip
STATS = ("n_voxels", "volume_ml", "min", "max", "mean", "median", "sd", "peak")


def _stats(series: Path, mask: Path) -> dict[str, float]:
    result = compute_suv(load_volume(series))
    region = load_mask(mask, reference=result.volume)
    stats = voi_statistics(result.volume, region)
    return {name: float(getattr(stats, name)) for name in STATS}


def _assert_same(before: dict[str, float], after: dict[str, float]) -> None:
    for name, value in before.items():
        assert math.isclose(after[name], value, rel_tol=1e-9, abs_tol=1e-12), name


@pytest.mark.parametrize("name", DRO)
def test_suv_statistics_of_every_dro_series_unchanged(
    shared_data: Path, tmp_path: Path, name: str
) -> None:
    src = shared_data / "suv-dro" / name
    out = tmp_path / "deid"
    deidentify_folder(src, out, DeidSettings("NET-042", -1234, SECRET))
    pet_uid = str(pydicom.dcmread(next((src / "PT").iterdir())).SeriesInstanceUID)
    pet_out = out / remap_uid(pet_uid, SECRET)
    mask = src / "mask" / "DRO_mask.nii.gz"
    _assert_same(_stats(src / "PT", mask), _stats(pet_out, mask))


@pytest.mark.parametrize("patient", ["STS_001", "STS_002", "STS_003"])
def test_suv_statistics_of_real_petct_unchanged_with_deidentified_rtstruct(
    shared_data: Path, tmp_path: Path, patient: str
) -> None:
    src = shared_data / "sts-petct" / patient / "PET" / "dicom"
    out = tmp_path / "deid"
    report = deidentify_folder(src, out, DeidSettings("NET-043", 400, SECRET))
    assert report.series == 2
    folders = {
        str(pydicom.dcmread(next(p.iterdir()), stop_before_pixels=True).Modality): p
        for p in out.iterdir()
    }
    # the RTSTRUCT's references were remapped with the same UIDs as the images
    _assert_same(
        _stats(src / "image", src / "mask" / "RS.dcm"),
        _stats(folders["PT"], next(folders["RTSTRUCT"].iterdir())),
    )


def _walk(ds: Dataset) -> list[tuple[int, object, str]]:
    found: list[tuple[int, object, str]] = []
    for elem in ds:
        found.append((int(elem.tag), elem.value, elem.VR))
        if elem.VR == "SQ":
            for item in elem.value:
                found.extend(_walk(item))
    return found


@pytest.mark.parametrize(
    "path",
    [
        "suv-dro/DRO_3_3/PT/pet_dro_3_3_slice_000.dcm",
        "suv-dro/DRO_2_4/PT/pet_dro_2_4_slice_000.dcm",
        "sts-petct/STS_001/PET/dicom/image/000000.dcm",
        "sts-petct/STS_001/CT/dicom/image/000000.dcm",
        "sts-petct/STS_001/PET/dicom/mask/RS.dcm",
    ],
)
def test_no_profile_tag_survives_tag_by_tag(shared_data: Path, path: str) -> None:
    original = pydicom.dcmread(shared_data / path)
    ds = pydicom.dcmread(shared_data / path)
    deidentify_dataset(ds, DeidSettings("NET-044", -30, SECRET))
    table = action_table()
    before = {(tag, str(value)) for tag, value, _vr in _walk(original) if tag in table}
    for tag, value, vr in _walk(ds):
        if tag not in table or tag in PATIENT_CHARACTERISTICS or value in (None, "", []):
            continue
        if vr in ("DA", "DT", "TM"):
            continue  # modified dates (E.3.6), checked below
        if tag in (0x00100010, 0x00100020):
            assert str(value) == "NET-044"
            continue
        assert (tag, str(value)) not in before, f"({tag >> 16:04X},{tag & 0xFFFF:04X}) survived"
    assert not [e for e in ds if e.tag.is_private and int(e.tag) >> 16 not in (0x7053, 0x0009)]
    if "StudyDate" in original and original.StudyDate:
        assert ds.StudyDate != original.StudyDate
    assert ds.PatientIdentityRemoved == "YES"
    codes = {item.CodeValue for item in ds.DeidentificationMethodCodeSequence}
    assert codes == {"113100", "113107", "113108", "113111"}


def test_patient_characteristics_and_time_differences_are_kept(shared_data: Path) -> None:
    path = shared_data / "suv-dro/DRO_3_3/PT/pet_dro_3_3_slice_000.dcm"
    original = pydicom.dcmread(path)
    ds = pydicom.dcmread(path)
    deidentify_dataset(ds, DeidSettings("NET-045", -1000, SECRET))
    assert (ds.PatientWeight, ds.PatientSize, ds.PatientSex) == (
        original.PatientWeight,
        original.PatientSize,
        original.PatientSex,
    )
    inj = ds.RadiopharmaceuticalInformationSequence[0].RadiopharmaceuticalStartDateTime
    assert inj == "20220407100000.000000"  # 2025-01-01 minus 1000 days, same time of day
    assert ds[0x0009100D].value.startswith("20220407110000")  # GE private scan date-time
    assert ds.AcquisitionDate == "20220407"
    assert ds.AcquisitionTime == original.AcquisitionTime
    assert "PatientBirthDate" not in ds or not ds.PatientBirthDate


def test_uids_are_replaced_consistently() -> None:
    a, b = Dataset(), Dataset()
    for ds in (a, b):
        ds.StudyInstanceUID, ds.SOPInstanceUID, ds.PatientID = "1.2.3", "1.2.3.4", "X"
    b.SOPInstanceUID = "1.2.3.5"
    for ds in (a, b):
        deidentify_dataset(ds, DeidSettings("NET-046", -5, SECRET))
    assert a.StudyInstanceUID == b.StudyInstanceUID != "1.2.3"
    assert a.SOPInstanceUID != b.SOPInstanceUID


def test_unlisted_private_tags_are_removed_and_the_allow_list_kept() -> None:
    ds = Dataset()
    ds.PatientID = "X"
    ds.add_new(0x00290010, "LO", "SIEMENS CSA HEADER")
    ds.add_new(0x00291010, "OB", b"secret name inside")
    ds.add_new(0x70530010, "LO", "Philips PET Private Group")
    ds.add_new(0x70531000, "DS", "0.000123")
    deidentify_dataset(ds, DeidSettings("NET-047", -5, SECRET))
    assert 0x00291010 not in ds
    assert 0x00290010 not in ds
    assert ds[0x70531000].value == "0.000123"
    assert 0x70530010 in ds


def test_burned_in_annotation_is_refused() -> None:
    ds = Dataset()
    ds.PatientID, ds.BurnedInAnnotation = "X", "YES"
    with pytest.raises(DicomHeaderError, match="burned-in"):
        deidentify_dataset(ds, DeidSettings("NET-048", -5, SECRET))


def test_malformed_instance_leaves_nothing(shared_data: Path, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for path in sorted((shared_data / "suv-dro/DRO_1_0/PT").iterdir())[:3]:
        (src / path.name).write_bytes(path.read_bytes())
    (src / "zz_broken.dcm").write_bytes(b"not dicom at all")
    with pytest.raises(DicomError, match=r"zz_broken\.dcm"):
        deidentify_folder(src, tmp_path / "out", DeidSettings("NET-049", -5, SECRET))
    assert not (tmp_path / "out").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["src"]


def test_instance_of_another_patient_is_refused(shared_data: Path, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    first, second = sorted((shared_data / "suv-dro/DRO_1_0/PT").iterdir())[:2]
    (src / first.name).write_bytes(first.read_bytes())
    other = pydicom.dcmread(second)
    other.PatientID = "SOMEONE-ELSE"
    other.save_as(src / second.name)
    with pytest.raises(InputError, match="another patient"):
        deidentify_folder(src, tmp_path / "out", DeidSettings("NET-050", -5, SECRET))
    assert not (tmp_path / "out").exists()
