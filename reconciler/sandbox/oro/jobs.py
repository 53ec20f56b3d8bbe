"""Sync scheduling and job polling ([OURS], oro-jsonapi.md §9 F).

``POST integrationsyncs`` creates the unique root job of an integration's sync;
``GET oro_message_queue_jobs/{id}`` reports it, one step further per poll (and per
``jobStepSeconds`` of the clock). A finished job records an integration status and, after the
first datafield sync, the default mappings.
"""

from __future__ import annotations

from typing import Any

from reconciler.sandbox.core import Request, Response
from reconciler.sandbox.oro.errors import (
    ApiError,
    Failed,
    Plain,
    extra_field,
    field_error,
    not_blank,
    not_found,
    type_mismatch,
)
from reconciler.sandbox.oro.schema import CONTACT, JOBS, LEAD, SYNCS, TYPES, Row, RowId, parse_id
from reconciler.sandbox.oro.store import Store
from reconciler.sandbox.oro.wire import body, jsonapi

# oro-jsonapi.md §7: the unique root job of a sync, and the statuses Oro stores.
JOB_PREFIX = "oro.message_queue_job.status."
TERMINAL = ("success", "failed", "cancelled", "stale")
STALE_AFTER = 1800.0  # oro-jsonapi.md §7: time_before_stale default


