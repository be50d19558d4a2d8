"""Evaluation of each rule kind of :mod:`theratrial.protocol.rules` against a patient."""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any

from theratrial.eligibility._context import Context
from theratrial.eligibility.evidence import Evidence, Outcome, Status
from theratrial.eligibility.patient import ImagingStudy, LesionRecord, TherapyRecord, lab_key
from theratrial.eligibility.units import convert
from theratrial.protocol import rules as r

__all__ = ["evaluate"]

_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}

MET, NOT_MET, UNKNOWN, REVIEW = Status.MET, Status.NOT_MET, Status.UNKNOWN, Status.NEEDS_REVIEW

_REL_TOL = 1e-9
"""Relative tolerance under which a computed value equals its threshold.

Unit conversions and ULN multiples are floating-point arithmetic: bilirubin 1.05 mg/dL with
an upper limit of 0.7 mg/dL is exactly 1.5 x ULN, but 1.05 / 0.7 = 1.5000000000000002.
A value within one part in 10^9 of the threshold is taken as on it, far below the precision
of any laboratory result.
"""


def _holds(op: str, value: Any, threshold: Any) -> bool:
    """``value op threshold``, with numbers on the threshold (to rounding) taken as equal."""
    numbers = all(
        isinstance(x, int | float) and not isinstance(x, bool) for x in (value, threshold)
    )
    if numbers and math.isclose(value, threshold, rel_tol=_REL_TOL, abs_tol=1e-12):
        value = threshold
    return _OPS[op](value, threshold)


def evaluate(rule: r.Rule, ctx: Context) -> Outcome:
    """The outcome of ``rule`` for the patient in ``ctx``."""
    handler = _HANDLERS[rule.rule]
    return handler(rule, ctx)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list):
        return "[" + ", ".join(_fmt(v) for v in value) + "]"
    return str(value).lower() if isinstance(value, bool) else str(value)


# -- compare and lab ---------------------------------------------------------------------
def _compare(rule: r.Compare, ctx: Context) -> Outcome:
    fact = ctx.fact(rule.fact)
    want = f"{rule.fact} {rule.op} {_fmt(rule.value)}{' ' + rule.unit if rule.unit else ''}"
    if fact is None:
        return Outcome(UNKNOWN, f"{rule.fact} is not recorded (needed: {want})")
    value: Any = fact.value
    if rule.unit and fact.unit and isinstance(value, int | float) and not isinstance(value, bool):
        # a lab fact (lab.creatinine) converts mass <-> molar with its analyte's molar mass
        analyte = lab_key(rule.fact.split(".", 1)[1]) if rule.fact.startswith("lab.") else None
        value = convert(float(value), fact.unit, rule.unit, analyte=analyte, field=rule.fact)
    if rule.op in ("in", "not_in"):
        assert isinstance(rule.value, list)
        ok = (value in rule.value) == (rule.op == "in")
    else:
        try:
            ok = _holds(rule.op, value, rule.value)
        except TypeError:
            return Outcome(
                UNKNOWN,
                f"{rule.fact} = {_fmt(value)} cannot be compared with {_fmt(rule.value)}",
                fact.evidence,
            )
    unit = (
        f" {rule.unit}"
        if rule.unit
        else (f" {fact.unit}" if fact.unit and fact.unit != "percent" else "")
    )
    text = f"{rule.fact} = {_fmt(value)}{unit}"
    return Outcome(
        MET if ok else NOT_MET, f"{text}, {'meets' if ok else 'fails'} {want}", fact.evidence
    )


