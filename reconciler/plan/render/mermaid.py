"""Plan as a Mermaid flowchart: the objects that change, under the integration they belong to.

``integration → data field``, ``integration → address book → marketing list``,
``integration → mapping``. Only changed objects and their parents are drawn: creates green,
updates amber, replaces and deletes red, adopts blue, drift dashed (border and edge). Each label
names the kind, the name and the action, so the colours are never the only cue. Names are the
only values shown (no field value, so no secret can reach the graph).

A large plan is capped at ``max_nodes`` object nodes, kept by risk (deletes, replaces and
blocked ops first, then in drawing order) with their parents; what is left out becomes one
``+N more`` node under its integration, and one more for the integrations not drawn at all.
Node ids (``n1``, ``n2``, …) follow the drawing order: integrations by name, then their objects
by kind and name, so the same plan gives the same text. GitHub renders it in a ``mermaid``
code block, which ``render/markdown.py`` puts at the top of the PR comment.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from reconciler.plan.ops import (
    AdoptOp,
    CreateOp,
    DeleteOp,
    Op,
    Plan,
    ReadOp,
    ReplaceOp,
    SyncOp,
    UpdateOp,
    address,
)
from reconciler.plan.render.common import (
    address_key,
    field_changes,
    is_destructive,
    is_gated,
    merged,
    sensitive_names,
    summary_line,
)
from reconciler.plan.steps import Kind

MAX_NODES = 40

# GitHub's light palette (Primer): a dark text colour keeps labels readable in dark mode too.
CLASS_DEFS: tuple[tuple[str, str], ...] = (
    ("create", "fill:#dafbe1,stroke:#1a7f37,color:#1f2328"),
    ("update", "fill:#fff8c5,stroke:#9a6700,color:#1f2328"),
    ("destroy", "fill:#ffebe9,stroke:#cf222e,color:#1f2328"),
    ("adopt", "fill:#ddf4ff,stroke:#0969da,color:#1f2328"),
    ("drift", "stroke-dasharray:5 5"),
    ("more", "fill:#f6f8fa,stroke:#8c959f,color:#59636e"),
)
_CHILD_KINDS: dict[Kind, str] = {
    Kind.DATA_FIELD: "data field",
    Kind.ADDRESS_BOOK: "address book",
    Kind.MAPPING: "mapping",
}
_ORDER = {kind: rank for rank, kind in enumerate(Kind)}
# Characters a label keeps as they are; every other one becomes Mermaid's entity code ``#NN;``.
_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _.,:/+-()")


@dataclass
class _Node:
    """One object drawn (or left out): what it is, its colour class, whether it drifted."""

    address: str
    kind: Kind
    name: str  # "data field LOYALTY"
    style: str | None = None
    notes: list[str] = field(default_factory=list)  # "delete", "blocked", "drift", …
    drift: bool = False
    risky: bool = False  # a delete, a replace or a blocked op: kept first under the cap
    marketing_list: _Node | None = None

    @cached_property
    def key(self) -> str:
        """The name in the address's last segment (asked for each label and sort, so once)."""
        return address_key(self.address)

    @property
    def size(self) -> int:
        return 1 + (self.marketing_list is not None)

    @property
    def label(self) -> str:
        return f"{self.name} ({', '.join(self.notes)})" if self.notes else self.name

    def planned(self, op: Op) -> None:
        self.style = _style(op)
        self.notes.append(op.action)
        if op.blocked is not None:
            self.notes.append("blocked")
        if is_gated(op):
            self.notes.append("needs approval")
        self.risky = self.risky or is_destructive(op) or op.blocked is not None

    def drifted(self) -> None:
        self.drift = True
        self.notes.append("drift")


@dataclass
class _Integration:
    name: str
    node: _Node
    children: dict[str, _Node] = field(default_factory=dict)


def render_mermaid(plan: Plan, *, max_nodes: int = MAX_NODES) -> str:
    """The graph as Mermaid text; a plan with nothing to draw is one node with its summary
    line ("No changes. …")."""
    return mermaid_graph(plan, max_nodes=max_nodes) or (
        f'flowchart LR\n  n1["{entity_coded(summary_line(plan))}"]\n'
    )


def mermaid_graph(plan: Plan, *, max_nodes: int = MAX_NODES) -> str | None:
    """The graph, or None when no object changes or drifted."""
    trees = _trees(plan)
    if not trees:
        return None
    kept = _keep(trees, max_nodes)
    lines = ["flowchart LR", *(f"  classDef {name} {style}" for name, style in CLASS_DEFS)]
    classes: dict[str, list[str]] = {name: [] for name, _ in CLASS_DEFS}
    ids = (f"n{number}" for number in itertools.count(1))
    left_out = 0
    for tree in trees:
        children = [c for c in _by_kind(tree.children.values()) if c.address in kept]
        omitted = sum(c.size for c in tree.children.values()) - sum(c.size for c in children)
        if tree.node.address not in kept:
            left_out += 1 + omitted
            continue
        parent = _draw(tree.node, next(ids), lines, classes)
        for child in children:
            child_id = _draw(child, next(ids), lines, classes, parent=parent)
            if child.marketing_list is not None:
                _draw(child.marketing_list, next(ids), lines, classes, parent=child_id)
        if omitted:
            _more(omitted, next(ids), lines, classes, parent=parent)
    if left_out:
        _more(left_out, next(ids), lines, classes, parent=None)
    lines += [f"  class {','.join(members)} {name}" for name, members in classes.items() if members]
    return "\n".join(lines) + "\n"


