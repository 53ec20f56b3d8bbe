"""Execute a Plan op by op through the providers, journaling every remote call into state.

Order is the plan's (owners -> integrations -> data fields -> address books -> mappings ->
syncs; deletes in reverse). Integrations run concurrently (bounded); the ops of one integration
run in order, and after a failure the rest of that integration is skipped. Every remote call
writes its intent to the journal before it is made and its outcome after; the state record of an
object is written (compare-and-swap) as soon as its op finishes. A crash at any point leaves
the live systems and the state such that the next plan adopts what was made and redoes the rest,
never duplicating an object: creates are checked against the list before they are retried
(dotdigital-api-v2.md §4, "Idempotency: none").
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar, assert_never

from reconciler.errors import (
    AuthenticationError,
    NotFoundError,
    OutcomeUnknownError,
    ReconcilerError,
    RemoteError,
)
from reconciler.model import (
    DesiredState,
    Integration,
    LiveWorld,
    OroAddressBook,
    OroDataField,
    OroIntegration,
    OroMapping,
    RemoteAddressBook,
    RemoteDataField,
)
from reconciler.plan import values as v
from reconciler.plan.ops import (
    AdoptOp,
    CreateOp,
    DeleteOp,
    Op,
    Plan,
    ReadOp,
    ReplaceOp,
    SyncOp,
    UpdateOp,
)
from reconciler.providers.dotmailer import DotmailerClient as Dotmailer
from reconciler.providers.oro import OroClient as Oro
from reconciler.state import ObjectRecord, StateStore

T = TypeVar("T")
_log = logging.getLogger(__name__)

OK, FAILED, SKIPPED = "succeeded", "failed", "skipped"


@dataclass(frozen=True)
class IntegrationSecrets:
    password: str
    client_secret: str | None
    fingerprints: Mapping[str, str]


@dataclass(frozen=True)
class OpResult:
    address: str
    action: str
    status: str  # succeeded | failed | skipped
    detail: str = ""


@dataclass(frozen=True)
class ApplyResult:
    results: tuple[OpResult, ...]
    serial: int
    jobs: Mapping[str, str] = field(default_factory=dict)  # integration -> sync job id

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def failed(self) -> bool:
        return self.count(FAILED) > 0


class _OpFailed(Exception):
    """An op cannot go on; the message is shown in the result table."""


@dataclass
class _IntegrationContext:
    """What one integration's ops learn as they run (ids made earlier in the same apply)."""

    name: str
    channel_id: str | None
    transport_id: str | None
    oro_fields: dict[str, str]  # NAME -> Oro data-field id
    remote_fields: dict[str, RemoteDataField]


