"""What moved inside a value: the paths deepdiff finds between two JSON-able values.

One walk serves the stale-plan check (:mod:`reconciler.plan.saved`), ``ci compare``
(:mod:`reconciler.ci.compare`) and the renderers' detail rows
(:mod:`reconciler.plan.render.common`), so each names a nested change the same way:
``after["field.FULLNAME"].entity_fields[1]``.

Equal values are answered by one ``==`` before deepdiff is asked anything, so an unchanged object
costs a comparison and nothing more (``benchmarks/nested_diff.py``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from deepdiff import DeepDiff
from deepdiff.helper import NotPresent

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


def moved(before: Any, after: Any, *, whole_lists: bool = False) -> tuple[Moved, ...]:
    """Every path at which ``after`` differs from ``before``, sorted by path.

    ``whole_lists`` stops each path at its first list: a list that changed is one
    :class:`Moved` holding both lists (what a reviewer reads for an ordered list such as a mapped
    field's entity fields), rather than one per item.
    """
    if before == after:
        return ()
    diff = DeepDiff(before, after, view="tree", ignore_order=False)
    found: dict[tuple[Segment, ...], Moved] = {}
    for levels in diff.values():
        for level in levels:
            path = tuple(level.path(output_format="list"))
            if whole_lists:
                path = _to_first_list(before, after, path)
                found[path] = Moved(path, _at(before, path), _at(after, path))
            else:
                found[path] = Moved(path, _side(level.t1), _side(level.t2))
    return tuple(found[path] for path in sorted(found, key=_sort_key))


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


def _side(value: Any) -> Any:
    return ABSENT if isinstance(value, NotPresent) else value


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
