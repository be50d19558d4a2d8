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
