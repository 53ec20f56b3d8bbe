"""Plan as Markdown for one sticky pull-request comment (SPEC §1, §4; plan-apply-anchors.md §2.9
Atlantis, §3 complaint 6).

Order: a hidden marker, a heading, the summary table (per integration, then a total row), the
summary line, what needs attention (blocked ops, gated replaces, warnings), then one
``<details>`` per integration holding a ``diff`` fence with the text rendering of its ops, drift
in its own ``<details>``, owners and other global ops in theirs.

Inside the fences, a leading ``+``/``-``/``~`` moves to column 0 (``~`` becomes ``!``) so GitHub
colours the lines, as Atlantis' ``--enable-diff-markdown-format`` does. Names outside fences are
escaped as HTML character references, which both Markdown and HTML show literally.

Size cap: when the comment would exceed ``max_chars``, the largest ``<details>`` blocks are
replaced, largest first, by one line each, and a note points at the full JSON plan; if that is
still too long the omitted lines collapse into the note, then table rows collapse into the total.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from reconciler.plan.ops import Op, Plan
from reconciler.plan.render.common import (
    REFRESH_ONLY_NOTE,
    SUMMARY_ACTIONS,
    gate_hint,
    is_gated,
    summary_line,
)
from reconciler.plan.render.text import render_drift_text, render_ops_text

MARKER = "<!-- reconciler-plan -->"
HEADING = "### reconciler plan"
_COLUMNS: tuple[str, ...] = (*SUMMARY_ACTIONS, "sync")

# Markdown and HTML specials as character references: literal in table cells, <summary> and text.
_ESCAPES = {ord(c): f"&#{ord(c)};" for c in "&<>`*_[]|\\~#!"}


def escape(text: str) -> str:
    return text.translate(_ESCAPES)


@dataclass(frozen=True)
class _Section:
    """A foldable block and the one line that stands in for it when the comment is too long."""

    name: str
    full: str
    short: str


def render_markdown(
    plan: Plan, *, max_chars: int = 60000, full_plan_hint: str = "plan.json"
) -> str:
    """The PR comment: at most ``max_chars`` characters, always with the summary table."""
    groups = _groups(plan)
    table = _table_rows(plan, groups)
    sections = _sections(plan, groups)
    summary = f"**{escape(summary_line(plan))}**"
    attention = _attention(plan)

    def paragraphs(rows: Sequence[str], blocks: Sequence[str], note: str) -> list[str]:
        result = [MARKER, HEADING]
        if plan.refresh_only:
            result.append(f"_{REFRESH_ONLY_NOTE}_")
        result += ["\n".join(rows), summary]
        if note:
            result.append(note)
        return result + attention + list(blocks)

    def pointer(count: int) -> str:
        what = "section was" if count == 1 else "sections were"
        return (
            f"> [!NOTE]\n> Details of {count} {what} omitted to keep this comment under "
            f"{max_chars:,} characters. The full plan is in <code>{escape(full_plan_hint)}</code>."
        )

    blocks = [section.full for section in sections]
    if _length(paragraphs(table, blocks, "")) <= max_chars:
        return _join(paragraphs(table, blocks, ""))

    # 1. Fold the largest sections first (ties: by name, for a stable result).
    order = sorted(range(len(sections)), key=lambda i: (-len(sections[i].full), sections[i].name))
    for omitted, index in enumerate(order, start=1):
        blocks[index] = sections[index].short
        candidate = paragraphs(table, blocks, pointer(omitted))
        if _length(candidate) <= max_chars:
            return _join(candidate)

    # 2. One note instead of one line per section; 3. only the header and total table rows.
    note = pointer(len(sections))
    for rows in (table, [*table[:2], table[-1]]):
        candidate = paragraphs(rows, [], note)
        if _length(candidate) <= max_chars:
            return _join(candidate)
    return _join(candidate)[: max_chars - 1] + "\n"


def _join(paragraphs: Sequence[str]) -> str:
    return "\n\n".join(paragraphs) + "\n"


def _length(paragraphs: Sequence[str]) -> int:
    """``len(_join(paragraphs))`` without building the string."""
    return sum(len(p) for p in paragraphs) + 2 * (len(paragraphs) - 1) + 1


def _groups(plan: Plan) -> dict[str | None, list[Op]]:
    """Ops per integration (None = owners and other global ops), each in plan order."""
    groups: dict[str | None, list[Op]] = {}
    for op in plan.ops:
        groups.setdefault(op.integration, []).append(op)
    return groups


def _counts(ops: Sequence[Op]) -> dict[str, int]:
    counts = dict.fromkeys(_COLUMNS, 0)
    for op in ops:
        if op.action in counts:
            counts[op.action] += 1
    return counts


def _table_rows(plan: Plan, groups: dict[str | None, list[Op]]) -> list[str]:
    """Header, one row per integration with changes (sorted by name), then the total row."""
    rows = [
        _row("Integration", [c.capitalize() for c in _COLUMNS]),
        "|---|" + "---:|" * len(_COLUMNS),
    ]
    if plan.has_changes:
        for name in sorted(n for n in groups if n is not None):
            counts = _counts(groups[name])
            if any(counts.values()):
                rows.append(_row(escape(name), [str(counts[c]) for c in _COLUMNS]))
    totals = _counts(plan.ops) if plan.has_changes else dict.fromkeys(_COLUMNS, 0)
    rows.append(_row("**Total**", [f"**{totals[c]}**" for c in _COLUMNS]))
    return rows


def _row(label: str, cells: Sequence[str]) -> str:
    return f"| {label} | " + " | ".join(cells) + " |"


def _attention(plan: Plan) -> list[str]:
    """Blocked ops, gated replaces and plan warnings, before any detail."""
    items: list[str] = []
    for op in plan.ops if plan.has_changes else ():
        if op.blocked is not None:
            items.append(f"- **Blocked** <code>{escape(op.address)}</code>: {escape(op.blocked)}")
        if is_gated(op):
            items.append(
                f"- **Replace needs approval** <code>{escape(op.address)}</code> "
                f"(destroys the values stored on contacts): {escape(gate_hint(op))}"
            )
    items += [f"- **Warning**: {escape(warning)}" for warning in plan.warnings]
    return ["#### Needs attention", "\n".join(items)] if items else []


def _sections(plan: Plan, groups: dict[str | None, list[Op]]) -> list[_Section]:
    sections: list[_Section] = []
    if plan.has_changes:
        for name in sorted(n for n in groups if n is not None):
            title = f"integration {escape(name)}: {_describe(groups[name])}"
            sections.append(_section(name, title, render_ops_text(groups[name])))
        if None in groups:
            title = f"owners and global: {_describe(groups[None])}"
            sections.append(_section("", title, render_ops_text(groups[None])))
    if plan.drift:
        count = len(plan.drift)
        title = f"drift: {count} {'object' if count == 1 else 'objects'} changed outside reconciler"
        sections.append(_section("\x00drift", title, render_drift_text(plan.drift)))
    return sections


def _describe(ops: Sequence[Op]) -> str:
    counts = _counts(ops)
    parts = [f"{counts[c]} to {c}" for c in SUMMARY_ACTIONS if counts[c]]
    if counts["sync"]:
        parts.append(f"{counts['sync']} {'sync' if counts['sync'] == 1 else 'syncs'} to schedule")
    reads = sum(1 for op in ops if op.action == "read")
    if reads:
        parts.append(f"{reads} to read")
    return ", ".join(parts) or "no changes"


def _section(name: str, title: str, body: str) -> _Section:
    fence = "`" * max(3, _longest_backtick_run(body) + 1)
    full = "\n".join(
        [
            f"<details><summary>{title}</summary>",
            "",
            f"{fence}diff",
            _diff_markdown(body).rstrip("\n"),
            fence,
            "",
            "</details>",
        ]
    )
    return _Section(name=name, full=full, short=f"- {title} (details omitted)")


def _longest_backtick_run(text: str) -> int:
    return max((len(run) for run in re.findall(r"`+", text)), default=0)


_SYMBOL = re.compile(r"^( +)([-+~]) ", re.MULTILINE)


def _diff_markdown(text: str) -> str:
    """``  ~ x`` -> ``!   x``: symbol in column 0 for GitHub's diff colours (Atlantis)."""
    return _SYMBOL.sub(lambda m: f"{'!' if m.group(2) == '~' else m.group(2)}{m.group(1)} ", text)
