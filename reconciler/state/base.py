"""The state store interface (SPEC §5) shared by the SQLite and PostgreSQL backends.

The state is what this tool last wrote: per object its remote ids, the last-applied declared values,
keyed fingerprints of secrets and a fingerprint of the live object. It carries a lineage UUID and a
serial; writes are compare-and-swap on the serial (plan-apply-anchors.md §2.1, §4). Locks are per
scope ("*" or "integration:<name>"), visible (holder, run URL, heartbeat) and die with their holder
(plan-apply-anchors.md §3 complaints 2 and 9). A write-ahead journal records the intent of every
remote call before it is made and the outcome after (plan-apply-anchors.md §2.12, complaint 4).
"""

from __future__ import annotations

import base64
import binascii
import getpass
import hashlib
import hmac
import json
import os
import re
import socket
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from reconciler.errors import ConfigError, LockError, StateError

DEFAULT_STATE_URL = "sqlite:///.reconciler/state.db"
STATE_KEY_ENV = "RECONCILER_STATE_KEY"
FINGERPRINT_PREFIX = "hmac-sha256:"

WHOLE_CONFIG = "*"
INTEGRATION_SCOPE_PREFIX = "integration:"

# Journal outcomes; None means "intent written, outcome never recorded" (a crash in between).
OUTCOME_OK = "ok"
OUTCOME_FAILED = "failed"
OUTCOME_UNKNOWN = "unknown"
OUTCOMES = (OUTCOME_OK, OUTCOME_FAILED, OUTCOME_UNKNOWN)


@dataclass(frozen=True)
class ObjectRecord:
    """One managed object as this tool last wrote it."""

    address: str  # e.g. 'integration.emea.data_field.LOYALTY'
    kind: str  # 'integration' | 'data_field' | 'address_book' | 'mapping' | 'owner'
    integration: str | None  # the integration it belongs to (None for owners)
    remote_ids: Mapping[str, str]  # e.g. {'oro': '12', 'dotmailer': '345'}
    applied: Mapping[str, Any]  # last-applied declared values (JSON-able, never secrets)
    secret_fingerprints: Mapping[str, str]  # field -> keyed HMAC fingerprint
    remote_fingerprint: str  # hash of the live object as last seen after apply
    updated_at: str  # ISO UTC

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "kind": self.kind,
            "integration": self.integration,
            "remote_ids": dict(sorted(self.remote_ids.items())),
            "applied": _sorted_json(self.applied),
            "secret_fingerprints": dict(sorted(self.secret_fingerprints.items())),
            "remote_fingerprint": self.remote_fingerprint,
            "updated_at": self.updated_at,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ObjectRecord:
        return cls(
            address=str(data["address"]),
            kind=str(data["kind"]),
            integration=None if data.get("integration") is None else str(data["integration"]),
            remote_ids={str(k): str(v) for k, v in dict(data.get("remote_ids") or {}).items()},
            applied=dict(data.get("applied") or {}),
            secret_fingerprints={
                str(k): str(v) for k, v in dict(data.get("secret_fingerprints") or {}).items()
            },
            remote_fingerprint=str(data.get("remote_fingerprint") or ""),
            updated_at=str(data.get("updated_at") or ""),
        )


@dataclass(frozen=True)
class Snapshot:
    """The whole state at one serial."""

    lineage: str
    serial: int
    objects: Mapping[str, ObjectRecord]  # by address


@dataclass(frozen=True)
class LockInfo:
    """Who holds (or held) a lock. ``took_over`` describes a dead holder whose lock we took."""

    id: str
    scope: str
    user: str
    host: str
    pid: int
    run_url: str | None
    started_at: str
    heartbeat_at: str
    operation: str
    took_over: str | None = field(default=None, compare=False)  # a notice, not identity

    def holder(self) -> str:
        """'alice@ci-7 pid 4242, since 2026-11-26T21:00:00Z, operation apply'."""
        return (
            f"{self.user}@{self.host} pid {self.pid}, since {self.started_at}, "
            f"operation {self.operation}" + (f", run {self.run_url}" if self.run_url else "")
        )


@dataclass(frozen=True)
class JournalEntry:
    """One remote call of an apply: intent first, outcome after (None = never recorded)."""

    id: int
    run_id: str
    address: str
    step: str
    intent: Mapping[str, Any]
    outcome: str | None  # None | 'ok' | 'failed' | 'unknown'
    result: Mapping[str, Any] | None
    started_at: str
    finished_at: str | None
    resolution: str | None = None  # set by resolve_journal; resolved entries are not pending


@dataclass(frozen=True)
class RunRecord:
    """One entry of the append-only run log."""

    id: str
    command: str
    user: str
    git_sha: str | None
    plan_digest: str | None
    started_at: str
    finished_at: str | None
    status: str | None  # None while running; e.g. 'ok' | 'failed' | 'partial' | 'interrupted'
    summary: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class StateDump:
    """Everything a migration copies: lineage, serial, objects, run log, journal, stored key."""

    lineage: str
    serial: int
    objects: tuple[ObjectRecord, ...]
    runs: tuple[RunRecord, ...]
    journal: tuple[JournalEntry, ...]
    stored_key: bytes | None  # the key kept in the state's metadata (None when never created)

    def is_empty(self) -> bool:
        return self.serial == 0 and not (self.objects or self.runs or self.journal)


