"""An environment's overlay documents applied to the base documents (docs/environments.md).

An overlay document in ``environments/NAME/`` patches the base document of the same kind and
name (names match case-insensitively, as they are unique; the base's spelling stays), or adds a
document when the base has none. The patch is a JSON Merge Patch (RFC 7386) with one addition:

- a mapping is merged key by key; a key set to ``null`` is removed; any other value replaces;
- a list of named items is merged by name (``spec.dataFields`` and ``spec.addressBooks`` by
  ``name``, a mapping's ``spec.fields`` by ``dataField``, case-insensitively): an item that names
  a base item patches it in place, an item ``{name: X, $remove: true}`` removes it, any other
  item is added at the end. Other lists are replaced whole;
- an overlay document that holds ``$remove: true`` beside its envelope removes the base document.

The merged document remembers which file each node came from, so a problem is reported at the
overlay's own line when the overlay wrote the value, and at the base's line otherwise.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from reconciler.config.diagnostics import Diagnostic, YamlPath
from reconciler.config.loader import Document
from reconciler.config.yamlnodes import Position

REMOVE = "$remove"
# (kind, the list's path) -> the key that names its items.
NAMED_LISTS: dict[tuple[str, YamlPath], str] = {
    ("Integration", ("spec", "dataFields")): "name",
    ("Integration", ("spec", "addressBooks")): "name",
    ("DataFieldMapping", ("spec", "fields")): "dataField",
}
_ENVELOPE = frozenset({"apiVersion", "kind", "metadata", REMOVE})
_NOUNS = {"dataFields": "data field", "addressBooks": "address book", "fields": "mapped data field"}


def identity(document: Document) -> tuple[str, str] | None:
    """(kind, casefolded name): what an overlay document is matched to its base by."""
    kind, name = document.kind, document.name
    return (kind, name.casefold()) if kind is not None and name is not None else None


def apply_overlays(
    base: Iterable[Document], overlays: Iterable[Document]
) -> tuple[list[Document], list[Diagnostic]]:
    """The documents of one environment: ``base`` patched, removed or added to by ``overlays``
    (valid envelopes, in file order), and the problems of the overlays themselves."""
    documents = list(base)
    where = {key: i for i, d in enumerate(documents) if (key := identity(d)) is not None}
    diagnostics: list[Diagnostic] = []
    seen: dict[tuple[str, str], Document] = {}
    removed: set[int] = set()
    for overlay in overlays:
        key = identity(overlay)
        if key is not None and key in seen:
            first = seen[key].location(("metadata", "name"))
            diagnostics.append(
                overlay.diagnostic(
                    ("metadata", "name"),
                    "metadata.name.unique",
                    f'{overlay.kind} "{overlay.name}" is already patched at {first}',
                )
            )
            continue
        if key is not None:
            seen[key] = overlay
        index = where.get(key) if key is not None else None
        removes = isinstance(overlay.data, dict) and REMOVE in overlay.data
        if removes:
            diagnostics.extend(_check_document_removal(overlay, found=index is not None))
            if index is not None:
                removed.add(index)
            continue
        merge = _Merge(overlay)
        if index is None:
            merged = merge.added()
            documents.append(merged)
        else:
            merged = merge.onto(documents[index])
            documents[index] = merged
        diagnostics.extend(merge.diagnostics)
    return [d for i, d in enumerate(documents) if i not in removed], diagnostics


def _check_document_removal(overlay: Document, *, found: bool) -> list[Diagnostic]:
    data = overlay.data
    assert isinstance(data, dict)
    if data[REMOVE] is not True:
        return [
            _misused(overlay, (REMOVE,), f"{REMOVE} takes true (got {json.dumps(data[REMOVE])})")
        ]
    extra = sorted(key for key in data if key not in _ENVELOPE)
    if extra:
        return [
            _misused(
                overlay,
                (extra[0],),
                f"a document with {REMOVE}: true removes the base document and holds only "
                f"apiVersion, kind and metadata.name (found {', '.join(extra)})",
                key=True,
            )
        ]
    if not found:
        return [
            _misused(
                overlay,
                (REMOVE,),
                f'no {overlay.kind} "{overlay.name}" in the base to remove',
                key=True,
            )
        ]
    return []


def _misused(document: Document, path: YamlPath, message: str, *, key: bool = False) -> Diagnostic:
    return document.diagnostic(path, "overlay.remove", message, key=key)


@dataclass
class _Merge:
    """One overlay document merged onto one base document, keeping every node's position."""

    overlay: Document
    positions: dict[YamlPath, Position] = field(default_factory=dict)
    key_positions: dict[YamlPath, Position] = field(default_factory=dict)
    origins: dict[YamlPath, tuple[str, YamlPath]] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def added(self) -> Document:
        """A document the base does not have: the overlay's own, without stray markers."""
        data = self._copy(self.overlay, (), (), self.overlay.data)
        return self._document(self.overlay, data)

    def onto(self, base: Document) -> Document:
        data = self._merge(base, (), self.overlay.data, (), (), base.data)
        metadata = data.get("metadata") if isinstance(data, dict) else None
        if isinstance(metadata, dict):  # matched case-insensitively: the base's name stays
            name = ("metadata", "name")
            metadata["name"] = self._copy(base, name, name, base.name)
        return self._document(base, data)

    def _document(self, home: Document, data: object) -> Document:
        return dataclasses.replace(
            home,
            data=data,
            positions=self.positions,
            key_positions=self.key_positions,
            text=None,  # every position is in the merge's own
            origins={
                path: origin for path, origin in self.origins.items() if origin != (home.file, path)
            },
        )

    # --- the walk ------------------------------------------------------------------------

    def _mark(self, document: Document, source: YamlPath, target: YamlPath) -> None:
        """``target`` of the merged document is the node at ``source`` in ``document``."""
        positions, key_positions = document.all_positions()
        if source in positions:
            self.positions[target] = positions[source]
        if source in key_positions:
            self.key_positions[target] = key_positions[source]
        self.origins[target] = (document.file, source)

    def _copy(
        self, document: Document, source: YamlPath, target: YamlPath, value: object
    ) -> object:
        """``value`` (the node at ``source`` in ``document``) placed at ``target``."""
        self._mark(document, source, target)
        if isinstance(value, dict):
            if document is self.overlay and REMOVE in value:
                self._stray((*source, REMOVE))
            return {
                key: self._copy(document, (*source, key), (*target, key), child)
                for key, child in value.items()
                if not (document is self.overlay and key == REMOVE)
            }
        if isinstance(value, list):
            return [
                self._copy(document, (*source, i), (*target, i), child)
                for i, child in enumerate(value)
            ]
        return value

    def _merge(
        self,
        base: Document,
        base_path: YamlPath,
        patch: object,
        patch_path: YamlPath,
        target: YamlPath,
        value: object,
    ) -> object:
        """The base ``value`` (at ``base_path``) patched by ``patch`` (at ``patch_path``)."""
        if isinstance(patch, dict) and isinstance(value, dict):
            self._mark(self.overlay, patch_path, target)
            result: dict[str, object] = {}
            for key, child in value.items():
                if key not in patch:
                    result[key] = self._copy(base, (*base_path, key), (*target, key), child)
                elif patch[key] is not None:  # RFC 7386: null removes the key
                    result[key] = self._merge(
                        base,
                        (*base_path, key),
                        patch[key],
                        (*patch_path, key),
                        (*target, key),
                        child,
                    )
            for key, child in patch.items():
                if key == REMOVE:
                    self._stray((*patch_path, key))
                elif key not in value and child is not None:
                    result[key] = self._copy(
                        self.overlay, (*patch_path, key), (*target, key), child
                    )
            return result
        name_key = NAMED_LISTS.get((self.overlay.kind or "", _unindexed(target)))
        if name_key is not None and isinstance(patch, list) and isinstance(value, list):
            return self._merge_named(base, base_path, patch, patch_path, target, value, name_key)
        return self._copy(self.overlay, patch_path, target, patch)

    def _merge_named(
        self,
        base: Document,
        base_path: YamlPath,
        patch: list[object],
        patch_path: YamlPath,
        target: YamlPath,
        value: list[object],
        name_key: str,
    ) -> list[object]:
        self._mark(self.overlay, patch_path, target)
        patches: dict[str, int] = {}
        for index, entry in enumerate(patch):
            key = _item_name(entry, name_key)
            if key is not None:
                patches.setdefault(key, index)
        result: list[object] = []
        used: set[int] = set()
        for i, item in enumerate(value):
            name = _item_name(item, name_key)
            j = patches.get(name, -1) if name is not None else -1
            if j < 0:
                result.append(self._copy(base, (*base_path, i), (*target, len(result)), item))
                continue
            used.add(j)
            change = patch[j]
            if isinstance(change, dict) and REMOVE in change:
                self._check_item_removal(change, (*patch_path, j), name_key)
                continue
            at = (*target, len(result))
            merged = self._merge(base, (*base_path, i), change, (*patch_path, j), at, item)
            if isinstance(merged, dict) and isinstance(item, dict):  # the base's name stays
                where = (*base_path, i, name_key)
                merged[name_key] = self._copy(base, where, (*at, name_key), item[name_key])
            result.append(merged)
        for j, change in enumerate(patch):
            if j in used:
                continue
            if isinstance(change, dict) and REMOVE in change:
                name = change.get(name_key)
                noun = _NOUNS.get(str(target[-1]), "item")
                self.diagnostics.append(
                    _misused(
                        self.overlay,
                        (*patch_path, j, REMOVE),
                        f'no {noun} "{name}" in the base to remove',
                        key=True,
                    )
                )
                continue
            result.append(
                self._copy(self.overlay, (*patch_path, j), (*target, len(result)), change)
            )
        return result

    def _stray(self, path: YamlPath) -> None:
        self.diagnostics.append(
            _misused(
                self.overlay,
                path,
                f"{REMOVE} removes an item of a named list (spec.dataFields, spec.addressBooks, "
                "a mapping's spec.fields) or a whole document, not this",
                key=True,
            )
        )

    def _check_item_removal(self, change: dict[str, object], path: YamlPath, name_key: str) -> None:
        if change[REMOVE] is not True:
            self.diagnostics.append(
                _misused(
                    self.overlay,
                    (*path, REMOVE),
                    f"{REMOVE} takes true (got {json.dumps(change[REMOVE])})",
                )
            )
            return
        extra = sorted(key for key in change if key not in (name_key, REMOVE))
        if extra:
            self.diagnostics.append(
                _misused(
                    self.overlay,
                    (*path, extra[0]),
                    f"an item with {REMOVE}: true holds only its {name_key} "
                    f"(found {', '.join(extra)})",
                    key=True,
                )
            )


def _unindexed(path: YamlPath) -> YamlPath:
    return tuple(part for part in path if isinstance(part, str))


def _item_name(item: object, name_key: str) -> str | None:
    name = item.get(name_key) if isinstance(item, dict) else None
    return name.casefold() if isinstance(name, str) else None
