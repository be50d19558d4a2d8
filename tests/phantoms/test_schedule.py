"""The image schedule: series order, names and times."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from theratrial.phantoms._schedule import scan_plans, spect_series_name
from theratrial.phantoms.config import PhantomConfig
from theratrial.phantoms.patient import generate_patient


def test_spect_names_encode_cycle_and_hours() -> None:
    assert spect_series_name(4, 168.0) == "spect_c4_168h"
    assert spect_series_name(1, 0.25) == "spect_c1_000p25h"


def test_schedule_covers_imaged_cycles_only_and_follow_up_ct() -> None:
    cfg = PhantomConfig().with_therapy(imaged_cycles=(2,))
    cfg = replace(cfg, followup_ct=True)
    p = generate_patient(6, config=cfg)
    plans = scan_plans(p)
    spect = [s for s in plans if s.kind == "spect"]
    assert {s.cycle for s in spect} == {2}
    assert len(spect) == len(cfg.therapy.spect_times_h)
    follow = [s for s in plans if s.kind == "ct_followup"]
    assert len(follow) == len(cfg.response.followup_weeks)
    ct, pet = plans[0], plans[1]
    assert pet.start - ct.start == timedelta(minutes=2)
    assert plans == p.scans


def test_every_scan_of_any_seed_lies_in_the_past() -> None:
    """A virtual patient's administrations are recorded in the store, which refuses a date
    after today: with 4 cycles 12 weeks apart and follow-up CT to 48 weeks, no seed (the
    first PET is placed by ``seed % 365``) may date a scan in 2026 or later. The batch
    benchmark's seeds 5000.. once all failed at 'dosimetry' for this reason."""
    cfg = replace(PhantomConfig().with_therapy(cycles=4, interval_days=84.0), followup_ct=True)
    for seed in (0, 364, 5000, 5023, 1_000_003):
        plans = scan_plans(generate_patient(seed, config=cfg))
        assert max(s.start for s in plans).year < 2026, seed
