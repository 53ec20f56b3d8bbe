"""Fingerprints, the state key, URLs and scopes."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from reconciler.errors import ConfigError
from reconciler.state import fingerprint, open_store
from reconciler.state.identity import key_from_environment
from reconciler.state.locks import scopes_conflict
from reconciler.state.urls import display_url, sqlite_path


def test_fingerprints_are_keyed_and_never_the_raw_value() -> None:
    one = fingerprint(b"k" * 32, "hunter22")
    assert one == fingerprint(b"k" * 32, "hunter22")
    assert one != fingerprint(b"j" * 32, "hunter22")
    assert one != fingerprint(b"k" * 32, "hunter23")
    assert one.startswith("hmac-sha256:")
    assert len(one) == len("hmac-sha256:") + 64
    assert "hunter22" not in one


def test_the_state_key_is_read_as_hex_or_base64() -> None:
    key = bytes(range(32))
    assert key_from_environment({"RECONCILER_STATE_KEY": key.hex()}) == key
    assert key_from_environment({"RECONCILER_STATE_KEY": base64.b64encode(key).decode()}) == key
    urlsafe = base64.urlsafe_b64encode(bytes([251] * 32)).decode().rstrip("=")
    assert key_from_environment({"RECONCILER_STATE_KEY": urlsafe}) == bytes([251] * 32)
    assert key_from_environment({}) is None


@pytest.mark.parametrize("value", ["short", "abcd", "not base64 at all!"])
def test_a_weak_or_unreadable_state_key_is_refused_without_echoing_it(value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        key_from_environment({"RECONCILER_STATE_KEY": value})
    assert str(caught.value) == (
        "RECONCILER_STATE_KEY must be at least 16 bytes written as hex or base64 "
        "(e.g. the output of `openssl rand -hex 32`)"
    )


def test_display_url_drops_passwords() -> None:
    assert display_url("postgresql://ci:pw@db:5432/state?schema=x&password=pw") == (
        "postgresql://ci@db:5432/state?schema=x"
    )
    assert display_url("sqlite:///.reconciler/state.db") == "sqlite:///.reconciler/state.db"


def test_sqlite_paths_are_relative_to_the_base_dir_unless_absolute(tmp_path: Path) -> None:
    assert sqlite_path("sqlite:///a/b.db", base_dir=tmp_path) == tmp_path / "a" / "b.db"
    assert sqlite_path("sqlite:////abs/b.db", base_dir=tmp_path) == Path("/abs/b.db")
    with pytest.raises(ConfigError) as caught:
        sqlite_path("sqlite://", base_dir=tmp_path)
    assert str(caught.value) == "invalid SQLite state URL 'sqlite://': expected sqlite:///PATH"


def test_an_unknown_backend_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        open_store("s3://bucket/state?password=pw", base_dir=tmp_path)
    assert str(caught.value) == (
        "unsupported state URL 's3://bucket/state': use sqlite:///PATH or postgresql://..."
    )


@pytest.mark.parametrize(
    ("a", "b", "conflict"),
    [
        ("*", "*", True),
        ("*", "integration:emea", True),
        ("integration:emea", "*", True),
        ("integration:emea", "integration:emea", True),
        ("integration:emea", "integration:apac", False),
    ],
)
def test_scope_conflicts(a: str, b: str, conflict: bool) -> None:
    assert scopes_conflict(a, b) is conflict
