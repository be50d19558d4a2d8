"""Series discovery: any layout, any order, mixed series, non-image and non-DICOM files."""

from __future__ import annotations

import builtins
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from theratrial.errors import DicomError
from theratrial.imaging import load_volume
from theratrial.imaging.series import discover, scan_folder, single_image_series


def test_mixed_folder_is_split_into_series(tmp_path: Path, series_writer, rtstruct_writer) -> None:
    pet = series_writer(tmp_path / "a", np.ones((3, 4, 4)) * 100.0)
    ct = series_writer(tmp_path / "b", np.zeros((5, 4, 4)), modality="CT")
    mixed = tmp_path / "mixed" / "deep"
    mixed.mkdir(parents=True)
    for index, path in enumerate([*pet, *ct]):
        shutil.move(path, mixed / f"{index:02d}_{path.name}")
    rtstruct_writer(tmp_path / "rs.dcm", {"liver": []}, frame_of_reference_uid="1.2.3")
    (tmp_path / "notes.txt").write_text("not an image")
    (tmp_path / "broken.dcm").write_bytes(b"DICM" + bytes(range(200)))
    inventory = scan_folder(tmp_path)
    kinds = sorted((s.modality, s.kind, len(s.files)) for s in inventory.series)
    assert kinds == [("CT", "image", 5), ("PT", "image", 3), ("RTSTRUCT", "rtstruct", 1)]
    assert {f.path.name for f in inventory.skipped} == {"notes.txt", "broken.dcm"}
    assert all(f.reason for f in inventory.skipped)
    assert len(inventory.images()) == 2
    assert {s.series_uid for s in discover(tmp_path)} == {s.series_uid for s in inventory.series}


def test_series_ref_knows_its_folder_and_frames(tmp_path: Path, series_writer) -> None:
    series_writer(tmp_path / "pet", np.ones((4, 3, 3)))
    (ref,) = scan_folder(tmp_path).series
    assert ref.folder == tmp_path / "pet"
    assert ref.n_frames == 4
    assert ref.frame_of_reference_uid


def test_nifti_files_are_listed(tmp_path: Path) -> None:
    (tmp_path / "liver.nii.gz").write_bytes(b"")
    assert scan_folder(tmp_path).nifti == (tmp_path / "liver.nii.gz",)


def test_one_image_series_is_required_for_a_folder(tmp_path: Path, series_writer) -> None:
    with pytest.raises(DicomError, match="no DICOM image series"):
        single_image_series(tmp_path)
    series_writer(tmp_path / "a", np.ones((2, 2, 2)))
    series_writer(tmp_path / "b", np.ones((2, 2, 2)), modality="CT")
    with pytest.raises(DicomError, match="2 image series") as info:
        single_image_series(tmp_path)
    assert info.value.hint


def test_missing_folder_raises_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        scan_folder(tmp_path / "absent")


def test_dro_folder_holds_17_pet_series_with_masks(dro_dir: Path) -> None:
    inventory = scan_folder(dro_dir)
    assert sum(s.modality == "PT" for s in inventory.series) == 17
    assert sum(s.kind == "rtstruct" for s in inventory.series) == 17
    assert len(inventory.nifti) == 17
    assert {f.path.name for f in inventory.skipped} == {"DRO_list.csv", "license.txt"}


def _count_opens(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Count ``open()`` calls per file name (pydicom opens files with the builtin)."""
    counts: Counter[str] = Counter()
    original = builtins.open

    def counted(file, *args, **kwargs):  # type: ignore[no-untyped-def]
        if isinstance(file, str | Path):
            counts[Path(file).name] += 1
        return original(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", counted)
    return counts


def test_scan_keeps_each_file_dataset(tmp_path: Path, series_writer) -> None:
    files = series_writer(tmp_path, np.arange(48.0).reshape(3, 4, 4))
    (ref,) = scan_folder(tmp_path).series
    assert len(ref.datasets) == len(ref.files) == len(files)
    assert [str(ds.filename) for ds in ref.datasets] == [str(f) for f in ref.files]
    assert ref == scan_folder(tmp_path).series[0]  # datasets are not part of equality


def test_loading_a_scanned_series_reads_no_file_again(
    tmp_path: Path, series_writer, monkeypatch: pytest.MonkeyPatch
) -> None:
    series_writer(tmp_path, np.arange(48.0).reshape(3, 4, 4))
    (ref,) = scan_folder(tmp_path).series
    counts = _count_opens(monkeypatch)
    volume = load_volume(ref)
    assert volume.shape == (3, 4, 4)
    assert sum(counts[f.name] for f in ref.files) == 0


def test_loading_a_folder_reads_each_file_once(
    tmp_path: Path, series_writer, rtstruct_writer, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = series_writer(tmp_path, np.arange(80.0).reshape(5, 4, 4))
    rtstruct_writer(tmp_path / "rs.dcm", {"liver": []}, frame_of_reference_uid="1.2.3")
    counts = _count_opens(monkeypatch)
    volume = load_volume(tmp_path)
    assert volume.shape == (5, 4, 4)
    assert {counts[f.name] for f in files} == {1}
    assert counts["rs.dcm"] == 1


def test_header_scan_keeps_no_pixels_and_reads_a_series_when_it_is_loaded(
    tmp_path: Path, series_writer, monkeypatch: pytest.MonkeyPatch
) -> None:
    series_writer(tmp_path / "pt", np.arange(48.0).reshape(3, 4, 4))
    series_writer(tmp_path / "ct", np.zeros((5, 4, 4)), modality="CT")
    full = scan_folder(tmp_path)
    heads = scan_folder(tmp_path, pixels=False)
    assert heads.series == full.series  # same series, same facts
    assert all(ref.datasets == () for ref in heads.series)
    pt = next(ref for ref in heads.series if ref.modality != "CT")
    expected = load_volume(next(ref for ref in full.series if ref.modality != "CT")).array
    counts = _count_opens(monkeypatch)
    volume = load_volume(pt)
    assert np.array_equal(volume.array, expected)
    assert {counts[f.name] for f in pt.files} == {1}  # read here, once each
