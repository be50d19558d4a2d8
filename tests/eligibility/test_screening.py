"""The screening engine against the bundled trials: reference criteria, windows, verdicts.

The two reference checks come from the NCT06732505 registry text, inclusion item 10:
"creatinine <= 1.5 x ULN or creatinine clearance >= 50 mL/min (Cockcroft-Gault)" (IN10a) and
"ALT/AST <= 2.5 x ULN, or <= 5 x ULN with liver metastases" (IN10g). Every threshold is tested
on both sides and exactly at the threshold.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from theratrial.eligibility import (
    Screening,
    Status,
    Verdict,
    assign_cohorts,
    find_trials,
    parse_patient,
    screen,
    screen_many,
)
from theratrial.eligibility.screening import verdict_of
from theratrial.errors import ParameterError, UnitError
from theratrial.protocol import Protocol, bundled_protocols

MET, NOT_MET, UNKNOWN, REVIEW = "met", "not_met", "unknown", "needs_review"


# -- the reference patient -----------------------------------------------------------------
def test_reference_patient_meets_every_225ac_criterion(builder: Any, ac225: Protocol) -> None:
    result = screen(builder.build(), ac225)
    assert result.verdict is Verdict.ELIGIBLE
    assert [c.id for c in result.criteria if c.status is not Status.MET] == []
    assert result.assumptions == ()


# -- IN10a: creatinine <= 1.5 x ULN  OR  Cockcroft-Gault CrCl >= 50 mL/min -----------------
def _renal(builder: Any, *, scr: float, weight_kg: float, unit: str = "mg/dL", uln: float = 1.0):
    """A 60-year-old man (CrCl = 80 x weight / (72 x SCr mg/dL))."""
    return (
        builder.set("demographics.birth_date", None)
        .set("demographics.age_years", 60)
        .set("demographics.weight_kg", weight_kg)
        .lab("creatinine", scr, unit, ref_high=uln)
        .build()
    )


@pytest.mark.parametrize(
    ("scr", "weight_kg", "expected", "why"),
    [
        (1.5, 40.0, MET, "exactly 1.5 x ULN; CrCl 29.6 fails"),
        (1.6, 40.0, NOT_MET, "1.6 x ULN and CrCl 27.8: both alternatives fail"),
        (2.0, 90.0, MET, "2 x ULN, CrCl exactly 50.0 mL/min"),
        (2.0, 89.9, NOT_MET, "2 x ULN, CrCl 49.94 mL/min"),
        (2.0, 150.0, MET, "2 x ULN, CrCl 83.3 mL/min"),
        (1.2, 40.0, MET, "1.2 x ULN, CrCl fails"),
    ],
)
def test_in10a_creatinine_or_crcl(
    builder: Any,
    ac225: Protocol,
    status_of: Any,
    scr: float,
    weight_kg: float,
    expected: str,
    why: str,
) -> None:
    patient = _renal(builder, scr=scr, weight_kg=weight_kg)
    assert status_of(patient, ac225, "IN10a") == expected, why


def test_in10a_in_si_units(builder: Any, ac225: Protocol, status_of: Any) -> None:
    # 176.84 umol/L = 2.0 mg/dL (SCr umol/L / 88.42 = mg/dL); ULN 100 umol/L -> 1.77 x ULN
    assert (
        status_of(_renal(builder, scr=176.84, weight_kg=91, unit="umol/L", uln=100), ac225, "IN10a")
        == MET
    )
    assert (
        status_of(_renal(builder, scr=176.84, weight_kg=89, unit="umol/L", uln=100), ac225, "IN10a")
        == NOT_MET
    )
    # the ULN alternative uses the lab's own range: 150 / 100 umol/L = exactly 1.5 x ULN
    assert (
        status_of(_renal(builder, scr=150, weight_kg=40, unit="umol/L", uln=100), ac225, "IN10a")
        == MET
    )


def test_in10a_evidence_names_the_crcl_inputs(builder: Any, ac225: Protocol) -> None:
    result = screen(_renal(builder, scr=2.0, weight_kg=90.0), ac225)
    crit = next(c for c in result.criteria if c.id == "IN10a")
    crcl = next(e for e in crit.evidence if e.item == "crcl_cockcroft_gault")
    assert crcl.value == pytest.approx(50.0)
    assert crcl.unit == "mL/min"
    assert crcl.note is not None
    assert "90 kg" in crcl.note
    assert "age 60" in crcl.note


def test_in10a_unknown_when_neither_alternative_can_be_decided(
    builder: Any, ac225: Protocol, status_of: Any
) -> None:
    no_weight = builder.set("demographics.weight_kg", None).lab(
        "creatinine", 2.0, "mg/dL", ref_high=1.0
    )
    assert status_of(no_weight.build(), ac225, "IN10a") == UNKNOWN
    # ... but the ULN alternative alone decides when it is met
    no_weight.lab("creatinine", 1.1, "mg/dL", ref_high=1.0)
    assert status_of(no_weight.build(), ac225, "IN10a") == MET


# -- IN10g: ALT/AST <= 2.5 x ULN, or <= 5 x ULN with liver metastases ------------------------
_NODE_ONLY = {
    "id": "N1", "site": "mesenteric lymph node", "nodal": True, "long_axis_mm": 25.0,
    "short_axis_mm": 18.0, "modality": "CT", "date": date(2026, 2, 17),
}  # fmt: skip


@pytest.mark.parametrize(
    ("liver_mets", "alt", "ast", "expected"),
    [
        (True, 200.0, 30.0, MET),  # ALT exactly 5 x ULN (40 U/L)
        (True, 201.0, 30.0, NOT_MET),  # 5.025 x ULN
        (True, 30.0, 200.0, MET),  # AST exactly 5 x ULN
        (True, 30.0, 201.0, NOT_MET),
        (True, 150.0, 150.0, MET),  # 3.75 x ULN: allowed with liver metastases only
        (False, 100.0, 30.0, MET),  # ALT exactly 2.5 x ULN
        (False, 101.0, 30.0, NOT_MET),  # 2.525 x ULN
        (False, 30.0, 100.0, MET),
        (False, 30.0, 101.0, NOT_MET),
        (False, 150.0, 150.0, NOT_MET),
    ],
)
def test_in10g_transaminases_with_and_without_liver_metastases(
    builder: Any,
    ac225: Protocol,
    status_of: Any,
    liver_mets: bool,
    alt: float,
    ast: float,
    expected: str,
) -> None:
    if not liver_mets:
        builder.lesions(_NODE_ONLY)
    builder.lab("alt", alt, "U/L", ref_high=40.0).lab("ast", ast, "U/L", ref_high=40.0)
    assert status_of(builder.build(), ac225, "IN10g") == expected


def test_in10g_liver_metastases_from_a_recorded_condition(
    builder: Any, ac225: Protocol, status_of: Any
) -> None:
    builder.lesions(_NODE_ONLY).lab("alt", 150.0, "U/L", ref_high=40.0)
    assert status_of(builder.build(), ac225, "IN10g") == NOT_MET
    builder.condition("liver_metastases", present=True)
    assert status_of(builder.build(), ac225, "IN10g") == MET


@pytest.mark.parametrize(("alt", "expected"), [(80.0, MET), (120.0, UNKNOWN), (240.0, NOT_MET)])
def test_in10g_without_lesion_data(
    builder: Any, ac225: Protocol, status_of: Any, alt: float, expected: str
) -> None:
    # liver metastases unknown: 2 x ULN passes either limit, 3 x ULN depends on them,
    # 6 x ULN fails both
    builder.lesions().lab("alt", alt, "U/L", ref_high=40.0)
    assert status_of(builder.build(), ac225, "IN10g") == expected


# -- time windows ----------------------------------------------------------------------------
@pytest.mark.parametrize(("days", "expected"), [(29, MET), (28, MET), (27, NOT_MET), (0, NOT_MET)])
def test_ex03_chemotherapy_washout_before_treatment(
    builder: Any, ac225: Protocol, status_of: Any, days: int, expected: str
) -> None:
    end = builder.treatment - timedelta(days=days)
    builder.therapy("chemotherapy", start_date=date(2025, 6, 1), end_date=end)
    assert status_of(builder.build(), ac225, "EX03") == expected


def test_ex03_ongoing_therapy_and_missing_treatment_date(
    builder: Any, ac225: Protocol, status_of: Any
) -> None:
    builder.therapy("mtor_inhibitor", start_date=date(2025, 6, 1), ongoing=True)
    assert status_of(builder.build(), ac225, "EX03") == NOT_MET
    # without a planned treatment date the window counts back from the screening date
    builder.therapies(
        {"category": "ssa_lar", "start_date": date(2024, 1, 1), "end_date": date(2025, 12, 1),
         "progression_on_therapy": True},
        {"category": "chemotherapy", "start_date": date(2025, 6, 1),
         "end_date": builder.screening - timedelta(days=28)},
    ).set("planned_treatment_date", None)  # fmt: skip
    result = screen(builder.build(), ac225)
    assert next(c for c in result.criteria if c.id == "EX03").status is Status.MET
    assert any("screening date is used" in a for a in result.assumptions)


@pytest.mark.parametrize(("days", "expected"), [(28, MET), (27, NOT_MET)])
def test_bordet_in05_long_acting_ssa_stopped_4_weeks_before(
    builder: Any, bordet: Protocol, status_of: Any, days: int, expected: str
) -> None:
    end = builder.treatment - timedelta(days=days)
    builder.therapies({"category": "ssa_lar", "start_date": date(2024, 1, 1), "end_date": end})
    assert status_of(builder.build(), bordet, "IN05") == expected


@pytest.mark.parametrize(("days", "expected"), [(2, MET), (1, NOT_MET)])
def test_bordet_in05_short_acting_ssa_stopped_48_h_before(
    builder: Any, bordet: Protocol, status_of: Any, days: int, expected: str
) -> None:
    end = builder.treatment - timedelta(days=days)
    builder.therapy("ssa_short", start_date=date(2026, 1, 5), end_date=end)
    assert status_of(builder.build(), bordet, "IN05") == expected


@pytest.mark.parametrize(("age_days", "expected"), [(13, MET), (14, MET), (15, UNKNOWN)])
def test_225ac_labs_at_the_14_day_limit(
    builder: Any, ac225: Protocol, status_of: Any, age_days: int, expected: str
) -> None:
    assert ac225.lab_max_age_days == 14
    builder.lab("platelets", 150.0, "10^9/L", on=builder.before(age_days))
    assert status_of(builder.build(), ac225, "IN10d") == expected


@pytest.mark.parametrize(("age_days", "expected"), [(28, MET), (29, UNKNOWN)])
def test_bordet_labs_at_the_28_day_limit(
    builder: Any, bordet: Protocol, status_of: Any, age_days: int, expected: str
) -> None:
    builder.lab("gfr_measured", 70.0, "mL/min/1.73m2", on=builder.before(age_days))
    assert status_of(builder.build(), bordet, "IN06") == expected


def test_too_old_lab_says_so_in_the_reason(builder: Any, ac225: Protocol) -> None:
    builder.lab("aptt", 30.0, "s", ref_high=40.0, on=builder.before(20))
    crit = next(c for c in screen(builder.build(), ac225).criteria if c.id == "IN10h")
    assert crit.status is Status.UNKNOWN
    assert "older than 14 days" in crit.reason


@pytest.mark.parametrize(("days", "expected"), [(365, MET), (366, UNKNOWN)])
def test_bordet_in03_progression_in_the_last_12_months(
    builder: Any, bordet: Protocol, status_of: Any, days: int, expected: str
) -> None:
    builder.event("progression_radiological", builder.before(days))
    assert status_of(builder.build(), bordet, "IN03") == expected


def test_bordet_in03_clinical_progression_needs_biochemical_too(
    builder: Any, bordet: Protocol, status_of: Any
) -> None:
    builder.event("progression_clinical", builder.before(30))
    assert status_of(builder.build(), bordet, "IN03") == UNKNOWN
    builder.event("progression_biochemical", builder.before(20))
    assert status_of(builder.build(), bordet, "IN03") == MET


@pytest.mark.parametrize(("days", "expected"), [(91, MET), (92, UNKNOWN)])
def test_pentixafor_in03_dotatate_pet_within_3_months_of_consent(
    builder: Any, pentixafor: Protocol, status_of: Any, days: int, expected: str
) -> None:
    consent = date(2026, 2, 20)
    builder.set("consent.date", consent).imaging(
        {"modality": "PET/CT", "tracer": "68Ga-DOTATATE", "date": consent - timedelta(days)},
        {"modality": "CT", "date": consent - timedelta(days=10)},
    )
    assert status_of(builder.build(), pentixafor, "IN03") == expected


@pytest.mark.parametrize(
    ("category", "expected"), [("ssa_short", MET), ("ssa_lar", MET), ("chemotherapy", NOT_MET)]
)
def test_pentixafor_in03_no_interval_therapy_but_ssa(
    builder: Any, pentixafor: Protocol, status_of: Any, category: str, expected: str
) -> None:
    builder.therapy(category, start_date=builder.before(10), end_date=builder.before(5))
    assert status_of(builder.build(), pentixafor, "IN03") == expected


def test_consent_reference_falls_back_to_screening_date(builder: Any, pentixafor: Protocol) -> None:
    result = screen(builder.set("consent.date", None).build(), pentixafor)
    assert next(c for c in result.criteria if c.id == "IN03").status is Status.MET
    assert any("no consent date" in a for a in result.assumptions)


@pytest.mark.parametrize(("days", "expected"), [(14, MET), (15, UNKNOWN)])
def test_pentixafor_pregnancy_test_within_14_days(
    builder: Any, pentixafor: Protocol, status_of: Any, days: int, expected: str
) -> None:
    builder.set("demographics.sex", "female").set("flags.childbearing_potential", True)
    assert status_of(builder.build(), pentixafor, "EX03") == UNKNOWN  # no test yet
    builder.event("pregnancy_test_negative", builder.before(days))
    assert status_of(builder.build(), pentixafor, "EX03") == expected


def test_pregnancy_test_not_needed_for_men_or_without_childbearing_potential(
    builder: Any, pentixafor: Protocol, status_of: Any
) -> None:
    assert status_of(builder.build(), pentixafor, "EX03") == MET
    builder.set("demographics.sex", "female")
    assert status_of(builder.build(), pentixafor, "EX03") == MET
    builder.set("flags.childbearing_potential", None)  # unknown: the test may be needed
    assert status_of(builder.build(), pentixafor, "EX03") == UNKNOWN


@pytest.mark.parametrize(("days", "expected"), [(28, MET), (29, UNKNOWN)])
def test_bordet_in12_baseline_imaging_within_4_weeks_of_treatment(
    builder: Any, bordet: Protocol, status_of: Any, days: int, expected: str
) -> None:
    when = builder.treatment - timedelta(days=days)
    builder.imaging(
        {"modality": "PET/CT", "tracer": "68Ga-DOTATATE", "date": when},
        {"modality": "PET/CT", "tracer": "18F-FDG", "date": builder.before(5)},
        {"modality": "MR", "date": builder.before(5)},
    )
    assert status_of(builder.build(), bordet, "IN12") == expected


# -- cohorts of NCT06732505 --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("prrt", "ki67", "expected"),
    [
        (None, 2.9, ("escalation-prrt-naive", "expansion-ki67-low")),
        (None, 3.0, ("escalation-prrt-naive", "expansion-ki67-mid")),
        ("prrt_lu177", 20.0, ("escalation-prior-prrt", "expansion-ki67-mid")),
        ("prrt_lu177", 20.1, ("escalation-prior-prrt", "expansion-ki67-high")),
        ("prrt_lu177", None, ("escalation-prior-prrt",)),
        ("prrt_other", 10.0, ("expansion-ki67-mid",)),  # 90Y-PRRT: neither escalation cohort
    ],
)
def test_225ac_cohort_assignment(
    builder: Any, ac225: Protocol, prrt: str | None, ki67: float | None, expected: tuple[str, ...]
) -> None:
    if prrt is not None:
        builder.therapy(prrt, start_date=date(2023, 1, 9), end_date=date(2023, 7, 3))
    patient = builder.set("diagnosis.ki67_pct", ki67).build()
    assert assign_cohorts(patient, ac225) == expected
    assert screen(patient, ac225).cohorts == expected


def test_single_arm_trials_assign_their_one_cohort(builder: Any, pentixafor: Protocol) -> None:
    assert assign_cohorts(builder.build(), pentixafor) == ("main",)


# -- attestations and verdicts -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("answer", "status", "verdict"),
    [(None, REVIEW, Verdict.ELIGIBLE), (True, MET, Verdict.ELIGIBLE),
     (False, NOT_MET, Verdict.INELIGIBLE)],
)  # fmt: skip
def test_attestation_needs_review_unless_answered(
    builder: Any, ac225: Protocol, answer: bool | None, status: str, verdict: Verdict
) -> None:
    result = screen(builder.attest("EX17", answer).build(), ac225)
    crit = next(c for c in result.criteria if c.id == "EX17")
    assert crit.status.value == status
    assert crit.kind == "attestation"
    assert result.verdict is verdict
    if answer is None:
        assert "investigator to confirm" in crit.reason


@pytest.mark.parametrize(
    ("statuses", "verdict"),
    [
        ([], Verdict.ELIGIBLE),
        ([Status.MET], Verdict.ELIGIBLE),
        ([Status.MET, Status.NEEDS_REVIEW], Verdict.ELIGIBLE),
        ([Status.MET, Status.UNKNOWN], Verdict.INCOMPLETE),
        ([Status.UNKNOWN, Status.NEEDS_REVIEW], Verdict.INCOMPLETE),
        ([Status.UNKNOWN, Status.NOT_MET], Verdict.INELIGIBLE),
        ([Status.NOT_MET, Status.MET, Status.NEEDS_REVIEW], Verdict.INELIGIBLE),
    ],
)
def test_verdict_of(statuses: list[Status], verdict: Verdict) -> None:
    assert verdict_of(statuses) is verdict


def test_verdict_follows_the_worst_criterion(builder: Any, ac225: Protocol) -> None:
    builder.drop_lab("aptt")
    incomplete = screen(builder.build(), ac225)
    assert incomplete.verdict is Verdict.INCOMPLETE
    assert incomplete.count(Status.UNKNOWN) == 1
    builder.set("ecog", 2)
    ineligible = screen(builder.build(), ac225)
    assert ineligible.verdict is Verdict.INELIGIBLE
    assert ineligible.count(Status.NOT_MET) == 1


def test_score_counts_reviews_as_half(builder: Any, ac225: Protocol) -> None:
    builder.attest("EX16", None).attest("EX17", None)
    result = screen(builder.build(), ac225)
    n = len(result.criteria)
    assert result.score == pytest.approx((n - 2 + 1.0) / n)


def test_screening_date_override_and_missing_date(builder: Any, ac225: Protocol) -> None:
    patient = builder.build()
    later = screen(patient, ac225, on=builder.screening + timedelta(days=30))
    assert later.screening_date == builder.screening + timedelta(days=30)
    assert later.verdict is Verdict.INCOMPLETE  # the labs are now 33 days old
    with pytest.raises(ParameterError) as err:
        screen(builder.set("screening_date", None).build(), ac225)
    assert err.value.field == "screening_date"


def test_bad_lab_unit_for_the_threshold_names_the_lab(builder: Any, ac225: Protocol) -> None:
    builder.lab("albumin", 40.0, "U/L")  # a valid unit, but not a concentration
    with pytest.raises(UnitError) as err:
        screen(builder.build(), ac225)
    assert err.value.field is not None
    assert re.fullmatch(r"labs\[\d+\]\.unit", err.value.field)


# -- the trial finder ---------------------------------------------------------------------------
def _protocol(pid: str, rules: list[dict[str, Any]]) -> Protocol:
    return Protocol.model_validate(
        {
            "schema_version": 1, "id": pid, "registry_ids": [pid], "title": pid,
            "short_title": pid, "sponsor": "tests", "phase": "1",
            "radiopharmaceuticals": [{"name": "x", "nuclide": "Ga-68", "role": "diagnostic"}],
            "criteria": [
                {"id": f"C{i}", "section": "inclusion", "label": "c", "source": "tests",
                 "rule": rule}
                for i, rule in enumerate(rules)
            ],
        }
    )  # fmt: skip


_OK = {"rule": "compare", "fact": "ecog", "op": "<=", "value": 1}
_FAIL = {"rule": "compare", "fact": "ecog", "op": ">=", "value": 3}
_UNKNOWN = {"rule": "compare", "fact": "flags.nowhere", "op": "==", "value": True}
_REVIEW = {"rule": "attestation", "question": "ok?"}


def test_find_trials_ranks_eligible_then_incomplete_then_ineligible(builder: Any) -> None:
    protocols = [
        _protocol("A-TWO-FAILS", [_FAIL, _FAIL, _OK]),
        _protocol("B-ONE-FAIL", [_FAIL, _OK, _OK]),
        _protocol("C-ONE-UNKNOWN", [_UNKNOWN, _OK]),
        _protocol("D-TWO-UNKNOWN", [_UNKNOWN, _UNKNOWN, _OK]),
        _protocol("E-REVIEW", [_REVIEW, _OK]),
        _protocol("F-ALL-MET", [_OK, _OK]),
    ]
    ranked = find_trials(builder.build(), protocols)
    assert [s.trial_id for s in ranked] == [
        "F-ALL-MET", "E-REVIEW", "C-ONE-UNKNOWN", "D-TWO-UNKNOWN", "B-ONE-FAIL", "A-TWO-FAILS",
    ]  # fmt: skip


def test_find_trials_on_the_bundled_trials(builder: Any) -> None:
    ranked = find_trials(builder.build(), bundled_protocols())
    assert ranked[0].trial_id == "NCT06732505"
    assert ranked[0].verdict is Verdict.ELIGIBLE
    assert [s.verdict for s in ranked] == sorted(
        (s.verdict for s in ranked),
        key=[Verdict.ELIGIBLE, Verdict.INCOMPLETE, Verdict.INELIGIBLE].index,
    )


def test_screen_many_reports_progress(builder: Any) -> None:
    patients = [builder.build(), builder.set("patient_id", "TEST-002").build()]
    calls: list[tuple[int, int]] = []
    results = screen_many(patients, bundled_protocols(), progress=lambda i, n: calls.append((i, n)))
    assert calls == [(1, 2), (2, 2)]
    assert len(results) == 6
    assert {r.patient_id for r in results} == {"TEST-001", "TEST-002"}


# -- the bundled example patients get the verdict their comment claims ---------------------------
_ALLOWED = {
    "ELIGIBLE": {Status.MET, Status.NEEDS_REVIEW},
    "INELIGIBLE": {Status.NOT_MET},
    "INCOMPLETE": {Status.UNKNOWN},
}


def _bundled_patient_files() -> list[Any]:
    folder = resources.files("theratrial") / "data" / "patients"
    return sorted((e for e in folder.iterdir() if e.name.endswith(".yaml")), key=lambda e: e.name)


def _claims(text: str) -> dict[str, tuple[str, set[str]]]:
    """Per trial: the claimed verdict and the criterion ids the comment names."""
    header = "\n".join(line[1:] for line in text.splitlines() if line.startswith("#"))
    claims = {}
    for block in re.split(r"(?=NCT\d{8} \()", header):
        match = re.match(r"(NCT\d{8}) \([^)]*\): (ELIGIBLE|INELIGIBLE|INCOMPLETE)\b", block)
        if match:
            ids = set(re.findall(r"\b(?:IN|EX)\d{2}[a-z]?\b", block))
            claims[match[1]] = (match[2], ids)
    return claims


_PATIENT_FILES = _bundled_patient_files()


def test_enough_bundled_patients_for_every_verdict() -> None:
    assert len(_PATIENT_FILES) >= 15
    seen: dict[str, set[str]] = {}
    for entry in _PATIENT_FILES:
        for trial, (verdict, _) in _claims(entry.read_text(encoding="utf-8")).items():
            seen.setdefault(trial, set()).add(verdict)
    assert set(seen) == {p.id for p in bundled_protocols()}
    for trial, verdicts in seen.items():
        assert verdicts == {"ELIGIBLE", "INELIGIBLE", "INCOMPLETE"}, trial


@pytest.mark.parametrize("entry", _PATIENT_FILES, ids=lambda e: Path(str(e)).stem)
def test_bundled_patient_gets_the_claimed_verdicts(entry: Any) -> None:
    text = entry.read_text(encoding="utf-8")
    patient = parse_patient(text, source=entry.name)
    assert patient.patient_id == Path(entry.name).stem
    assert patient.screening_date is not None
    assert patient.screening_date.year == 2026
    claims = _claims(text)
    protocols = bundled_protocols()
    assert set(claims) == {p.id for p in protocols}, "the comment must cover every trial"
    for protocol in protocols:
        result: Screening = screen(patient, protocol)
        verdict, ids = claims[protocol.id]
        assert result.verdict.value == verdict.lower(), protocol.id
        statuses = {c.id: c.status for c in result.criteria}
        for cid in ids:
            assert statuses[cid] in _ALLOWED[verdict], (protocol.id, cid, statuses[cid])


@pytest.mark.parametrize(
    ("patient_id", "cohorts"),
    [
        ("DEMO-006", ("escalation-prrt-naive", "expansion-ki67-high")),
        ("DEMO-008", ("escalation-prior-prrt", "expansion-ki67-mid")),
        ("DEMO-009", ("escalation-prrt-naive", "expansion-ki67-low")),
        ("DEMO-012", ("escalation-prior-prrt", "expansion-ki67-high")),
    ],
)
def test_bundled_225ac_candidates_get_their_cohorts(
    ac225: Protocol, patient_id: str, cohorts: tuple[str, ...]
) -> None:
    entry = next(e for e in _PATIENT_FILES if e.name == f"{patient_id}.yaml")
    patient = parse_patient(entry.read_text(encoding="utf-8"))
    assert assign_cohorts(patient, ac225) == cohorts


def test_bundled_crcl_alternative_is_what_makes_demo_006_eligible(ac225: Protocol) -> None:
    entry = next(e for e in _PATIENT_FILES if e.name == "DEMO-006.yaml")
    result = screen(parse_patient(entry.read_text(encoding="utf-8")), ac225)
    crit = next(c for c in result.criteria if c.id == "IN10a")
    crcl = next(e for e in crit.evidence if e.item == "crcl_cockcroft_gault")
    # 55 y woman, 78 kg, SCr 132 umol/L = 1.4929 mg/dL: (140-55) x 78 / (72 x 1.4929) x 0.85
    assert crcl.value == pytest.approx(52.43, abs=0.01)
    assert crit.status is Status.MET
