"""Which hosts a dotmailer API user's credentials may follow (SPEC §3, §8)."""

from __future__ import annotations

import pytest

from reconciler.providers.endpoints import (
    is_loopback_host,
    normalise_endpoint,
    trusted_api_endpoint,
)

OVERRIDE = "http://127.0.0.1:8080"


@pytest.mark.parametrize(
    ("endpoint", "override", "trusted"),
    [
        # Official hosts, with or without an override.
        ("https://r2-api.dotdigital.com/", None, True),
        ("https://r2-api.dotdigital.com/", OVERRIDE, True),
        # Without an override nothing else, loopback included.
        ("http://127.0.0.1:8080/", None, False),
        ("http://localhost:8080/", None, False),
        # With one: exactly its origin (region paths of the emulator included) ...
        ("http://127.0.0.1:8080/", OVERRIDE, True),
        ("http://127.0.0.1:8080/r2/", OVERRIDE, True),
        ("http://127.0.0.1:8080/r2/", "http://127.0.0.1:8080/v2", True),
        ("https://dm.test/", "https://dm.test:443/", True),
        # ... and no other port, host name, scheme or loopback address.
        ("http://127.0.0.1:8081/", OVERRIDE, False),
        ("http://localhost:8080/", OVERRIDE, False),
        ("http://127.0.0.2:8080/", OVERRIDE, False),
        ("https://127.0.0.1:8080/", OVERRIDE, False),
        ("http://[::1]:8080/", OVERRIDE, False),
        ("http://attacker.example:8080/", OVERRIDE, False),
        # Userinfo and other schemes never.
        ("http://user@127.0.0.1:8080/", OVERRIDE, False),
        ("ftp://127.0.0.1:8080/", "ftp://127.0.0.1:8080/", False),
        ("http://127.0.0.1:notaport/", OVERRIDE, False),
    ],
)
def test_api_endpoint_is_followed_only_to_official_hosts_or_the_override_origin(
    endpoint: str, override: str | None, trusted: bool
) -> None:
    assert trusted_api_endpoint(endpoint, override) is trusted


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("LOCALHOST", True),
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("0.0.0.0", False),
        ("10.0.0.1", False),
        ("localhost.attacker.example", False),
        ("", False),
    ],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


def test_endpoints_lose_their_trailing_slash_and_v2() -> None:
    assert [
        normalise_endpoint(url)
        for url in ("https://r1-api.dotdigital.com/", "http://127.0.0.1:8080/r2/v2/", " x/ ")
    ] == ["https://r1-api.dotdigital.com", "http://127.0.0.1:8080/r2", "x"]
