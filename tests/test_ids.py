"""The one pseudonym rule (theratrial.ids) and every place a patient id comes in.

Before the rule was shared, ``screen`` (eligibility) refused only spaces, the phantoms
refused spaces and ``^ \\ /``, the store used an anchored regex that let a trailing newline
through, and ``quantify --patient`` had a fourth variant: '../../etc/passwd' and Unicode
ids passed some and not others. Each entry point must now give the same verdict.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from theratrial.eligibility import parse_patient
from theratrial.errors import InputError, ParameterError, PatientRecordError
from theratrial.ids import (
    MAX_PSEUDONYM_LENGTH,
    PSEUDONYM_HINT,
    check_pseudonym,
    is_pseudonym,
)
from theratrial.phantoms._patient_draws import pseudonym
from theratrial.store import connect, get_or_create_patient, session_scope

GOOD = ["VP-000001", "SITE-01_P.007", "TRIAL-07_0012", "DEMO-001", "a", "0", "P1.", "x" * 64]
BAD = [
    "",
    "John Smith",
    "SMITH^JOHN",  # a DICOM person name
    "../../etc/passwd",
    "..",
    ".hidden",
    "-rf",
    "_P1",
    "a/b",
    "a\\b",
    "P1\n",  # the store's old anchored regex accepted this one
    "P\t1",
    "Jöhn",
    "患者1",
    "ＰＡＴ1",  # full-width letters
    "P\u200b1",  # zero-width space
    "x" * 65,
]


@pytest.mark.parametrize("text", GOOD)
def test_pseudonyms_are_accepted_unchanged(text: str) -> None:
    assert is_pseudonym(text)
    assert check_pseudonym(text) == text


@pytest.mark.parametrize("text", BAD)
def test_non_pseudonyms_are_refused_with_field_and_hint(text: str) -> None:
    assert not is_pseudonym(text)
    with pytest.raises(ParameterError) as err:
        check_pseudonym(text, field="--patient", file="ids.csv")
    assert isinstance(err.value, InputError)
    assert (err.value.field, err.value.file, err.value.hint) == (
        "--patient",
        "ids.csv",
        PSEUDONYM_HINT,
    )
    assert "pseudonym" in str(err.value)
    if text.strip() and len(text) > 1:
        assert text not in str(err.value)  # never echo what may be a name


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "empty"),
        ("x" * 65, "65 characters"),
        (".x", "first character"),
        ("P 001", "character 2 of 5 is a space"),
        ("AB/C", "character 3 of 4 is not allowed"),
    ],
)
def test_the_message_says_what_is_wrong(text: str, words: str) -> None:
    with pytest.raises(ParameterError, match=words):
        check_pseudonym(text)


def test_non_text_is_refused() -> None:
    assert not is_pseudonym(12)
    with pytest.raises(ParameterError, match="int"):
        check_pseudonym(12)


def test_the_limit_is_the_dicom_lo_length() -> None:
    # (0010,0020) Patient ID is LO: at most 64 characters (DICOM PS3.5 6.2)
    assert MAX_PSEUDONYM_LENGTH == 64


def _record_error(text: str) -> PatientRecordError | None:
    record = {"patient_id": text, "demographics": {"age_years": 60, "sex": "male"}}
    try:
        parse_patient(json.dumps(record), source="p.json")
    except PatientRecordError as exc:
        return exc
    return None


def _phantom_error(text: str) -> ParameterError | None:
    try:
        pseudonym(text)
    except ParameterError as exc:
        return exc
    return None


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    eng = connect(f"sqlite:///{tmp_path_factory.mktemp('ids') / 'ids.sqlite'}")
    yield eng
    eng.dispose()


def _store_error(engine: Engine, text: str) -> InputError | None:
    try:
        with session_scope(engine) as session:
            get_or_create_patient(session, text)
    except InputError as exc:
        return exc
    return None


@pytest.mark.parametrize("text", GOOD + BAD)
def test_every_entry_point_gives_the_same_verdict(engine: Engine, text: str) -> None:
    refused = not is_pseudonym(text)
    record, phantom, store = _record_error(text), _phantom_error(text), _store_error(engine, text)
    assert (record is not None, phantom is not None, store is not None) == (refused,) * 3
    if record is not None:
        assert (record.field, record.file, record.hint) == ("patient_id", "p.json", PSEUDONYM_HINT)
    if phantom is not None and store is not None:
        assert phantom.field == store.field == "patient_id"
        assert "pseudonym" in str(store)


def test_bundled_patients_follow_the_rule() -> None:
    folder = Path(__file__).resolve().parents[1] / "src" / "theratrial" / "data" / "patients"
    ids = [
        line.split(":", 1)[1].strip()
        for path in sorted(folder.iterdir())
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.startswith("patient_id:")
    ]
    assert ids
    assert all(is_pseudonym(i) for i in ids)
