"""YAML composed into nodes (libyaml when available) and converted by hand into plain data, so
that each value and each key keeps its 1-based line and column (of the nodes up to
:data:`EAGER_DEPTH` deep, or all of them) and a repeated key is reported instead of being
silently overwritten. Booleans follow YAML 1.2 (only true/false), so ``Yes``, ``No`` and ``NO``
stay strings; timestamps stay strings too. ``loader.py`` makes documents of it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any, ClassVar

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from reconciler.config.diagnostics import YamlPath

Position = tuple[int, int]

_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BOOL = "tag:yaml.org,2002:bool"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_STR = "tag:yaml.org,2002:str"


class Loader(_BaseLoader):  # type: ignore[misc]
    """SafeLoader with YAML 1.2 booleans and no implicit timestamps.

    Tag resolution is memoised per scalar text (keys and enum values repeat thousands of times
    in a large estate) and path resolvers, which we never register, are skipped.
    """

    _tags: ClassVar[dict[tuple[str, bool], str]] = {}

    def resolve(self, kind: type[Node], value: Any, implicit: Any) -> Any:
        if kind is ScalarNode and not implicit[0]:
            return _STR  # a quoted scalar: BaseResolver's default, with no path resolvers
        if kind is ScalarNode and len(value) <= 64:
            key = (value, implicit[1])
            tag = self._tags.get(key)
            if tag is None:
                tag = super().resolve(kind, value, implicit)
                if len(self._tags) < 100_000:
                    self._tags[key] = tag
            return tag
        return super().resolve(kind, value, implicit)

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        return None

    def ascend_resolver(self) -> None:
        return None


Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in (_BOOL, _TIMESTAMP)]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}
Loader.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)

_CONSTRUCTOR = yaml.SafeLoader("")


def _scalar_int(node: ScalarNode) -> object:
    return _CONSTRUCTOR.construct_yaml_int(node)


def _scalar_float(node: ScalarNode) -> object:
    return _CONSTRUCTOR.construct_yaml_float(node)


_SCALARS: dict[str, Callable[[ScalarNode], object]] = {
    "tag:yaml.org,2002:null": lambda node: None,
    _BOOL: lambda node: node.value.lower() == "true",
    "tag:yaml.org,2002:int": _scalar_int,
    "tag:yaml.org,2002:float": _scalar_float,
}


# Positions held from the parse: of the nodes this near the root, e.g. ("spec", "dataFields",
# 3), all that building the desired state locates. A deeper one (a diagnostic's) is read again
# from the document's text the first time it is asked for: at 1,000 integrations, the positions
# of every node were 54 MiB of the 83 MiB the parsed documents held, and a tenth of the load.
EAGER_DEPTH = 3


@dataclass
class Converter:
    """Turns a node tree into plain data while recording positions (of paths up to ``depth``
    long; all with None) and duplicate keys."""

    file: str
    depth: int | None = EAGER_DEPTH
    positions: dict[YamlPath, Position] = field(default_factory=dict)
    key_positions: dict[YamlPath, Position] = field(default_factory=dict)
    duplicates: list[tuple[YamlPath, Position, Position]] = field(default_factory=list)

    def convert(self, node: Node, path: YamlPath) -> object:
        if self.depth is None or len(path) <= self.depth:
            mark = node.start_mark
            self.positions[path] = (mark.line + 1, mark.column + 1)
        if isinstance(node, ScalarNode):
            if node.tag == _STR:
                return node.value
            make = _SCALARS.get(node.tag)
            return make(node) if make else node.value
        if isinstance(node, SequenceNode):
            convert = self.convert
            return [convert(child, (*path, i)) for i, child in enumerate(node.value)]
        if isinstance(node, MappingNode):
            return self._mapping(node, path)
        raise AssertionError(f"unexpected YAML node {type(node).__name__}")  # pragma: no cover

    def _mapping(self, node: MappingNode, path: YamlPath) -> dict[str, object]:
        result: dict[str, object] = {}
        key_positions = self.key_positions
        positions = self.positions
        record = self.depth is None or len(path) < self.depth  # its children's positions
        for key_node, value_node in node.value:
            key = key_text(key_node)
            child = (*path, key)
            if key in result:
                self.duplicates.append((child, _at_mark(key_node), _first_key(node, key)))
                continue
            if record:
                key_positions[child] = _at_mark(key_node)
            if type(value_node) is ScalarNode and value_node.tag == _STR:
                # convert's first case inline: most values are strings (a call per node)
                if record:
                    positions[child] = _at_mark(value_node)
                result[key] = value_node.value
            else:
                result[key] = self.convert(value_node, child)
        return result


def _at_mark(node: Node) -> Position:
    mark = node.start_mark
    return (mark.line + 1, mark.column + 1)


def _first_key(node: MappingNode, key: str) -> Position:
    """Where ``key`` is first in the mapping ``node`` (for a duplicate's message)."""
    return next(_at_mark(k) for k, _ in node.value if key_text(k) == key)


def key_text(node: Node) -> str:
    """A mapping key as text (keys are names; ``1: x`` or ``true: x`` become "1", "True")."""
    if isinstance(node, ScalarNode):
        if node.tag == _STR:
            return node.value if type(node.value) is str else str(node.value)
        make = _SCALARS.get(node.tag)
        value = make(node) if make else node.value
        return value if isinstance(value, str) else str(value)
    return str(Converter("").convert(node, ()))


def documents(text: str) -> Generator[Node, None, None]:
    """The root node of each YAML document of ``text``, composed one at a time (a syntax error
    is raised when the document holding it is reached); the loader is disposed of when the
    iteration ends, however it ends."""
    loader = Loader(text)
    try:
        while loader.check_node():
            yield loader.get_node()
    finally:
        loader.dispose()
