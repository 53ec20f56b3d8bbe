"""Writing: create, update and upsert (with ``included`` items), delete with its cascades, and
``delete_list``. Every write runs in one undo log (``store.Txn``): the request's resource objects
are staged, written, linked and validated together, and one invalid item changes nothing."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from reconciler.sandbox.core import Request, Response
from reconciler.sandbox.oro.errors import (
    ApiError,
    Failed,
    extra_field,
    field_error,
    type_mismatch,
)
from reconciler.sandbox.oro.imports import CONNECTORS
from reconciler.sandbox.oro.read import Reader
from reconciler.sandbox.oro.schema import TYPES, Rel, ResourceType, Row, RowId, parse_id, sort_key
from reconciler.sandbox.oro.store import Store, Txn
from reconciler.sandbox.oro.validate import Pending, validate
from reconciler.sandbox.oro.wire import body, hateoas, jsonapi, x_include

LocalIds = Mapping[tuple[str, str], RowId]  # (type, include id) -> the id it was given


class Writer:
    """The write side of the JSON:API over a store, answering through ``reader``.
    ``on_book_linked(channel id, book id)`` runs when an update set a book's marketing list."""

    def __init__(self, store: Store, reader: Reader, mode: str, api_base: str) -> None:
        self._store = store
        self._reader = reader
        self._mode = mode
        self._api_base = api_base
        self.on_book_linked: Callable[[Any, Any], None] = lambda channel, book: None

    def write(
        self,
        request: Request,
        rt: ResourceType,
        existing: Row | None,
        organization: int | None = None,
    ) -> Response:
        """POST (``existing`` None) or PATCH of one resource with its ``included`` items;
        ``organization`` is the one the request's token acts in."""
        doc = body(request)
        data = doc.get("data")
        if not isinstance(data, dict):
            raise Failed(
                field_error(
                    "/data", "request data constraint", "The primary data object should exist."
                )
            )
        if data.get("type") != rt.name:
            raise Failed(type_mismatch())
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
        txn = Txn(self._store)
        linked_before = existing["r"].get("marketingList") if existing is not None else None
        try:
            pending, errors = self._stage(
                txn, rt, data, doc.get("included"), existing, organization, upsert=bool(upsert)
            )
            if errors:
                raise Failed(*errors)
        except Failed:
            txn.rollback()
            raise
        primary = pending[0]
        if rt.name == "dotmaileraddressbooks" and existing is not None:
            linked = primary.row["r"].get("marketingList")
            if linked is not None and linked != linked_before and primary.row["r"].get("channel"):
                self.on_book_linked(primary.row["r"]["channel"], primary.row["id"])
        links = hateoas(request)
        answer: dict[str, Any] = {"data": self._reader.resource(request, rt, primary.row, links)}
        included = []
        for item in pending[1:]:
            resource = self._reader.resource(request, item.type, item.row, links)
            resource["meta"] = {"includeId": item.include_id}
            included.append(resource)
        shown = {(r["type"], r["id"]) for r in included}
        for resource in self._reader.included(request, rt, [primary.row], links):
            if (resource["type"], resource["id"]) not in shown:  # `include=` on a write
                included.append(resource)
        if included:
            answer["included"] = included
        if existing is not None:
            return jsonapi(200, answer)  # an update, or an upsert that found its row
        response = jsonapi(201, answer)
        response.headers["Location"] = (
            f"{request.base_url}{self._api_base}/{rt.name}/{primary.row['id']}"
        )
        return response

    def _upsert_target(self, rt: ResourceType, data: Mapping[str, Any], upsert: Any) -> Row | None:
        """``meta.upsert`` on POST (oro-jsonapi.md §5): match by fields, never by generated id."""
        pointer = "/data/meta/upsert"
        if upsert is True or upsert == ["id"]:
            raise Failed(
                field_error(
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
                    field_error(
                        pointer,
                        "value constraint",
                        f'The upsert operation cannot use the "{name}" field to find an entity.',
                    )
                )
        found = [
            row
            for row in self._store.tables[rt.name].values()
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
        txn: Txn,
        rt: ResourceType,
        data: Mapping[str, Any],
        included: Any,
        existing: Row | None,
        organization: int | None,
        *,
        upsert: bool = False,
    ) -> tuple[list[Pending], list[ApiError]]:
        """Resolve ids, write rows inside ``txn``, then validate every touched row."""
        store = self._store
        errors: list[ApiError] = []
        items: list[tuple[ResourceType, Mapping[str, Any], str]] = [(rt, data, "/data")]
        local: dict[tuple[str, str], RowId] = {}
        for index, item in enumerate(included if isinstance(included, list) else []):
            pointer = f"/included/{index}"
            item_type = TYPES.get(str(item.get("type"))) if isinstance(item, dict) else None
            if item_type is None or "create" not in item_type.actions_in(self._mode):
                errors.append(
                    field_error(
                        f"{pointer}/type",
                        "request data constraint",
                        "The entity type is not supported in included data.",
                    )
                )
                continue
            local[(item_type.name, str(item.get("id")))] = store.next_id(item_type.name)
            items.append((item_type, item, pointer))
        if errors:
            return [], errors
        pending: list[Pending] = []
        for item_type, item, pointer in items:
            is_primary = pointer == "/data"
            if is_primary and existing is not None:
                row = copy.deepcopy(existing)
            else:
                new_id = (
                    store.next_id(item_type.name)
                    if is_primary
                    else local[(item_type.name, str(item.get("id")))]
                )
                row = {"id": new_id, "a": {n: None for n in item_type.attrs}, "r": {}}
            creating = not (is_primary and existing is not None)
            entry = Pending(
                item_type, row, pointer, creating, None if is_primary else str(item.get("id"))
            )
            errors += self._apply_fields(entry, item, local, upsert=upsert and is_primary)
            pending.append(entry)
        if errors:
            return [], errors
        for entry in pending:
            self._defaults(entry, organization)
            txn.put(entry.type.name, entry.row)
        for entry in pending:
            for name, ids in entry.to_many.items():
                self._set_children(txn, entry, name, ids)
        for entry in pending:
            entry.row = store.tables[entry.type.name][entry.row["id"]]  # after inverse links
            errors += [e for e in validate(store, entry) if e not in errors]
        return pending, errors

    def _apply_fields(
        self, entry: Pending, item: Mapping[str, Any], local: LocalIds, *, upsert: bool = False
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
                errors.append(extra_field(pointer, name))
            elif not _kind_ok(spec.kind, value):
                errors.append(field_error(pointer, "form constraint", "This value is not valid."))
            elif name in ("password", "clientKey") and not entry.creating and not value:
                continue  # IntegrationSettingsSubscriber: an empty secret keeps the stored one
            else:
                entry.row["a"][name] = value
        for name, rel_body in sorted(relationships.items()):
            rel = rt.rels.get(name)
            pointer = f"{ptr}/relationships/{name}/data"
            if rel is None or (rel.create_only and not creating):
                errors.append(extra_field(pointer, name))
                continue
            linkage = rel_body.get("data") if isinstance(rel_body, dict) else None
            refs = linkage if isinstance(linkage, list) else [linkage] if linkage else []
            if rel.many != isinstance(linkage, list) and linkage is not None:
                errors.append(
                    field_error(
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
                        field_error(pointer, "form constraint", "The entity does not exist.")
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

    def _resolve(self, rel: Rel, ref: Any, local: LocalIds) -> RowId | None:
        if not isinstance(ref, dict) or ref.get("type") != rel.target:
            return None
        key = (rel.target, str(ref.get("id")))
        if key in local:
            return local[key]
        target = TYPES[rel.target]
        row_id = parse_id(target, str(ref.get("id")))
        return row_id if row_id in self._store.tables[rel.target] else None

    def _defaults(self, entry: Pending, organization: int | None) -> None:
        """An owner left unset on create is the token's organization, not the channel's
        (oroinc/platform ``OrganizationBundle/Api/Processor/SetOwnershipAssociations.php``,
        ``Ownership/EntityOwnershipAssociationsSetter.php:41-77``)."""
        row = entry.row
        if entry.creating:
            for name in ("owner", "organization"):
                rel = entry.type.rels.get(name)
                if rel is not None and rel.target == "organizations" and row["r"].get(name) is None:
                    row["r"][name] = organization
        if entry.type.name == "dotmailerdatafields" and entry.creating:
            row["a"]["createdAt"] = self._store.now_iso()
        if entry.type.name == "dotmaileraddressbooks" and entry.creating:
            row["a"]["contactCount"] = row["a"].get("contactCount") or 0
            if row["r"].get("visibility") is None:
                row["r"]["visibility"] = "Private"
            if row["a"].get("createEntities") is None:
                row["a"]["createEntities"] = False
        creating_channel = entry.type.name == "integrationchannels" and entry.creating
        if creating_channel and row["a"].get("enabled") is None:
            row["a"]["enabled"] = True
        if creating_channel and row["a"].get("type") == "dotmailer":
            # The companion bundle fills an API-created integration's connectors as the UI's
            # ChannelConnectorsExtension does (oro-bundle/, docs/oro-api.md).
            row["a"]["connectors"] = list(CONNECTORS)

    def _set_children(self, txn: Txn, entry: Pending, name: str, ids: list[RowId]) -> None:
        """A to-many relationship in the body replaces the whole set (orphans removed)."""
        rel = entry.type.rels[name]
        assert rel.inverse is not None
        for child_id in self._store.children(entry.type, entry.row, name):
            if child_id not in ids and rel.owned:
                self._delete(txn, rel.target, child_id)
        for child_id in ids:
            child = copy.deepcopy(self._store.tables[rel.target][child_id])
            child["r"][rel.inverse] = entry.row["id"]
            txn.put(rel.target, child)

    def delete_row(self, type_: str, row_id: RowId) -> None:
        """Delete a row with its cascades (for Oro's own jobs, not a request)."""
        self._delete(Txn(self._store), type_, row_id)

    def delete(self, rt: ResourceType, row: Row) -> Response:
        """DELETE of one resource."""
        self._delete(Txn(self._store), rt.name, row["id"])
        return Response.empty(204)

    def delete_list(self, request: Request, rt: ResourceType) -> Response:
        """DELETE of a filtered list (at least one filter)."""
        if not any(k.startswith("filter[") for k in request.query):
            raise Failed(
                ApiError(400, "filter constraint", "At least one filter must be provided.")
            )
        rows = self._reader.filtered(request, rt)[:100]  # max_delete_entities
        txn = Txn(self._store)
        for row in rows:
            self._delete(txn, rt.name, row["id"])
        response = Response.empty(204)
        if "deletedcount" in x_include(request):
            response.headers["X-Include-Deleted-Count"] = str(len(rows))
        return response

    def _delete(self, txn: Txn, type_: str, row_id: RowId) -> None:
        tables = self._store.tables
        row = tables[type_].get(row_id)
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
                for child_id in sorted(self._store.referrers(other.name, name, row_id),
                                       key=sort_key):  # fmt: skip
                    child = tables[other.name].get(child_id)
                    if child is None or child["r"].get(name) != row_id:
                        continue  # gone in an earlier cascade of this delete
                    if rel.on_delete == "cascade":
                        self._delete(txn, other.name, child_id)
                    else:
                        updated = copy.deepcopy(child)
                        updated["r"][name] = None
                        txn.put(other.name, updated)


def _kind_ok(kind: str, value: Any) -> bool:
    if value is None or kind == "any":
        return True
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, str)
