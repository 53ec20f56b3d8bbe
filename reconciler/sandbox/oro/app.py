"""A faithful fake of Oro's back-office JSON:API (oro-jsonapi.md §9 is the contract).

Two modes:

* ``stock``: what a real Oro answers today. ``integrationchannels`` is read-only (writes answer
  405 with ``Allow: OPTIONS, GET`` and an empty body, its associations are excluded), and the
  dotmailer entities, marketing lists and jobs answer 404 ``resource not accessible exception``.
* ``extended`` (default): the contract of ``docs/oro-api.md``: dotmailer integrations with their
  transports, data fields, mappings with configs, address books, sync scheduling and job polling.

The world is a set of tables of rows ``{"id", "a": attributes, "r": to-one relationships}``;
to-many relationships are derived from the inverse to-one side (a mapping's ``configs`` are the
configs whose ``mapping`` is that mapping), so the two can never disagree. Every write runs in a
small transaction with an undo log: a request with one invalid ``included`` item changes nothing.
The emulator never calls dotmailer (SPEC §3: the tool creates the remote object first).
"""

from __future__ import annotations

import base64
import copy
import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode

from reconciler.config.entities import resolve_entity
from reconciler.sandbox.core import Request, Response

__all__ = ["JSONAPI", "OroApp"]

JSONAPI = "application/vnd.api+json"
Clock = Callable[[], float]
Row = dict[str, Any]
RowId = int | str

CONTACT = "Oro\\Bundle\\ContactBundle\\Entity\\Contact"
LEAD = "Oro\\Bundle\\SalesBundle\\Entity\\Lead"
# oro-jsonapi.md §7: the unique root job of a sync, and the statuses Oro stores.
JOB_PREFIX = "oro.message_queue_job.status."
TERMINAL = ("success", "failed", "cancelled", "stale")
STALE_AFTER = 1800.0  # oro-jsonapi.md §7: time_before_stale default

DEFAULT_SETTINGS: dict[str, Any] = {
    "tokenLifetime": 3600,
    "autoDefaultMappings": False,
    "jobSteps": 2,  # polls until a job finishes: new -> running (x jobSteps-1) -> terminal
    "jobStepSeconds": 0,  # > 0: the clock also advances jobs, one step per this many seconds
    "jobOutcomes": {},  # integration name -> "failed" (default "success")
    "exportRunning": [],  # integration names whose export-status job is NEW/RUNNING
    "maxPageSize": -1,  # oro_api.max_entities: -1 = unlimited
    "defaultMappingEntities": [CONTACT, LEAD],
}


# --- resource types -------------------------------------------------------------------------


@dataclass(frozen=True)
class Attr:
    kind: str  # "str" | "bool" | "int" | "any"
    read_only: bool = False  # never accepted in a request body
    write_only: bool = False  # never returned
    create_only: bool = False  # accepted on POST, refused on PATCH


@dataclass(frozen=True)
class Rel:
    target: str
    many: bool = False
    inverse: str | None = None  # derived to-many: rows of target whose `inverse` is this row
    on_delete: str = "set_null"  # what happens to this row when the target is deleted
    owned: bool = False  # deleting this row deletes the target (to-one) / orphans (to-many)
    create_only: bool = False
    stock: bool = True  # also exposed in stock mode


@dataclass(frozen=True)
class ResourceType:
    name: str
    attrs: Mapping[str, Attr]
    rels: Mapping[str, Rel] = field(default_factory=dict)
    filters: frozenset[str] = frozenset({"id"})
    array_filters: frozenset[str] = frozenset({"id"})
    actions: frozenset[str] = frozenset({"get", "get_list"})
    stock: str = "full"  # "full" | "read_only" | "hidden"
    string_ids: bool = False
    stock_filters: frozenset[str] | None = None

    def allow(self, mode: str, item: bool) -> str:
        if mode == "stock" and self.stock == "read_only":
            return "OPTIONS, GET"
        methods = ["OPTIONS", "GET"]
        if not item and "create" in self.actions:
            methods.append("POST")
        if item and "update" in self.actions:
            methods.append("PATCH")
        if "delete" in self.actions:
            methods.append("DELETE")
        return ", ".join(methods)


S, B, INT, ANY = Attr("str"), Attr("bool"), Attr("int"), Attr("any")
READ = frozenset({"get", "get_list"})
CRUD = frozenset({"get", "get_list", "create", "update", "delete", "delete_list"})


def _enum(name: str) -> ResourceType:
    return ResourceType(name, {"name": S}, string_ids=True)


TYPES: dict[str, ResourceType] = {
    t.name: t
    for t in (
        ResourceType(
            "users",
            {"username": S, "email": S, "firstName": S, "lastName": S, "enabled": B},
            {
                "owner": Rel("businessunits"),
                "organization": Rel("organizations"),
                "organizations": Rel("organizations", many=True),
                "businessUnits": Rel("businessunits", many=True),
            },
            filters=frozenset({"id", "username", "email", "organization"}),
            # docs/oro-api.yml sets allow_array on username; stock Oro does not (§4).
            array_filters=frozenset({"id", "username"}),
            stock_filters=frozenset({"id", "username", "email", "organization"}),
        ),
        ResourceType("organizations", {"name": S, "enabled": B}, filters=frozenset({"id", "name"})),
        ResourceType(
            "businessunits",
            {"name": S},
            {"organization": Rel("organizations")},
            filters=frozenset({"id", "organization"}),
        ),
        ResourceType(
            "marketinglists",
            {"name": S, "entity": S},
            filters=frozenset({"id", "name"}),
            stock="hidden",
        ),
        ResourceType(
            "integrationchannels",
            {"name": S, "type": Attr("str", create_only=True), "enabled": B},
            {
                "transport": Rel("dotmailertransports", owned=True, create_only=True, stock=False),
                "organization": Rel("organizations", stock=False),
                "defaultUserOwner": Rel("users", stock=False),
                "defaultBusinessUnitOwner": Rel("businessunits", stock=False),
            },
            filters=frozenset({"id", "name", "type"}),
            actions=CRUD,
            stock="read_only",
            stock_filters=frozenset({"id", "name"}),
        ),
        ResourceType(
            "dotmailertransports",
            {
                "username": S,
                "password": Attr("str", write_only=True),
                "clientId": S,
                "clientKey": Attr("str", write_only=True),
                "customDomain": S,
            },
            actions=CRUD,
            stock="hidden",
        ),
        ResourceType(
            "dotmailerdatafields",
            {
                "name": Attr("str", create_only=True),
                "defaultValue": Attr("any", create_only=True),
                "notes": S,
                "createdAt": Attr("str", read_only=True),
            },
            {
                "channel": Rel("integrationchannels", on_delete="cascade", create_only=True),
                "owner": Rel("organizations"),
                "type": Rel("dotmailerdatafieldtypes", create_only=True),
                "visibility": Rel("dotmailerdatafieldvisibilities", create_only=True),
            },
            filters=frozenset({"id", "channel", "name"}),
            array_filters=frozenset({"id", "channel"}),
            actions=CRUD,
            stock="hidden",
        ),
        ResourceType(
            "dotmailerdatafieldmappings",
            {"entity": Attr("str", create_only=True), "syncPriority": INT},
            {
                "channel": Rel("integrationchannels", on_delete="cascade", create_only=True),
                "owner": Rel("organizations"),
                "configs": Rel(
                    "dotmailerdatafieldmappingconfigs", many=True, inverse="mapping", owned=True
                ),
            },
            filters=frozenset({"id", "channel", "entity"}),
            array_filters=frozenset({"id", "channel"}),
            actions=CRUD,
            stock="hidden",
        ),
        ResourceType(
            "dotmailerdatafieldmappingconfigs",
            {"entityFields": S, "isTwoWaySync": B},
            {
                "dataField": Rel("dotmailerdatafields", on_delete="cascade"),
                "mapping": Rel("dotmailerdatafieldmappings", on_delete="cascade"),
            },
            filters=frozenset({"id", "mapping", "dataField"}),
            array_filters=frozenset({"id", "mapping"}),
            actions=CRUD,
            stock="hidden",
        ),
        ResourceType(
            "dotmaileraddressbooks",
            {
                "name": S,
                "createEntities": B,
                "originId": Attr("int", create_only=True),  # [OURS] writable on create
                "contactCount": Attr("int", read_only=True),
                "lastImportedAt": Attr("str", read_only=True),
                "lastExportedAt": Attr("str", read_only=True),
            },
            {
                "channel": Rel("integrationchannels", on_delete="cascade", create_only=True),
                "marketingList": Rel("marketinglists"),
                "visibility": Rel("dotmaileraddressbookvisibilities"),
                "owner": Rel("organizations"),
            },
            filters=frozenset({"id", "channel", "name", "originId", "marketingList"}),
            array_filters=frozenset({"id", "channel"}),
            actions=CRUD,
            stock="hidden",
        ),
        ResourceType(
            # [OURS, optional] oro_integration_channel_status: one row per finished connector run
            "integrationstatuses",
            {"code": S, "connector": S, "message": S, "date": S},
            {"channel": Rel("integrationchannels", on_delete="cascade")},
            filters=frozenset({"id", "channel", "connector", "code"}),
            stock="hidden",
        ),
        _enum("dotmailerdatafieldtypes"),
        _enum("dotmailerdatafieldvisibilities"),
        _enum("dotmaileraddressbookvisibilities"),
    )
}
ENUM_VALUES: dict[str, tuple[str, ...]] = {
    # oro-dotmailer-bundle.md §2, §4 (LoadDataFieldEnumValues, dm_ab_visibility)
    "dotmailerdatafieldtypes": ("String", "Numeric", "Date", "Boolean"),
    "dotmailerdatafieldvisibilities": ("Private", "Public"),
    "dotmaileraddressbookvisibilities": ("Private", "Public", "NotAvailableInThisVersion"),
}
JOBS = "oro_message_queue_jobs"
SYNCS = "integrationsyncs"
NAME_RE = re.compile(r"^[a-z_\-0-9]+$", re.IGNORECASE)  # bundle validation.yml, DataField.name


