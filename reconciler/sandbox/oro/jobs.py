"""Sync scheduling and job polling: the companion bundle's ``integrationsyncs`` resource
(oro-bundle/, docs/oro-api.md) over Oro's sync scheduler and its unique root job.

``POST integrationsyncs`` schedules a sync of one integration (a connector, and for data fields
the option ``datafields-force-sync``) and answers its root job,
``oro_integration:sync_integration:<id>`` (one per integration whatever the connector:
[P] ``Manager/GenuineSyncScheduler.php``);
``GET integrationsyncs/{id}`` reports it, one step further per poll (and per ``jobStepSeconds``
of the clock). A finished job runs the integration's connectors (``imports.Connectors``).
Updating an address book's marketing list schedules a sync of its integration too
([DM] ``Resources/config/oro/processes.yml:133-150, 195-198``: on update of ``marketingList``,
never on create).
"""

from __future__ import annotations

from typing import Any

from reconciler.sandbox.core import Request, Response
from reconciler.sandbox.oro.errors import (
    Failed,
    Plain,
    extra_field,
    field_error,
    not_blank,
    not_found,
    type_mismatch,
)
from reconciler.sandbox.oro.imports import CONNECTORS, FORCE_FLAG, Connectors, Delete
from reconciler.sandbox.oro.schema import JOBS, SYNCS, TYPES, Row, parse_id
from reconciler.sandbox.oro.store import Store
from reconciler.sandbox.oro.wire import body, jsonapi

STALE_AFTER = 1800.0  # oro-jsonapi.md §7: time_before_stale default
_ATTRIBUTES = ("connector", "datafieldsForceSync")


