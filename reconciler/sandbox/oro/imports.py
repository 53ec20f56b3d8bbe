"""What a finished sync job does, as Oro's sync does it: run the integration's connectors.

Sources: oroinc/platform ``3aec000b`` [P], oroinc/OroCRMDotmailerBundle ``873def61`` [DM],
oroinc/OroCRMMarketingBundle ``8c6956b8`` [MK].

* Only the connector types in ``Channel.connectors`` run, filtered by the requested connector;
  with an empty list nothing runs ([P] ``IntegrationBundle/Provider/SyncProcessor.php:143-151``).
  Every run leaves a status row: code "1" completed, "2" failed ([P] ``Entity/Status.php``).
* The ``datafield`` connector skips itself while the last completed import is younger than
  ``datafields_sync_interval`` (1 day), unless the option ``datafields-force-sync`` is present;
  a skipped run keeps the previous sync date
  ([DM] ``Provider/Connector/DataFieldConnector.php:36-60``).
* The import brings every dotmailer data field into Oro: name, type, visibility, default (a
  Boolean as Yes/No, ``'null'`` as empty:
  [DM] ``ImportExport/DataConverter/DataFieldDataConverter.php``).
  It keeps what Oro alone holds (notes: a field absent from the item is skipped,
  [P] ``EntityBundle/Helper/FieldHelper.php:420-430``), and removes the Oro fields dotmailer no
  longer has, unless dotmailer sent none ([DM] ``Resources/config/batch_jobs.yml``
  ``removeNotExistingDataFields``, ``Provider/Transport/Iterator/RemoveDataFieldIterator.php``).
* After the first completed data-field import, a default mapping for every contact-information
  entity with ``firstName``/``lastName`` columns that has none yet: FIRSTNAME, LASTNAME,
  FULLNAME, priority Contact 20, Lead 10, else 0
  ([DM] ``EventListener/AddDefaultMappingListener.php:62-101, 189-228``; the entities:
  [MK] ``MarketingListBundle/Provider/ContactInformationExclusionProvider.php``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reconciler import defaults
from reconciler.model import (
    DATAFIELD_CONNECTOR,
    DEFAULT_MAPPING_CONFIGS,
    DEFAULT_MAPPING_PRIORITIES,
    DOTMAILER_CONNECTORS,
)
from reconciler.sandbox.oro.entities import CONTACT_INFORMATION
from reconciler.sandbox.oro.schema import STATUSES, Row, RowId
from reconciler.sandbox.oro.store import Store

CONNECTORS = DOTMAILER_CONNECTORS
DATAFIELD = DATAFIELD_CONNECTOR
FORCE_FLAG = "datafields-force-sync"  # DataFieldConnector::FORCE_SYNC_FLAG
# Oro stores a config's entity fields comma-joined ([DM] AddDefaultMappingListener.php:205-213).
_DEFAULT_CONFIGS = tuple((",".join(fields), name) for name, fields in DEFAULT_MAPPING_CONFIGS)
_PRIORITIES = DEFAULT_MAPPING_PRIORITIES

Delete = Callable[[str, RowId], None]  # delete a row with Oro's cascades


class Connectors:
    """Runs a finished job's connectors over the store."""

    def __init__(self, store: Store, delete: Delete) -> None:
        self._store = store
        self._delete = delete

    def run(self, channel: Row, connector: str | None, parameters: dict[str, Any]) -> str:
        """Run the connectors; "success", or "failed" when one failed."""
        wanted = [c for c in channel["a"].get("connectors") or [] if connector in (None, c)]
        outcome = "success"
        for name in wanted:
            ok = self._datafields(channel, parameters) if name == DATAFIELD else True
            self._status(channel, name, ok)
            outcome = outcome if ok else "failed"
        return outcome

    # -- the data-field connector ----------------------------------------------------------

    def _datafields(self, channel: Row, parameters: dict[str, Any]) -> bool:
        store = self._store
        first = self._last_import(channel) is None
        if FORCE_FLAG not in parameters and not self._due(channel):
            return True  # up to date: nothing imported, the last sync date kept
        transport = store.tables["dotmailertransports"].get(channel["r"].get("transport"))
        fields = store.dotmailer_fields(transport["a"]["username"]) if transport else None
        if fields is None:
            return False  # the transport cannot read the account: the connector fails
        self._import(channel, fields)
        channel["lastDataFieldSync"] = store.clock()
        if first and store.settings["autoDefaultMappings"]:
            self._default_mappings(channel)
        return True

    def _last_import(self, channel: Row) -> float | None:
        return channel.get("lastDataFieldSync")

    def _due(self, channel: Row) -> bool:
        last = self._last_import(channel)
        interval = float(self._store.settings["datafieldsSyncIntervalSeconds"])
        return last is None or interval <= 0 or self._store.clock() - last >= interval

    def _import(self, channel: Row, fields: list[dict[str, Any]]) -> None:
        store = self._store
        by_name = {
            r["a"]["name"]: r
            for r in store.tables["dotmailerdatafields"].values()
            if r["r"].get("channel") == channel["id"]
        }
        for item in fields:
            name = str(item["name"])
            type_ = str(item.get("type", "String"))
            values = {"defaultValue": defaults.to_oro(type_, item.get("defaultValue"))}
            rels = {"type": type_, "visibility": str(item.get("visibility", "Private"))}
            row = by_name.get(name)
            if row is None:
                store.insert(
                    "dotmailerdatafields",
                    {"name": name, **values, "notes": None, "createdAt": store.now_iso()},
                    {"channel": channel["id"], "owner": channel["r"].get("organization"), **rels},
                )
            else:
                row["a"].update(values)
                row["r"].update(rels)
        kept = {str(item["name"]) for item in fields}
        if kept:
            for name, row in sorted(by_name.items()):
                if name not in kept:
                    self._delete("dotmailerdatafields", row["id"])  # forceRemove: no dotmailer call

    def _default_mappings(self, channel: Row) -> None:
        store = self._store
        entities = store.entities()
        names = {
            r["a"]["name"]: r["id"]
            for r in store.tables["dotmailerdatafields"].values()
            if r["r"].get("channel") == channel["id"]
        }
        mapped = {
            r["a"]["entity"]
            for r in store.tables["dotmailerdatafieldmappings"].values()
            if r["r"].get("channel") == channel["id"]
        }
        for entity in sorted(CONTACT_INFORMATION & set(entities)):
            if entity in mapped:
                continue
            columns = {f for f, t in entities[entity].items() if not t.startswith("ref-")}
            configs = [
                (fields, names[data_field])
                for fields, data_field in _DEFAULT_CONFIGS
                if data_field in names and set(fields.split(",")) <= columns
            ]
            if not configs:
                continue  # a mapping is saved only with at least one config
            mapping = store.insert(
                "dotmailerdatafieldmappings",
                {"entity": entity, "syncPriority": _PRIORITIES.get(entity, 0)},
                {"channel": channel["id"], "owner": channel["r"].get("organization")},
            )
            for fields, field_id in configs:
                store.insert(
                    "dotmailerdatafieldmappingconfigs",
                    {"entityFields": fields, "isTwoWaySync": False},
                    {"dataField": field_id, "mapping": mapping},
                )

    def _status(self, channel: Row, connector: str, ok: bool) -> None:
        self._store.insert(
            STATUSES,
            {
                "code": "1" if ok else "2",
                "connector": connector,
                "message": "" if ok else "The synchronization failed.",
                "date": self._store.now_iso(),
            },
            {"channel": channel["id"]},
        )