def _lab(rule: r.Lab, ctx: Context) -> Outcome:
    lab = ctx.latest_lab(rule.lab)
    name = lab_key(rule.lab)
    if rule.value is not None:
        want = f"{name} {rule.op} {rule.value:g} {rule.unit}"
    else:
        mult, which = (rule.uln, "ULN") if rule.uln is not None else (rule.lln, "LLN")
        want = f"{name} {rule.op} {mult:g} x {which}"
    if lab is None:
        return Outcome(
            UNKNOWN, f"no {name} result on or before the screening date (needed: {want})"
        )
    evidence = (ctx.lab_evidence(lab),)
    if ctx.lab_too_old(lab, rule.max_age_days):
        limit = rule.max_age_days if rule.max_age_days is not None else ctx.lab_max_age_days
        return Outcome(
            UNKNOWN, f"latest {name} ({lab.date}) is older than {limit} days; repeat it", evidence
        )
    if rule.value is not None:
        assert rule.unit is not None
        index = ctx.patient.labs.index(lab)
        value = convert(lab.value, lab.unit, rule.unit, analyte=name, field=f"labs[{index}].unit")
        ok = _holds(rule.op, value, rule.value)
        shown = f"{value:.4g} {rule.unit}" + (
            f" ({lab.value:g} {lab.unit})" if lab.unit != rule.unit else ""
        )
        return Outcome(
            MET if ok else NOT_MET,
            f"{name} {shown} on {lab.date}, {'meets' if ok else 'fails'} {want}",
            evidence,
        )
    limit_value = lab.ref_high if rule.uln is not None else lab.ref_low
    if limit_value is None or limit_value <= 0:
        which = "upper" if rule.uln is not None else "lower"
        return Outcome(
            UNKNOWN,
            f"{name} result has no {which} limit of normal; add the lab's reference range",
            evidence,
        )
    multiple = lab.value / limit_value
    factor = rule.uln if rule.uln is not None else rule.lln
    assert factor is not None
    ok = _holds(rule.op, multiple, factor)
    derived = Evidence(
        f"{name}_x_normal_limit",
        round(multiple, 3),
        "x",
        lab.date,
        f"{lab.value:g} / {limit_value:g} {lab.unit}",
    )
    return Outcome(
        MET if ok else NOT_MET,
        f"{name} {lab.value:g} {lab.unit} = {multiple:.2f} x "
        f"{'ULN' if rule.uln is not None else 'LLN'} on {lab.date}, "
        f"{'meets' if ok else 'fails'} {want}",
        (*evidence, derived),
    )


# -- therapies, conditions, events -------------------------------------------------------
def _category_match(
    record_category: str, categories: Sequence[str], excluded: Sequence[str]
) -> bool:
    cat = record_category.strip().lower()
    if cat in {c.lower() for c in excluded}:
        return False
    return "*" in categories or cat in {c.lower() for c in categories}


def _span(therapy: TherapyRecord, ref: date) -> tuple[date, date]:
    start = therapy.start_date or therapy.end_date or ref
    if therapy.end_date is not None:
        end = therapy.end_date
    elif therapy.ongoing or therapy.planned:
        end = max(ref, start)
    else:
        end = start
    return start, end


def _therapy_evidence(t: TherapyRecord, ref: date) -> Evidence:
    start, end = _span(t, ref)
    what = t.category + (f" ({t.agent})" if t.agent else "")
    state = (
        "planned"
        if t.planned
        else ("ongoing" if t.ongoing and t.end_date is None else f"{start} to {end}")
    )
    prog = (
        ""
        if t.progression_on_therapy is None
        else f", progression on therapy: {str(t.progression_on_therapy).lower()}"
    )
    return Evidence("therapy", what, None, t.end_date or t.start_date, f"{state}{prog}")


