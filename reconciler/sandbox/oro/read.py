"""Reading: ``get`` and ``get_list`` with filters, sorting, paging, ``include`` and sparse
fieldsets, and the resource objects every answer (reads and writes alike) is built from."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from reconciler.sandbox.core import Request, Response
from reconciler.sandbox.oro.errors import ApiError, Failed
from reconciler.sandbox.oro.schema import TYPES, Rel, ResourceType, Row, parse_id, sort_key
from reconciler.sandbox.oro.store import Store
from reconciler.sandbox.oro.wire import hateoas, int_param, jsonapi, sparse_fields, x_include

Filter = tuple[str, str, list[str]]  # (field, "eq" | "neq", values)


class Reader:
    """The read side of the JSON:API over a store, as ``mode`` exposes it under ``api_base``."""

    def __init__(self, store: Store, mode: str, api_base: str) -> None:
        self._store = store
        self._mode = mode
        self._api_base = api_base

    def get(self, request: Request, rt: ResourceType, row: Row) -> Response:
        links = hateoas(request)
        doc: dict[str, Any] = {"data": self.resource(request, rt, row, links)}
        included = self.included(request, rt, [row], links)
        if included:
            doc["included"] = included
        return jsonapi(200, doc)

    def get_list(self, request: Request, rt: ResourceType) -> Response:
        rows = self.filtered(request, rt)
        size, number = self._paging(request)
        total = len(rows)
        page = rows if size == -1 else rows[(number - 1) * size : number * size]
        links = hateoas(request)
        doc: dict[str, Any] = {"data": [self.resource(request, rt, r, links) for r in page]}
        if links:
            doc["links"] = self._list_links(request, rt, size, number, total)
        included = self.included(request, rt, page, links)
        if included:
            doc["included"] = included
        response = jsonapi(200, doc)
        if "totalcount" in x_include(request):
            response.headers["X-Include-Total-Count"] = str(total)
        return response

    def _list_links(
        self, request: Request, rt: ResourceType, size: int, number: int, total: int
    ) -> dict[str, str]:
        base = f"{request.base_url}{self._api_base}/{rt.name}"
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
        size = int_param(request, "page[size]", 10)
        number = int_param(request, "page[number]", 1)
        if size < -1 or size == 0:
            raise Failed(
                ApiError(
                    400,
                    "filter constraint",
                    "The value should be greater than or equals to -1.",
                    parameter="page[size]",
                )
            )
        limit = int(self._store.settings["maxPageSize"])
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

    def filtered(self, request: Request, rt: ResourceType) -> list[Row]:
        """The rows the request's filters select, in the order its ``sort`` asks for."""
        filters = self._parse_filters(request, rt)
        rows = [r for r in self._store.tables[rt.name].values() if _matches(rt, r, filters)]
        return self._sorted(request, rt, rows)

    def _parse_filters(self, request: Request, rt: ResourceType) -> list[Filter]:
        stock = self._mode == "stock"
        allowed = rt.stock_filters if stock and rt.stock_filters else rt.filters
        if stock and rt.stock == "read_only":
            allowed = rt.stock_filters or frozenset({"id"})
        known = ("page[size]", "page[number]", "sort", "include", "meta")
        out: list[Filter] = []
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
            arrays = rt.array_filters if self._mode == "extended" else frozenset({"id"})
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

    def resource(
        self, request: Request | None, rt: ResourceType, row: Row, links: bool
    ) -> dict[str, Any]:
        """One resource object: attributes (no write-only ones), relationships, self link."""
        fields = sparse_fields(request, rt.name) if request else None
        out: dict[str, Any] = {"type": rt.name, "id": str(row["id"])}
        if links and request is not None:
            out["links"] = {"self": f"{request.base_url}{self._api_base}/{rt.name}/{row['id']}"}
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
            if (fields is None or name in fields) and (self._mode == "extended" or rel.stock)
        }
        if rels:
            out["relationships"] = rels
        return out

    def _linkage(self, rt: ResourceType, row: Row, name: str, rel: Rel) -> Any:
        if rel.inverse:
            return [{"type": rel.target, "id": str(i)} for i in self._store.children(rt, row, name)]
        value = row["r"].get(name)
        if rel.many:
            return [{"type": rel.target, "id": str(i)} for i in value or []]
        return None if value is None else {"type": rel.target, "id": str(value)}

    def included(
        self, request: Request, rt: ResourceType, rows: list[Row], links: bool
    ) -> list[dict[str, Any]]:
        """The ``include=`` resources of ``rows``, each once."""
        names = [n for n in (request.query_one("include") or "").split(",") if n]
        out: list[dict[str, Any]] = []
        seen: set[tuple[str, str]] = set()
        for name in names:
            rel = rt.rels.get(name)
            if rel is None or (self._mode == "stock" and not rel.stock):
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
                    child = self._store.tables[target.name].get(parse_id(target, ref["id"]))
                    if key in seen or child is None:
                        continue
                    seen.add(key)
                    out.append(self.resource(request, target, child, links))
        return out


def _matches(rt: ResourceType, row: Row, filters: list[Filter]) -> bool:
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
        return sort_key(row["id"] if name == "id" else row["a"].get(name))

    return key


def _wire_scalar(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
