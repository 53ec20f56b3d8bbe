"""What the per-kind executors share: the clients (typed as Protocols), the journal, state
writes, lookups in the desired and live worlds, and what one integration's ops learn as they
run (ids made earlier in the same apply)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from reconciler.execute.journal import Journal
from reconciler.model import (
    DesiredState,
    Integration,
    LiveWorld,
    OroAddressBook,
    OroDataField,
    OroIntegration,
    OroMapping,
    Owner,
    RemoteAddressBook,
    RemoteDataField,
    SyncJob,
)
from reconciler.plan.ops import Op
from reconciler.providers.oro import NewIntegration
from reconciler.state import ObjectRecord, StateStore


class OroWriter(Protocol):
    """The Oro calls apply makes (``providers.oro.OroClient``)."""

    def list_integrations(self) -> list[OroIntegration]: ...
    def create_integration(self, new: NewIntegration) -> OroIntegration: ...
    def update_integration(self, id: str, transport_id: str, **changed: Any) -> OroIntegration: ...
    def delete_integration(self, id: str) -> None: ...
    def list_data_fields(self) -> list[OroDataField]: ...
    def create_data_field(
        self,
        channel_id: str,
        name: str,
        type: str,
        visibility: str,
        default: str | int | float | bool | None,
        notes: str | None,
    ) -> OroDataField: ...
    def update_data_field_notes(self, id: str, notes: str | None) -> OroDataField: ...
    def delete_data_field(self, id: str) -> None: ...
    def list_address_books(self) -> list[OroAddressBook]: ...
    def create_address_book(
        self,
        channel_id: str,
        origin_id: int,
        name: str,
        visibility: str,
        marketing_list_id: str | None,
        create_entities: bool,
    ) -> OroAddressBook: ...
    def update_address_book(self, id: str, **changed: Any) -> OroAddressBook: ...
    def delete_address_book(self, id: str) -> None: ...
    def list_mappings(self) -> list[OroMapping]: ...
    def create_mapping(
        self,
        channel_id: str,
        entity: str,
        sync_priority: int,
        configs: Sequence[tuple[str, Sequence[str], bool]],
    ) -> OroMapping: ...
    def update_mapping(
        self,
        id: str,
        *,
        sync_priority: int | None = None,
        configs: Sequence[tuple[str, Sequence[str], bool]] | None = None,
    ) -> OroMapping: ...
    def delete_mapping(self, id: str) -> None: ...
    def schedule_sync(self, integration_id: str, connector: str | None, force: bool) -> SyncJob: ...


class DeleteOutcome(Protocol):
    """What ``DELETE /v2/data-fields/{name}`` answers: false, with dependencies, when in use."""

    @property
    def result(self) -> bool: ...
    @property
    def dependencies(self) -> tuple[str, ...]: ...


class DotmailerWriter(Protocol):
    """The dotmailer calls apply makes for one account (``providers.dotmailer``)."""

    def account_info(self) -> object: ...
    def list_data_fields(self) -> list[RemoteDataField]: ...
    def create_data_field(
        self, name: str, type: str, visibility: str, default: str | int | float | bool | None
    ) -> RemoteDataField: ...
    def delete_data_field(self, name: str) -> DeleteOutcome: ...
    def list_address_books(self) -> list[RemoteAddressBook]: ...
    def create_address_book(self, name: str, visibility: str) -> RemoteAddressBook: ...
    def update_address_book(self, id: int, name: str, visibility: str) -> RemoteAddressBook: ...
    def delete_address_book(self, id: int) -> None: ...


@dataclass(frozen=True)
class IntegrationSecrets:
    password: str
    client_secret: str | None
    fingerprints: Mapping[str, str]


class OpFailed(Exception):
    """An op cannot go on; the message is shown in the result table."""


@dataclass
class IntegrationContext:
    """What one integration's ops learn as they run (ids made earlier in the same apply)."""

    name: str
    channel_id: str | None
    transport_id: str | None
    oro_fields: dict[str, str]  # NAME -> Oro data-field id
    remote_fields: dict[str, RemoteDataField]