class StateStore(Protocol):
    """What plan and apply need from the state (SPEC §5)."""

    url: str  # display form, never a password

    def read(self) -> Snapshot:
        """The current snapshot; creates an empty state (new lineage, serial 0) on first use."""
        ...

    def write(
        self, expected_serial: int, upserts: Sequence[ObjectRecord], removals: Sequence[str]
    ) -> int:
        """Atomic compare-and-swap; raises StaleStateError when the serial moved. New serial."""
        ...

    def scopes_written_since(self, serial: int) -> list[str]:
        """Lock scopes ('*', 'integration:<name>') written after ``serial``, sorted; a saved
        plan whose scopes do not conflict with these is still current."""
        ...

    def lock(
        self, scope: str, *, operation: str, timeout: float, run_url: str | None = None
    ) -> AbstractContextManager[LockInfo]:
        """Hold the lock for ``scope`` (polling up to ``timeout`` s); LockError names the holder."""
        ...

    def locks(self) -> list[LockInfo]:
        """Locks currently held, sorted by scope then id."""
        ...

    def unlock(self, lock_id: str, *, force: bool = False) -> LockInfo:
        """Remove a lock; refused while the holder's heartbeat is fresh unless ``force``."""
        ...

    def journal_intent(
        self, run_id: str, address: str, step: str, intent: Mapping[str, Any]
    ) -> int:
        """Record the intent durably (committed) BEFORE the remote call; returns the entry id."""
        ...

    def journal_outcome(
        self, entry_id: int, outcome: str, result: Mapping[str, Any] | None
    ) -> None: ...

    def pending_journal(self) -> list[JournalEntry]:
        """Unresolved entries with no outcome or outcome 'unknown', oldest first."""
        ...

    def resolve_journal(self, entry_ids: Sequence[int], resolution: str) -> None: ...

    def begin_run(
        self, command: str, *, user: str, git_sha: str | None, plan_digest: str | None
    ) -> str: ...

    def end_run(self, run_id: str, status: str, summary: Mapping[str, int]) -> None: ...

    def runs(self, limit: int = 20) -> list[RunRecord]:
        """The newest runs first."""
        ...

    def secret_key(self) -> bytes:
        """$RECONCILER_STATE_KEY when set, else a random key stored once in the state."""
        ...

    def dump(self) -> StateDump:
        """Everything :mod:`reconciler.state.migrate` copies."""
        ...

    def restore(self, dump: StateDump) -> None:
        """Load a dump into this (empty) store; StateError when it already holds anything."""
        ...

    def close(self) -> None: ...


def open_store(url: str, *, base_dir: Path) -> StateStore:
    """Open the store a URL names: 'sqlite:///rel/or/abs.db' (relative to ``base_dir``) or
    'postgresql://user@host:port/db?schema=name'."""
    scheme = urlsplit(url).scheme.lower()
    if scheme == "sqlite":
        from reconciler.state.sqlite import SqliteStore

        return SqliteStore(sqlite_path(url, base_dir=base_dir))
    if scheme in ("postgresql", "postgres"):
        from reconciler.state.postgres import PostgresStore

        return PostgresStore(url)
    raise ConfigError(
        f"unsupported state URL {display_url(url)!r}: use sqlite:///PATH or postgresql://..."
    )


def sqlite_path(url: str, *, base_dir: Path) -> Path:
    """'sqlite:///a/b.db' -> base_dir/a/b.db; 'sqlite:////abs/b.db' -> /abs/b.db."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or len(url) == len(prefix):
        raise ConfigError(f"invalid SQLite state URL {url!r}: expected sqlite:///PATH")
    path = Path(url[len(prefix) :])
    return path if path.is_absolute() else base_dir / path


def display_url(url: str) -> str:
    """The URL without password (userinfo or ``password=`` query parameter)."""
    parts = urlsplit(url)
    query_pairs = parse_qsl(parts.query, keep_blank_values=True)
    if "@" not in parts.netloc and all(k != "password" for k, _ in query_pairs):
        return url
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}@{hostport}" if user else hostport
    query = urlencode([(k, v) for k, v in query_pairs if k != "password"])
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


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


def validate_scope(scope: str) -> str:
    """'*' or 'integration:<name>'; anything else is a programming error in the caller."""
    if scope == WHOLE_CONFIG:
        return scope
    if scope.startswith(INTEGRATION_SCOPE_PREFIX) and len(scope) > len(INTEGRATION_SCOPE_PREFIX):
        return scope
    raise StateError(f"invalid lock scope {scope!r}: use '*' or 'integration:<name>'")


def scopes_conflict(a: str, b: str) -> bool:
    """'*' conflicts with everything; two integration scopes only when they are the same."""
    return WHOLE_CONFIG in (a, b) or a == b


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """ISO 8601 UTC with microseconds and a 'Z', so text order is time order."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def dumps(value: Any) -> str:
    """Canonical JSON for storage: sorted keys, no whitespace."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _sorted_json(value: Mapping[str, Any]) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(dumps(dict(value)))
    return loaded


def iter_sorted(objects: Mapping[str, ObjectRecord]) -> Iterator[ObjectRecord]:
    for address in sorted(objects):
        yield objects[address]


def lock_error(url: str, scope: str, blocking: Sequence[LockInfo], timeout: float) -> LockError:
    """The one message for a lock we could not get: every holder, with what to do next."""
    holders = "; ".join(
        f"{info.holder()} (lock {info.id} on {info.scope}, heartbeat {info.heartbeat_at})"
        for info in sorted(blocking, key=lambda i: (i.scope, i.id))
    )
    return LockError(
        f"state {url} is locked for {scope} by {holders or 'another session'}; "
        f"gave up after {timeout:g}s. Wait with --lock-timeout, or run "
        "`reconciler state unlock ID` if the holder is gone."
    )
