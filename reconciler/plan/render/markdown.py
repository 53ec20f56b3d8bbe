"""Plan as Markdown for one sticky pull-request comment (SPEC §1, §4; plan-apply-anchors.md §2.9
Atlantis, §3 complaint 6), risk first.

Order: a hidden marker, a heading, the summary line (with the destructive, blocked and gated
counts), what needs attention (every blocked op, replace and delete, then the plan's warnings),
a Mermaid graph of what changes (``render/mermaid.py``), the summary table (the total row first,
then one row per integration), then one ``<details>`` per integration holding a ``diff`` fence
with the text rendering of its ops, owners and other global ops in theirs, drift in its own.
The sections with a delete, a replace or a blocked op come first, each group in name order.

Inside the fences, a leading ``+``/``-``/``~`` moves to column 0 (``~`` becomes ``!``) so GitHub
colours the lines, as Atlantis' ``--enable-diff-markdown-format`` does. Names outside fences are
escaped as HTML character references, which both Markdown and HTML show literally.

Size cap: when the comment would exceed ``max_chars``, sections are folded to one line each
from the last one up (so what is kept is the riskiest, never chosen by size), with a note
pointing at the whole plan; then the folded lines collapse into the note, the graph goes, the
table keeps only its total row. "Needs attention" goes last: its ops are listed one line per
group of the same kind and reason, and only a list longer than the whole cap ends with a count
of the ops it could not name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property

from reconciler.plan.ops import DeleteOp, Op, Plan, ReplaceOp
from reconciler.plan.render.common import (
    REFRESH_ONLY_NOTE,
    SUMMARY_ACTIONS,
    gate_hint,
    is_gated,
    reason_words,
    summary_line,
)
from reconciler.plan.render.mermaid import mermaid_graph
from reconciler.plan.render.text import render_drift_text, render_ops_text

MARKER = "<!-- reconciler-plan -->"
HEADING = "### reconciler plan"
ATTENTION = "#### Needs attention"
_COLUMNS: tuple[str, ...] = (*SUMMARY_ACTIONS, "sync")
_DESTROYS = "destroys the values stored on contacts"

# Markdown and HTML specials as character references: literal in table cells, <summary> and text.
_ESCAPES = {ord(c): f"&#{ord(c)};" for c in "&<>`*_[]|\\~#!"}


def escape(text: str) -> str:
    return text.translate(_ESCAPES)


@dataclass(frozen=True)
class FullPlan:
    """Where the whole plan is when the comment is cut: its readable text and the saved plan,
    and a link to both (a CI run's artifacts), if there is one."""

    text: str = "plan.txt"
    saved: str = "plan.json"
    url: str | None = None

    def markdown(self) -> str:
        files = (
            f"<code>{escape(self.text)}</code> (readable) and "
            f"<code>{escape(self.saved)}</code> (saved)"
        )
        return f"[{files}](<{self.url}>)" if self.url else files


@dataclass
class _Section:
    """A foldable block and the one line that stands in for it when the comment is too long.
    The block is written only when a candidate comment needs it (:func:`_unfolded`)."""

    title: str
    body: Callable[[], str]
    risky: bool

    @property
    def short(self) -> str:
        return f"- {self.title} (details omitted)"

    @cached_property
    def full(self) -> str:
        body = self.body()
        fence = "`" * max(3, _longest_backtick_run(body) + 1)
        return "\n".join(
            [
                f"<details><summary>{self.title}</summary>",
                "",
                f"{fence}diff",
                _diff_markdown(body).rstrip("\n"),
                fence,
                "",
                "</details>",
            ]
        )


@dataclass(frozen=True)
class _Attention:
    """An op the reviewer must see first: blocked, a replace, or a delete."""

    rank: int  # 0 blocked, 1 replace needing approval, 2 allowed replace, 3 delete
    label: str
    address: str
    why: str

    def line(self) -> str:
        return f"- **{self.label}** <code>{escape(self.address)}</code>: {escape(self.why)}"


def _attention(op: Op) -> _Attention | None:
    """Why ``op`` is under "Needs attention", or None."""
    if op.blocked is not None:
        return _Attention(0, f"Blocked {op.action}", op.address, op.blocked)
    if is_gated(op):
        return _Attention(1, "Replace needs approval", op.address, f"{_DESTROYS}; {gate_hint(op)}")
    if isinstance(op, ReplaceOp):
        allowed = "allowed by replaceOnChange or --allow-replace"
        return _Attention(2, "Replace", op.address, f"{_DESTROYS}; {allowed}")
    if isinstance(op, DeleteOp):
        return _Attention(3, "Delete", op.address, reason_words(op.reason))
    return None


def render_markdown(plan: Plan, *, max_chars: int = 60000, full_plan: FullPlan = FullPlan()) -> str:
    """The PR comment: at most ``max_chars`` characters, always with the summary line, every
    op under "Needs attention" (down to a count only past the whole cap) and the total row."""
    groups = _groups(plan)
    items = sorted(
        (item for op in (plan.ops if plan.has_changes else ()) if (item := _attention(op))),
        key=lambda item: (item.rank, item.address),
    )
    warnings = [f"- **Warning**: {escape(warning)}" for warning in plan.warnings]
    graph = mermaid_graph(plan)
    sections = _sections(plan, groups)
    table = _table_rows(plan, groups)
    summary = f"**{escape(summary_line(plan))}**"

    def paragraphs(
        needs: Sequence[str], note: str, drawn: bool, rows: Sequence[str], blocks: Sequence[str]
    ) -> list[str]:
        result = [MARKER, HEADING]
        if plan.refresh_only:
            result.append(f"_{REFRESH_ONLY_NOTE}_")
        result.append(summary)
        if needs:
            result += [ATTENTION, "\n".join(needs)]
        if note:
            result.append(note)
        if drawn and graph is not None:
            result.append(f"```mermaid\n{graph}```")
        return [*result, "\n".join(rows), *blocks]

    def pointer(count: int) -> str:
        what = "section was" if count == 1 else "sections were"
        return (
            f"> [!NOTE]\n> Details of {count} {what} omitted to keep this comment under "
            f"{max_chars:,} characters. The whole plan is in {full_plan.markdown()}."
        )

    def candidates() -> Iterator[list[str]]:
        needs = [item.line() for item in items] + warnings
        unfolded = _unfolded(sections, max_chars - _length(paragraphs(needs, "", True, table, [])))
        blocks = [s.full for s in sections[:unfolded]] + [s.short for s in sections[unfolded:]]
        folded = len(sections) - unfolded
        yield paragraphs(needs, pointer(folded) if folded else "", True, table, blocks)
        # 1. Fold sections from the last (least risky) one up.
        for index in reversed(range(unfolded)):
            blocks[index] = sections[index].short
            yield paragraphs(needs, pointer(len(sections) - index), True, table, blocks)
        # 2. One note for every section; 3. no graph; 4. only the header and the total row.
        note = pointer(len(sections))
        yield paragraphs(needs, note, True, table, [])
        yield paragraphs(needs, note, False, table, [])
        rows = table[:3]
        yield paragraphs(needs, note, False, rows, [])
        # 5. One line per group of the same kind and reason, still naming every op.
        yield paragraphs(_grouped(items) + warnings, note, False, rows, [])
        # 6. As many ops as fit, then how many more the whole plan holds.
        tail = f"- … and {len(needs)} more, every one in {full_plan.markdown()}"
        room = max_chars - _length(paragraphs([tail], note, False, rows, []))
        kept = _fitting(needs, room)
        rest = f"- … and {len(needs) - len(kept)} more, every one in {full_plan.markdown()}"
        yield paragraphs([*kept, rest], note, False, rows, [])

    for candidate in candidates():
        if _length(candidate) <= max_chars:
            return _join(candidate)
    return _join(candidate)[: max_chars - 1] + "\n"


def _unfolded(sections: Sequence[_Section], room: int) -> int:
    """How many sections, from the first, may be whole when the others are folded, as far as
    ``room`` (the characters left beside the other paragraphs) can tell: past that count even the
    comment without its note is too long, since a whole section is always longer than its line.
    The comments with fewer whole sections are then tried, longest first, exactly. So only the
    sections that can be shown are ever written: a capped comment of a 10,000-op plan wrote all
    of them (docs/performance.md)."""
    used = sum(len(section.short) + 2 for section in sections)
    for count, section in enumerate(sections):
        used += len(section.full) - len(section.short)
        if used > room:
            return count
    return len(sections)


def _fitting(lines: Sequence[str], room: int) -> list[str]:
    """The first lines whose length, each with its newline, adds up to at most ``room``."""
    kept: list[str] = []
    for line in lines:
        room -= len(line) + 1
        if room < 0:
            break
        kept.append(line)
    return kept


def _grouped(items: Sequence[_Attention]) -> list[str]:
    """One line per (label, reason), naming every address, in the order of ``items``."""
    groups: dict[tuple[str, str], list[str]] = {}
    for item in items:
        groups.setdefault((item.label, item.why), []).append(item.address)
    return [
        f"- **{label}** ({len(addresses)}): {escape(why)}: "
        + ", ".join(f"<code>{escape(a)}</code>" for a in addresses)
        for (label, why), addresses in groups.items()
    ]


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
    """Header, the total row, then one row per integration with changes (sorted by name)."""
    totals = _counts(plan.ops) if plan.has_changes else dict.fromkeys(_COLUMNS, 0)
    rows = [
        _row("Integration", [c.capitalize() for c in _COLUMNS]),
        "|---|" + "---:|" * len(_COLUMNS),
        _row("**Total**", [f"**{totals[c]}**" for c in _COLUMNS]),
    ]
    if plan.has_changes:
        for name in sorted(n for n in groups if n is not None):
            counts = _counts(groups[name])
            if any(counts.values()):
                rows.append(_row(escape(name), [str(counts[c]) for c in _COLUMNS]))
    return rows


def _row(label: str, cells: Sequence[str]) -> str:
    return f"| {label} | " + " | ".join(cells) + " |"


def _sections(plan: Plan, groups: dict[str | None, list[Op]]) -> list[_Section]:
    """Integrations by name, owners and global, drift; those with a delete, a replace or a
    blocked op first (a stable sort keeps each group in that order)."""
    sections: list[_Section] = []
    if plan.has_changes:
        for name in sorted(n for n in groups if n is not None):
            title = f"integration {escape(name)}: {_describe(groups[name])}"
            sections.append(_ops_section(title, groups[name]))
        if None in groups:
            title = f"owners and global: {_describe(groups[None])}"
            sections.append(_ops_section(title, groups[None]))
    if plan.drift:
        count = len(plan.drift)
        title = f"drift: {count} {'object' if count == 1 else 'objects'} changed outside reconciler"
        drift = plan.drift
        sections.append(_Section(title, lambda: render_drift_text(drift), risky=False))
    return sorted(sections, key=lambda section: not section.risky)


def _ops_section(title: str, ops: Sequence[Op]) -> _Section:
    risky = any(_attention(op) is not None for op in ops)
    return _Section(title, lambda: render_ops_text(ops), risky)


def _describe(ops: Sequence[Op]) -> str:
    counts = _counts(ops)
    parts = [f"{counts[c]} to {c}" for c in SUMMARY_ACTIONS if counts[c]]
    if counts["sync"]:
        parts.append(f"{counts['sync']} {'sync' if counts['sync'] == 1 else 'syncs'} to schedule")
    reads = sum(1 for op in ops if op.action == "read")
    if reads:
        parts.append(f"{reads} to read")
    return ", ".join(parts) or "no changes"


def _longest_backtick_run(text: str) -> int:
    return max((len(run) for run in re.findall(r"`+", text)), default=0)


_SYMBOL = re.compile(r"^( +)([-+~]) ", re.MULTILINE)


def _diff_markdown(text: str) -> str:
    """``  ~ x`` -> ``!   x``: symbol in column 0 for GitHub's diff colours (Atlantis)."""
    return _SYMBOL.sub(lambda m: f"{'!' if m.group(2) == '~' else m.group(2)}{m.group(1)} ", text)