def _therapy(rule: r.Therapy, ctx: Context) -> Outcome:
    ref, ref_ev = ctx.reference(rule.reference)
    window = rule.window_days
    lo = ref - timedelta(days=window) if window is not None else date.min
    cats = "any therapy" if "*" in rule.categories else "/".join(rule.categories)
    if rule.except_categories:
        cats += f" except {'/'.join(rule.except_categories)}"
    matches = [
        t
        for t in ctx.patient.therapies
        if t.planned == rule.planned
        and _category_match(t.category, rule.categories, rule.except_categories)
    ]
    if rule.planned:
        in_window = matches
        where = "planned"
    else:
        # half-open window (ref - window, ref]: a therapy that ended exactly `window` days
        # before the reference date has completed its wash-out
        in_window = [t for t in matches if _span(t, ref)[1] > lo and _span(t, ref)[0] <= ref]
        where = f"in the {window / 7:g} weeks before {ref}" if window is not None else "ever"
    evidence = (ref_ev, *(_therapy_evidence(t, ref) for t in in_window))
    if rule.require == "absent":
        if in_window:
            first = in_window[0]
            return Outcome(
                NOT_MET,
                f"{first.category} {where} ({_therapy_evidence(first, ref).note})",
                evidence,
            )
        return Outcome(MET, f"no {cats} recorded {where}", evidence)
    qualifying, undecided = [], []
    for t in in_window:
        start, end = _span(t, ref)
        if rule.min_duration_weeks is not None and (end - start).days < 7 * rule.min_duration_weeks:
            continue
        if rule.with_progression and t.progression_on_therapy is None:
            undecided.append(t)
            continue
        if rule.with_progression and not t.progression_on_therapy:
            continue
        qualifying.append(t)
    need = (
        f" for at least {rule.min_duration_weeks:g} weeks" if rule.min_duration_weeks else ""
    ) + (" with progression on it" if rule.with_progression else "")
    if qualifying:
        return Outcome(MET, f"{qualifying[0].category} {where}{need}", evidence)
    if undecided:
        return Outcome(
            UNKNOWN,
            f"{undecided[0].category} recorded but progression on it is not stated",
            evidence,
        )
    return Outcome(NOT_MET, f"no {cats} {where}{need}", evidence)


def _condition(rule: r.Condition, ctx: Context) -> Outcome:
    name = rule.condition
    records = [c for c in ctx.patient.conditions if c.name.strip().lower() == name.lower()]
    record = max(records, key=lambda c: c.date or date.min) if records else None
    if record is None:
        if rule.require == "present":
            return Outcome(UNKNOWN, f"{name} is not recorded")
        return Outcome(MET, f"no {name} recorded")
    ev = (
        Evidence(
            f"condition.{name}",
            record.present,
            date=record.date,
            note=", ".join(
                x
                for x in (
                    f"controlled: {str(record.controlled).lower()}"
                    if record.controlled is not None
                    else "",
                    f"stable since {record.stable_since}" if record.stable_since else "",
                    f"grade {record.grade}" if record.grade is not None else "",
                )
                if x
            )
            or None,
        ),
    )
    if rule.require == "present":
        return Outcome(
            MET if record.present else NOT_MET,
            f"{name} {'present' if record.present else 'absent'}",
            ev,
        )
    if not record.present:
        return Outcome(MET, f"{name} recorded as absent", ev)
    if rule.max_grade is not None:
        if record.grade is None:
            return Outcome(UNKNOWN, f"{name} present but its grade is not recorded", ev)
        ok = record.grade <= rule.max_grade
        return Outcome(
            MET if ok else NOT_MET,
            f"{name} grade {record.grade} ({'<=' if ok else '>'} {rule.max_grade})",
            ev,
        )
    if rule.unless_stable_weeks is not None and record.stable_since is not None:
        ref, _ = ctx.reference(rule.reference)
        weeks = (ref - record.stable_since).days / 7
        if weeks >= rule.unless_stable_weeks:
            return Outcome(
                MET, f"{name} stable for {weeks:.0f} weeks (>= {rule.unless_stable_weeks:g})", ev
            )
        return Outcome(
            NOT_MET,
            f"{name} stable for only {weeks:.0f} weeks (< {rule.unless_stable_weeks:g})",
            ev,
        )
    if rule.unless_controlled:
        if record.controlled is None:
            return Outcome(UNKNOWN, f"{name} present; whether it is controlled is not recorded", ev)
        if record.controlled:
            return Outcome(MET, f"{name} present but controlled", ev)
        return Outcome(NOT_MET, f"{name} present and uncontrolled", ev)
    if rule.unless_stable_weeks is not None:
        return Outcome(NOT_MET, f"{name} present with no stable-since date", ev)
    return Outcome(NOT_MET, f"{name} present", ev)