class Apply:
    """One apply run: its clients, journal, state writes and lookups. Thread-safe: the
    integrations' ops run concurrently; the store's writer applies their state writes in the
    order they come, each against the serial the one before left, and the claims of remote ids
    are kept under a lock."""

    def __init__(
        self,
        *,
        desired: DesiredState,
        world: LiveWorld,
        store: StateStore,
        oro: OroWriter,
        dotmailer_for: Callable[[Integration], DotmailerWriter],
        secrets: Mapping[str, IntegrationSecrets],
        run_id: str,
        serial: int,
        now: Callable[[], datetime],
    ) -> None:
        self.world = world
        self.store = store
        self.oro = oro
        self.dotmailer_for = dotmailer_for
        self.secrets = secrets
        self.journal = Journal(store, run_id)
        self.now = now
        # Its threads' writes, each against the serial the last one left; they commit together.
        self._writer = store.writer(serial)
        self._state_lock = threading.Lock()
        self._integrations = {i.name: i for i in desired.integrations}
        self._owners = {o.name: o for o in desired.owners}
        # Remote id -> the address that holds it: a create that answers with an id another
        # object already has did not make a new object, and is not recorded.
        self._claims = {
            _claim(r.kind, r.integration, side, value): r.address
            for r in store.read().objects.values()
            for side, value in r.remote_ids.items()
            if value
        }

    def integration(self, name: str) -> Integration:
        return self._integrations[name]

    def owner(self, integration: Integration) -> Owner:
        return self._owners[integration.owner]

    def dotmailer(self, context: IntegrationContext) -> DotmailerWriter:
        return self.dotmailer_for(self.integration(context.name))

    def context(self, name: str) -> IntegrationContext:
        live = self.world.integration(name)
        return IntegrationContext(
            name=name,
            channel_id=live.oro.id if live.oro else None,
            transport_id=live.oro.transport_id if live.oro else None,
            oro_fields={f.name.upper(): f.id for f in live.oro_fields},
            remote_fields={f.name.upper(): f for f in live.remote_fields or ()},
        )

    def channel(self, context: IntegrationContext) -> str:
        """The integration's Oro channel id, read from Oro when this apply did not learn it."""
        if context.channel_id is None:
            # Created by another run since this plan was made, or by an earlier op of this run.
            channel = next(
                (c for c in self.oro.list_integrations() if c.name == context.name), None
            )
            if channel is None:
                raise OpFailed(f"integration {context.name!r} does not exist in Oro")
            context.channel_id, context.transport_id = channel.id, channel.transport_id
        return context.channel_id

    # -- state ---------------------------------------------------------------------------

    def record(
        self,
        op: Op,
        remote_ids: Mapping[str, str],
        applied: Mapping[str, Any],
        *,
        fingerprint: str = "",
        secret_fingerprints: Mapping[str, str] | None = None,
        remove: Sequence[str] = (),
    ) -> None:
        ids = {k: str(val) for k, val in remote_ids.items() if val}
        with self._state_lock:
            for side, value in sorted(ids.items()):
                holder = self._claims.get(_claim(op.kind.value, op.integration, side, value))
                if holder is not None and holder != op.address and holder not in remove:
                    raise OpFailed(
                        f"{side} answered with id {value}, which {holder} already has: it made "
                        "no new object (or reused an id), so nothing is recorded"
                    )
        record = ObjectRecord(
            address=op.address,
            kind=op.kind.value,
            integration=op.integration,
            remote_ids={k: str(val) for k, val in remote_ids.items() if val is not None},
            applied=dict(applied),
            secret_fingerprints=dict(secret_fingerprints or {}),
            remote_fingerprint=fingerprint,
            updated_at=self.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
        self._writer.write([record], list(remove))  # not under the lock: it waits for a commit
        with self._state_lock:
            for side, value in ids.items():
                self._claims[_claim(op.kind.value, op.integration, side, value)] = op.address

    def forget(self, addresses: Sequence[str]) -> None:
        self._writer.write([], list(addresses))
        with self._state_lock:
            gone = set(addresses)
            self._claims = {k: a for k, a in self._claims.items() if a not in gone}

    @property
    def serial(self) -> int:
        """The state serial after this apply's last write."""
        return self._writer.serial


def _claim(kind: str, integration: str | None, side: str, value: str) -> tuple[str, ...]:
    """What an id is unique within: Oro's ids per type, dotmailer's per account (each
    integration's own numbering)."""
    scope = integration or "" if side == "dotmailer" else ""
    return (kind, scope, side, value)


def answered_another(what: str, asked: str, got: str) -> OpFailed:
    """A create whose answer describes another object than the one asked for (a server
    that answers every create alike, as a spec-generated mock does): nothing is recorded."""
    return OpFailed(
        f"Oro answered the create with {what} {got}, not the {asked} it was asked to make"
    )
