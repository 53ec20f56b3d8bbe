"""What a state holds (SPEC §5): frozen JSON-able records and the canonical JSON that stores them.

Per object: its remote ids, the last-applied declared values, keyed fingerprints of secrets and a
fingerprint of the live object (:class:`ObjectRecord`), gathered at one serial of one lineage
(:class:`Snapshot`). Beside them: who holds a lock (:class:`LockInfo`), the write-ahead journal
of remote calls (:class:`JournalEntry`, plan-apply-anchors.md §2.12), the run log
(:class:`RunRecord`) and everything a migration copies (:class:`StateDump`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

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


def dumps(value: Any) -> str:
    """Canonical JSON for storage: sorted keys, no whitespace."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _sorted_json(value: Mapping[str, Any]) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(dumps(dict(value)))
    return loaded