def _event(rule: r.Event, ctx: Context) -> Outcome:
    ref, ref_ev = ctx.reference(rule.reference)
    lo = ref - timedelta(days=rule.within_days) if rule.within_days is not None else date.min
    types = {t.lower() for t in rule.types}
    events = [e for e in ctx.patient.events if e.type.lower() in types and e.date <= ref]
    inside = [e for e in events if e.date >= lo]
    evidence = (ref_ev, *(Evidence(f"event.{e.type}", e.detail, date=e.date) for e in events))
    label = "/".join(rule.types)
    span = f" in the {rule.within_days} days before {ref}" if rule.within_days is not None else ""
    if rule.require == "absent":
        if inside:
            return Outcome(NOT_MET, f"{inside[0].type} on {inside[0].date}", evidence)
        return Outcome(MET, f"no {label} recorded{span}", evidence)
    if inside:
        latest = max(inside, key=lambda e: e.date)
        return Outcome(MET, f"{latest.type} on {latest.date}", evidence)
    if events:
        latest = max(events, key=lambda e: e.date)
        return Outcome(
            UNKNOWN, f"latest {latest.type} ({latest.date}) is outside the window{span}", evidence
        )
    return Outcome(UNKNOWN, f"no {label} recorded{span}", evidence)


# -- lesions and imaging -----------------------------------------------------------------
def _modality_match(recorded: str, wanted: Sequence[str]) -> bool:
    if not wanted:
        return True
    parts = set(recorded.upper().split("/")) | {recorded.upper()}
    return any(w.upper() in parts for w in wanted)


def recist_measurable(lesion: LesionRecord) -> bool | None:
    """RECIST 1.1 measurability from size and modality (Eisenhauer et al. 2009)."""
    if lesion.measurable is not None:
        return lesion.measurable
    cross_sectional = lesion.modality in {"CT", "MR", "PET/CT"}
    if lesion.is_nodal:
        if lesion.short_axis_mm is None:
            return None
        return cross_sectional and lesion.short_axis_mm >= 15.0
    if lesion.long_axis_mm is None:
        return None
    if lesion.modality == "XR":
        return lesion.long_axis_mm >= 20.0
    return cross_sectional and lesion.long_axis_mm >= 10.0


def _lesion_checks(rule: r.Lesion, les: LesionRecord) -> tuple[bool | None, str]:
    """(True, '') if the lesion qualifies, (False, why) if not, (None, what) if unknown."""
    if rule.min_diameter_mm is not None:
        sizes = {
            "long": les.long_axis_mm,
            "short": les.short_axis_mm,
            "any": max(
                (s for s in (les.long_axis_mm, les.short_axis_mm) if s is not None), default=None
            ),
        }
        size = sizes[rule.axis]
        if size is None:
            return None, f"{rule.axis}-axis size"
        if size < rule.min_diameter_mm:
            return False, f"{size:g} mm < {rule.min_diameter_mm:g} mm"
    checks: list[tuple[bool | None, Any, str]] = []
    if rule.measurable is not None:
        checks.append((recist_measurable(les), rule.measurable, "RECIST measurability"))
    if rule.progressive is not None:
        checks.append((les.progressive, rule.progressive, "progression"))
    if rule.previously_irradiated is not None:
        checks.append((les.previously_irradiated, rule.previously_irradiated, "prior irradiation"))
    if rule.min_krenning is not None:
        k = les.krenning_score
        checks.append(
            (
                None if k is None else k >= rule.min_krenning,
                True,
                f"Krenning score >= {rule.min_krenning}",
            )
        )
    for value, wanted, what in checks:
        if value is None:
            return None, what
        if value != wanted:
            return False, what
    return True, ""


