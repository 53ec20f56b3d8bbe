"""Which hosts may receive a dotmailer API user's credentials (SPEC §3, §8).

``GET /v2/account-info`` names the account's ``ApiEndpoint``, and every later call (with HTTP
Basic credentials) goes there. It is followed only to an official Dotdigital API host, or, when
the run has an API URL override (a local emulator, or one pinned by the environment), to
exactly that override's origin: scheme, host and port. No other host is trusted, loopback
included: a second listener on 127.0.0.1 is as foreign as any other.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

__all__ = [
    "is_loopback_host",
    "is_official_endpoint",
    "normalise_endpoint",
    "trusted_api_endpoint",
]

# dotdigital-api-v2.md §1, M2 Test.php::validateEndpoint, applied to the host name only (M2's
# ``api(.*)`` would also let a path through): r1-api.dotdigital.com, api.dotmailer.com, ...
_OFFICIAL_HOSTS = (
    re.compile(r"^(r[0-9]+-)?api[a-z0-9-]*\.(dotmailer|dotdigital)\.com$"),
    re.compile(r"^(r[0-9]+\.)?apiconnector\.com$"),
)
_DEFAULT_PORTS = {"http": 80, "https": 443}

Origin = tuple[str, str, int | None]


def is_official_endpoint(url: str) -> bool:
    """True for an https URL on an official API host, with no userinfo, port or path."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return (
        parts.scheme == "https"
        and "@" not in parts.netloc
        and parts.port in (None, 443)
        and parts.path in ("", "/")
        and not parts.query
        and any(pattern.match(host) for pattern in _OFFICIAL_HOSTS)
    )


def is_loopback_host(host: str) -> bool:
    """``localhost`` or a loopback IP address (127.0.0.0/8, ::1), as ``urlsplit`` names it."""
    name = host.lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _origin(url: str) -> Origin | None:
    """(scheme, host, port) of an http(s) URL without userinfo, else None."""
    parts = urlsplit(url)
    if parts.scheme not in _DEFAULT_PORTS or "@" in parts.netloc or not parts.hostname:
        return None
    try:
        port = parts.port
    except ValueError:
        return None
    return parts.scheme, parts.hostname.lower(), port or _DEFAULT_PORTS[parts.scheme]


def trusted_api_endpoint(endpoint: str, override: str | None) -> bool:
    """May the credentials follow ``endpoint``? An official host always; with an override,
    also exactly the override's origin (its region paths such as ``/r2/`` included)."""
    if is_official_endpoint(endpoint):
        return True
    if override is None:
        return False
    origin = _origin(endpoint)
    return origin is not None and origin == _origin(override)


def normalise_endpoint(url: str) -> str:
    """``https://r1-api.dotdigital.com/`` -> ``https://r1-api.dotdigital.com`` (ORO appends /v2)."""
    base = url.strip().rstrip("/")
    return base[: -len("/v2")] if base.endswith("/v2") else base
