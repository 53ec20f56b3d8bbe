"""What moved inside a value: the paths deepdiff finds between two JSON-able values.

One walk serves the stale-plan check (:mod:`reconciler.plan.saved`), ``ci compare``
(:mod:`reconciler.ci.compare`) and the renderers' detail rows
(:mod:`reconciler.plan.render.common`), so each names a nested change the same way:
``after["field.FULLNAME"].entity_fields[1]``.

A path stops at the first list on its way: a list that changed is one :class:`Moved` holding both
lists, since an item's index means little once items are inserted or reordered (deepdiff aligns
lists as a text diff does, and names an inserted item by its new index and a changed one by its
old). A mapped field's entity fields are an ordered list of short names, read whole.

Equal values are answered by one ``==`` before deepdiff is asked anything, so an unchanged object
costs a comparison and nothing more; of objects that differ, deepdiff is given only the keys
that differ (at every depth of nested objects), since its cost grows with what it is given and
not with what moved (``benchmarks/nested_diff.py``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from deepdiff import DeepDiff

Segment = str | int
_BARE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class _Absent:
    """Where one side has no value at a path (a key or list item added or removed)."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()


@dataclass(frozen=True)
class Moved:
    """One path whose value differs: ``before`` and ``after`` are the two sides' values there,
    :data:`ABSENT` on the side that has none."""

    path: tuple[Segment, ...]
    before: Any
    after: Any

    @property
    def text(self) -> str:
        return path_text(self.path)


def moved(before: Any, after: Any) -> tuple[Moved, ...]:
    """Every path at which ``after`` differs from ``before`` (each stopping at its first list),
    sorted by path."""
    if before == after:
        return ()
    before, after = _differing(before, after)
    diff = DeepDiff(before, after, view="tree", ignore_order=False)
    paths = {
        _to_first_list(before, after, tuple(level.path(output_format="list")))
        for levels in diff.values()
        for level in levels
    }
    return tuple(Moved(p, _at(before, p), _at(after, p)) for p in sorted(paths, key=_sort_key))


def path_text(path: Sequence[Segment]) -> str:
    """``("after", "field.FULLNAME", "entity_fields", 1)`` ->
    ``after["field.FULLNAME"].entity_fields[1]``: bare keys dotted, others JSON-quoted."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _BARE.match(part):
            text += f".{part}" if text else part
        else:
            text += f"[{json.dumps(part, ensure_ascii=False)}]"
    return text


def _differing(before: Any, after: Any) -> tuple[Any, Any]:
    """Two objects less the keys they hold equal, at every depth; other values as they are."""
    if type(before) is not dict or type(after) is not dict:
        return before, after
    kept_before: dict[Any, Any] = {}
    kept_after: dict[Any, Any] = {}
    for key in before.keys() | after.keys():
        a, b = before.get(key, ABSENT), after.get(key, ABSENT)
        if a is ABSENT or b is ABSENT:
            if a is not ABSENT:
                kept_before[key] = a
            if b is not ABSENT:
                kept_after[key] = b
        elif a != b:
            kept_before[key], kept_after[key] = _differing(a, b)
    return kept_before, kept_after


def _to_first_list(before: Any, after: Any, path: tuple[Segment, ...]) -> tuple[Segment, ...]:
    """``path`` cut where either side holds a list."""
    for depth in range(len(path) + 1):
        prefix = path[:depth]
        if isinstance(_at(before, prefix), list) or isinstance(_at(after, prefix), list):
            return prefix
    return path


def _at(value: Any, path: Sequence[Segment]) -> Any:
    for part in path:
        in_dict = isinstance(value, dict) and part in value
        in_list = isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value)
        if not (in_dict or in_list):
            return ABSENT
        value = value[part]
    return value


def _sort_key(path: tuple[Segment, ...]) -> tuple[tuple[int, str, int], ...]:
    return tuple((1, "", part) if isinstance(part, int) else (0, part, 0) for part in path)
