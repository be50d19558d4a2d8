"""Electronic signatures: the password re-asked, bound to a content hash, voided by a change."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from theratrial.api import signatures
from theratrial.api.accounts import AuthError, Principal, add_user
from theratrial.api.audit import list_records, verify_chain
from theratrial.api.signatures import MEANINGS, content_hash, sign, signatures_for
from theratrial.errors import InputError
from theratrial.store import connect, session_scope
from theratrial.store.models_service import SignatureRow

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
PW = "correct horse battery"
DOSIMETRY = {"patient_id": "NET-001", "cycle": 1, "kidney_dose_gy": 3.1, "marrow_dose_gy": 0.2}


@pytest.fixture(autouse=True)
def _low_cost(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THERATRIAL_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("THERATRIAL_ARGON2_MEMORY_KIB", "1024")


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = connect(f"sqlite:///{tmp_path / 'sig.sqlite'}")
    yield eng
    eng.dispose()


@pytest.fixture
def physicist(engine: Engine) -> Principal:
    with session_scope(engine) as session:
        return add_user(session, "phys1", role="physicist", sites=["S1"], password=PW)


def _sign(
    engine: Engine,
    who: Principal,
    password: str = PW,
    *,
    meaning: str = "approved",
    content: dict[str, object] = DOSIMETRY,
    now: datetime = T0,
) -> signatures.SignatureView:
    with session_scope(engine) as session:
        return sign(
            session,
            who,
            password=password,
            entity="cycle",
            entity_id="NET-001/1",
            meaning=meaning,
            content=content,
            now=now,
        )


def test_public_api_is_pinned() -> None:
    assert sorted(signatures.__all__) == sorted(
        ["MEANINGS", "SignatureView", "content_hash", "sign", "signatures_for"]
    )
    assert MEANINGS == ("reviewed", "approved", "prescribed", "decided")


def test_content_hash_is_sha256_of_canonical_json() -> None:
    assert content_hash({}) == hashlib.sha256(b"{}").hexdigest()
    assert content_hash({"b": 1, "a": 2.5}) == hashlib.sha256(b'{"a":2.5,"b":1}').hexdigest()


def test_signature_binds_to_the_content_and_a_change_voids_it(
    engine: Engine, physicist: Principal
) -> None:
    view = _sign(engine, physicist)
    assert view.valid
    assert (view.username, view.role, view.meaning, view.signed_at) == (
        "phys1",
        "physicist",
        "approved",
        T0,
    )
    assert view.content_sha256 == content_hash(DOSIMETRY)
    with session_scope(engine) as session:
        [same] = signatures_for(session, "cycle", "NET-001/1", current=dict(DOSIMETRY))
        assert same.valid
        changed = {**DOSIMETRY, "kidney_dose_gy": 3.2}
        [void] = signatures_for(session, "cycle", "NET-001/1", current=changed)
        assert not void.valid
        assert void.id == view.id
        assert signatures_for(session, "cycle", "NET-002/1", current=DOSIMETRY) == []
        [rec] = list_records(session)
        assert (rec.user, rec.action, rec.entity, rec.entity_id) == (
            "phys1",
            "sign",
            "cycle",
            "NET-001/1",
        )
        assert rec.changes[0][2]["meaning"] == "approved"
        assert rec.changes[0][2]["content_sha256"] == view.content_sha256
        assert verify_chain(session).ok


def test_wrong_password_signs_nothing_and_counts_towards_lockout(
    engine: Engine, physicist: Principal
) -> None:
    for _ in range(5):
        with pytest.raises(AuthError):
            _sign(engine, physicist, "not my password")
    with pytest.raises(AuthError) as info:
        _sign(engine, physicist, PW, now=T0 + timedelta(minutes=1))
    assert info.value.locked_until is not None
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(SignatureRow)) == 0
        assert "sign" not in {r.action for r in list_records(session)}


@pytest.mark.parametrize("meaning", ["approve", "", "APPROVED", "signed"])
def test_unknown_meaning_is_refused(engine: Engine, physicist: Principal, meaning: str) -> None:
    with pytest.raises(InputError) as info:
        _sign(engine, physicist, meaning=meaning)
    assert info.value.field == "meaning"
