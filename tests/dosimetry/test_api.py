"""The public API of theratrial.dosimetry is pinned."""

from __future__ import annotations

import theratrial.dosimetry as dosimetry


def test_export_list_is_pinned() -> None:
    assert sorted(dosimetry.__all__) == sorted(
        [
            "BACKENDS", "KIDNEY", "METHODS", "MODEL_NAMES", "OPENDOSE_LU177", "AlphaDose",
            "ChainEnergy", "ConvolutionBackend", "DosePointKernel", "FitParameter",
            "KernelComponent", "ModelSelection", "OrganSValue", "Radiobiology", "RegionDose",
            "SValue", "SphereAbsorbedFractions", "TacFit", "TiaResult", "TimeActivityCurve",
            "VoxelKernel", "aicc", "alpha_chain_dose", "bed_gy", "bed_mono_exponential_gy",
            "canonical_organ", "chain_energy_per_decay", "cumulative_bed_gy",
            "dose_point_kernel", "eqd2_gy", "fit_tac", "g_factor_exponentials",
            "g_factor_mono_exponential", "g_factor_sampled", "kernel_dose_gy",
            "local_deposition_dose_gy", "local_energy_mev", "mean_in_mask", "organ_s_value",
            "read_mass_table", "read_tac_table", "region_dose", "region_s_value",
            "regions_dose", "select_model", "sphere_absorbed_fractions", "sphere_radius_cm",
            "sphere_s_value_mgy_per_mbq_h", "tia_hanscheid_mbq_h", "tia_madsen_mbq_h",
            "tia_trapezoid", "time_activity_curve", "time_integrated_activity", "voxel_kernel",
            "DEFAULT_HU_DENSITY", "HuDensityCalibration", "CycleDosimetry", "PatientDosimetry",
            "RegionCumulative", "VoxelRegionDose", "patient_dosimetry", "RegionMass",
            "SpectTimePoint", "activity_regions", "ct_density_map", "region_activity_mbq",
            "region_masses", "spect_time_points", "tia_map_mbq_h",
            "RecoveryCoefficient", "RecoveryCurve",
            "RegionRecovery", "gaussian_recovery_curve", "read_recovery_csv", "recovery_curve",
            "sphere_recovery_coefficient", "check_region_activity",
        ]
    )  # fmt: skip
    for name in dosimetry.__all__:
        assert hasattr(dosimetry, name), name