def _lesion(rule: r.Lesion, ctx: Context) -> Outcome:
    ref, ref_ev = ctx.reference(rule.reference)
    lo = ref - timedelta(days=rule.within_days) if rule.within_days is not None else date.min
    pool = [
        les
        for les in ctx.patient.lesions
        if _modality_match(les.modality, rule.modalities) and lo <= les.date <= ref
    ]
    if not pool:
        return Outcome(
            UNKNOWN,
            "no lesion measurements recorded"
            + (f" in the {rule.within_days} days before {ref}" if rule.within_days else ""),
            (ref_ev,),
        )
    good: list[tuple[LesionRecord, str]] = []
    unknown: list[tuple[LesionRecord, str]] = []
    failed: list[tuple[LesionRecord, str]] = []
    for les in pool:
        ok, why = _lesion_checks(rule, les)
        (good if ok else unknown if ok is None else failed).append((les, why))
    evidence = (
        ref_ev,
        *(
            Evidence(
                f"lesion.{les.id}",
                les.long_axis_mm if les.long_axis_mm is not None else les.short_axis_mm,
                "mm",
                les.date,
                f"{les.site} on {les.modality}"
                + (f", Krenning {les.krenning_score}" if les.krenning_score is not None else ""),
            )
            for les, _ in (good + unknown + failed)
        ),
    )
    if len(good) >= rule.min_count:
        return Outcome(
            MET,
            f"{len(good)} qualifying lesion(s), e.g. {good[0][0].id} ({good[0][0].site})",
            evidence,
        )
    if len(good) + len(unknown) >= rule.min_count:
        return Outcome(
            UNKNOWN, f"lesion {unknown[0][0].id}: {unknown[0][1]} not recorded", evidence
        )
    why = f"; e.g. {failed[0][0].id}: {failed[0][1]}" if failed else ""
    return Outcome(
        NOT_MET, f"{len(good)} qualifying lesion(s), need {rule.min_count}{why}", evidence
    )


_SSTR = {
    "68gadotatate",
    "68gadotatoc",
    "68gadotanoc",
    "64cudotatate",
    "111inpentetreotide",
    "68gaoctreotate",
    "99mtchynictoc",
    "68gasstr",
    "sstr",
}
_FDG = {"18ffdg", "fdg"}


def _tracer_key(text: str) -> str:
    key = re.sub(r"[^a-z0-9]", "", text.lower()).replace("octreotate", "dotatate")
    return {
        "gadotatate": "68gadotatate",
        "ga68dotatate": "68gadotatate",
        "ga68dotatoc": "68gadotatoc",
        "fluorodeoxyglucose": "18ffdg",
        "18ffluorodeoxyglucose": "18ffdg",
    }.get(key, key)


def _tracer_match(recorded: str | None, wanted: Sequence[str]) -> bool:
    if not wanted:
        return True
    if recorded is None:
        return False
    key = _tracer_key(recorded)
    for w in wanted:
        wk = _tracer_key(w)
        if wk == "sstr" and (key in _SSTR or "dota" in key):
            return True
        if wk == "fdg" and key in _FDG:
            return True
        if wk == key:
            return True
    return False


def _interval_therapy(
    study: ImagingStudy, ref: date, allowed: Sequence[str], ctx: Context
) -> TherapyRecord | None:
    for t in ctx.patient.therapies:
        if t.planned or _category_match(t.category, allowed, ()):
            continue
        start, end = _span(t, ref)
        if end > study.date and start <= ref:
            return t
    return None


def _imaging(rule: r.Imaging, ctx: Context) -> Outcome:
    ref, ref_ev = ctx.reference(rule.reference)
    lo = ref - timedelta(days=rule.within_days) if rule.within_days is not None else date.min
    kinds = "/".join(rule.tracers or rule.modalities) or "imaging"
    studies = [
        s
        for s in ctx.patient.imaging
        if _modality_match(s.modality, rule.modalities)
        and _tracer_match(s.tracer, rule.tracers)
        and s.date <= ref
    ]
    inside = [s for s in studies if s.date >= lo]
    evidence = (
        ref_ev,
        *(
            Evidence(
                "imaging",
                f"{s.modality} {s.tracer or ''}".strip(),
                None,
                s.date,
                ", ".join(f"{k}: {str(v).lower()}" for k, v in s.findings.items()) or None,
            )
            for s in studies
        ),
    )
    span = f" in the {rule.within_days} days before {ref}" if rule.within_days is not None else ""
    if not inside:
        if studies:
            return Outcome(
                UNKNOWN,
                f"latest {kinds} ({max(s.date for s in studies)}) is outside the window{span}",
                evidence,
            )
        return Outcome(UNKNOWN, f"no {kinds} study recorded{span}", evidence)
    reasons, undecided = [], False
    for study in sorted(inside, key=lambda s: s.date, reverse=True):
        if rule.finding is not None:
            found = study.findings.get(rule.finding)
            if found is None:
                undecided = True
                reasons.append(f"{rule.finding} not recorded for {study.date}")
                continue
            if not found:
                reasons.append(f"{study.date}: {rule.finding} is false")
                continue
        if rule.no_interval_therapy_except is not None:
            t = _interval_therapy(study, ref, rule.no_interval_therapy_except, ctx)
            if t is not None:
                reasons.append(f"{t.category} given after the {study.date} study")
                continue
        return Outcome(
            MET,
            f"{kinds} on {study.date}" + (f" with {rule.finding}" if rule.finding else ""),
            evidence,
        )
    return Outcome(UNKNOWN if undecided else NOT_MET, "; ".join(reasons), evidence)


