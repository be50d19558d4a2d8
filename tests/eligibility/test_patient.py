"""Patient records: valid JSON/YAML in, clear errors naming file, field and line out."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from theratrial.eligibility import Patient, load_patient, parse_patient
from theratrial.eligibility.patient import GEP_SITES, Diagnosis
from theratrial.errors import PatientRecordError

MINIMAL = {"patient_id": "P-001", "demographics": {"age_years": 60, "sex": "male"}}

FULL_YAML = """\
patient_id: PSEUDO-001
screening_date: 2026-03-02
planned_treatment_date: 2026-03-16
demographics: {birth_date: 1961-05-04, sex: male, weight_kg: 72, height_cm: 176}
ecog: 1
life_expectancy_weeks: 52
diagnosis: {histology: NET, grade: G2, ki67_pct: 8, primary_site: pancreas,
            histology_confirmed: true, extent: metastatic, resectable: false}
labs:
  - {name: creatinine, value: 1.0, unit: mg/dL, ref_high: 1.2, date: 2026-02-25}
lesions:
  - {id: L1, site: liver, long_axis_mm: 31, modality: CT, date: 2026-02-20}
imaging:
  - {modality: PET/CT, tracer: 68Ga-DOTATATE, date: 2026-02-19, findings: {sstr_positive: true}}
therapies:
  - {category: ssa_lar, start_date: 2024-01-01, ongoing: true, progression_on_therapy: true}
  - {category: chemotherapy, planned: true}
conditions:
  - {name: diabetes, controlled: true}
events:
  - {type: progression_radiological, date: 2026-02-20}
