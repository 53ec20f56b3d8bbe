"""The emulator's world and the undo log every write runs in.

The world is a set of tables of rows (``schema.Row``), the next id of each table, the settings of
the emulator, the API clients (with the organization each one's tokens act in), and the custom
fields a seed added to Oro's entities. To-many relationships are not stored: they are derived
from the inverse to-one side (``children``). The dotmailer fields a data-field import reads are
not part of it: the sandbox world hands the emulator a reader (``dotmailer_fields``).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.sandbox.oro.entities import catalogue
from reconciler.sandbox.oro.errors import Failed, not_found
from reconciler.sandbox.oro.schema import (
    ENUM_VALUES,
    JOBS,
    STATUSES,
    TYPES,
    ResourceType,
    Row,
    RowId,
    parse_id,
    sort_key,
)

Clock = Callable[[], float]

DEFAULT_SETTINGS: dict[str, Any] = {
    "tokenLifetime": 3600,
    "autoDefaultMappings": True,  # Oro always makes them ([DM] AddDefaultMappingListener)
    "jobSteps": 2,  # polls until a job finishes: new -> running (x jobSteps-1) -> terminal
    "jobStepSeconds": 0,  # > 0: the clock also advances jobs, one step per this many seconds
    "jobOutcomes": {},  # integration name -> "failed" (default "success")
    "exportRunning": [],  # integration names whose export-status job is NEW/RUNNING
    "maxPageSize": -1,  # oro_api.max_entities: -1 = unlimited
    # oro_dotmailer.datafields_sync_interval: '1 day'
    # ([DM] DependencyInjection/Configuration.php:21)
    "datafieldsSyncIntervalSeconds": 86400,
}

# A dotmailer account's data fields as GET /v2/data-fields lists them, by API user name (None:
# no such account). The data-field import reads them through this.
DotmailerFields = Callable[[str], list[dict[str, Any]] | None]


@dataclass
class Txn:
    """An undo log over the store's tables: ``rollback`` restores every row it touched."""

    store: Store
    undo: list[tuple[str, RowId, Row | None]] = field(default_factory=list)

    def put(self, type_: str, row: Row) -> None:
        old = self.store.tables[type_].get(row["id"])
        self.undo.append((type_, row["id"], copy.deepcopy(old) if old is not None else None))
        self.store.set_row(type_, row["id"], row)

    def remove(self, type_: str, row_id: RowId) -> None:
        old = self.store.set_row(type_, row_id, None)
        if old is not None:
            self.undo.append((type_, row_id, old))

    def rollback(self) -> None:
        for type_, row_id, old in reversed(self.undo):
            self.store.set_row(type_, row_id, old)
        self.undo.clear()


