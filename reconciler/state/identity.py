"""Who is running and how secrets are fingerprinted: the identity a lock and a run record carry.

A lock names its holder (user, host, pid, CI run URL) so someone who is blocked knows whom to ask
(plan-apply-anchors.md §3 complaint 9). Secret values are never stored, only keyed HMAC
fingerprints (SPEC §2.5); the key comes from $RECONCILER_STATE_KEY or is kept in the state.
"""

from __future__ import annotations

import base64
import binascii
import getpass
import hashlib
import hmac
import os
import re
import socket
from collections.abc import Mapping

from reconciler.errors import ConfigError

STATE_KEY_ENV = "RECONCILER_STATE_KEY"
FINGERPRINT_PREFIX = "hmac-sha256:"


def fingerprint(key: bytes, value: str) -> str:
    """Keyed HMAC-SHA256 of a secret value, hex, prefixed 'hmac-sha256:' (SPEC §2.5)."""
    digest = hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()
    return FINGERPRINT_PREFIX + digest


def key_from_environment(environ: Mapping[str, str] | None = None) -> bytes | None:
    """$RECONCILER_STATE_KEY decoded from hex or base64 (at least 16 bytes), None when unset."""
    env = os.environ if environ is None else environ
    text = env.get(STATE_KEY_ENV, "").strip()
    if not text:
        return None
    key: bytes | None = None
    if re.fullmatch(r"(?:[0-9a-fA-F]{2})+", text):
        key = bytes.fromhex(text)
    else:
        padded = text + "=" * (-len(text) % 4)
        try:
            if "-" in text or "_" in text:
                key = base64.b64decode(padded, altchars=b"-_", validate=True)
            else:
                key = base64.b64decode(padded, validate=True)
        except (binascii.Error, ValueError):
            key = None
    if key is None or len(key) < 16:
        # Never echo the value: it is a secret.
        raise ConfigError(
            f"{STATE_KEY_ENV} must be at least 16 bytes written as hex or base64 "
            "(e.g. the output of `openssl rand -hex 32`)"
        )
    return key


def current_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid{os.getuid()}"


def current_host() -> str:
    return socket.gethostname()


def ci_run_url(environ: Mapping[str, str] | None = None) -> str | None:
    """The CI job's URL from GitHub Actions or GitLab CI variables, when present."""
    env = os.environ if environ is None else environ
    server, repo, run = (
        env.get("GITHUB_SERVER_URL"),
        env.get("GITHUB_REPOSITORY"),
        env.get("GITHUB_RUN_ID"),
    )
    if server and repo and run:
        return f"{server.rstrip('/')}/{repo}/actions/runs/{run}"
    return env.get("CI_JOB_URL") or None