def _trees(plan: Plan) -> list[_Integration]:
    """Every integration with a changed or drifted object, sorted by name."""
    trees: dict[str, _Integration] = {}

    def node(integration: str, kind: Kind, where: str) -> _Node | None:
        if kind is Kind.INTEGRATION:
            return tree(integration).node
        noun = _CHILD_KINDS.get(kind)
        if noun is None:
            return None
        children = tree(integration).children
        drawn = children.get(where)
        if drawn is None:
            drawn = children[where] = _Node(where, kind, "")
            drawn.name = f"{noun} {drawn.key}"
        return drawn

    def tree(name: str) -> _Integration:
        if name not in trees:
            where = address(Kind.INTEGRATION, name)
            trees[name] = _Integration(name, _Node(where, Kind.INTEGRATION, f"integration {name}"))
        return trees[name]

    for op in _changes(plan):
        if op.integration is None:
            continue
        drawn = node(op.integration, op.kind, op.address)
        if drawn is not None:
            drawn.planned(op)
            if op.kind is Kind.ADDRESS_BOOK:
                drawn.marketing_list = _marketing_list(op, drawn.style)
    for item in plan.drift:
        kind = _kind_of(item.address, item.integration) if item.integration else None
        drawn = node(item.integration, kind, item.address) if item.integration and kind else None
        if drawn is not None:
            drawn.drifted()
    return [trees[name] for name in sorted(trees)]


def _changes(plan: Plan) -> Iterator[Op]:
    for op in plan.ops if plan.has_changes else ():
        match op:
            case CreateOp() | UpdateOp() | ReplaceOp() | DeleteOp() | AdoptOp():
                yield op
            case ReadOp() | SyncOp():
                continue


def _style(op: Op) -> str | None:
    match op:
        case CreateOp():
            return "create"
        case UpdateOp():
            return "update"
        case ReplaceOp() | DeleteOp():
            return "destroy"
        case AdoptOp():
            return "adopt"
        case _:
            return None


def _kind_of(where: str, integration: str) -> Kind | None:
    """The kind an address names under its integration (drift carries no kind)."""
    base = address(Kind.INTEGRATION, integration)
    if where == base:
        return Kind.INTEGRATION
    for kind in _CHILD_KINDS:
        if where.startswith(f"{base}.{kind}.") or where.startswith(f"{base}.{kind}["):
            return kind
    return None


def _marketing_list(op: Op, style: str | None) -> _Node | None:
    """The book's marketing list: coloured like the book, and noted, when this op links,
    unlinks or changes it (a create, a delete, an update of ``marketing_list``)."""
    if "marketing_list" in sensitive_names(op):
        return None
    before: Any = merged(op.before, op.changes, "before").get("marketing_list")
    after: Any = merged(op.after, op.changes, "after").get("marketing_list")
    name = after if after is not None else before
    if not isinstance(name, str):
        return None
    drawn = _Node(f"{op.address}/marketing_list", op.kind, f"marketing list {name}", style)
    if "marketing_list" not in {change.field for change in field_changes(op)}:
        drawn.style = None
    elif after is None:
        drawn.notes.append("unlinked")
    elif before is None:
        drawn.notes.append("linked")
    else:
        drawn.notes.append(f"was {before}")
    return drawn


def _place(node: _Node) -> tuple[int, str, str]:
    """Where a node is drawn under its integration: by kind, then by name."""
    return _ORDER[node.kind], node.key, node.address


def _by_kind(nodes: Iterable[_Node]) -> list[_Node]:
    return sorted(nodes, key=_place)


def _keep(trees: list[_Integration], max_nodes: int) -> set[str]:
    """The addresses drawn: the risky first, then by integration, kind and name, each with its
    integration, up to the cap."""
    units: list[tuple[_Integration, _Node]] = []
    for tree in trees:
        if tree.node.style is not None or tree.node.drift:
            units.append((tree, tree.node))
        units += [(tree, child) for child in tree.children.values()]
    units.sort(key=lambda unit: (not unit[1].risky, unit[0].name, _place(unit[1])))
    kept: set[str] = set()
    used = 0
    for tree, unit in units:
        cost = (unit.size if unit is not tree.node else 0) + (tree.node.address not in kept)
        if used + cost > max_nodes:
            break
        kept |= {tree.node.address, unit.address}
        used += cost
    return kept


def _draw(
    node: _Node,
    node_id: str,
    lines: list[str],
    classes: dict[str, list[str]],
    *,
    parent: str | None = None,
) -> str:
    lines.append(f'  {node_id}["{entity_coded(node.label)}"]')
    if parent is not None:
        lines.append(f"  {parent} {'-.->' if node.drift else '-->'} {node_id}")
    if node.style is not None:
        classes[node.style].append(node_id)
    if node.drift:
        classes["drift"].append(node_id)
    return node_id


def _more(
    count: int, node_id: str, lines: list[str], classes: dict[str, list[str]], *, parent: str | None
) -> None:
    lines.append(f'  {node_id}["+{count} more"]')
    if parent is not None:
        lines.append(f"  {parent} --> {node_id}")
    classes["more"].append(node_id)


def entity_coded(text: str) -> str:
    """Text inside ``["…"]``: Mermaid's ``#NN;`` entity codes for anything but plain
    characters, so a quote, a bracket or markup in a name is shown, never parsed."""
    return "".join(c if c in _PLAIN else f"#{ord(c)};" for c in text)
