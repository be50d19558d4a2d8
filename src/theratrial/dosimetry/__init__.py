"""Dosimetry for 177Lu and 225Ac: time-activity fits, Ã, S-values, voxel dose, BED.

Pure science package (no database, no printing). Units are in the names: activities in
MBq, times in hours, Ã in MBq h, S-values in mGy per MBq h, doses in Gy.

Public API
----------
Time-activity curves and Ã
    ``TimeActivityCurve``, ``time_activity_curve(times_h, activity_mbq, *, region, nuclide)``
    ``fit_tac(tac, model)`` -> ``TacFit``; ``select_model(tac, *, models)`` ->
    ``ModelSelection`` (AICc); ``MODEL_NAMES``.
    ``time_integrated_activity(tac, *, method="auto")`` -> ``TiaResult``;
    ``tia_trapezoid``; ``tia_hanscheid_mbq_h``, ``tia_madsen_mbq_h`` (single time point).
S-values and organ dose
    ``organ_s_value``, ``region_s_value`` -> ``SValue``; ``OPENDOSE_LU177``.
    ``sphere_absorbed_fractions``, ``sphere_s_value_mgy_per_mbq_h`` (sphere model).
    ``alpha_chain_dose`` -> ``AlphaDose``; ``chain_energy_per_decay`` -> ``ChainEnergy``.
Voxel dose
    ``dose_point_kernel`` -> ``DosePointKernel``; ``voxel_kernel`` -> ``VoxelKernel``.
    ``local_deposition_dose_gy``, ``kernel_dose_gy``, ``BACKENDS``, ``mean_in_mask``.
Region dose and tables
    ``region_dose(tac, *, mass_g, ...)`` / ``regions_dose(tacs, masses_g, ...)`` ->
    ``RegionDose`` (Ã, S, dose, Gy/GBq, BED, EQD2, alpha chain, warnings; ``as_record()``).
    ``read_tac_table(path)``, ``read_mass_table(path)`` (CSV with units in column names).
Image-based pipeline (patient folder of SPECT time points + masks + CT)
    ``patient_dosimetry(root, *, nuclide, ...)`` -> ``PatientDosimetry`` (``CycleDosimetry``
    per cycle, ``cumulative()`` -> ``RegionCumulative``); ``spect_time_points`` ->
    ``SpectTimePoint``; ``region_masses`` -> ``RegionMass``; ``activity_regions``,
    ``region_activity_mbq``, ``tia_map_mbq_h``, ``ct_density_map``;
    ``HuDensityCalibration``, ``DEFAULT_HU_DENSITY``; ``check_region_activity`` (a region
    above the administered activity).
Partial volume
    ``sphere_recovery_coefficient(volume_ml, *, fwhm_mm)`` (analytic Gaussian-PSF sphere),
    ``gaussian_recovery_curve``, ``recovery_curve``, ``read_recovery_csv`` ->
    ``RecoveryCurve`` (``coefficient(volume_ml)`` -> ``RecoveryCoefficient``);
    ``RegionRecovery`` (what ``patient_dosimetry(..., pvc="sphere")`` applied).
Radiobiology
    ``Radiobiology``, ``KIDNEY``, ``bed_gy``, ``bed_mono_exponential_gy``,
    ``cumulative_bed_gy``, ``eqd2_gy``, ``g_factor_*``.
"""

from __future__ import annotations