class Syncs:
    """The ``integrationsyncs`` and ``oro_message_queue_jobs`` resources over a store."""

    def __init__(self, store: Store, api_base: str) -> None:
        self._store = store
        self._api_base = api_base

    def schedule(self, request: Request, item_id: str | None) -> Response:
        if request.method == "OPTIONS":
            return Response.empty(200, {"Allow": "OPTIONS, POST"})
        if request.method != "POST" or item_id is not None:
            raise Plain(Response.empty(405, {"Allow": "OPTIONS, POST"}))
        doc = body(request)
        data = doc.get("data")
        if not isinstance(data, dict) or data.get("type") != SYNCS:
            raise Failed(type_mismatch())
        attrs = data.get("attributes") or {}
        for name in sorted(attrs):
            if name not in ("connector", "force"):
                raise Failed(extra_field(f"/data/attributes/{name}", name))
        connector, force = attrs.get("connector"), bool(attrs.get("force", False))
        channel = self._channel_to_sync(data)
        name = f"oro_integration:sync_integration:{channel['id']}"
        now = self._store.clock()
        self._refuse_duplicate(name, now)
        job_id = self._new_job(name, channel, connector, force, now)
        answer = {
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
        response = jsonapi(201, answer)
        response.headers["Location"] = f"{request.base_url}{self._api_base}/{JOBS}/{job_id}"
        return response

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
            raise Failed(not_found(pointer))
        if not channel["a"].get("enabled"):
            # SyncIntegrationProcessor rejects a disabled integration
            raise Failed(
                field_error(pointer, "integration constraint", "The integration is disabled.")
            )
        return channel

    def _refuse_duplicate(self, name: str, now: float) -> None:
        """409 while the unique job ``name`` is new or running; a forgotten one goes stale."""
        for job in self._store.tables[JOBS].values():
            self._advance(job)
            if job["a"]["name"] != name or job["a"]["status"] not in ("new", "running"):
                continue
            if now - job["lastActive"] > STALE_AFTER:  # saveJobAndStaleDuplicateIfQualifies
                job["a"]["status"] = "stale"
                job["a"]["stoppedAt"] = self._store.now_iso()
                continue
            raise Failed(
                ApiError(
                    409,
                    "conflict constraint",
                    f'A sync job "{name}" is already {job["a"]["status"]}.',
                    pointer="/data/relationships/integration/data",
                    meta={"jobId": str(job["id"])},
                )
            )

    def _new_job(self, name: str, channel: Row, connector: Any, force: bool, now: float) -> int:
        store = self._store
        job_id = store.next_id(JOBS)
        store.tables[JOBS][job_id] = {
            "id": job_id,
            "a": {
                "name": name,
                "status": "new",
                "jobProgress": 0.0,
                "interrupted": False,
                "unique": True,
                "createdAt": store.now_iso(),
                "startedAt": None,
                "lastActiveAt": store.now_iso(),
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
        return job_id

    def job(self, request: Request, item_id: str | None) -> Response:
        if request.method != "GET" or item_id is None:
            raise Plain(Response.empty(405, {"Allow": "OPTIONS, GET"}))
        job = self._store.tables[JOBS].get(int(item_id)) if item_id.isdigit() else None
        if job is None:
            raise Failed(not_found())
        job["polls"] += 1
        self._advance(job)
        attrs = dict(job["a"])
        attrs["status"] = JOB_PREFIX + attrs["status"]
        answer = {
            "data": {
                "type": JOBS,
                "id": str(job["id"]),
                "attributes": attrs,
                "relationships": {"rootJob": {"data": None}, "childJobs": {"data": []}},
            }
        }
        return jsonapi(200, answer)

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
        now_iso = self._store.now_iso()
        job["lastActive"] = clock()
        a["lastActiveAt"] = now_iso
        if a["startedAt"] is None:
            a["startedAt"] = now_iso
        if done < steps:
            a["status"] = "running"
            a["jobProgress"] = round(done / steps, 4)
            return
        self._finish(job)

    def _finish(self, job: Row) -> None:
        settings = self._store.settings
        a = job["a"]
        channel = self._store.tables["integrationchannels"].get(job["channel"])
        name = channel["a"]["name"] if channel else ""
        outcome = str(settings["jobOutcomes"].get(name, "success"))
        a["status"] = outcome
        a["jobProgress"] = 1.0
        a["stoppedAt"] = self._store.now_iso()
        if channel is not None:
            self._record_status(job, channel, outcome)
        if channel is None or outcome != "success":
            return
        if name in settings["exportRunning"]:
            a["data"]["skipped"] = True  # the dotmailer SyncProcessor skips the whole sync
            return
        if a["data"]["connector"] in (None, "datafield"):
            self._first_datafield_sync(channel)

    def _record_status(self, job: Row, channel: Row, outcome: str) -> None:
        """Status rows as Oro keeps them: code "1" completed, "2" failed (Entity/Status.php)."""
        skipped = channel["a"]["name"] in self._store.settings["exportRunning"]
        message = "Skipped: an export is in progress." if skipped else ""
        self._store.insert(
            "integrationstatuses",
            {
                "code": "1" if outcome == "success" else "2",
                "connector": job["a"]["data"]["connector"] or "all",
                "message": message if outcome == "success" else "The synchronization failed.",
                "date": self._store.now_iso(),
            },
            {"channel": channel["id"]},
        )

    def _first_datafield_sync(self, channel: Row) -> None:
        """AddDefaultMappingListener (bundle §3, rule 8): after the first datafield import."""
        store = self._store
        if channel["id"] in store.synced_datafields:
            return
        store.synced_datafields.add(channel["id"])
        if not store.settings["autoDefaultMappings"]:
            return
        org = channel["r"].get("organization")
        fields = self._builtin_fields(channel)
        mapped = {
            r["a"]["entity"]
            for r in store.tables["dotmailerdatafieldmappings"].values()
            if r["r"].get("channel") == channel["id"]
        }
        priorities = {CONTACT: 20, LEAD: 10}
        for entity in store.settings["defaultMappingEntities"]:
            if entity in mapped:
                continue
            mapping = store.insert(
                "dotmailerdatafieldmappings",
                {"entity": entity, "syncPriority": priorities.get(entity, 0)},
                {"channel": channel["id"], "owner": org},
            )
            for df, entity_fields in (
                ("FIRSTNAME", "firstName"),
                ("LASTNAME", "lastName"),
                ("FULLNAME", "firstName,lastName"),
            ):
                store.insert(
                    "dotmailerdatafieldmappingconfigs",
                    {"entityFields": entity_fields, "isTwoWaySync": False},
                    {"dataField": fields[df], "mapping": mapping},
                )

    def _builtin_fields(self, channel: Row) -> dict[str, RowId]:
        """The import brings dotmailer's built-in fields into Oro (every account has them)."""
        store = self._store
        fields: dict[str, RowId] = {}
        for name in ("FIRSTNAME", "LASTNAME", "FULLNAME"):
            existing = next(
                (
                    r["id"]
                    for r in store.tables["dotmailerdatafields"].values()
                    if r["r"].get("channel") == channel["id"] and r["a"]["name"].upper() == name
                ),
                None,
            )
            if existing is None:
                existing = store.insert(
                    "dotmailerdatafields",
                    {
                        "name": name,
                        "defaultValue": None,
                        "notes": None,
                        "createdAt": store.now_iso(),
                    },
                    {
                        "channel": channel["id"],
                        "owner": channel["r"].get("organization"),
                        "type": "String",
                        "visibility": "Private",
                    },
                )
            fields[name] = existing
        return fields