consent: {signed: true, date: 2026-03-02}
flags: {childbearing_potential: false}
attestations: {EX16: true}
"""


def test_minimal_json_record() -> None:
    patient = parse_patient(json.dumps(MINIMAL))
    assert patient.patient_id == "P-001"
    assert patient.demographics.age_years == 60.0
    assert patient.labs == []
    assert patient.flags == {}


def test_full_yaml_record() -> None:
    patient = parse_patient(FULL_YAML)
    assert patient.screening_date == date(2026, 3, 2)
    assert patient.demographics.birth_date == date(1961, 5, 4)
    assert patient.labs[0].date == date(2026, 2, 25)
    assert patient.labs[0].ref_high == 1.2
    assert patient.diagnosis is not None
    assert patient.diagnosis.gep is True
    assert patient.therapies[1].planned
    assert patient.therapies[1].start_date is None
    assert patient.imaging[0].findings == {"sstr_positive": True}
    assert patient.attestations == {"EX16": True}


def test_same_record_as_json_and_yaml() -> None:
    from_yaml = parse_patient(FULL_YAML)
    as_json = from_yaml.model_dump_json()
    assert parse_patient(as_json) == from_yaml


def test_records_are_frozen() -> None:
    patient = parse_patient(json.dumps(MINIMAL))
    with pytest.raises(ValueError, match="frozen"):
        patient.ecog = 2


def test_load_patient_from_file(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(FULL_YAML, encoding="utf-8")
    assert load_patient(path).patient_id == "PSEUDO-001"
    path.write_text(FULL_YAML.replace("ecog: 1", "ecog: 7"), encoding="utf-8")
    with pytest.raises(PatientRecordError) as err:
        load_patient(path)
    assert err.value.file == str(path)
    assert err.value.field == "ecog"


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("screening_date: 2026-03-02", "screening_date: 02/03/2026", "screening_date"),
        ("screening_date: 2026-03-02", "screening_date: 2026-13-02", "screening_date"),
        ("date: 2026-02-25}", "date: 2026-02-30}", "labs[0].date"),  # no 30 February
        ("date: 2026-02-25}", "date: yesterday}", "labs[0].date"),
        ("birth_date: 1961-05-04", "birth_date: 1961-5-4x", "demographics.birth_date"),
        ("date: 2026-02-20}\nconsent", "date: 20 Feb 2026}\nconsent", "events[0].date"),
    ],
)
def test_malformed_date_names_the_field(old: str, new: str, field: str) -> None:
    text = FULL_YAML.replace(old, new, 1)
    assert text != FULL_YAML
    with pytest.raises(PatientRecordError) as err:
        parse_patient(text, source="p.yaml")
    assert err.value.field == field
    assert err.value.file == "p.yaml"
    assert "ISO date" in (err.value.hint or "")


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("ecog: 1", "ecog: 1\nweigth_kg: 70", "weigth_kg"),
        ("height_cm: 176}", "height_cm: 176, bmi: 23}", "demographics.bmi"),
        ("ref_high: 1.2,", "ref_hi: 1.2,", "labs[0].ref_hi"),
        ("{name: diabetes,", "{name: diabetes, severity: 2,", "conditions[0].severity"),
    ],
)
def test_unknown_field_is_rejected(old: str, new: str, field: str) -> None:
    with pytest.raises(PatientRecordError) as err:
        parse_patient(FULL_YAML.replace(old, new, 1))
    assert err.value.field == field
    assert "spelling" in (err.value.hint or "")


def test_invalid_yaml_gives_the_line() -> None:
    text = FULL_YAML.replace("ecog: 1\n", "ecog: [1\n", 1)
    with pytest.raises(PatientRecordError) as err:
        parse_patient(text, source="p.yaml")
    assert err.value.line is not None
    assert 5 <= err.value.line <= 7  # the unclosed bracket on line 5 is found soon after
    assert str(err.value).startswith(f"p.yaml:{err.value.line}: not valid JSON or YAML")


def test_invalid_json_gives_the_line() -> None:
    text = '{\n  "patient_id": "P-001",\n  "demographics": {"age_years": 60, "sex": "male"},,\n}'
    with pytest.raises(PatientRecordError) as err:
        parse_patient(text, source="p.json")
    assert err.value.line == 3


@pytest.mark.parametrize(
    "bad_id",
    ["John Smith", "P 001", "P-001\t", "", "../../etc/passwd", "Pé-01", "a/b", "SMITH^J", "x" * 65],
)
def test_patient_id_must_be_a_pseudonym_without_spaces(bad_id: str) -> None:
    with pytest.raises(PatientRecordError) as err:
        parse_patient(json.dumps({**MINIMAL, "patient_id": bad_id}))
    assert err.value.field == "patient_id"
    assert err.value.hint is not None
    assert "pseudonym" in err.value.hint


@pytest.mark.parametrize(
    ("record", "field"),
    [
        ({"patient_id": "P1"}, "demographics"),
        ({"patient_id": "P1", "demographics": {"sex": "male"}}, "demographics"),
        ({"patient_id": "P1", "demographics": {"age_years": 60, "sex": "m"}}, "demographics.sex"),
        ({**MINIMAL, "ecog": 6}, "ecog"),
        ({**MINIMAL, "labs": [{"name": "alt", "value": "high", "unit": "U/L",
                               "date": "2026-01-01"}]}, "labs[0].value"),
        ({**MINIMAL, "therapies": [{"category": "chemotherapy"}]}, "therapies[0]"),
        ({**MINIMAL, "therapies": [{"category": "chemotherapy", "start_date": "2026-02-01",
                                    "end_date": "2026-01-01"}]}, "therapies[0]"),
        ({**MINIMAL, "diagnosis": {"histology": "adenocarcinoma"}}, "diagnosis.histology"),
        ({**MINIMAL, "lesions": [{"id": "L1", "site": "liver", "modality": "CT",
                                  "date": "2026-01-01", "krenning_score": 5}]},
         "lesions[0].krenning_score"),
    ],
)  # fmt: skip
def test_invalid_values_name_the_field(record: dict[str, object], field: str) -> None:
    with pytest.raises(PatientRecordError) as err:
        parse_patient(json.dumps(record))
    assert err.value.field == field


def test_unknown_lab_unit_is_caught_at_load() -> None:
    record = {**MINIMAL, "labs": [
        {"name": "creatinine", "value": 1.0, "unit": "mg/dL", "date": "2026-01-01"},
        {"name": "alt", "value": 30, "unit": "Units per litre", "date": "2026-01-01"},
    ]}  # fmt: skip
    with pytest.raises(PatientRecordError) as err:
        parse_patient(json.dumps(record), source="p.json")
    assert err.value.field == "labs[1].unit"
    assert err.value.file == "p.json"


@pytest.mark.parametrize(
    ("field", "given", "read"),
    [
        ("sex", "M", "male"), ("sex", "Female", "female"), ("sex", " F ", "female"),
        ("histology", "net", "NET"), ("histology", "minen", "MiNEN"), ("grade", "g2", "G2"),
        ("grade", 3, "G3"), ("grade", "1", "G1"),
        ("lesion_modality", "ct", "CT"), ("lesion_modality", "MRI", "MR"),
        ("lesion_modality", "pet-ct", "PET/CT"), ("imaging_modality", "PET CT", "PET/CT"),
        ("imaging_modality", "spect/ct", "SPECT/CT"),
    ],
)  # fmt: skip
def test_common_spellings_of_coded_values_are_read(field: str, given: object, read: str) -> None:
    record = json.loads(json.dumps(MINIMAL))
    record["diagnosis"] = {"histology": "NET"}
    record["lesions"] = [{"id": "L1", "site": "liver", "modality": "CT", "date": "2026-01-01"}]
    record["imaging"] = [{"modality": "PET", "date": "2026-01-01"}]
    if field == "sex":
        record["demographics"]["sex"] = given
    elif field in ("histology", "grade"):
        record["diagnosis"][field] = given
    else:
        record["lesions" if field.startswith("lesion") else "imaging"][0]["modality"] = given
    p = parse_patient(json.dumps(record))
    got = {
        "sex": p.demographics.sex,
        "histology": p.diagnosis.histology if p.diagnosis else None,
        "grade": p.diagnosis.grade if p.diagnosis else None,
        "lesion_modality": p.lesions[0].modality,
        "imaging_modality": p.imaging[0].modality,
    }[field]
    assert got == read


@pytest.mark.parametrize(("field", "bad"), [("sex", "O"), ("sex", "unknown"), ("grade", "G4")])
def test_other_coded_values_are_still_refused(field: str, bad: str) -> None:
    record = json.loads(json.dumps(MINIMAL))
    record["diagnosis"] = {"histology": "NET"}
    if field == "sex":
        record["demographics"]["sex"] = bad
    else:
        record["diagnosis"]["grade"] = bad
    with pytest.raises(PatientRecordError) as err:
        parse_patient(json.dumps(record))
    assert err.value.field == ("demographics.sex" if field == "sex" else "diagnosis.grade")


@pytest.mark.parametrize(
    "text",
    [
        '{"patient_id": "P-001", "patient_id": "P-002",\n "demographics": {"sex": "male"}}',
        "patient_id: P-001\ndemographics: {age_years: 60, sex: male, sex: female}\n",
    ],
)
def test_a_repeated_key_is_rejected_not_overwritten(text: str) -> None:
    with pytest.raises(PatientRecordError, match="repeated") as err:
        parse_patient(text, source="p.json")
    assert err.value.line is not None
    assert err.value.hint == "keep one value per key"


@pytest.mark.parametrize("value", ["1e400", "-1e400", "NaN"])
def test_a_lab_value_must_be_finite(value: str) -> None:
    lab = f'{{"name": "creatinine", "value": {value}, "unit": "mg/dL", "date": "2026-01-01"}}'
    text = json.dumps(MINIMAL)[:-1] + f', "labs": [{lab}]}}'
    with pytest.raises(PatientRecordError) as err:
        parse_patient(text)
    assert err.value.field == "labs[0].value"


def test_a_file_that_is_not_utf8_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_bytes(b"\xff\xfe" + json.dumps(MINIMAL).encode("utf-16-le"))
    with pytest.raises(PatientRecordError, match="UTF-8") as err:
        load_patient(path)
    assert err.value.file == str(path)


def test_a_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(MINIMAL).encode())
    assert load_patient(path).patient_id == "P-001"


@pytest.mark.parametrize("text", ["[1, 2]", "just text", "42", ""])
def test_record_must_be_an_object(text: str) -> None:
    with pytest.raises(PatientRecordError, match="object"):
        parse_patient(text)


@pytest.mark.parametrize(
    ("site", "gep"),
    [("pancreas", True), ("Small intestine", True), ("ileum", True), ("rectum", True),
     ("lung", False), ("thymus", False), (None, None)],
)  # fmt: skip
def test_gep_primary_sites(site: str | None, gep: bool | None) -> None:
    assert Diagnosis(histology="NET", primary_site=site).gep is gep
    assert "pancreas" in GEP_SITES


def test_bundled_patients_are_valid_and_pseudonymous() -> None:
    from importlib import resources

    folder = resources.files("theratrial") / "data" / "patients"
    entries = [e for e in folder.iterdir() if e.name.endswith(".yaml")]
    patients = [parse_patient(e.read_text(encoding="utf-8"), source=e.name) for e in entries]
    assert len(patients) >= 15
    assert all(isinstance(p, Patient) for p in patients)
    assert len({p.patient_id for p in patients}) == len(patients)
    assert all(p.patient_id.startswith("DEMO-") for p in patients)


@pytest.mark.parametrize(
    ("name", "value"), [("creatinine", -1.1), ("platelets", -150), ("alt", -0.5)]
)
def test_a_negative_lab_value_is_refused_with_the_field(name: str, value: float) -> None:
    lab = {"name": name, "value": value, "unit": "mg/dL", "date": "2026-01-01"}
    with pytest.raises(PatientRecordError, match="below zero") as err:
        parse_patient(json.dumps({**MINIMAL, "labs": [lab]}), source="p.json")
    assert err.value.field == "labs[0].value"
    assert err.value.file == "p.json"


@pytest.mark.parametrize(
    ("name", "value"),
    [("base excess", -4.0), ("BE", -2.5), ("anion gap", -1.0), ("creatinine", 0.0)],
)
def test_signed_differences_and_zero_are_accepted(name: str, value: float) -> None:
    lab = {"name": name, "value": value, "unit": "mmol/L", "date": "2026-01-01"}
    patient = parse_patient(json.dumps({**MINIMAL, "labs": [lab]}))
    assert patient.labs[0].value == value
