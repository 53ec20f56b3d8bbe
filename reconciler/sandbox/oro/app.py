"""``OroApp``: the Oro back office as one app (``/oauth2-token`` and ``{api_base}/...``).

It owns the store and the lock, counts requests, routes each one to the job that answers it
(tokens, reads, writes, syncs) and turns a raised ``Failed`` or ``Plain`` into the response.
It also keeps the hooks the sandbox world and the tests drive the emulator with.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Mapping
from typing import Any

from reconciler.sandbox.core import Request, Response
from reconciler.sandbox.oro.auth import Tokens
from reconciler.sandbox.oro.errors import ApiError, Failed, Plain, error_response
from reconciler.sandbox.oro.jobs import Syncs
from reconciler.sandbox.oro.read import Reader
from reconciler.sandbox.oro.schema import MODES, SYNCS, TYPES, ResourceType, Row, RowId
from reconciler.sandbox.oro.seed import load_seed
from reconciler.sandbox.oro.store import Clock, DotmailerFields, Store
from reconciler.sandbox.oro.structures import STRUCTURES, structures
from reconciler.sandbox.oro.wire import action, check_media_type
from reconciler.sandbox.oro.write import Writer


class OroApp:
    """The Oro back office: ``/oauth2-token`` and ``{api_base}/...`` (JSON:API)."""

    def __init__(
        self,
        seed: Mapping[str, Any] | None = None,
        *,
        clock: Clock = time.time,
        mode: str = "extended",
        api_base: str = "/admin/api",
        dotmailer_fields: DotmailerFields | None = None,
    ) -> None:
        """``dotmailer_fields``: what a data-field import reads from an integration's dotmailer
        account (the sandbox world connects the dotmailer emulator; alone, no account is
        reachable and the import fails, as Oro's would)."""
        if mode not in MODES:
            raise ValueError(f"unknown Oro emulator mode {mode!r} (stock or extended)")
        self.mode = mode
        self.api_base = api_base.rstrip("/")
        self.prefixes = (self.api_base + "/", "/oauth2-token")
        self._lock = threading.RLock()
        self.counters: dict[str, int] = {"total": 0}
        self.store = Store(clock)
        if dotmailer_fields is not None:
            self.store.dotmailer_fields = dotmailer_fields
        self._tokens = Tokens(self.store)
        self._reader = Reader(self.store, mode, self.api_base)
        self._writer = Writer(self.store, self._reader, mode, self.api_base)
        self._syncs = Syncs(self.store, self.api_base, self._writer.delete_row)
        self._writer.on_book_linked = self._syncs.schedule_for_book
        if seed:
            load_seed(self.store, seed)

    @property
    def tables(self) -> dict[str, dict[RowId, Row]]:
        return self.store.tables

    @property
    def settings(self) -> dict[str, Any]:
        return self.store.settings

    # -- persistence --------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """The whole world as JSON-able data (tokens and counters are not part of it)."""
        with self._lock:
            return self.store.snapshot()

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
        app.store.load(snapshot)
        return app

    # -- test hooks ---------------------------------------------------------------------

    def integration_row(self, name: str) -> Row:
        """The stored integration and its transport, secrets as given (tests assert them)."""
        with self._lock:
            channel_id = self.store.find("integrationchannels", "name", name)
            if channel_id is None:
                raise KeyError(name)
            channel = copy.deepcopy(self.tables["integrationchannels"][channel_id])
            transport = self.tables["dotmailertransports"].get(channel["r"].get("transport"))
            channel["transport"] = copy.deepcopy(transport)
            return channel

    def patch_integration(self, name: str, **attrs: Any) -> None:
        """Drift made "by hand": change channel or transport attributes directly."""
        with self._lock:
            channel_id = self.store.find("integrationchannels", "name", name)
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
            self._tokens.revoke()

    def rows(self, type_: str) -> list[Row]:
        with self._lock:
            return self.store.rows(type_)

    # -- dispatch -----------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        with self._lock:
            key = f"{request.method} {self._endpoint(request.path)}"
            self.counters[key] = self.counters.get(key, 0) + 1
            self.counters["total"] += 1
            try:
                if request.path.rstrip("/") == "/oauth2-token":
                    return self._tokens.token(request)
                client = self._tokens.authenticate(request)
                return self._api(request, self.store.client_orgs.get(client))
            except Failed as failed:
                return error_response(failed.errors)
            except Plain as plain:
                return plain.response

    def _endpoint(self, path: str) -> str:
        if not path.startswith(self.api_base + "/"):
            return path
        parts = path[len(self.api_base) + 1 :].split("/")
        shown = [parts[0]] + ["{id}" if i == 1 else p for i, p in enumerate(parts) if i]
        return f"{self.api_base}/" + "/".join(shown)

    def _api(self, request: Request, organization: int | None) -> Response:
        """``organization``: the one the request's token acts in (owner defaults)."""
        check_media_type(request)
        parts = [p for p in request.path[len(self.api_base) + 1 :].split("/") if p]
        if not parts or len(parts) > 2:
            raise Failed(ApiError(404, "not found http exception", "Unknown API route."))
        type_name, item_id = parts[0], (parts[1] if len(parts) == 2 else None)
        if type_name == SYNCS and self.mode == "extended":
            return self._syncs.handle(request, item_id)
        if type_name == STRUCTURES:
            return structures(request, self.store.entities(), item_id)
        rt = self._resource_type(type_name)
        method = request.method
        if method == "OPTIONS":
            return Response.empty(200, {"Allow": rt.allow(self.mode, item_id is not None)})
        wanted = action(method, item_id is not None)
        if wanted not in rt.actions_in(self.mode):
            raise Plain(Response.empty(405, {"Allow": rt.allow(self.mode, item_id is not None)}))
        if wanted == "get_list":
            return self._reader.get_list(request, rt)
        if wanted == "get":
            return self._reader.get(request, rt, self.store.row(rt, item_id))
        if wanted == "create":
            return self._writer.write(request, rt, None, organization)
        if wanted == "update":
            return self._writer.write(request, rt, self.store.row(rt, item_id), organization)
        if wanted == "delete":
            return self._writer.delete(rt, self.store.row(rt, item_id))
        return self._writer.delete_list(request, rt)

    def _resource_type(self, name: str) -> ResourceType:
        rt = TYPES.get(name)
        if rt is None and name != SYNCS:
            raise Failed(ApiError(404, "entity type constraint", f'Unknown entity type: "{name}".'))
        if rt is None or (self.mode == "stock" and rt.stock == "hidden"):
            # NotAccessibleResourceTest: an entity that is not API-enabled
            raise Failed(
                ApiError(
                    404, "resource not accessible exception", "The resource is not accessible."
                )
            )
        return rt