# --- errors ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApiError:
    status: int
    title: str
    detail: str
    pointer: str | None = None
    parameter: str | None = None
    meta: Mapping[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": str(self.status), "title": self.title}
        out["detail"] = self.detail
        if self.pointer is not None:
            out["source"] = {"pointer": self.pointer}
        elif self.parameter is not None:
            out["source"] = {"parameter": self.parameter}
        if self.meta:
            out["meta"] = dict(self.meta)
        return out


class Failed(Exception):
    """Raised inside a handler; becomes a JSON:API error document."""

    def __init__(self, *errors: ApiError) -> None:
        super().__init__(errors[0].detail if errors else "")
        self.errors = errors


class Plain(Exception):
    """Raised inside a handler for answers with no JSON:API document (401, 405)."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


def _error_response(errors: Iterable[ApiError]) -> Response:
    errs = list(errors)
    # oro-jsonapi.md §5: the highest class wins; 409 is preferred inside 4xx.
    statuses = {e.status for e in errs}
    if any(s >= 500 for s in statuses):
        status = max(statuses) if len({s for s in statuses if s >= 500}) == 1 else 500
    elif 409 in statuses:
        status = 409
    else:
        status = statuses.pop() if len(statuses) == 1 else 400
    return Response.json(status, {"errors": [e.as_json() for e in errs]}, content_type=JSONAPI)


def _field_error(pointer: str, title: str, detail: str) -> ApiError:
    return ApiError(400, title, detail, pointer=pointer)


def _not_blank(pointer: str) -> ApiError:
    return _field_error(pointer, "not blank constraint", "This value should not be blank.")


def _too_long(pointer: str, limit: int) -> ApiError:
    return _field_error(
        pointer,
        "length constraint",
        f"This value is too long. It should have {limit} characters or less.",
    )


def _too_short(pointer: str, limit: int) -> ApiError:
    return _field_error(
        pointer,
        "length constraint",
        f"This value is too short. It should have {limit} characters or more.",
    )


def _unique(pointer: str, detail: str = "This value is already used.") -> ApiError:
    return _field_error(pointer, "unique entity constraint", detail)


NOT_FOUND = "An entity with the requested identifier does not exist."


# --- the app --------------------------------------------------------------------------------


@dataclass
class _Txn:
    """An undo log over the tables: ``rollback`` restores every row it touched."""

    tables: dict[str, dict[RowId, Row]]
    undo: list[tuple[str, RowId, Row | None]] = field(default_factory=list)

    def put(self, type_: str, row: Row) -> None:
        table = self.tables[type_]
        old = table.get(row["id"])
        self.undo.append((type_, row["id"], copy.deepcopy(old) if old is not None else None))
        table[row["id"]] = row

    def remove(self, type_: str, row_id: RowId) -> None:
        old = self.tables[type_].pop(row_id, None)
        if old is not None:
            self.undo.append((type_, row_id, old))

    def rollback(self) -> None:
        for type_, row_id, old in reversed(self.undo):
            if old is None:
                self.tables[type_].pop(row_id, None)
            else:
                self.tables[type_][row_id] = old
        self.undo.clear()


@dataclass
class _Pending:
    """One resource object of a write request, after its ids were resolved."""

    type: ResourceType
    row: Row
    pointer: str  # "/data" or "/included/N"
    creating: bool
    include_id: str | None = None
    to_many: dict[str, list[RowId]] = field(default_factory=dict)


class OroApp:
    """The Oro back office: ``/oauth2-token`` and ``{api_base}/...`` (JSON:API)."""

    def __init__(
        self,
        seed: Mapping[str, Any] | None = None,
        *,
        clock: Clock = time.time,
        mode: str = "extended",
        api_base: str = "/admin/api",
    ) -> None:
        if mode not in ("stock", "extended"):
            raise ValueError(f"unknown Oro emulator mode {mode!r} (stock or extended)")
        self.mode = mode
        self.api_base = api_base.rstrip("/")
        self.prefixes = (self.api_base + "/", "/oauth2-token")
        self._clock = clock
        self._lock = threading.RLock()
        self.counters: dict[str, int] = {"total": 0}
        self._tokens: dict[str, float] = {}  # token -> expiry (clock seconds); never persisted
        self.settings: dict[str, Any] = copy.deepcopy(DEFAULT_SETTINGS)
        self.clients: dict[str, str] = {}
        self.tables: dict[str, dict[RowId, Row]] = {name: {} for name in (*TYPES, JOBS)}
        self.next_ids: dict[str, int] = {}
        self.synced_datafields: set[int] = set()  # channels whose first datafield sync ran
        for enum, values in ENUM_VALUES.items():
            for value in values:
                self.tables[enum][value] = {"id": value, "a": {"name": value}, "r": {}}
        if seed:
            self._load_seed(seed)

    # -- persistence --------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """The whole world as JSON-able data (tokens and counters are not part of it)."""
        with self._lock:
            return {
                "format": 1,
                "settings": copy.deepcopy(self.settings),
                "clients": [{"id": k, "secret": v} for k, v in sorted(self.clients.items())],
                "tables": {
                    name: [copy.deepcopy(table[k]) for k in sorted(table, key=_sort_key)]
                    for name, table in sorted(self.tables.items())
                    if name not in ENUM_VALUES
                },
                "nextIds": dict(sorted(self.next_ids.items())),
                "syncedDatafields": sorted(self.synced_datafields),
            }

    @classmethod
    def restore(
        cls,
        snapshot: Mapping[str, Any],
        *,
        clock: Clock = time.time,
        mode: str = "extended",
        api_base: str = "/admin/api",
    ) -> OroApp:
        app = cls(None, clock=clock, mode=mode, api_base=api_base)
        app.settings.update(copy.deepcopy(dict(snapshot.get("settings", {}))))
        app.clients = {c["id"]: c["secret"] for c in snapshot.get("clients", [])}
        for name, rows in snapshot.get("tables", {}).items():
            app.tables[name] = {row["id"]: copy.deepcopy(row) for row in rows}
        app.next_ids = dict(snapshot.get("nextIds", {}))
        app.synced_datafields = set(snapshot.get("syncedDatafields", []))
        return app

    def _load_seed(self, seed: Mapping[str, Any]) -> None:
        self.settings.update(copy.deepcopy(dict(seed.get("settings") or {})))
        for client in seed.get("clients") or []:
            self.clients[str(client["id"])] = str(client["secret"])
        orgs: dict[str, int] = {}
        for org in seed.get("organizations") or []:
            orgs[org["name"]] = self._insert(
                "organizations", {"name": org["name"], "enabled": org.get("enabled", True)}, {}
            )
        bus: dict[str, int] = {}
        for bu in seed.get("businessUnits") or []:
            bus[bu["name"]] = self._insert(
                "businessunits", {"name": bu["name"]}, {"organization": orgs[bu["organization"]]}
            )
        for user in seed.get("users") or []:
            org_id = orgs[user["organization"]]
            bu_name = user.get("businessUnit")
            bu_id = bus[bu_name] if bu_name else self._first_bu(org_id)
            username = user["username"]
            attrs = {
                "username": username,
                "email": user.get("email", f"{username}@example.com"),
                "firstName": user.get("firstName"),
                "lastName": user.get("lastName"),
                "enabled": user.get("enabled", True),
            }
            rels = {
                "owner": bu_id,
                "organization": org_id,
                "organizations": [org_id],
                "businessUnits": [bu_id] if bu_id is not None else [],
            }
            self._insert("users", attrs, rels)
        for ml in seed.get("marketingLists") or []:
            entity = ml.get("entity", "contact")
            self._insert("marketinglists", {"name": ml["name"], "entity": _fqcn(entity)}, {})
        for integration in seed.get("integrations") or []:
            self._seed_integration(integration, orgs)

    def _seed_integration(self, spec: Mapping[str, Any], orgs: Mapping[str, int]) -> None:
        """A pre-existing integration, for adopt and drift scenarios. Shape (YAML)::

        - name: EMEA
          organization: ACME            # default: the first organization
          owner: mkt.ops                # username of the default user owner
          enabled: true
          transport: {username: ..., password: ..., clientId: ..., clientKey: ...,
                      customDomain: ...}
          dataFields: [{name: TIER, type: String, visibility: Private, default: x, notes: y}]
          addressBooks: [{name: News, visibility: Private, originId: 11,
                          marketingList: EMEA subscribers, createEntities: false}]
          mappings: [{entity: contact, syncPriority: 20,
                      fields: [{dataField: TIER, entityFields: [firstName], twoWaySync: false}]}]
        """
        org_id = orgs[spec.get("organization") or next(iter(orgs))]
        owner = self._find("users", "username", spec.get("owner")) if spec.get("owner") else None
        transport = spec.get("transport") or {}
        transport_id = self._insert(
            "dotmailertransports",
            {
                "username": transport.get("username", ""),
                "password": transport.get("password"),
                "clientId": transport.get("clientId"),
                "clientKey": transport.get("clientKey"),
                "customDomain": transport.get("customDomain"),
            },
            {},
        )
        channel = self._insert(
            "integrationchannels",
            {"name": spec["name"], "type": "dotmailer", "enabled": spec.get("enabled", True)},
            {
                "transport": transport_id,
                "organization": org_id,
                "defaultUserOwner": owner,
                "defaultBusinessUnitOwner": (
                    self._find("businessunits", "name", spec["businessUnit"])
                    if spec.get("businessUnit")
                    else None
                ),
            },
        )
        fields: dict[str, int] = {}
        for df in spec.get("dataFields") or []:
            fields[df["name"].upper()] = self._insert(
                "dotmailerdatafields",
                {
                    "name": df["name"],
                    "defaultValue": df.get("default"),
                    "notes": df.get("notes"),
                    "createdAt": self._now_iso(),
                },
                {
                    "channel": channel,
                    "owner": org_id,
                    "type": df.get("type", "String"),
                    "visibility": df.get("visibility", "Private"),
                },
            )
        for book in spec.get("addressBooks") or []:
            ml = book.get("marketingList")
            self._insert(
                "dotmaileraddressbooks",
                {
                    "name": book["name"],
                    "createEntities": book.get("createEntities", False),
                    "originId": book.get("originId"),
                    "contactCount": book.get("contactCount", 0),
                    "lastImportedAt": None,
                    "lastExportedAt": None,
                },
                {
                    "channel": channel,
                    "marketingList": self._find("marketinglists", "name", ml) if ml else None,
                    "visibility": book.get("visibility", "Private"),
                    "owner": org_id,
                },
            )
        for mapping in spec.get("mappings") or []:
            mapping_id = self._insert(
                "dotmailerdatafieldmappings",
                {"entity": _fqcn(mapping["entity"]), "syncPriority": mapping.get("syncPriority")},
                {"channel": channel, "owner": org_id},
            )
            for cfg in mapping.get("fields") or []:
                entity_fields = cfg["entityFields"]
                if isinstance(entity_fields, list):
                    entity_fields = ",".join(entity_fields)
                self._insert(
                    "dotmailerdatafieldmappingconfigs",
                    {"entityFields": entity_fields, "isTwoWaySync": cfg.get("twoWaySync", False)},
                    {"dataField": fields[cfg["dataField"].upper()], "mapping": mapping_id},
                )

    def _insert(self, type_: str, attrs: dict[str, Any], rels: dict[str, Any]) -> int:
        row_id = self._next_id(type_)
        self.tables[type_][row_id] = {"id": row_id, "a": attrs, "r": rels}
        return row_id

    def _next_id(self, type_: str) -> int:
        current = self.next_ids.get(type_, 0) + 1
        self.next_ids[type_] = current
        return current

    def _find(self, type_: str, attr: str, value: Any) -> int | None:
        for row in self.tables[type_].values():
            if row["a"].get(attr) == value:
                return int(row["id"])
        return None

    def _first_bu(self, org_id: int) -> int | None:
        ids = sorted(
            int(r["id"])
            for r in self.tables["businessunits"].values()
            if r["r"].get("organization") == org_id
        )
        return ids[0] if ids else None

    def _now_iso(self) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self._clock()))

    # -- test hooks ---------------------------------------------------------------------

    def integration_row(self, name: str) -> Row:
        """The stored integration and its transport, secrets as given (tests assert them)."""
        with self._lock:
            channel_id = self._find("integrationchannels", "name", name)
            if channel_id is None:
                raise KeyError(name)
            channel = copy.deepcopy(self.tables["integrationchannels"][channel_id])
            transport = self.tables["dotmailertransports"].get(channel["r"].get("transport"))
            channel["transport"] = copy.deepcopy(transport)
            return channel

    def patch_integration(self, name: str, **attrs: Any) -> None:
        """Drift made "by hand": change channel or transport attributes directly."""
        with self._lock:
            channel_id = self._find("integrationchannels", "name", name)
            if channel_id is None:
                raise KeyError(name)
            channel = self.tables["integrationchannels"][channel_id]
            transport = self.tables["dotmailertransports"][channel["r"]["transport"]]
            for key, value in attrs.items():
                target = channel if key in TYPES["integrationchannels"].attrs else transport
                target["a"][key] = value

    def set_export_running(self, name: str, running: bool = True) -> None:
        """oro-dotmailer-bundle.md §5: syncs are skipped while an export-status job runs."""
        with self._lock:
            names = set(self.settings["exportRunning"])
            (names.add if running else names.discard)(name)
            self.settings["exportRunning"] = sorted(names)

    def set_job_outcome(self, name: str, outcome: str) -> None:
        """The terminal status ("success" or "failed") of future sync jobs of an integration."""
        with self._lock:
            self.settings["jobOutcomes"][name] = outcome

    def revoke_tokens(self) -> None:
        """Every issued token becomes invalid (a server restart, a revoked client)."""
        with self._lock:
            self._tokens.clear()

    def rows(self, type_: str) -> list[Row]:
        with self._lock:
            table = self.tables[type_]
            return [copy.deepcopy(table[k]) for k in sorted(table, key=_sort_key)]

    # -- dispatch -----------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        with self._lock:
            key = f"{request.method} {self._endpoint(request.path)}"
            self.counters[key] = self.counters.get(key, 0) + 1
            self.counters["total"] += 1
            try:
                if request.path.rstrip("/") == "/oauth2-token":
                    return self._token(request)
                self._authenticate(request)
                return self._api(request)
            except Failed as failed:
                return _error_response(failed.errors)
            except Plain as plain:
                return plain.response

    def _endpoint(self, path: str) -> str:
        if not path.startswith(self.api_base + "/"):
            return path
        parts = path[len(self.api_base) + 1 :].split("/")
        shown = [parts[0]] + ["{id}" if i == 1 else p for i, p in enumerate(parts) if i]
        return f"{self.api_base}/" + "/".join(shown)

    # -- OAuth2 (oro-jsonapi.md §2) -----------------------------------------------------

    def _token(self, request: Request) -> Response:
        if request.method == "OPTIONS":
            return Response.empty(200, {"Allow": "OPTIONS, POST"})
        if request.method != "POST":
            return Response.empty(405, {"Allow": "OPTIONS, POST"})
        params = _token_params(request)
        if params.get("grant_type") != "client_credentials":
            return _oauth_error(
                400,
                "unsupported_grant_type",
                "The authorization grant type is not supported by the authorization server.",
                "Check that all required parameters have been provided",
            )
        client_id = params.get("client_id")
        if not client_id:
            return _oauth_error(
                400,
                "invalid_request",
                "The request is missing a required parameter, includes an invalid parameter "
                "value, includes a parameter more than once, or is otherwise malformed.",
                "Check the `client_id` parameter",
            )
        secret = self.clients.get(client_id)
        given = params.get("client_secret") or ""
        if secret is None or not secrets.compare_digest(secret.encode(), given.encode()):
            return _oauth_error(401, "invalid_client", "Client authentication failed")
        lifetime = int(self.settings["tokenLifetime"])
        token = secrets.token_urlsafe(32)
        self._tokens[token] = self._clock() + lifetime
        payload = {"token_type": "Bearer", "expires_in": lifetime, "access_token": token}
        return Response.json(200, payload, content_type="application/json; charset=UTF-8")

    def _authenticate(self, request: Request) -> None:
        header = request.headers.get("Authorization")
        if not header:
            raise Plain(Response.empty(401, {"WWW-Authenticate": "Bearer"}))
        scheme, _, token = header.partition(" ")
        expiry = self._tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        if expiry is None or self._clock() >= expiry:
            raise Plain(Response.empty(401))  # OAuth2Authenticator: new Response('', 401)

    # -- JSON:API routing ---------------------------------------------------------------

    def _api(self, request: Request) -> Response:
        self._check_media_type(request)
        parts = [p for p in request.path[len(self.api_base) + 1 :].split("/") if p]
        if not parts or len(parts) > 2:
            raise Failed(ApiError(404, "not found http exception", "Unknown API route."))
        type_name, item_id = parts[0], (parts[1] if len(parts) == 2 else None)
        if type_name == SYNCS and self.mode == "extended":
            return self._schedule_sync(request, item_id)
        if type_name == JOBS and self.mode == "extended":
            return self._job(request, item_id)
        rt = self._resource_type(type_name)
        method = request.method
        if method == "OPTIONS":
            return Response.empty(200, {"Allow": rt.allow(self.mode, item_id is not None)})
        action = _action(method, item_id is not None)
        if action not in self._actions(rt):
            raise Plain(Response.empty(405, {"Allow": rt.allow(self.mode, item_id is not None)}))
        if action == "get_list":
            return self._get_list(request, rt)
        if action == "get":
            return self._get(request, rt, self._row(rt, item_id))
        if action == "create":
            return self._write(request, rt, None)
        if action == "update":
            return self._write(request, rt, self._row(rt, item_id))
        if action == "delete":
            txn = _Txn(self.tables)
            self._delete(txn, rt.name, self._row(rt, item_id)["id"])
            return Response.empty(204)
        return self._delete_list(request, rt)

    def _resource_type(self, name: str) -> ResourceType:
        rt = TYPES.get(name)
        if rt is None and name not in (SYNCS, JOBS):
            raise Failed(ApiError(404, "entity type constraint", f'Unknown entity type: "{name}".'))
        if rt is None or (self.mode == "stock" and rt.stock == "hidden"):
            # NotAccessibleResourceTest: an entity that is not API-enabled
            raise Failed(
                ApiError(
                    404, "resource not accessible exception", "The resource is not accessible."
                )
            )
        return rt

    def _actions(self, rt: ResourceType) -> frozenset[str]:
        return READ if self.mode == "stock" and rt.stock == "read_only" else rt.actions

    def _check_media_type(self, request: Request) -> None:
        """CheckRequestType / SetResponseContentType (oro-jsonapi.md §1)."""
        content_type = request.headers.get("Content-Type")
        accept = request.headers.get("Accept")
        if content_type and content_type.split(";")[0].strip() == JSONAPI and ";" in content_type:
            raise Failed(
                ApiError(
                    415,
                    "unsupported media type http exception",
                    f'The "{content_type}" media type is not supported.',
                )
            )
        if request.method in ("POST", "PATCH") and content_type != JSONAPI:
            raise Failed(
                ApiError(
                    415,
                    "unsupported media type http exception",
                    f'The "{content_type or ""}" media type is not supported.',
                )
            )
        if accept:
            kinds = [a.strip() for a in accept.split(",")]
            exact = any(k.split(";")[0].strip() in (JSONAPI, "*/*") and ";" not in k for k in kinds)
            if not exact:
                raise Failed(
                    ApiError(
                        406,
                        "not acceptable http exception",
                        f'Only "{JSONAPI}" media type is supported.',
                    )
                )

    def _row(self, rt: ResourceType, wire_id: str | None) -> Row:
        row = self.tables[rt.name].get(_parse_id(rt, wire_id))
        if row is None:
            raise Failed(ApiError(404, "not found http exception", NOT_FOUND))
        return row

    # -- reading ------------------------------------------------------------------------

    def _get(self, request: Request, rt: ResourceType, row: Row) -> Response:
        links = _hateoas(request)
        doc: dict[str, Any] = {"data": self._resource(request, rt, row, links)}
        included = self._included(request, rt, [row], links)
        if included:
            doc["included"] = included
        return _jsonapi(200, doc)

    def _get_list(self, request: Request, rt: ResourceType) -> Response:
        rows = self._filtered(request, rt)
        size, number = self._paging(request)
        total = len(rows)
        page = rows if size == -1 else rows[(number - 1) * size : number * size]
        links = _hateoas(request)
        doc: dict[str, Any] = {"data": [self._resource(request, rt, r, links) for r in page]}
        if links:
            doc["links"] = self._list_links(request, rt, size, number, total)
        included = self._included(request, rt, page, links)
        if included:
            doc["included"] = included
        response = _jsonapi(200, doc)
        if "totalcount" in _x_include(request):
            response.headers["X-Include-Total-Count"] = str(total)
        return response

    def _list_links(
        self, request: Request, rt: ResourceType, size: int, number: int, total: int
    ) -> dict[str, str]:
        base = f"{request.base_url}{self.api_base}/{rt.name}"
        links = {"self": base}
        if size == -1:
            return links

        def page_url(n: int) -> str:
            query = {k: v[-1] for k, v in sorted(request.query.items()) if k != "page[number]"}
            if n > 1:
                query["page[number]"] = str(n)
            return f"{base}?{urlencode(query)}" if query else base

        if number > 1:
            links["first"] = page_url(1)
            links["prev"] = page_url(number - 1)
        if number * size < total:  # AbstractAddPaginationLinks: next only when more rows exist
            links["next"] = page_url(number + 1)
        return links

    def _paging(self, request: Request) -> tuple[int, int]:
        size = _int_param(request, "page[size]", 10)
        number = _int_param(request, "page[number]", 1)
        if size < -1 or size == 0:
            raise Failed(
                ApiError(
                    400,
                    "filter constraint",
                    "The value should be greater than or equals to -1.",
                    parameter="page[size]",
                )
            )
        limit = int(self.settings["maxPageSize"])
        if limit != -1 and (size == -1 or size > limit):
            raise Failed(
                ApiError(
                    400,
                    "filter constraint",
                    f"The value should be less than or equals to {limit}.",
                    parameter="page[size]",
                )
            )
        if number < 1:
            raise Failed(
                ApiError(
                    400,
                    "filter constraint",
                    "The value should be greater than or equals to 1.",
                    parameter="page[number]",
                )
            )
        return size, number

    def _filtered(self, request: Request, rt: ResourceType) -> list[Row]:
        filters = self._parse_filters(request, rt)
        rows = [r for r in self.tables[rt.name].values() if _matches(rt, r, filters)]
        return self._sorted(request, rt, rows)

    def _parse_filters(
        self, request: Request, rt: ResourceType
    ) -> list[tuple[str, str, list[str]]]:
        allowed = rt.stock_filters if self.mode == "stock" and rt.stock_filters else rt.filters
        if self.mode == "stock" and rt.stock == "read_only":
            allowed = rt.stock_filters or frozenset({"id"})
        known = ("page[size]", "page[number]", "sort", "include", "meta")
        out: list[tuple[str, str, list[str]]] = []
        for key in sorted(request.query):
            value = request.query[key][-1]
            if key in known or key.startswith("fields["):
                continue
            match = re.fullmatch(r"filter\[([A-Za-z_]+)\](?:\[([a-z_]+)\])?", key)
            if match is None or match.group(1) not in allowed:
                raise Failed(
                    ApiError(
                        400, "filter constraint", f'Filter "{key}" is not supported.', parameter=key
                    )
                )
            name, op = match.group(1), match.group(2) or "eq"
            if op not in ("eq", "neq"):
                raise Failed(
                    ApiError(
                        400,
                        "filter constraint",
                        f'The operator "{op}" is not supported.',
                        parameter=key,
                    )
                )
            arrays = rt.array_filters if self.mode == "extended" else frozenset({"id"})
            values = value.split(",") if name in arrays else [value]
            out.append((name, op, values))
        return out

    def _sorted(self, request: Request, rt: ResourceType, rows: list[Row]) -> list[Row]:
        spec = request.query_one("sort") or "id"
        keys = [k.strip() for k in spec.split(",") if k.strip()]
        for key in reversed(keys):
            name = key.lstrip("-")
            if name != "id" and (name not in rt.attrs or rt.attrs[name].write_only):
                raise Failed(
                    ApiError(
                        400,
                        "sort constraint",
                        f'Sorting by "{name}" field is not supported.',
                        parameter="sort",
                    )
                )
            rows.sort(key=_row_key(name), reverse=key.startswith("-"))
        return rows

    def _resource(
        self, request: Request | None, rt: ResourceType, row: Row, links: bool
    ) -> dict[str, Any]:
        fields = _sparse_fields(request, rt.name) if request else None
        out: dict[str, Any] = {"type": rt.name, "id": str(row["id"])}
        if links and request is not None:
            out["links"] = {"self": f"{request.base_url}{self.api_base}/{rt.name}/{row['id']}"}
        attrs = {
            name: row["a"].get(name)
            for name, spec in rt.attrs.items()
            if not spec.write_only and (fields is None or name in fields)
        }
        if attrs:
            out["attributes"] = attrs
        rels = {
            name: {"data": self._linkage(rt, row, name, rel)}
            for name, rel in rt.rels.items()
            if (fields is None or name in fields) and (self.mode == "extended" or rel.stock)
        }
        if rels:
            out["relationships"] = rels
        return out

    def _linkage(self, rt: ResourceType, row: Row, name: str, rel: Rel) -> Any:
        if rel.inverse:
            return [{"type": rel.target, "id": str(i)} for i in self._children(rt, row, name)]
        value = row["r"].get(name)
        if rel.many:
            return [{"type": rel.target, "id": str(i)} for i in value or []]
        return None if value is None else {"type": rel.target, "id": str(value)}

    def _children(self, rt: ResourceType, row: Row, name: str) -> list[RowId]:
        rel = rt.rels[name]
        assert rel.inverse is not None
        table = self.tables[rel.target]
        return sorted(
            (k for k, r in table.items() if r["r"].get(rel.inverse) == row["id"]), key=_sort_key
        )

    def _included(
        self, request: Request, rt: ResourceType, rows: list[Row], links: bool
    ) -> list[dict[str, Any]]:
        names = [n for n in (request.query_one("include") or "").split(",") if n]
        out: list[dict[str, Any]] = []
        seen: set[tuple[str, str]] = set()
        for name in names:
            rel = rt.rels.get(name)
            if rel is None or (self.mode == "stock" and not rel.stock):
                raise Failed(
                    ApiError(
                        400,
                        "filter constraint",
                        f'The relationship "{name}" does not exist.',
                        parameter="include",
                    )
                )
            target = TYPES[rel.target]
            for row in rows:
                linkage = self._linkage(rt, row, name, rel)
                for ref in linkage if isinstance(linkage, list) else [linkage] if linkage else []:
                    key = (ref["type"], ref["id"])
                    child = self.tables[target.name].get(_parse_id(target, ref["id"]))
                    if key in seen or child is None:
                        continue
                    seen.add(key)
                    out.append(self._resource(request, target, child, links))
        return out

    # -- writing ------------------------------------------------------------------------

    def _write(self, request: Request, rt: ResourceType, existing: Row | None) -> Response:
        doc = _body(request)
        data = doc.get("data")
        if not isinstance(data, dict):
            raise Failed(
                _field_error(
                    "/data", "request data constraint", "The primary data object should exist."
                )
            )
        if data.get("type") != rt.name:
            raise Failed(
                ApiError(
                    409,
                    "conflict constraint",
                    "The 'type' property of the primary data "
                    "object should match the requested resource.",
                    pointer="/data/type",
                )
            )
        if existing is not None and str(data.get("id")) != str(existing["id"]):
            raise Failed(
                ApiError(
                    409,
                    "conflict constraint",
                    "The 'id' property of the primary data "
                    "object should match 'id' parameter of the query sting.",
                    pointer="/data/id",
                )
            )
        upsert = existing is None and (data.get("meta") or {}).get("upsert")
        if upsert:
            existing = self._upsert_target(rt, data, upsert)
        txn = _Txn(self.tables)
        try:
            pending, errors = self._stage(
                txn, rt, data, doc.get("included"), existing, upsert=bool(upsert)
            )
            if errors:
                raise Failed(*errors)
        except Failed:
            txn.rollback()
            raise
        primary = pending[0]
        links = _hateoas(request)
        body: dict[str, Any] = {"data": self._resource(request, rt, primary.row, links)}
        included = []
        for item in pending[1:]:
            resource = self._resource(request, item.type, item.row, links)
            resource["meta"] = {"includeId": item.include_id}
            included.append(resource)
        shown = {(r["type"], r["id"]) for r in included}
        for resource in self._included(request, rt, [primary.row], links):
            if (resource["type"], resource["id"]) not in shown:  # `include=` on a write
                included.append(resource)
        if included:
            body["included"] = included
        if existing is not None:
            return _jsonapi(200, body)  # an update, or an upsert that found its row
        response = _jsonapi(201, body)
        response.headers["Location"] = (
            f"{request.base_url}{self.api_base}/{rt.name}/{primary.row['id']}"
        )
        return response

    def _upsert_target(self, rt: ResourceType, data: Mapping[str, Any], upsert: Any) -> Row | None:
        """``meta.upsert`` on POST (oro-jsonapi.md §5): match by fields, never by generated id."""
        pointer = "/data/meta/upsert"
        if upsert is True or upsert == ["id"]:
            raise Failed(
                _field_error(
                    pointer,
                    "value constraint",
                    "The upsert operation cannot use the entity identifier to find an entity.",
                )
            )
        names = upsert if isinstance(upsert, list) else []
        attrs = data.get("attributes") or {}
        rels = data.get("relationships") or {}
        wanted: list[tuple[str, Any]] = []
        for name in names:
            if name in attrs and name in rt.attrs:
                wanted.append((name, attrs[name]))
            elif name in rels and name in rt.rels and not rt.rels[name].many:
                ref = (rels[name] or {}).get("data") or {}
                wanted.append((name, str(ref.get("id"))))
            else:
                raise Failed(
                    _field_error(
                        pointer,
                        "value constraint",
                        f'The upsert operation cannot use the "{name}" field to find an entity.',
                    )
                )
        found = [
            row
            for row in self.tables[rt.name].values()
            if all(
                (row["a"].get(n) == v) if n in rt.attrs else (str(row["r"].get(n)) == v)
                for n, v in wanted
            )
        ]
        if len(found) > 1:
            raise Failed(
                ApiError(
                    409,
                    "conflict constraint",
                    "The upsert operation founds more than one entity.",
                    pointer=pointer,
                )
            )
        return found[0] if found else None

    def _stage(
        self,
        txn: _Txn,
        rt: ResourceType,
        data: Mapping[str, Any],
        included: Any,
        existing: Row | None,
        *,
        upsert: bool = False,
    ) -> tuple[list[_Pending], list[ApiError]]:
        """Resolve ids, write rows inside ``txn``, then validate every touched row."""
        errors: list[ApiError] = []
        items: list[tuple[ResourceType, Mapping[str, Any], str]] = [(rt, data, "/data")]
        local: dict[tuple[str, str], RowId] = {}
        for index, item in enumerate(included if isinstance(included, list) else []):
            pointer = f"/included/{index}"
            item_type = TYPES.get(str(item.get("type"))) if isinstance(item, dict) else None
            if item_type is None or "create" not in self._actions(item_type):
                errors.append(
                    _field_error(
                        f"{pointer}/type",
                        "request data constraint",
                        "The entity type is not supported in included data.",
                    )
                )
                continue
            local[(item_type.name, str(item.get("id")))] = self._next_id(item_type.name)
            items.append((item_type, item, pointer))
        if errors:
            return [], errors
        pending: list[_Pending] = []
        for item_type, item, pointer in items:
            is_primary = pointer == "/data"
            if is_primary and existing is not None:
                row = copy.deepcopy(existing)
            else:
                new_id = (
                    self._next_id(item_type.name)
                    if is_primary
                    else local[(item_type.name, str(item.get("id")))]
                )
                row = {"id": new_id, "a": {n: None for n in item_type.attrs}, "r": {}}
            creating = not (is_primary and existing is not None)
            entry = _Pending(
                item_type, row, pointer, creating, None if is_primary else str(item.get("id"))
            )
            errors += self._apply_fields(entry, item, local, upsert=upsert and is_primary)
            pending.append(entry)
        if errors:
            return [], errors
        for entry in pending:
            self._defaults(entry)
            txn.put(entry.type.name, entry.row)
        for entry in pending:
            for name, ids in entry.to_many.items():
                self._set_children(txn, entry, name, ids)
        for entry in pending:
            entry.row = self.tables[entry.type.name][entry.row["id"]]  # after inverse links
            errors += [e for e in self._validate(entry) if e not in errors]
        return pending, errors

    def _apply_fields(
        self,
        entry: _Pending,
        item: Mapping[str, Any],
        local: Mapping[tuple[str, str], RowId],
        *,
        upsert: bool = False,
    ) -> list[ApiError]:
        """Copy the body's fields onto the row; an upsert may repeat create-only fields."""
        rt, ptr = entry.type, entry.pointer
        creating = entry.creating or upsert
        errors: list[ApiError] = []
        attributes = item.get("attributes") or {}
        relationships = item.get("relationships") or {}
        for name, value in sorted(attributes.items()):
            spec = rt.attrs.get(name)
            pointer = f"{ptr}/attributes/{name}"
            if spec is None or spec.read_only or (spec.create_only and not creating):
                errors.append(_extra_field(pointer, name))
            elif not _kind_ok(spec.kind, value):
                errors.append(_field_error(pointer, "form constraint", "This value is not valid."))
            elif name in ("password", "clientKey") and not entry.creating and not value:
                continue  # IntegrationSettingsSubscriber: an empty secret keeps the stored one
            else:
                entry.row["a"][name] = value
        for name, body in sorted(relationships.items()):
            rel = rt.rels.get(name)
            pointer = f"{ptr}/relationships/{name}/data"
            if rel is None or (rel.create_only and not creating):
                errors.append(_extra_field(pointer, name))
                continue
            linkage = body.get("data") if isinstance(body, dict) else None
            refs = linkage if isinstance(linkage, list) else [linkage] if linkage else []
            if rel.many != isinstance(linkage, list) and linkage is not None:
                errors.append(
                    _field_error(
                        pointer,
                        "request data constraint",
                        "The relationship data has an invalid shape.",
                    )
                )
                continue
            ids: list[RowId] = []
            for ref in refs:
                resolved = self._resolve(rel, ref, local)
                if resolved is None:
                    errors.append(
                        _field_error(pointer, "form constraint", "The entity does not exist.")
                    )
                else:
                    ids.append(resolved)
            if rel.inverse:
                entry.to_many[name] = ids
            elif rel.many:
                entry.row["r"][name] = ids
            else:
                entry.row["r"][name] = ids[0] if ids else None
        return errors

    def _resolve(self, rel: Rel, ref: Any, local: Mapping[tuple[str, str], RowId]) -> RowId | None:
        if not isinstance(ref, dict) or ref.get("type") != rel.target:
            return None
        key = (rel.target, str(ref.get("id")))
        if key in local:
            return local[key]
        target = TYPES[rel.target]
        row_id = _parse_id(target, str(ref.get("id")))
        return row_id if row_id in self.tables[rel.target] else None

    def _defaults(self, entry: _Pending) -> None:
        """Organization ownership defaults to the channel's organization (bundle §2–§4)."""
        row = entry.row
        if "owner" in entry.type.rels and row["r"].get("owner") is None and entry.creating:
            channel = self.tables["integrationchannels"].get(row["r"].get("channel"))
            if channel is not None:
                row["r"]["owner"] = channel["r"].get("organization")
        if entry.type.name == "dotmailerdatafields" and entry.creating:
            row["a"]["createdAt"] = self._now_iso()
        if entry.type.name == "dotmaileraddressbooks" and entry.creating:
            row["a"]["contactCount"] = row["a"].get("contactCount") or 0
            if row["r"].get("visibility") is None:
                row["r"]["visibility"] = "Private"
            if row["a"].get("createEntities") is None:
                row["a"]["createEntities"] = False
        creating_channel = entry.type.name == "integrationchannels" and entry.creating
        if creating_channel and row["a"].get("enabled") is None:
            row["a"]["enabled"] = True

    def _set_children(self, txn: _Txn, entry: _Pending, name: str, ids: list[RowId]) -> None:
        """A to-many relationship in the body replaces the whole set (orphans removed)."""
        rel = entry.type.rels[name]
        assert rel.inverse is not None
        for child_id in self._children(entry.type, entry.row, name):
            if child_id not in ids and rel.owned:
                self._delete(txn, rel.target, child_id)
        for child_id in ids:
            child = copy.deepcopy(self.tables[rel.target][child_id])
            child["r"][rel.inverse] = entry.row["id"]
            txn.put(rel.target, child)

    def _delete(self, txn: _Txn, type_: str, row_id: RowId) -> None:
        row = self.tables[type_].get(row_id)
        if row is None:
            return
        txn.remove(type_, row_id)
        rt = TYPES[type_]
        for name, rel in rt.rels.items():
            if rel.owned and not rel.many and row["r"].get(name) is not None:
                self._delete(txn, rel.target, row["r"][name])
        # Foreign keys pointing at the deleted row: CASCADE or SET NULL (bundle §2–§4).
        for other in TYPES.values():
            for name, rel in other.rels.items():
                if rel.target != type_ or rel.many:
                    continue
                for child_id, child in list(self.tables[other.name].items()):
                    if child["r"].get(name) != row_id:
                        continue
                    if rel.on_delete == "cascade":
                        self._delete(txn, other.name, child_id)
                    else:
                        updated = copy.deepcopy(child)
                        updated["r"][name] = None
                        txn.put(other.name, updated)

    def _delete_list(self, request: Request, rt: ResourceType) -> Response:
        if not any(k.startswith("filter[") for k in request.query):
            raise Failed(
                ApiError(400, "filter constraint", "At least one filter must be provided.")
            )
        rows = self._filtered(request, rt)[:100]  # max_delete_entities
        txn = _Txn(self.tables)
        for row in rows:
            self._delete(txn, rt.name, row["id"])
        response = Response.empty(204)
        if "deletedcount" in _x_include(request):
            response.headers["X-Include-Deleted-Count"] = str(len(rows))
        return response

    # -- validation (bundle validation.yml; oro-dotmailer-bundle.md §1–§4) --------------

    def _validate(self, entry: _Pending) -> list[ApiError]:
        validator = _VALIDATORS.get(entry.type.name)
        return validator(self, entry) if validator else []

    def _others(self, type_: str, row: Row) -> Iterable[Row]:
        return (r for r in self.tables[type_].values() if r["id"] != row["id"])

    def _validate_channel(self, entry: _Pending) -> list[ApiError]:
        a, r, p = entry.row["a"], entry.row["r"], entry.pointer
        errors = _required(
            entry, attrs=("name", "type"), rels=("organization", "defaultUserOwner", "transport")
        )
        name = a.get("name")
        if name:
            if len(name) < 3:
                errors.append(_too_short(f"{p}/attributes/name", 3))
            elif len(name) > 255:
                errors.append(_too_long(f"{p}/attributes/name", 255))
            elif any(
                o["a"]["name"] == name and o["r"].get("organization") == r.get("organization")
                for o in self._others("integrationchannels", entry.row)
            ):
                errors.append(_unique(f"{p}/attributes/name"))
        if a.get("type") and a["type"] != "dotmailer":
            errors.append(
                _field_error(
                    f"{p}/attributes/type",
                    "choice constraint",
                    "The value you selected is not a valid choice.",
                )
            )
        return errors

    def _validate_transport(self, entry: _Pending) -> list[ApiError]:
        a, p = entry.row["a"], entry.pointer
        errors = _required(entry, attrs=("username",), rels=())
        if entry.creating and not a.get("password"):
            errors.append(_not_blank(f"{p}/attributes/password"))
        password = a.get("password")
        if password and len(password) < 8:
            errors.append(_too_short(f"{p}/attributes/password", 8))
        for name in ("username", "password", "clientId", "clientKey", "customDomain"):
            value = a.get(name)
            if value and len(value) > 255:
                errors.append(_too_long(f"{p}/attributes/{name}", 255))
        return errors

    def _validate_data_field(self, entry: _Pending) -> list[ApiError]:
        a, r, p = entry.row["a"], entry.row["r"], entry.pointer
        errors = _required(entry, attrs=("name",), rels=("channel", "type", "visibility"))
        name = a.get("name")
        pointer = f"{p}/attributes/name"
        if name:
            if len(name) > 20:
                errors.append(_too_long(pointer, 20))
            elif not NAME_RE.match(name):
                errors.append(
                    _field_error(
                        pointer,
                        "regex constraint",
                        "The name should contain only "
                        "alphanumeric symbols, hyphens and underscores.",
                    )
                )
            elif any(
                o["a"]["name"].upper() == name.upper() and o["r"].get("channel") == r.get("channel")
                for o in self._others("dotmailerdatafields", entry.row)
            ):
                errors.append(
                    _unique(
                        pointer,
                        "Field with such name already exists in this dotdigital integration",
                    )
                )
        return errors

    def _validate_mapping(self, entry: _Pending) -> list[ApiError]:
        a, r, p = entry.row["a"], entry.row["r"], entry.pointer
        errors = _required(entry, attrs=("entity",), rels=("channel",))
        if a.get("entity") and any(
            o["a"]["entity"] == a["entity"] and o["r"].get("channel") == r.get("channel")
            for o in self._others("dotmailerdatafieldmappings", entry.row)
        ):
            errors.append(
                _unique(
                    f"{p}/attributes/entity",
                    "Mapping for this entity already exists in this dotdigital integration",
                )
            )
        return errors

    def _validate_config(self, entry: _Pending) -> list[ApiError]:
        a, r, p = entry.row["a"], entry.row["r"], entry.pointer
        errors = _required(entry, attrs=("entityFields",), rels=("dataField", "mapping"))
        data_field = self.tables["dotmailerdatafields"].get(r.get("dataField"))
        if data_field is not None and r.get("mapping") is not None:
            if any(
                o["r"].get("dataField") == r["dataField"] and o["r"].get("mapping") == r["mapping"]
                for o in self._others("dotmailerdatafieldmappingconfigs", entry.row)
            ):
                errors.append(
                    _unique(
                        f"{p}/relationships/dataField/data",
                        "The same Data Field can be mapped only one time",
                    )
                )
            fields = a.get("entityFields") or ""
            if "," in fields and data_field["r"].get("type") != "String":
                # DataFieldMappingConfigValidator rule 1
                errors.append(
                    _field_error(
                        f"{p}/attributes/entityFields",
                        "data field mapping config constraint",
                        "Several entity fields can be mapped only to the Data Field of type string",
                    )
                )
        return errors

    def _validate_address_book(self, entry: _Pending) -> list[ApiError]:
        a, r, p = entry.row["a"], entry.row["r"], entry.pointer
        errors = _required(entry, attrs=("name",), rels=("channel", "visibility"))
        name = a.get("name")
        others = list(self._others("dotmaileraddressbooks", entry.row))
        if name:
            if len(name) > 128:  # dotdigital-api-v2.md: address book names are at most 128
                errors.append(_too_long(f"{p}/attributes/name", 128))
            elif any(
                o["a"]["name"].casefold() == name.casefold()
                and o["r"].get("channel") == r.get("channel")
                for o in others
            ):
                errors.append(
                    _unique(
                        f"{p}/attributes/name",
                        "Integration has duplication of address "
                        'books. Field "Name" should be unique.',
                    )
                )
        origin = a.get("originId")
        if origin is not None and any(
            o["a"].get("originId") == origin and o["r"].get("channel") == r.get("channel")
            for o in others
        ):
            errors.append(_unique(f"{p}/attributes/originId"))
        ml = r.get("marketingList")
        if ml is not None and any(o["r"].get("marketingList") == ml for o in others):
            errors.append(
                _unique(
                    f"{p}/relationships/marketingList/data",
                    "This marketing list is already connected to another address book.",
                )
            )
        return errors

    # -- sync scheduling and jobs ([OURS], oro-jsonapi.md §9 F) -------------------------

    def _schedule_sync(self, request: Request, item_id: str | None) -> Response:
        if request.method == "OPTIONS":
            return Response.empty(200, {"Allow": "OPTIONS, POST"})
        if request.method != "POST" or item_id is not None:
            raise Plain(Response.empty(405, {"Allow": "OPTIONS, POST"}))
        doc = _body(request)
        data = doc.get("data")
        if not isinstance(data, dict) or data.get("type") != SYNCS:
            raise Failed(
                ApiError(
                    409,
                    "conflict constraint",
                    "The 'type' property of the primary data "
                    "object should match the requested resource.",
                    pointer="/data/type",
                )
            )
        attrs = data.get("attributes") or {}
        for name in sorted(attrs):
            if name not in ("connector", "force"):
                raise Failed(_extra_field(f"/data/attributes/{name}", name))
        connector, force = attrs.get("connector"), bool(attrs.get("force", False))
        pointer = "/data/relationships/integration/data"
        ref = ((data.get("relationships") or {}).get("integration") or {}).get("data")
        if not isinstance(ref, dict) or ref.get("type") != "integrationchannels":
            raise Failed(_not_blank(pointer))
        channel = self.tables["integrationchannels"].get(
            _parse_id(TYPES["integrationchannels"], str(ref.get("id")))
        )
        if channel is None:
            raise Failed(ApiError(404, "not found http exception", NOT_FOUND, pointer=pointer))
        if not channel["a"].get("enabled"):
            # SyncIntegrationProcessor rejects a disabled integration
            raise Failed(
                _field_error(pointer, "integration constraint", "The integration is disabled.")
            )
        name = f"oro_integration:sync_integration:{channel['id']}"
        now = self._clock()
        for job in self.tables[JOBS].values():
            self._advance(job)
            if job["a"]["name"] != name or job["a"]["status"] not in ("new", "running"):
                continue
            if now - job["lastActive"] > STALE_AFTER:  # saveJobAndStaleDuplicateIfQualifies
                job["a"]["status"] = "stale"
                job["a"]["stoppedAt"] = self._now_iso()
                continue
            raise Failed(
                ApiError(
                    409,
                    "conflict constraint",
                    f'A sync job "{name}" is already {job["a"]["status"]}.',
                    pointer=pointer,
                    meta={"jobId": str(job["id"])},
                )
            )
        job_id = self._next_id(JOBS)
        self.tables[JOBS][job_id] = {
            "id": job_id,
            "a": {
                "name": name,
                "status": "new",
                "jobProgress": 0.0,
                "interrupted": False,
                "unique": True,
                "createdAt": self._now_iso(),
                "startedAt": None,
                "lastActiveAt": self._now_iso(),
                "stoppedAt": None,
                "data": {
                    "integration_id": channel["id"],
                    "connector": connector,
                    "connector_parameters": {"force": force},
                    "skipped": False,
                },
            },
            "r": {},
            "channel": channel["id"],
            "polls": 0,
            "created": now,
            "lastActive": now,
        }
        body = {
            "data": {
                "type": SYNCS,
                "id": str(job_id),
                "attributes": {
                    "jobId": str(job_id),
                    "jobName": name,
                    "status": "new",
                    "connector": connector,
                    "force": force,
                },
                "relationships": {
                    "integration": {
                        "data": {"type": "integrationchannels", "id": str(channel["id"])}
                    }
                },
            }
        }
        response = _jsonapi(201, body)
        response.headers["Location"] = f"{request.base_url}{self.api_base}/{JOBS}/{job_id}"
        return response

    def _job(self, request: Request, item_id: str | None) -> Response:
        if request.method != "GET" or item_id is None:
            raise Plain(Response.empty(405, {"Allow": "OPTIONS, GET"}))
        job = self.tables[JOBS].get(int(item_id)) if item_id.isdigit() else None
        if job is None:
            raise Failed(ApiError(404, "not found http exception", NOT_FOUND))
        job["polls"] += 1
        self._advance(job)
        attrs = dict(job["a"])
        attrs["status"] = JOB_PREFIX + attrs["status"]
        body = {
            "data": {
                "type": JOBS,
                "id": str(job["id"]),
                "attributes": attrs,
                "relationships": {"rootJob": {"data": None}, "childJobs": {"data": []}},
            }
        }
        return _jsonapi(200, body)

    def _advance(self, job: Row) -> None:
        """new -> running -> success|failed: one step per poll, plus one per ``jobStepSeconds``."""
        a = job["a"]
        if a["status"] not in ("new", "running"):
            return
        steps = max(1, int(self.settings["jobSteps"]))
        done = job["polls"]
        per = float(self.settings["jobStepSeconds"])
        if per > 0:
            done += int((self._clock() - job["created"]) // per)
        if done <= 0:
            return
        now_iso = self._now_iso()
        job["lastActive"] = self._clock()
        a["lastActiveAt"] = now_iso
        if a["startedAt"] is None:
            a["startedAt"] = now_iso
        if done < steps:
            a["status"] = "running"
            a["jobProgress"] = round(done / steps, 4)
            return
        self._finish(job)

    def _finish(self, job: Row) -> None:
        a = job["a"]
        channel = self.tables["integrationchannels"].get(job["channel"])
        name = channel["a"]["name"] if channel else ""
        outcome = str(self.settings["jobOutcomes"].get(name, "success"))
        a["status"] = outcome
        a["jobProgress"] = 1.0
        a["stoppedAt"] = self._now_iso()
        if channel is not None:
            self._record_status(job, channel, outcome)
        if channel is None or outcome != "success":
            return
        if name in self.settings["exportRunning"]:
            a["data"]["skipped"] = True  # the dotmailer SyncProcessor skips the whole sync
            return
        if a["data"]["connector"] in (None, "datafield"):
            self._first_datafield_sync(channel)

    def _record_status(self, job: Row, channel: Row, outcome: str) -> None:
        """Status rows as Oro keeps them: code "1" completed, "2" failed (Entity/Status.php)."""
        skipped = channel["a"]["name"] in self.settings["exportRunning"]
        message = "Skipped: an export is in progress." if skipped else ""
        self._insert(
            "integrationstatuses",
            {
                "code": "1" if outcome == "success" else "2",
                "connector": job["a"]["data"]["connector"] or "all",
                "message": message if outcome == "success" else "The synchronization failed.",
                "date": self._now_iso(),
            },
            {"channel": channel["id"]},
        )

    def _first_datafield_sync(self, channel: Row) -> None:
        """AddDefaultMappingListener (bundle §3, rule 8): after the first datafield import."""
        if channel["id"] in self.synced_datafields:
            return
        self.synced_datafields.add(channel["id"])
        if not self.settings["autoDefaultMappings"]:
            return
        org = channel["r"].get("organization")
        fields: dict[str, RowId] = {}
        # The import brings dotmailer's built-in fields into Oro (every account has them).
        for name in ("FIRSTNAME", "LASTNAME", "FULLNAME"):
            existing = next(
                (
                    r["id"]
                    for r in self.tables["dotmailerdatafields"].values()
                    if r["r"].get("channel") == channel["id"] and r["a"]["name"].upper() == name
                ),
                None,
            )
            if existing is None:
                existing = self._insert(
                    "dotmailerdatafields",
                    {
                        "name": name,
                        "defaultValue": None,
                        "notes": None,
                        "createdAt": self._now_iso(),
                    },
                    {
                        "channel": channel["id"],
                        "owner": org,
                        "type": "String",
                        "visibility": "Private",
                    },
                )
            fields[name] = existing
        mapped = {
            r["a"]["entity"]
            for r in self.tables["dotmailerdatafieldmappings"].values()
            if r["r"].get("channel") == channel["id"]
        }
        priorities = {CONTACT: 20, LEAD: 10}
        for entity in self.settings["defaultMappingEntities"]:
            if entity in mapped:
                continue
            mapping = self._insert(
                "dotmailerdatafieldmappings",
                {"entity": entity, "syncPriority": priorities.get(entity, 0)},
                {"channel": channel["id"], "owner": org},
            )
            for df, entity_fields in (
                ("FIRSTNAME", "firstName"),
                ("LASTNAME", "lastName"),
                ("FULLNAME", "firstName,lastName"),
            ):
                self._insert(
                    "dotmailerdatafieldmappingconfigs",
                    {"entityFields": entity_fields, "isTwoWaySync": False},
                    {"dataField": fields[df], "mapping": mapping},
                )


_VALIDATORS: dict[str, Callable[[OroApp, _Pending], list[ApiError]]] = {
    "integrationchannels": OroApp._validate_channel,
    "dotmailertransports": OroApp._validate_transport,
    "dotmailerdatafields": OroApp._validate_data_field,
    "dotmailerdatafieldmappings": OroApp._validate_mapping,
    "dotmailerdatafieldmappingconfigs": OroApp._validate_config,
    "dotmaileraddressbooks": OroApp._validate_address_book,
}


# --- helpers --------------------------------------------------------------------------------


def _required(entry: _Pending, *, attrs: Iterable[str], rels: Iterable[str]) -> list[ApiError]:
    row, p = entry.row, entry.pointer
    errors = [_not_blank(f"{p}/attributes/{n}") for n in attrs if row["a"].get(n) in (None, "")]
    errors += [_not_blank(f"{p}/relationships/{n}/data") for n in rels if row["r"].get(n) is None]
    return errors


def _extra_field(pointer: str, name: str) -> ApiError:
    return _field_error(
        pointer, "extra fields constraint", f'This form should not contain extra fields: "{name}".'
    )


def _kind_ok(kind: str, value: Any) -> bool:
    if value is None or kind == "any":
        return True
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, str)


def _matches(rt: ResourceType, row: Row, filters: list[tuple[str, str, list[str]]]) -> bool:
    for name, op, values in filters:
        if name == "id":
            actual: Any = str(row["id"])
        elif name in rt.rels:
            actual = row["r"].get(name)
            actual = None if actual is None else str(actual)
        else:
            actual = _wire_scalar(row["a"].get(name))
        hit = actual in values
        if hit != (op == "eq"):
            return False
    return True


def _row_key(name: str) -> Callable[[Row], tuple[int, Any]]:
    def key(row: Row) -> tuple[int, Any]:
        return _sort_key(row["id"] if name == "id" else row["a"].get(name))

    return key


def _wire_scalar(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, "")
    if isinstance(value, bool | int | float):
        return (1, value)
    return (2, str(value))


def _parse_id(rt: ResourceType, wire_id: str | None) -> RowId:
    """The row key for a wire id; -1 (never a key) when it cannot be one."""
    if wire_id is None:
        return -1
    if rt.string_ids:
        return wire_id
    return int(wire_id) if wire_id.isdigit() else -1


def _action(method: str, item: bool) -> str:
    return {
        ("GET", False): "get_list",
        ("GET", True): "get",
        ("POST", False): "create",
        ("PATCH", True): "update",
        ("DELETE", True): "delete",
        ("DELETE", False): "delete_list",
    }.get((method, item), "unsupported")


def _x_include(request: Request) -> set[str]:
    header = request.headers.get("X-Include") or ""
    return {part.strip().lower() for part in header.split(";") if part.strip()}


def _hateoas(request: Request) -> bool:
    return "nohateoas" not in _x_include(request)


def _sparse_fields(request: Request, type_: str) -> set[str] | None:
    value = request.query_one(f"fields[{type_}]")
    return None if value is None else {v for v in value.split(",") if v}


def _int_param(request: Request, name: str, default: int) -> int:
    value = request.query_one(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise Failed(
            ApiError(
                400,
                "unexpected value exception",
                f'Expected integer value. Given "{value}".',
                parameter=name,
            )
        ) from None


def _body(request: Request) -> dict[str, Any]:
    if not request.body.strip():
        raise Failed(
            ApiError(400, "request data constraint", "The request data should not be empty.")
        )
    try:
        doc = json.loads(request.body)
    except ValueError:
        raise Failed(
            ApiError(400, "bad request http exception", "Invalid json message received.")
        ) from None
    if not isinstance(doc, dict):
        raise Failed(
            ApiError(400, "request data constraint", "The request data should be an object.")
        )
    return doc


def _jsonapi(status: int, payload: Any) -> Response:
    return Response.json(status, payload, content_type=JSONAPI)


def _fqcn(entity: str) -> str:
    """Seed files may name entities by the aliases the YAML config accepts."""
    return resolve_entity(entity) or entity


def _token_params(request: Request) -> dict[str, str]:
    """JSON, form fields, or HTTP Basic + form (ClientCredentialsOAuthServerTest)."""
    params: dict[str, str] = {}
    content_type = (request.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if request.body:
        if content_type == "application/json":
            try:
                doc = json.loads(request.body)
            except ValueError:
                doc = {}
            if isinstance(doc, dict):
                params = {k: str(v) for k, v in doc.items() if v is not None}
        else:
            parsed = parse_qs(request.body.decode("utf-8", "replace"), keep_blank_values=True)
            params = {k: v[-1] for k, v in parsed.items()}
    auth = request.headers.get("Authorization") or ""
    if auth.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(auth[6:].strip()).decode("utf-8")
        except ValueError:
            decoded = ""
        user, _, password = decoded.partition(":")
        params.setdefault("client_id", user)
        params.setdefault("client_secret", password)
    return params


def _oauth_error(status: int, error: str, message: str, hint: str | None = None) -> Response:
    payload = {"error": error, "message": message, "error_description": message}
    if hint:
        payload["hint"] = hint
    return Response.json(status, payload, content_type="application/json; charset=UTF-8")