from theratrial.dosimetry.alpha import (
    AlphaDose,
    ChainEnergy,
    alpha_chain_dose,
    chain_energy_per_decay,
)
from theratrial.dosimetry.density import DEFAULT_HU_DENSITY, HuDensityCalibration
from theratrial.dosimetry.dose import RegionDose, region_dose, regions_dose
from theratrial.dosimetry.fit import MODEL_NAMES, FitParameter, TacFit, aicc, fit_tac
from theratrial.dosimetry.pipeline import (
    CycleDosimetry,
    PatientDosimetry,
    RegionCumulative,
    VoxelRegionDose,
    patient_dosimetry,
)
from theratrial.dosimetry.point_kernel import DosePointKernel, KernelComponent, dose_point_kernel
from theratrial.dosimetry.radiobiology import (
    KIDNEY,
    Radiobiology,
    bed_gy,
    bed_mono_exponential_gy,
    cumulative_bed_gy,
    eqd2_gy,
    g_factor_exponentials,
    g_factor_mono_exponential,
    g_factor_sampled,
)
from theratrial.dosimetry.recovery import (
    RecoveryCoefficient,
    RecoveryCurve,
    RegionRecovery,
    gaussian_recovery_curve,
    read_recovery_csv,
    recovery_curve,
    sphere_recovery_coefficient,
)
from theratrial.dosimetry.selection import ModelSelection, select_model
from theratrial.dosimetry.spect_series import (
    RegionMass,
    SpectTimePoint,
    activity_regions,
    check_region_activity,
    ct_density_map,
    region_activity_mbq,
    region_masses,
    spect_time_points,
    tia_map_mbq_h,
)
from theratrial.dosimetry.sphere import (
    SphereAbsorbedFractions,
    sphere_absorbed_fractions,
    sphere_radius_cm,
    sphere_s_value_mgy_per_mbq_h,
)
from theratrial.dosimetry.stp import tia_hanscheid_mbq_h, tia_madsen_mbq_h
from theratrial.dosimetry.svalues import (
    OPENDOSE_LU177,
    OrganSValue,
    SValue,
    canonical_organ,
    organ_s_value,
    region_s_value,
)
from theratrial.dosimetry.table import read_mass_table, read_tac_table
from theratrial.dosimetry.tac import TimeActivityCurve, time_activity_curve
from theratrial.dosimetry.tia import METHODS, TiaResult, tia_trapezoid, time_integrated_activity
from theratrial.dosimetry.voxel import (
    BACKENDS,
    ConvolutionBackend,
    kernel_dose_gy,
    local_deposition_dose_gy,
    local_energy_mev,
    mean_in_mask,
)
from theratrial.dosimetry.voxel_kernel import VoxelKernel, voxel_kernel

__all__ = [
    "BACKENDS",
    "DEFAULT_HU_DENSITY",
    "KIDNEY",
    "METHODS",
    "MODEL_NAMES",
    "OPENDOSE_LU177",
    "AlphaDose",
    "ChainEnergy",
    "ConvolutionBackend",
    "CycleDosimetry",
    "DosePointKernel",
    "FitParameter",
    "HuDensityCalibration",
    "KernelComponent",
    "ModelSelection",
    "OrganSValue",
    "PatientDosimetry",
    "Radiobiology",
    "RecoveryCoefficient",
    "RecoveryCurve",
    "RegionCumulative",
    "RegionDose",
    "RegionMass",
    "RegionRecovery",
    "SValue",
    "SpectTimePoint",
    "SphereAbsorbedFractions",
    "TacFit",
    "TiaResult",
    "TimeActivityCurve",
    "VoxelKernel",
    "VoxelRegionDose",
    "activity_regions",
    "aicc",
    "alpha_chain_dose",
    "bed_gy",
    "bed_mono_exponential_gy",
    "canonical_organ",
    "chain_energy_per_decay",
    "check_region_activity",
    "ct_density_map",
    "cumulative_bed_gy",
    "dose_point_kernel",
    "eqd2_gy",
    "fit_tac",
    "g_factor_exponentials",
    "g_factor_mono_exponential",
    "g_factor_sampled",
    "gaussian_recovery_curve",
    "kernel_dose_gy",
    "local_deposition_dose_gy",
    "local_energy_mev",
    "mean_in_mask",
    "organ_s_value",
    "patient_dosimetry",
    "read_mass_table",
    "read_recovery_csv",
    "read_tac_table",
    "recovery_curve",
    "region_activity_mbq",
    "region_dose",
    "region_masses",
    "region_s_value",
    "regions_dose",
    "select_model",
    "spect_time_points",
    "sphere_absorbed_fractions",
    "sphere_radius_cm",
    "sphere_recovery_coefficient",
    "sphere_s_value_mgy_per_mbq_h",
    "tia_hanscheid_mbq_h",
    "tia_madsen_mbq_h",
    "tia_map_mbq_h",
    "tia_trapezoid",
    "time_activity_curve",
    "time_integrated_activity",
    "voxel_kernel",
]