# -- attestation and combinators ---------------------------------------------------------
def _attestation(rule: r.Attestation, ctx: Context) -> Outcome:
    answer = ctx.patient.attestations.get(ctx.criterion_id)
    if answer is None:
        return Outcome(REVIEW, f"investigator to confirm: {rule.question}")
    ev = (Evidence(f"attestation.{ctx.criterion_id}", answer),)
    return Outcome(
        MET if answer else NOT_MET,
        f"investigator {'confirms' if answer else 'does not confirm'}: {rule.question}",
        ev,
    )


def _join_evidence(outcomes: Sequence[Outcome]) -> tuple[Evidence, ...]:
    seen: list[Evidence] = []
    for o in outcomes:
        seen.extend(e for e in o.evidence if e not in seen)
    return tuple(seen)


def _all_of(rule: r.AllOf, ctx: Context) -> Outcome:
    outs = [evaluate(sub, ctx) for sub in rule.rules]
    ev = _join_evidence(outs)
    for status in (NOT_MET, UNKNOWN, REVIEW):
        hits = [o for o in outs if o.status is status]
        if hits:
            return Outcome(status, "; ".join(o.reason for o in hits), ev)
    return Outcome(MET, "; ".join(o.reason for o in outs), ev)


def _any_of(rule: r.AnyOf, ctx: Context) -> Outcome:
    outs = [evaluate(sub, ctx) for sub in rule.rules]
    ev = _join_evidence(outs)
    for status in (MET, UNKNOWN, REVIEW):
        hits = [o for o in outs if o.status is status]
        if hits:
            prefix = "" if status is MET else "none met; "
            return Outcome(status, prefix + "; ".join(o.reason for o in hits), ev)
    return Outcome(
        NOT_MET, "none of the alternatives met: " + " | ".join(o.reason for o in outs), ev
    )


def _if(rule: r.IfThen, ctx: Context) -> Outcome:
    cond = evaluate(rule.condition, ctx)
    if cond.status is MET:
        out = evaluate(rule.then, ctx)
        return Outcome(out.status, f"{out.reason} (as {cond.reason})", _join_evidence([cond, out]))
    if cond.status is NOT_MET:
        if rule.otherwise is None:
            return Outcome(MET, f"not applicable: {cond.reason}", cond.evidence)
        out = evaluate(rule.otherwise, ctx)
        return Outcome(out.status, f"{out.reason} (as {cond.reason})", _join_evidence([cond, out]))
    then = evaluate(rule.then, ctx)
    other = (
        evaluate(rule.otherwise, ctx)
        if rule.otherwise is not None
        else Outcome(MET, "not applicable")
    )
    ev = _join_evidence([cond, then, other])
    if then.status is other.status:
        return Outcome(then.status, f"{then.reason} whichever applies ({cond.reason})", ev)
    return Outcome(cond.status, f"{cond.reason}; needed to tell which requirement applies", ev)


_HANDLERS: dict[str, Callable[[Any, Context], Outcome]] = {
    "compare": _compare,
    "lab": _lab,
    "therapy": _therapy,
    "condition": _condition,
    "event": _event,
    "lesion": _lesion,
    "imaging": _imaging,
    "attestation": _attestation,
    "all_of": _all_of,
    "any_of": _any_of,
    "if": _if,
}
