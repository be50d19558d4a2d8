"""The image schedule of a virtual patient: CT, 68Ga PET (and retest), SPECT, follow-up CT.

SPECT after each imaged cycle at the configured hours (EANM/MIRD guideline time points,
Sjögreen Gleisner et al., EJNMMI 2022;49:1778); the PET starts ``uptake_time_min`` after
the 68Ga injection, with the CT two minutes before it.

Examples
--------
>>> spect_series_name(3, 96.0)
'spect_c3_096h'
"""

from __future__ import annotations

from datetime import timedelta

from theratrial.phantoms._patient_types import ScanPlan, VirtualPatient

__all__ = ["scan_plans", "spect_series_name"]


def spect_series_name(cycle: int, hours: float) -> str:
    """Folder name of a SPECT series: ``spect_c<cycle>_<hours>h`` (``p`` for a point).

    Examples
    --------
    >>> spect_series_name(1, 4.0), spect_series_name(2, 4.5)
    ('spect_c1_004h', 'spect_c2_004p5h')
    """
    whole = int(hours)
    text = f"{whole:03d}"
    if hours != whole:
        text += "p" + f"{hours - whole:.3f}"[2:].rstrip("0")
    return f"spect_c{cycle}_{text}h"


def scan_plans(p: VirtualPatient) -> tuple[ScanPlan, ...]:
    """Every series to write, in order: CT, PET, retest PET, SPECT, follow-up CTs."""
    cfg = p.config
    pet_start = p.ga68.time + timedelta(minutes=cfg.pet.uptake_time_min)
    plans = [
        ScanPlan("ct", "ct", "CT", pet_start - timedelta(minutes=2), None, None),
        ScanPlan("pet_ga68", "pet", "PT", pet_start, p.ga68, cfg.pet.scanner),
    ]
    if p.ga68_retest is not None:
        plans.append(
            ScanPlan(
                "pet_ga68_retest",
                "pet_retest",
                "PT",
                p.ga68_retest.time + timedelta(minutes=cfg.pet.uptake_time_min),
                p.ga68_retest,
                cfg.pet.scanner,
            )
        )
    for inj in p.injections:
        if inj.cycle not in cfg.therapy.cycles_imaged():
            continue
        for hours in cfg.therapy.spect_times_h:
            plans.append(
                ScanPlan(
                    spect_series_name(inj.cycle, hours),
                    "spect",
                    "NM",
                    inj.time + timedelta(hours=hours),
                    inj,
                    cfg.therapy.scanner,
                    cycle=inj.cycle,
                    hours_post_injection=hours,
                )
            )
    if cfg.followup_ct:
        for week in cfg.response.followup_weeks:
            plans.append(
                ScanPlan(
                    f"ct_followup_w{round(week):02d}",
                    "ct_followup",
                    "CT",
                    p.injections[0].time + timedelta(days=7.0 * week),
                    None,
                    None,
                    week=week,
                )
            )
    return tuple(plans)
