"""Study quantification: series choice, PET SUV and SPECT Bq/mL tables over a masks folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk  # noqa: N813

from theratrial.errors import DicomError
from theratrial.imaging import load_volume, quantify_study
from theratrial.imaging.study import pick_quantitative_series


def _mask_file(path: Path, volume, box) -> None:
    array = np.zeros(volume.shape, np.uint8)
    array[box] = 1
    sitk.WriteImage(volume.grid.to_sitk(array), str(path))


def test_pet_study_table(tmp_path: Path, series_writer) -> None:
    values = np.full((8, 10, 10), 3600.0)  # SUVbw 1 everywhere ...
    values[5:7, 6:8, 6:8] = 36000.0  # ... and a lesion of SUVbw 10
    files = series_writer(tmp_path / "study" / "pet", values, slopes=[2.0] * 8)
    series_writer(tmp_path / "study" / "ct", np.zeros((8, 10, 10)), modality="CT")
    volume = load_volume(files)
    (tmp_path / "masks").mkdir()
    _mask_file(tmp_path / "masks" / "liver.nii.gz", volume, np.s_[0:3, 0:5, 0:5])
    _mask_file(tmp_path / "masks" / "lesion_01.nii.gz", volume, np.s_[5:7, 6:8, 6:8])
    result = quantify_study(tmp_path / "study", tmp_path / "masks")
    assert (result.modality, result.quantity, result.units) == ("PT", "SUVbw", "g/mL")
    lesion = result.table.row("lesion_01")
    assert lesion.statistics.max == pytest.approx(10.0, rel=1e-4)
    assert lesion.tumour_to_liver == pytest.approx(10.0, rel=1e-4)
    assert lesion.krenning_score == 3
    liver = result.table.row("liver").statistics
    # 75 voxels of 0.064 mL at 3600 Bq/mL; %IA of the decayed injected activity
    assert liver.total_activity_mbq == pytest.approx(3600 * 75 * 0.064 / 1e6, rel=1e-6)
    assert liver.percent_injected_activity is not None
    assert any("%IA" in a for a in result.assumptions)


def test_spect_study_in_counts(tmp_path: Path, nm_writer) -> None:
    path = nm_writer(tmp_path / "study" / "spect.dcm", np.full((4, 6, 6), 1200.0))
    volume = load_volume(path)
    (tmp_path / "masks").mkdir()
    _mask_file(tmp_path / "masks" / "kidney_left.nii.gz", volume, np.s_[1:3, 1:3, 1:3])
    result = quantify_study(tmp_path / "study", tmp_path / "masks", calibration_cps_per_mbq=10.0)
    kidney = result.table.row("kidney_left").statistics
    assert result.quantity == "activity concentration"
    assert result.units == "Bq/mL"
    assert kidney.total_activity_mbq == pytest.approx(8 * 1200 / 1200 / 10.0)
    # 7.4 GBq of Lu-177 one day earlier: %IA of the activity decayed to the scan start
    decayed = 7400.0 * 0.5 ** (1.0 / 6.647)
    assert kidney.percent_injected_activity == pytest.approx(100 * 0.8 / decayed, rel=1e-6)


def test_series_choice(tmp_path: Path, series_writer) -> None:
    with pytest.raises(DicomError, match="no DICOM image series"):
        pick_quantitative_series(tmp_path)
    series_writer(tmp_path / "ct", np.zeros((2, 2, 2)), modality="CT")
    assert pick_quantitative_series(tmp_path).modality == "CT"
    series_writer(tmp_path / "mr", np.zeros((2, 2, 2)), modality="MR")
    with pytest.raises(DicomError, match="no PET or SPECT"):
        pick_quantitative_series(tmp_path)
    series_writer(tmp_path / "pet1", np.ones((2, 2, 2)))
    assert pick_quantitative_series(tmp_path).modality == "PT"
    series_writer(tmp_path / "pet2", np.ones((2, 2, 2)))
    with pytest.raises(DicomError, match="2 PT series"):
        pick_quantitative_series(tmp_path)
