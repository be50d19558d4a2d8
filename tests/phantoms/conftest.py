"""Fixtures of the phantom tests: small virtual patients written once per session.

Grids are small (48-64 voxels a side) so that the whole phantom suite stays fast; the
written folders are shared read-only by the tests that inspect them.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from theratrial.phantoms import PatientFiles, PhantomConfig, ScannerConfig, write_patient

SMALL = (56, 64, 64)


def small_config(**therapy: object) -> PhantomConfig:
    """A 56x64x64 grid, one cycle with the four standard SPECT time points."""
    cfg = PhantomConfig().with_grid(SMALL)
    return cfg.with_therapy(cycles=1, **therapy)


def ideal_config() -> PhantomConfig:
    """No PSF, no noise, no CT noise, no liver lesions (a uniform liver)."""
    cfg = small_config().noise_free()
    return replace(cfg, ct_noise_hu=0.0, lesions=replace(cfg.lesions, mean_liver=0.0))


@pytest.fixture(scope="session")
def realistic_patient(tmp_path_factory: pytest.TempPathFactory) -> PatientFiles:
    """Seed 21: PSF, Poisson noise, retest PET, four SPECT time points, follow-up CTs."""
    cfg = replace(small_config(), followup_ct=True)
    return write_patient(tmp_path_factory.mktemp("phantom") / "realistic", 21, config=cfg)


@pytest.fixture(scope="session")
def ideal_patient(tmp_path_factory: pytest.TempPathFactory) -> PatientFiles:
    """Seed 8 without PSF or noise and without liver lesions."""
    return write_patient(tmp_path_factory.mktemp("phantom") / "ideal", 8, config=ideal_config())


@pytest.fixture(scope="session")
def psf_patient(tmp_path_factory: pytest.TempPathFactory) -> PatientFiles:
    """Seed 8 (same anatomy as ``ideal_patient``) with the PSF but no noise."""
    base = ideal_config()
    pet = replace(base.pet, scanner=ScannerConfig(8.0, 600.0, 180.0, noise=False))
    lu = ScannerConfig(12.0, 8.0, 1800.0, noise=False)
    cfg = replace(base, pet=pet, therapy=replace(base.therapy, lu177_scanner=lu))
    return write_patient(tmp_path_factory.mktemp("phantom") / "psf", 8, config=cfg)


@pytest.fixture(scope="session")
def actinium_patient(tmp_path_factory: pytest.TempPathFactory) -> PatientFiles:
    """Seed 4 treated with 225Ac-DOTATATE, SPECT stored as counts (CNTS)."""
    cfg = small_config(nuclide="Ac-225", spect_units="CNTS", spect_times_h=(24.0, 96.0))
    return write_patient(tmp_path_factory.mktemp("phantom") / "actinium", 4, config=cfg)


def series_dir(files: PatientFiles, name: str) -> Path:
    """The folder of one series."""
    return files.series[name]