class Store:
    """The tables and everything else a snapshot keeps; the lookups the handlers share."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.settings: dict[str, Any] = copy.deepcopy(DEFAULT_SETTINGS)
        self.clients: dict[str, str] = {}
        self.client_orgs: dict[str, int] = {}  # client id -> the organization its tokens act in
        self.custom_fields: dict[str, dict[str, str]] = {}  # FQCN -> {field: type}
        self.tables: dict[str, dict[RowId, Row]] = {name: {} for name in (*TYPES, JOBS, STATUSES)}
        self.next_ids: dict[str, int] = {}
        self.dotmailer_fields: DotmailerFields = lambda _: None
        # type -> to-one relationship -> value -> ids of the rows pointing there: built on first
        # use and kept up to date by set_row, so uniqueness checks, derived to-many links and
        # delete cascades read the few rows concerned instead of scanning the table per write.
        self._refs: dict[str, dict[str, dict[Any, set[RowId]]]] = {}
        for enum, values in ENUM_VALUES.items():
            for value in values:
                self.tables[enum][value] = {"id": value, "a": {"name": value}, "r": {}}

    # -- persistence --------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """The whole world as JSON-able data (the enum tables are built, not kept)."""
        return {
            "format": 1,
            "settings": copy.deepcopy(self.settings),
            "clients": [
                {"id": k, "secret": v, "organization": self.client_orgs.get(k)}
                for k, v in sorted(self.clients.items())
            ],
            "customFields": copy.deepcopy(self.custom_fields),
            "tables": {
                name: [copy.deepcopy(table[k]) for k in sorted(table, key=sort_key)]
                for name, table in sorted(self.tables.items())
                if name not in ENUM_VALUES
            },
            "nextIds": dict(sorted(self.next_ids.items())),
        }

    def load(self, snapshot: Mapping[str, Any]) -> None:
        """Take over what ``snapshot`` wrote (over a fresh store)."""
        self.settings.update(copy.deepcopy(dict(snapshot.get("settings", {}))))
        self.clients = {c["id"]: c["secret"] for c in snapshot.get("clients", [])}
        self.client_orgs = {
            c["id"]: c["organization"]
            for c in snapshot.get("clients", [])
            if c.get("organization") is not None
        }
        self.custom_fields = copy.deepcopy(dict(snapshot.get("customFields", {})))
        for name, rows in snapshot.get("tables", {}).items():
            self.tables[name] = {row["id"]: copy.deepcopy(row) for row in rows}
        self._refs.clear()
        self.next_ids = dict(snapshot.get("nextIds", {}))

    # -- rows ---------------------------------------------------------------------------

    def insert(self, type_: str, attrs: dict[str, Any], rels: dict[str, Any]) -> int:
        row_id = self.next_id(type_)
        self.set_row(type_, row_id, {"id": row_id, "a": attrs, "r": rels})
        return row_id

    def set_row(self, type_: str, row_id: RowId, row: Row | None) -> Row | None:
        """Put (or, with None, remove) one row, keeping the indexes; returns the old row. Every
        change of a row of ``TYPES`` goes through here: rows are replaced, never edited in
        place once stored."""
        table = self.tables[type_]
        old = table.pop(row_id, None) if row is None else table.get(row_id)
        if row is not None:
            table[row_id] = row
        for rel, index in self._refs.get(type_, {}).items():
            if old is not None:
                _unindex(index, old["r"].get(rel), row_id)
            if row is not None:
                _index(index, row["r"].get(rel), row_id)
        return old

    def referrers(self, type_: str, rel: str, value: Any) -> set[RowId]:
        """Ids of the rows of ``type_`` whose to-one ``rel`` is ``value`` (indexed)."""
        by_rel = self._refs.setdefault(type_, {})
        index = by_rel.get(rel)
        if index is None:
            index = by_rel[rel] = {}
            for row_id, row in self.tables[type_].items():
                _index(index, row["r"].get(rel), row_id)
        return index.get(value, set()) if _hashable(value) else set()

    def next_id(self, type_: str) -> int:
        current = self.next_ids.get(type_, 0) + 1
        self.next_ids[type_] = current
        return current

    def find(self, type_: str, attr: str, value: Any) -> int | None:
        for row in self.tables[type_].values():
            if row["a"].get(attr) == value:
                return int(row["id"])
        return None

    def row(self, rt: ResourceType, wire_id: str | None) -> Row:
        """The row a URL names, or 404."""
        row = self.tables[rt.name].get(parse_id(rt, wire_id))
        if row is None:
            raise Failed(not_found())
        return row

    def rows(self, type_: str) -> list[Row]:
        """Copies of a table's rows in id order."""
        table = self.tables[type_]
        return [copy.deepcopy(table[k]) for k in sorted(table, key=sort_key)]

    def children(self, rt: ResourceType, row: Row, name: str) -> list[RowId]:
        """The ids of a derived to-many relationship: rows whose inverse to-one is ``row``."""
        rel = rt.rels[name]
        assert rel.inverse is not None
        return sorted(self.referrers(rel.target, rel.inverse, row["id"]), key=sort_key)

    def others(self, type_: str, row: Row, rel: str) -> Iterator[Row]:
        """Every row of ``type_`` but ``row`` with the same to-one ``rel`` (the scope of a
        uniqueness check: the channel, the organization, the mapping...)."""
        table = self.tables[type_]
        ids = self.referrers(type_, rel, row["r"].get(rel))
        return (table[k] for k in sorted(ids, key=sort_key) if k != row["id"])

    def entities(self) -> dict[str, dict[str, str]]:
        """Every entity the emulated Oro has, with its fields and their types."""
        return catalogue(self.custom_fields)

    def now_iso(self) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.clock()))


def _hashable(value: Any) -> bool:
    return not isinstance(value, list | dict)  # a to-many (list) is not indexed


def _index(index: dict[Any, set[RowId]], value: Any, row_id: RowId) -> None:
    if _hashable(value):
        index.setdefault(value, set()).add(row_id)


def _unindex(index: dict[Any, set[RowId]], value: Any, row_id: RowId) -> None:
    if _hashable(value):
        ids = index.get(value)
        if ids is not None:
            ids.discard(row_id)
            if not ids:
                del index[value]
