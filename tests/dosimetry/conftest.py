"""Virtual patients for the image-based dosimetry tests (written once per session)."""

from __future__ import annotations

from pathlib import Path

import pytest

from theratrial.phantoms import PhantomConfig, write_patient


@pytest.fixture(scope="session")
def ideal_patient(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Noise-free, PSF-free 177Lu patient, one cycle, 192 x 128 x 128 voxels (~4 x 4 x 5 mm)."""
    folder = tmp_path_factory.mktemp("ideal") / "patient"
    config = PhantomConfig().noise_free().with_therapy(cycles=1).with_grid((192, 128, 128))
    write_patient(folder, 11, config=config)
    return folder


@pytest.fixture(scope="session")
def close_cycles_patient(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Noise-free 177Lu patient, two cycles one week apart (large residue), 64^3 voxels."""
    folder = tmp_path_factory.mktemp("close") / "patient"
    config = (
        PhantomConfig()
        .noise_free()
        .with_therapy(cycles=2, interval_days=7.0)
        .with_grid((64, 64, 64))
    )
    write_patient(folder, 5, config=config)
    return folder


@pytest.fixture(scope="session")
def ac225_patient(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Noise-free 225Ac patient, one cycle, 64^3 voxels."""
    folder = tmp_path_factory.mktemp("ac225") / "patient"
    config = PhantomConfig().noise_free().with_therapy(nuclide="Ac-225", cycles=1)
    write_patient(folder, 7, config=config.with_grid((64, 64, 64)))
    return folder