class Syncs:
    """The ``integrationsyncs`` resource over a store."""

    def __init__(self, store: Store, api_base: str, delete: Delete) -> None:
        self._store = store
        self._api_base = api_base
        self._connectors = Connectors(store, delete)

    def handle(self, request: Request, item_id: str | None) -> Response:
        if request.method == "OPTIONS":
            allow = "OPTIONS, GET" if item_id is not None else "OPTIONS, POST"
            return Response.empty(200, {"Allow": allow})
        if request.method == "GET" and item_id is not None:
            return self._get(request, item_id)
        if request.method != "POST" or item_id is not None:
            allow = "OPTIONS, GET" if item_id is not None else "OPTIONS, POST"
            raise Plain(Response.empty(405, {"Allow": allow}))
        return self._schedule(request)

    def _schedule(self, request: Request) -> Response:
        doc = body(request)
        data = doc.get("data")
        if not isinstance(data, dict) or data.get("type") != SYNCS:
            raise Failed(type_mismatch())
        attrs = data.get("attributes") or {}
        for name in sorted(attrs):
            if name not in _ATTRIBUTES:
                raise Failed(extra_field(f"/data/attributes/{name}", name))
        connector = attrs.get("connector")
        force = bool(attrs.get("datafieldsForceSync", False))
        channel = self._channel_to_sync(data)
        if connector is not None and connector not in CONNECTORS:
            raise Failed(
                field_error(
                    "/data/attributes/connector",
                    "value constraint",
                    f'The connector "{connector}" is not a connector of "dotmailer" integrations. '
                    f"Known connectors: {', '.join(sorted(CONNECTORS))}.",
                )
            )
        name = f"oro_integration:sync_integration:{channel['id']}"
        active = self._pending(name, self._store.clock())
        if active is not None:
            # Already new or running: nothing is scheduled, the answer is that sync, 200
            # (oro-bundle/Api/Processor/ScheduleIntegrationSync.php).
            return jsonapi(200, {"data": self._resource(active)})
        parameters: dict[str, Any] = {FORCE_FLAG: 1} if force else {}
        job = self._new_job(name, channel, connector, parameters)
        asked = {"connector": connector, "datafieldsForceSync": force}
        response = jsonapi(201, {"data": self._resource(job, asked)})
        response.headers["Location"] = f"{request.base_url}{self._api_base}/{SYNCS}/{job['id']}"
        return response

    def schedule_for_book(self, channel_id: Any, book_id: Any) -> None:
        """The "schedule address book synchronization" process: a full sync of the book's
        integration, unless its unique job is already waiting or running."""
        channel = self._store.tables["integrationchannels"].get(channel_id)
        if channel is None:
            return
        name = f"oro_integration:sync_integration:{channel['id']}"
        if self._pending(name, self._store.clock()) is None:
            self._new_job(name, channel, None, {"address-book": book_id})

    def _channel_to_sync(self, data: dict[str, Any]) -> Row:
        """The enabled integration the request names."""
        pointer = "/data/relationships/integration/data"
        ref = ((data.get("relationships") or {}).get("integration") or {}).get("data")
        if not isinstance(ref, dict) or ref.get("type") != "integrationchannels":
            raise Failed(not_blank(pointer))
        channel = self._store.tables["integrationchannels"].get(
            parse_id(TYPES["integrationchannels"], str(ref.get("id")))
        )
        if channel is None:
            raise Failed(field_error(pointer, "form constraint", "The entity does not exist."))
        if not channel["a"].get("enabled"):
            # SyncIntegrationProcessor rejects a disabled integration
            raise Failed(
                field_error(pointer, "integration constraint", "The integration is disabled.")
            )
        return channel

    def _pending(self, name: str, now: float) -> Row | None:
        """The unique job ``name`` while it is new or running; a forgotten one goes stale."""
        for job in self._store.tables[JOBS].values():
            self._advance(job)
            if job["a"]["name"] != name or job["a"]["status"] not in ("new", "running"):
                continue
            if now - job["lastActive"] > STALE_AFTER:  # saveJobAndStaleDuplicateIfQualifies
                job["a"]["status"] = "stale"
                job["a"]["stoppedAt"] = self._store.now_iso()
                continue
            return job
        return None

    def _new_job(self, name: str, channel: Row, connector: Any, parameters: dict[str, Any]) -> Row:
        store = self._store
        now = store.clock()
        job_id = store.next_id(JOBS)
        job: Row = {
            "id": job_id,
            "a": {
                "name": name,
                "status": "new",
                "jobProgress": 0.0,
                "createdAt": store.now_iso(),
                "startedAt": None,
                "stoppedAt": None,
                # SyncIntegrationTopic: the message body the job was made for
                "data": {
                    "integration_id": channel["id"],
                    "connector": connector,
                    "connector_parameters": parameters,
                    "transport_batch_size": 100,
                    "skipped": False,
                },
            },
            "r": {},
            "channel": channel["id"],
            "polls": 0,
            "created": now,
            "lastActive": now,
        }
        store.tables[JOBS][job_id] = job
        return job

    def _get(self, request: Request, item_id: str) -> Response:
        job = self._store.tables[JOBS].get(int(item_id)) if item_id.isdigit() else None
        if job is None:
            raise Failed(not_found())
        job["polls"] += 1
        self._advance(job)
        return jsonapi(200, {"data": self._resource(job)})

    def _resource(self, job: Row, asked: dict[str, Any] | None = None) -> dict[str, Any]:
        """The sync as the bundle answers it: the job's status as a bare word; what was asked
        (connector, datafieldsForceSync) only on the create that scheduled it, null after (the
        job does not record them: oro-bundle/Api/Processor/LoadIntegrationSync.php)."""
        a = job["a"]
        return {
            "type": SYNCS,
            "id": str(job["id"]),
            "attributes": {
                "jobId": job["id"],
                "jobName": a["name"],
                "status": a["status"],
                "progress": a["jobProgress"],
                **(asked or {"connector": None, "datafieldsForceSync": None}),
            },
            "relationships": {
                "integration": {"data": {"type": "integrationchannels", "id": str(job["channel"])}}
            },
        }

    def _advance(self, job: Row) -> None:
        """new -> running -> success|failed: one step per poll, plus one per ``jobStepSeconds``."""
        settings, clock = self._store.settings, self._store.clock
        a = job["a"]
        if a["status"] not in ("new", "running"):
            return
        steps = max(1, int(settings["jobSteps"]))
        done = job["polls"]
        per = float(settings["jobStepSeconds"])
        if per > 0:
            done += int((clock() - job["created"]) // per)
        if done <= 0:
            return
        job["lastActive"] = clock()
        if a["startedAt"] is None:
            a["startedAt"] = self._store.now_iso()
        if done < steps:
            a["status"] = "running"
            a["jobProgress"] = round(done / steps, 4)
            return
        self._finish(job)

    def _finish(self, job: Row) -> None:
        settings = self._store.settings
        a = job["a"]
        a["jobProgress"] = 1.0
        a["stoppedAt"] = self._store.now_iso()
        channel = self._store.tables["integrationchannels"].get(job["channel"])
        name = channel["a"]["name"] if channel else ""
        forced = settings["jobOutcomes"].get(name)
        if channel is None or forced == "failed":
            a["status"] = "failed"
            return
        if name in settings["exportRunning"]:
            # The dotmailer SyncProcessor skips the whole sync while an export-status job of
            # the integration is new or running ([DM] Provider/SyncProcessor.php).
            a["data"]["skipped"] = True
            a["status"] = "success"
            return
        data = a["data"]
        a["status"] = self._connectors.run(channel, data["connector"], data["connector_parameters"])