class Executor:
    def __init__(
        self,
        *,
        plan: Plan,
        desired: DesiredState,
        world: LiveWorld,
        store: StateStore,
        oro: Oro,
        dotmailer_for: Callable[[Integration], Dotmailer],
        secrets: Mapping[str, IntegrationSecrets],
        run_id: str,
        serial: int,
        concurrency: int = 4,
        schedule_syncs: bool = True,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        on_result: Callable[[OpResult], None] | None = None,
    ) -> None:
        self.plan = plan
        self.desired = desired
        self.world = world
        self.store = store
        self.oro = oro
        self.dotmailer_for = dotmailer_for
        self.secrets = secrets
        self.run_id = run_id
        self.serial = serial
        self.concurrency = max(1, concurrency)
        self.schedule_syncs = schedule_syncs
        self.now = now
        self.on_result = on_result
        self.jobs: dict[str, str] = {}
        self._state_lock = threading.Lock()
        self._cancel = threading.Event()
        self._integrations = {i.name: i for i in desired.integrations}
        self._owners = {o.name: o for o in desired.owners}

    # -- running ------------------------------------------------------------------------

    def run(self) -> ApplyResult:
        groups: dict[str, list[Op]] = {}
        results: dict[str, OpResult] = {}
        for op in self.plan.ops:
            if isinstance(op, ReadOp):
                results[op.address] = self._result(op, OK, "resolved")
                continue
            groups.setdefault(op.integration or "", []).append(op)
        with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="apply") as pool:
            futures = [
                pool.submit(self._run_group, name, ops) for name, ops in sorted(groups.items())
            ]
            try:
                for future in futures:
                    for result in future.result():
                        results[result.address] = result
            except KeyboardInterrupt:
                self._cancel.set()
                raise
        ordered = tuple(results[op.address] for op in self.plan.ops if op.address in results)
        return ApplyResult(results=ordered, serial=self.serial, jobs=dict(self.jobs))

    def cancel(self) -> None:
        self._cancel.set()

    def _result(self, op: Op, status: str, detail: str = "") -> OpResult:
        result = OpResult(op.address, op.action, status, detail)
        if self.on_result is not None:
            self.on_result(result)
        return result

    def _run_group(self, name: str, ops: Sequence[Op]) -> list[OpResult]:
        results: list[OpResult] = []
        context = self._context(name)
        failed = False
        owed = self._owe_sync(ops)
        for op in ops:
            if self._cancel.is_set():
                results.append(self._result(op, SKIPPED, "interrupted"))
                continue
            if failed:
                results.append(
                    self._result(op, SKIPPED, "an earlier operation on this integration failed")
                )
                continue
            if isinstance(op, SyncOp) and not self.schedule_syncs:
                results.append(self._result(op, SKIPPED, "--no-sync"))
                continue
            try:
                detail = self._execute(op, context)
            except (_OpFailed, ReconcilerError) as exc:
                failed = True
                results.append(self._result(op, FAILED, str(exc)))
                continue
            except Exception as exc:  # a bug must not abandon the other integrations
                _log.exception("unexpected error in %s", op.address)
                failed = True
                results.append(self._result(op, FAILED, f"unexpected {type(exc).__name__}: {exc}"))
                continue
            results.append(self._result(op, OK, detail))
            if owed is not None and isinstance(op, SyncOp):
                self.store.journal_outcome(owed, "ok", None)
        return results

    def _owe_sync(self, ops: Sequence[Op]) -> int | None:
        """Journal, before an integration's first change, the sync its ops end with. An apply
        killed after its last write and before that sync leaves nothing else pending; this
        entry stays pending instead, and the next plan schedules the sync (compare._sync_ops)."""
        sync = next((op for op in ops if isinstance(op, SyncOp)), None)
        if sync is None or not self.schedule_syncs:
            return None
        intent = {"connector": sync.connector, "force": sync.force}
        return self.store.journal_intent(self.run_id, sync.address, "sync.owed", intent)

    def _context(self, name: str) -> _IntegrationContext:
        live = self.world.integration(name)
        return _IntegrationContext(
            name=name,
            channel_id=live.oro.id if live.oro else None,
            transport_id=live.oro.transport_id if live.oro else None,
            oro_fields={f.name.upper(): f.id for f in live.oro_fields},
            remote_fields={f.name.upper(): f for f in live.remote_fields or ()},
        )

    # -- journaling and state --------------------------------------------------------------

    def _call(
        self,
        op: Op,
        step: str,
        intent: Mapping[str, Any],
        call: Callable[[], T],
        find: Callable[[], T | None] | None = None,
    ) -> T:
        """Journal, call, journal. When a create's outcome is unknown (connection dropped
        after the request was sent), or it answers "already exists", or it fails after the
        client retried it (a 5xx whose change was in fact saved makes the retry a uniqueness
        error), ``find`` reads the list to learn whether the change happened, so nothing is
        made twice and nothing made is reported as failed."""
        entry = self.store.journal_intent(self.run_id, op.address, step, dict(intent))
        try:
            result = call()
        except RemoteError as exc:
            unknown = isinstance(exc, OutcomeUnknownError)
            found = None
            if find is not None and not isinstance(exc, AuthenticationError):
                found = find()
            if found is None:
                self.store.journal_outcome(
                    entry, "unknown" if unknown else "failed", {"error": str(exc)}
                )
                raise
            # The answer did not say what happened; the list did.
            self.store.journal_outcome(entry, "unknown", {"error": str(exc)})
            self.store.resolve_journal([entry], "found in the live list")
            return found
        except Exception as exc:
            self.store.journal_outcome(entry, "failed", {"error": str(exc)})
            raise
        self.store.journal_outcome(entry, "ok", None)
        return result

    def _record(
        self,
        op: Op,
        remote_ids: Mapping[str, str],
        applied: Mapping[str, Any],
        *,
        fingerprint: str = "",
        secret_fingerprints: Mapping[str, str] | None = None,
        remove: Sequence[str] = (),
    ) -> None:
        record = ObjectRecord(
            address=op.address,
            kind=op.kind,
            integration=op.integration,
            remote_ids={k: str(val) for k, val in remote_ids.items() if val is not None},
            applied=dict(applied),
            secret_fingerprints=dict(secret_fingerprints or {}),
            remote_fingerprint=fingerprint,
            updated_at=self.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
        with self._state_lock:
            self.serial = self.store.write(self.serial, [record], list(remove))

    def _forget(self, addresses: Sequence[str]) -> None:
        with self._state_lock:
            self.serial = self.store.write(self.serial, [], list(addresses))

    # -- dispatch ---------------------------------------------------------------------------

    def _execute(self, op: Op, context: _IntegrationContext) -> str:
        if op.blocked:
            raise _OpFailed(f"blocked: {op.blocked}")
        match op:
            case SyncOp():
                return self._sync(op, context)
            case ReadOp():
                return "resolved"
            case DeleteOp():
                return self._delete(op, context)
            case CreateOp() | UpdateOp() | AdoptOp() | ReplaceOp():
                return self._converge(op, context)
            case _:
                assert_never(op)  # type: ignore[arg-type]

    def _converge(self, op: Op, context: _IntegrationContext) -> str:
        match op.kind:
            case "integration":
                return self._integration(op, context)
            case "data_field":
                return self._data_field(op, context)
            case "address_book":
                return self._address_book(op, context)
            case "mapping":
                return self._mapping(op, context)
            case "owner" | "sync":
                raise _OpFailed(f"nothing to converge for {op.kind}")
        assert_never(op.kind)

    # -- integrations --------------------------------------------------------------------------

    def _integration(self, op: Op, context: _IntegrationContext) -> str:
        integration = self._integrations[context.name]
        secrets = self.secrets[context.name]
        owner = self._owners[integration.owner]
        user = next(u for u in self.world.users if u.username == owner.username)
        org = next(o for o in self.world.organizations if o.name == owner.organization)
        unit = next(
            (
                b.id
                for b in self.world.business_units
                if b.name == owner.business_unit and b.organization_id == org.id
            ),
            None,
        )
        steps = getattr(op, "steps", ())
        if "dotmailer.check" in steps:
            # "Check connection" before the credentials are written (SPEC §3).
            client = self.dotmailer_for(integration)
            self._call(op, "dotmailer.check", {"call": "GET /v2/account-info"}, client.account_info)
        oauth = integration.oauth
        attributes: dict[str, Any] = {
            "name": integration.name,
            "enabled": integration.enabled,
            "organization_id": org.id,
            "owner_user_id": user.id,
            "business_unit_id": unit,
            "username": integration.connection.username,
            "client_id": oauth.client_id if oauth else None,
            "custom_domain": oauth.custom_domain if oauth else None,
        }
        if "oro.create" in steps:

            def find() -> OroIntegration | None:
                return next(
                    (c for c in self.oro.list_integrations() if c.name == integration.name), None
                )

            created = self._call(
                op,
                "oro.create",
                {"call": "POST integrationchannels", "name": integration.name},
                lambda: self.oro.create_integration(
                    password=secrets.password,
                    client_key=secrets.client_secret,
                    **attributes,
                ),
                find,
            )
            context.channel_id, context.transport_id = created.id, created.transport_id
        elif "oro.update" in steps:
            assert context.channel_id is not None and context.transport_id is not None
            changed = {c.field for c in op.changes}
            update: dict[str, Any] = {
                key: attributes[key]
                for key, source in (
                    ("enabled", "enabled"),
                    ("owner_user_id", "owner"),
                    ("organization_id", "organization"),
                    ("business_unit_id", "business_unit"),
                    ("username", "username"),
                    ("client_id", "oauth_client_id"),
                    ("custom_domain", "custom_domain"),
                )
                if source in changed
            }
            if "password" in changed:
                update["password"] = secrets.password
            if "oauth_client_secret" in changed and secrets.client_secret is not None:
                update["client_key"] = secrets.client_secret
            channel_id, transport_id = context.channel_id, context.transport_id
            self._call(
                op,
                "oro.update",
                {"call": "PATCH integrationchannels", "fields": sorted(update)},
                lambda: self.oro.update_integration(channel_id, transport_id, **update),
            )
        self._record(
            op,
            {"oro": context.channel_id or "", "oro_transport": context.transport_id or ""},
            op.after or {},
            secret_fingerprints=secrets.fingerprints,
        )
        return _done(op)

    # -- data fields ---------------------------------------------------------------------------

    def _data_field(self, op: Op, context: _IntegrationContext) -> str:
        integration = self._integrations[context.name]
        after = op.after or {}
        name = str(after["name"])
        key = name.upper()
        type_, visibility = str(after["type"]), str(after["visibility"])
        default = after.get("default")
        client = self.dotmailer_for(integration)
        steps: tuple[str, ...] = getattr(op, "steps", ())
        if isinstance(op, ReplaceOp):
            if not op.allowed:
                raise _OpFailed(
                    "replace refused: destroys the values stored on contacts; set "
                    f"replaceOnChange: true on the field or pass --allow-replace {name}"
                )
            self._delete_remote_field(op, client, key)
            if key in context.oro_fields:
                field_id = context.oro_fields.pop(key)
                self._call(
                    op,
                    "oro.delete",
                    {"call": "DELETE dotmailerdatafields", "id": field_id},
                    lambda: self.oro.delete_data_field(field_id),
                )
            steps = ("dotmailer.create", "oro.create")
        if "dotmailer.create" in steps:

            def find_remote() -> RemoteDataField | None:
                return next((f for f in client.list_data_fields() if f.name.upper() == key), None)

            created = self._call(
                op,
                "dotmailer.create",
                {"call": "POST /v2/data-fields", "name": name},
                lambda: client.create_data_field(name, type_, visibility, default),
                find_remote,
            )
            context.remote_fields[key] = created
        channel_id = self._channel(context)
        if "oro.delete" in steps and key in context.oro_fields:
            stale_id = context.oro_fields.pop(key)
            self._call(
                op,
                "oro.delete",
                {"call": "DELETE dotmailerdatafields", "id": stale_id},
                lambda: self._ignore_missing(lambda: self.oro.delete_data_field(stale_id)),
            )
        if "oro.create" in steps:

            def find_oro() -> OroDataField | None:
                return next(
                    (
                        f
                        for f in self.oro.list_data_fields()
                        if f.channel_id == channel_id and f.name.upper() == key
                    ),
                    None,
                )

            made = self._call(
                op,
                "oro.create",
                {"call": "POST dotmailerdatafields", "name": name},
                lambda: self.oro.create_data_field(
                    channel_id=channel_id,
                    name=name,
                    type=type_,
                    visibility=visibility,
                    default=v.oro_default(type_, default),
                    notes=after.get("notes"),
                ),
                find_oro,
            )
            context.oro_fields[key] = made.id
        elif "oro.update" in steps:
            field_id = context.oro_fields[key]
            self._call(
                op,
                "oro.update",
                {"call": "PATCH dotmailerdatafields", "id": field_id},
                lambda: self.oro.update_data_field_notes(field_id, after.get("notes")),
            )
        self._record(op, {"oro": context.oro_fields.get(key, "")}, after)
        return _done(op)

    def _delete_remote_field(self, op: Op, client: Dotmailer, key: str) -> None:
        try:
            result = self._call(
                op,
                "dotmailer.delete",
                {"call": "DELETE /v2/data-fields/{name}", "name": key},
                lambda: client.delete_data_field(key),
            )
        except NotFoundError:
            return  # already gone: a resumed apply
        if result is not None and getattr(result, "result", True) is False:
            dependencies = ", ".join(getattr(result, "dependencies", ()) or ()) or "unknown"
            raise _OpFailed(f"dotmailer refused to delete {key}: it is in use ({dependencies})")

    # -- address books -------------------------------------------------------------------------

    def _address_book(self, op: Op, context: _IntegrationContext) -> str:
        integration = self._integrations[context.name]
        after = op.after or {}
        name, visibility = str(after["name"]), str(after["visibility"])
        client = self.dotmailer_for(integration)
        steps: tuple[str, ...] = getattr(op, "steps", ())
        remote_id = op.remote_ids.get("dotmailer")
        oro_id = op.remote_ids.get("oro")
        if "dotmailer.create" in steps:

            def find_remote() -> RemoteAddressBook | None:
                return next(
                    (
                        b
                        for b in client.list_address_books()
                        if b.name.casefold() == name.casefold()
                    ),
                    None,
                )

            book = self._call(
                op,
                "dotmailer.create",
                {"call": "POST /v2/address-books", "name": name},
                lambda: client.create_address_book(name, visibility),
                find_remote,
            )
            remote_id = str(book.id)
        elif "dotmailer.update" in steps:
            assert remote_id is not None
            book_id = int(remote_id)
            self._call(
                op,
                "dotmailer.update",
                {"call": "PUT /v2/address-books/{id}", "id": book_id},
                lambda: client.update_address_book(book_id, name, visibility),
            )
        marketing_list = after.get("marketing_list")
        list_id = next(
            (ml.id for ml in self.world.marketing_lists if ml.name == marketing_list), None
        )
        attributes: dict[str, Any] = {
            "name": name,
            "visibility": visibility,
            "marketing_list_id": list_id,
            "create_entities": bool(after.get("create_entities")),
        }
        channel_id = self._channel(context)
        if "oro.delete" in steps and oro_id is not None:
            stale_id = oro_id
            self._call(
                op,
                "oro.delete",
                {"call": "DELETE dotmaileraddressbooks", "id": stale_id},
                lambda: self._ignore_missing(lambda: self.oro.delete_address_book(stale_id)),
            )
            oro_id = None
        if "oro.create" in steps:
            assert remote_id is not None
            origin = int(remote_id)

            def find_oro() -> OroAddressBook | None:
                return next(
                    (
                        b
                        for b in self.oro.list_address_books()
                        if b.channel_id == channel_id and b.origin_id == origin
                    ),
                    None,
                )

            made = self._call(
                op,
                "oro.create",
                {"call": "POST dotmaileraddressbooks", "originId": origin},
                lambda: self.oro.create_address_book(
                    channel_id=channel_id, origin_id=origin, **attributes
                ),
                find_oro,
            )
            oro_id = made.id
        elif "oro.update" in steps and oro_id is not None:
            book_oro_id = oro_id
            self._call(
                op,
                "oro.update",
                {"call": "PATCH dotmaileraddressbooks", "id": book_oro_id},
                lambda: self.oro.update_address_book(book_oro_id, **attributes),
            )
        remove = [op.previous_address] if op.previous_address else []
        self._record(op, {"dotmailer": remote_id or "", "oro": oro_id or ""}, after, remove=remove)
        return _done(op)

    # -- mappings -------------------------------------------------------------------------------

    def _mapping(self, op: Op, context: _IntegrationContext) -> str:
        after = op.after or {}
        channel_id = self._channel(context)
        configs = [
            (self._field_id(op, context, name), entity_fields, two_way)
            for name, entity_fields, two_way in v.mapping_configs(after)
        ]
        steps: tuple[str, ...] = getattr(op, "steps", ())
        mapping_id = op.remote_ids.get("oro")
        entity = str(after["entity"])
        if "oro.create" in steps:

            def find() -> OroMapping | None:
                return next(
                    (
                        m
                        for m in self.oro.list_mappings()
                        if m.channel_id == channel_id and m.entity == entity
                    ),
                    None,
                )

            made = self._call(
                op,
                "oro.create",
                {"call": "POST dotmailerdatafieldmappings", "entity": entity},
                lambda: self.oro.create_mapping(
                    channel_id=channel_id,
                    entity=entity,
                    sync_priority=int(after["sync_priority"]),
                    configs=configs,
                ),
                find,
            )
            mapping_id = made.id
        elif "oro.update" in steps:
            assert mapping_id is not None
            existing = mapping_id
            self._call(
                op,
                "oro.update",
                {"call": "PATCH dotmailerdatafieldmappings", "id": existing},
                lambda: self.oro.update_mapping(
                    existing, sync_priority=int(after["sync_priority"]), configs=configs
                ),
            )
        self._record(op, {"oro": mapping_id or ""}, after)
        return _done(op)

    def _field_id(self, op: Op, context: _IntegrationContext, name: str) -> str:
        """The Oro id of a mapped data field. A built-in field (FIRSTNAME…) has no Oro record
        until Oro's datafield import runs; we record it the way that import would."""
        key = name.upper()
        if key in context.oro_fields:
            return context.oro_fields[key]
        remote = context.remote_fields.get(key)
        type_ = remote.type if remote else "String"
        visibility = remote.visibility if remote else "Public"
        channel_id = self._channel(context)
        made = self._call(
            op,
            "oro.create",
            {"call": "POST dotmailerdatafields", "name": key, "builtin": True},
            lambda: self.oro.create_data_field(
                channel_id=channel_id,
                name=key,
                type=type_,
                visibility=visibility,
                default=None,
                notes=None,
            ),
            lambda: next(
                (
                    f
                    for f in self.oro.list_data_fields()
                    if f.channel_id == channel_id and f.name.upper() == key
                ),
                None,
            ),
        )
        context.oro_fields[key] = made.id
        return made.id

    # -- deletes ---------------------------------------------------------------------------------

    def _delete(self, op: DeleteOp, context: _IntegrationContext) -> str:
        oro_id = op.remote_ids.get("oro")
        before = op.before or {}
        match op.kind:
            case "integration":
                assert oro_id is not None
                self._call(
                    op,
                    "oro.delete",
                    {"call": "DELETE integrationchannels", "id": oro_id},
                    lambda: self._ignore_missing(lambda: self.oro.delete_integration(oro_id)),
                )
                children = [
                    r.address
                    for r in self.store.read().objects.values()
                    if r.integration == op.integration
                ]
                self._forget(sorted(set(children) | {op.address}))
                return "deleted in Oro (dotmailer objects are kept)"
            case "data_field":
                integration = self._integrations[context.name]
                key = str(before.get("name", "")).upper()
                self._delete_remote_field(op, self.dotmailer_for(integration), key)
                if oro_id:
                    self._call(
                        op,
                        "oro.delete",
                        {"call": "DELETE dotmailerdatafields", "id": oro_id},
                        lambda: self._ignore_missing(lambda: self.oro.delete_data_field(oro_id)),
                    )
            case "address_book":
                integration = self._integrations[context.name]
                if oro_id:
                    self._call(
                        op,
                        "oro.delete",
                        {"call": "DELETE dotmaileraddressbooks", "id": oro_id},
                        lambda: self._ignore_missing(lambda: self.oro.delete_address_book(oro_id)),
                    )
                remote_id = op.remote_ids.get("dotmailer")
                if remote_id:
                    client = self.dotmailer_for(integration)
                    book_id = int(remote_id)
                    self._call(
                        op,
                        "dotmailer.delete",
                        {"call": "DELETE /v2/address-books/{id}", "id": book_id},
                        lambda: self._ignore_missing(lambda: client.delete_address_book(book_id)),
                    )
            case "mapping":
                if oro_id:
                    self._call(
                        op,
                        "oro.delete",
                        {"call": "DELETE dotmailerdatafieldmappings", "id": oro_id},
                        lambda: self._ignore_missing(lambda: self.oro.delete_mapping(oro_id)),
                    )
            case "owner" | "sync":
                raise _OpFailed(f"{op.kind} cannot be deleted")
        self._forget([op.address])
        return "deleted"

    @staticmethod
    def _ignore_missing(call: Callable[[], object]) -> None:
        """A delete whose object is already gone has done its job (a resumed apply)."""
        try:
            call()
        except NotFoundError:
            return

    # -- syncs -------------------------------------------------------------------------------------

    def _sync(self, op: SyncOp, context: _IntegrationContext) -> str:
        channel_id = self._channel(context)
        job = self._call(
            op,
            "oro.sync",
            {"call": "POST integrationsyncs", "connector": op.connector, "force": op.force},
            lambda: self.oro.schedule_sync(channel_id, op.connector, op.force),
        )
        self.jobs[context.name] = job.id
        what = f"connector {op.connector}" if op.connector else "all connectors"
        return f"sync scheduled ({what}{', forced' if op.force else ''}): job {job.id}"

    def _channel(self, context: _IntegrationContext) -> str:
        if context.channel_id is None:
            # Created by another run since this plan was made, or by an earlier op of this run.
            channel = next(
                (c for c in self.oro.list_integrations() if c.name == context.name), None
            )
            if channel is None:
                raise _OpFailed(f"integration {context.name!r} does not exist in Oro")
            context.channel_id, context.transport_id = channel.id, channel.transport_id
        return context.channel_id


def _done(op: Op) -> str:
    return {
        "create": "created",
        "update": "updated",
        "replace": "replaced",
        "adopt": "adopted",
    }.get(op.action, op.action)
