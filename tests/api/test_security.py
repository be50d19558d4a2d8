"""Password hashing (argon2id through pwdlib), secrets and their digests."""

from __future__ import annotations

import pytest

from theratrial.api import security
from theratrial.api.security import digest, hash_password, new_secret, verify_password
from theratrial.errors import ParameterError


@pytest.fixture(autouse=True)
def _low_cost(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THERATRIAL_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("THERATRIAL_ARGON2_MEMORY_KIB", "1024")


def test_public_api_is_pinned() -> None:
    assert sorted(security.__all__) == sorted(
        [
            "MEMORY_COST_ENV",
            "TIME_COST_ENV",
            "digest",
            "hash_password",
            "new_secret",
            "verify_password",
        ]
    )


def test_hash_is_argon2id_with_the_cost_from_the_environment() -> None:
    hashed = hash_password("correct horse battery staple")
    assert hashed.startswith("$argon2id$v=19$m=1024,t=1,")
    assert verify_password("correct horse battery staple", hashed)
    assert not verify_password("correct horse battery stapl", hashed)


def test_same_password_gets_a_new_salt_each_time() -> None:
    assert hash_password("a long passphrase") != hash_password("a long passphrase")


def test_a_hash_made_at_one_cost_verifies_at_another(monkeypatch: pytest.MonkeyPatch) -> None:
    hashed = hash_password("a long passphrase")
    monkeypatch.setenv("THERATRIAL_ARGON2_TIME_COST", "2")
    assert verify_password("a long passphrase", hashed)
    assert "t=2," in hash_password("a long passphrase")


@pytest.mark.parametrize("bad", ["", "not-a-hash", "$2b$12$abcdefghijklmnopqrstuv"])
def test_malformed_hash_verifies_nothing(bad: str) -> None:
    assert verify_password("anything at all", bad) is False


@pytest.mark.parametrize("value", ["0", "-1", "three"])
def test_bad_cost_names_the_variable(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("THERATRIAL_ARGON2_TIME_COST", value)
    with pytest.raises(ParameterError) as info:
        hash_password("a long passphrase")
    assert info.value.field == "THERATRIAL_ARGON2_TIME_COST"


@pytest.mark.parametrize(
    ("text", "expected"),
    [  # FIPS 180-2, Appendix B.1 and the empty string
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    ],
)
def test_digest_is_sha256_hex(text: str, expected: str) -> None:
    assert digest(text) == expected


def test_new_secret_has_256_bits_and_never_repeats() -> None:
    secrets = {new_secret() for _ in range(200)}
    assert len(secrets) == 200
    assert all(len(s) == 43 for s in secrets)  # 32 bytes, URL-safe base64 without padding
