"""Protocol files: the bundled trials, their registry coverage, and malformed files."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from theratrial.eligibility._context import Context
from theratrial.eligibility.patient import Patient, lab_key
from theratrial.errors import ProtocolError
from theratrial.protocol import (
    Protocol,
    bundled_protocols,
    find_protocol,
    load_protocol,
    parse_protocol,
)
from theratrial.protocol import rules as r

TRIALS = ("NCT01842165", "NCT03335670", "NCT06732505")


def _bundled_text(trial: str) -> str:
    return (resources.files("theratrial.protocol") / "trials" / f"{trial}.yaml").read_text(
        encoding="utf-8"
    )


# -- the bundled trials ---------------------------------------------------------------------
def test_three_bundled_trials_load_sorted() -> None:
    protocols = bundled_protocols()
    assert [p.id for p in protocols] == list(TRIALS)
    assert all(isinstance(p, Protocol) for p in protocols)


@pytest.mark.parametrize("trial", TRIALS)
def test_bundled_file_name_matches_its_id(trial: str) -> None:
    assert parse_protocol(_bundled_text(trial)).id == trial


# The registry texts number their items; the Bordet page nests two unnumbered-looking
# sub-items ("1. clinical ... 2. biochemical") inside item 3, so items are read as the
# run 1, 2, 3, ... and numbers out of that run are skipped.
_MARKERS = {
    "NCT03335670": ("Pentixafor", "Study Design"),
    "NCT01842165": ("177Lutetium-octreotate", "Trial Details"),
    "NCT06732505": ("NCT06732505", "Minimum Eligible Age"),
}
_EXPECTED_COUNTS = {"NCT03335670": (6, 4), "NCT01842165": (13, 9), "NCT06732505": (11, 18)}


def _count_items(section: str) -> int:
    expected = 1
    for match in re.finditer(r"(?<![\d.])(\d{1,2})\.(?=\s)", section):
        if int(match[1]) == expected:
            expected += 1
    return expected - 1


def _registry_counts(text: str, end_marker: str) -> tuple[int, int]:
    start = text.index("Inclusion Criteria")
    split = text.index("Exclusion Criteria", start)
    end = text.index(end_marker, split)
    return _count_items(text[start:split]), _count_items(text[split:end])


def _registry_file(folder: Path, marker: str) -> str:
    texts = [p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.txt"))]
    found = [t for t in texts if marker in t]
    assert len(found) == 1, marker
    return found[0]


def _sources(protocol: Protocol, section: str) -> set[int]:
    numbers = set()
    for criterion in protocol.criteria:
        match = re.fullmatch(rf"{protocol.id} (inclusion|exclusion) (\d+)", criterion.source)
        assert match, criterion.source
        if match[1] == section:
            numbers.add(int(match[2]))
            assert criterion.section == section, criterion.id
    return numbers


@pytest.mark.parametrize("trial", TRIALS)
def test_every_registry_item_is_encoded(shared_trials: Path, trial: str) -> None:
    marker, end = _MARKERS[trial]
    n_incl, n_excl = _registry_counts(_registry_file(shared_trials, marker), end)
    assert (n_incl, n_excl) == _EXPECTED_COUNTS[trial]
    protocol = find_protocol(trial)
    assert _sources(protocol, "inclusion") == set(range(1, n_incl + 1))
    assert _sources(protocol, "exclusion") == set(range(1, n_excl + 1))


def _walk(rule: Any) -> Iterator[Any]:
    yield rule
    if isinstance(rule, r.AllOf | r.AnyOf):
        for sub in rule.rules:
            yield from _walk(sub)
    elif isinstance(rule, r.IfThen):
        yield from _walk(rule.condition)
        yield from _walk(rule.then)
        if rule.otherwise is not None:
            yield from _walk(rule.otherwise)


def _all_rules(protocol: Protocol) -> Iterator[Any]:
    for criterion in protocol.criteria:
        yield from _walk(criterion.rule)
    for cohort in protocol.cohorts:
        if cohort.assign_if is not None:
            yield from _walk(cohort.assign_if)


def test_every_fact_the_schema_admits_is_one_the_engine_reads() -> None:
    patient = Patient.model_validate(
        {"patient_id": "T", "demographics": {"age_years": 50, "sex": "female"}}
    )
    ctx = Context(patient=patient, on=date(2026, 1, 5), lab_max_age_days=28)
    names = [*r.FACT_NAMES, *(f"diagnosis.{a}" for a in r.DIAGNOSIS_FACTS), "flags.x", "lab.alt"]
    for name in names:
        ctx.fact(name)  # raises for a fact name the engine does not know


@pytest.mark.parametrize("trial", TRIALS)
def test_bundled_rules_use_known_facts_and_canonical_lab_names(trial: str) -> None:
    patient = Patient.model_validate(
        {"patient_id": "T", "demographics": {"age_years": 50, "sex": "female"}}
    )
    ctx = Context(patient=patient, on=date(2026, 1, 5), lab_max_age_days=28)
    for rule in _all_rules(find_protocol(trial)):
        if isinstance(rule, r.Compare):
            ctx.fact(rule.fact)  # raises for a fact name the engine does not know
        if isinstance(rule, r.Lab):
            assert lab_key(rule.lab) == rule.lab


# -- find_protocol and load_protocol -----------------------------------------------------------
@pytest.mark.parametrize(
    ("query", "trial"),
    [
        ("NCT06732505", "NCT06732505"),
        ("nct06732505", "NCT06732505"),
        ("  NCT01842165 ", "NCT01842165"),
        ("IIT-XT024-1-01", "NCT06732505"),
        ("201708705", "NCT03335670"),
        ("p50ca174521", "NCT03335670"),
    ],
)
def test_find_protocol_by_id_or_registry_id(query: str, trial: str) -> None:
    assert find_protocol(query).id == trial


def test_find_protocol_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "local.yaml"
    path.write_text(_bundled_text("NCT03335670").replace("id: NCT03335670", "id: LOCAL-1", 1))
    assert find_protocol(str(path)).id == "LOCAL-1"


def test_find_protocol_unknown_lists_the_known_trials() -> None:
    with pytest.raises(ProtocolError) as err:
        find_protocol("NCT00000000")
    assert err.value.field == "trial"
    assert all(t in (err.value.hint or "") for t in TRIALS)


def test_load_protocol(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(_bundled_text("NCT01842165"), encoding="utf-8")
    assert load_protocol(path).id == "NCT01842165"
    with pytest.raises(FileNotFoundError):
        load_protocol(tmp_path / "missing.yaml")


# -- malformed files: the line and the dotted field --------------------------------------------
def _line_of(text: str, needle: str) -> int:
    return next(i for i, row in enumerate(text.splitlines(), start=1) if needle in row)


def _broken(trial: str, old: str, new: str) -> str:
    text = _bundled_text(trial)
    assert text.count(old) >= 1, old
    return text.replace(old, new, 1)


def test_bad_yaml_names_the_line() -> None:
    text = _broken("NCT06732505", "    label: Aged 18 to 80 years\n",
                   "    label: Aged 18 to 80 years\n     bad: [unclosed\n")  # fmt: skip
    with pytest.raises(ProtocolError) as err:
        parse_protocol(text, source="x.yaml")
    assert err.value.line is not None
    assert abs(err.value.line - _line_of(text, "bad: [unclosed")) <= 1
    assert str(err.value).startswith(f"x.yaml:{err.value.line}: not valid YAML")


@pytest.mark.parametrize(
    ("trial", "old", "new", "needle", "field"),
    [
        # a missing field: the line of the mapping that lacks it
        ("NCT06732505", "    label: Aged 18 to 80 years\n", "", "  - id: IN02",
         "criteria[1].label"),
        # an unknown field
        ("NCT06732505", "    label: Aged 18 to 80 years\n",
         "    label: Aged 18 to 80 years\n    lable: typo\n", "lable: typo", "criteria[1].lable"),
        # a wrong rule kind
        ("NCT06732505", "{rule: compare, fact: consent.signed",
         "{rule: comparison, fact: consent.signed", "rule: comparison", "criteria[0].rule"),
        # a lab threshold without its unit
        ("NCT06732505", '{rule: lab, lab: haemoglobin, op: ">=", value: 90, unit: g/L}',
         '{rule: lab, lab: haemoglobin, op: ">=", value: 90}', "lab: haemoglobin, op",
         "criteria[10].rule"),
        # deep inside if/then/all_of: a misspelt key and a missing operator
        ("NCT06732505", '{rule: lab, lab: alt, op: "<=", uln: 5}',
         '{rule: lab, lab: alt, op: "<=", uln: 5, typo: 1}', "typo: 1",
         "criteria[15].rule.then.rules[0].typo"),
        ("NCT06732505", '{rule: lab, lab: alt, op: "<=", uln: 5}', '{rule: lab, lab: alt, uln: 5}',
         "lab: alt, uln: 5}", "criteria[15].rule.then.rules[0].op"),
        # the rule kind 'condition' is also a field name of condition rules
        ("NCT06732505", "{rule: condition, condition: heart_failure, unless_controlled: true}",
         "{rule: condition, condition: heart_failure, unless_controlled: maybe}",
         "unless_controlled: maybe", "criteria[26].rule.unless_controlled"),
        # a bad operator
        ("NCT03335670", '{rule: compare, fact: age_years, op: ">=", value: 18}',
         '{rule: compare, fact: age_years, op: "=>", value: 18}', 'op: "=>"',
         "criteria[0].rule.op"),
        # cohorts and dosing
        ("NCT06732505", "assign_if: {rule: therapy, categories: [prrt_lu177], require: present}",
         "assign_if: {rule: therapy, categories: [prrt_lu177], require: maybe}",
         "require: maybe", "cohorts[0].assign_if.require"),
        ("NCT06732505", "    - {id: DL1, activity_kbq_per_kg: 90}",
         "    - {id: DL1, activity_gbq: 7.4}", "activity_gbq: 7.4", "dosing.levels[0]"),
        ("NCT01842165", "phase: \"3\"", "phase: \"5\"", 'phase: "5"', "phase"),
        # a misspelt fact, an unknown unit, a word where a number is compared, a negative
        # window: each would otherwise pass validation and fail (or be wrong) at screening
        ("NCT06732505", "fact: crcl_cockcroft_gault", "fact: crcl_cockroft", "crcl_cockroft",
         "criteria[9].rule.rules[1].fact"),
        ("NCT06732505", "fact: diagnosis.ki67_pct, op: \"<\"", "fact: diagnosis.ki67, op: \"<\"",
         "diagnosis.ki67,", "cohorts[2].assign_if.fact"),
        ("NCT06732505", 'op: ">=", value: 90, unit: g/L}', 'op: ">=", value: 90, unit: gramz/L}',
         "gramz/L", "criteria[10].rule.unit"),
        ("NCT06732505", '{rule: compare, fact: ecog, op: "<=", value: 1}',
         '{rule: compare, fact: ecog, op: "<=", value: one}', "value: one", "criteria[7].rule"),
        ("NCT06732505", "within_weeks: 4, reference: treatment_start}",
         "within_weeks: -4, reference: treatment_start}", "within_weeks: -4",
         "criteria[19].rule.within_weeks"),
    ],
)  # fmt: skip
def test_schema_errors_name_line_and_field(
    trial: str, old: str, new: str, needle: str, field: str
) -> None:
    text = _broken(trial, old, new)
    with pytest.raises(ProtocolError) as err:
        parse_protocol(text, source="x.yaml")
    assert err.value.field == field
    line = _line_of(text, needle)
    if field == "dosing":  # a model-level check: the first line of the dosing mapping
        line = _line_of(text, "rule: per_weight")
    assert err.value.line == line
    assert err.value.file == "x.yaml"
    assert err.value.hint
    assert str(err.value).startswith(f"x.yaml:{line}: field '{field}': ")


def test_a_file_that_is_not_utf8_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_bytes(b"\xff\xfe" + _bundled_text("NCT01842165").encode("utf-16-le"))
    with pytest.raises(ProtocolError, match="UTF-8") as err:
        load_protocol(path)
    assert err.value.file == str(path)


@pytest.mark.parametrize("text", ["- just\n- a list\n", "", "plain text"])
def test_protocol_must_be_a_mapping(text: str) -> None:
    with pytest.raises(ProtocolError, match="mapping") as err:
        parse_protocol(text, source="x.yaml")
    assert err.value.line == 1


def test_impossible_date_value_is_a_protocol_error() -> None:
    text = _broken("NCT06732505", "status: recruiting", "status: 2026-02-30")
    with pytest.raises(ProtocolError) as err:
        parse_protocol(text, source="x.yaml")
    assert "not valid YAML" in err.value.message


def test_repeated_criterion_id_points_at_the_repeat(tmp_path: Path) -> None:
    from importlib import resources

    text = (resources.files("theratrial.protocol") / "trials" / "NCT06732505.yaml").read_text()
    text = text.replace("  - id: IN02\n", "  - id: IN01\n", 1)
    repeat_line = [i for i, row in enumerate(text.splitlines(), 1) if row == "  - id: IN01"][1]
    with pytest.raises(ProtocolError) as err:
        parse_protocol(text, source="dup.yaml")
    assert err.value.line == repeat_line
    assert err.value.field == "criteria[1]"
