"""Plan as text, Terraform-like (plan-apply-anchors.md §1 row 7, SPEC §4 "Outputs").

Each op is a header line (symbol, address, the reason as a comment), notes (moved from, blocked,
gated replace) and one line per field, sorted by name, with ``=`` aligned. Then drift, warnings
and one summary line. Lines are built from styled spans; colour only wraps the spans, so the
coloured text is the plain text plus escape codes. Lines are strings, each span painted as it is
built (no span tuples to join: a third of rendering 10,000 ops, docs/performance.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from reconciler.plan.ops import (
    AdoptOp,
    CreateOp,
    DeleteOp,
    Drift,
    FieldChange,
    Op,
    Plan,
    ReadOp,
    ReplaceOp,
    SyncOp,
    UpdateOp,
)
from reconciler.plan.render.common import (
    REFRESH_ONLY_NOTE,
    SENSITIVE,
    drift_rows,
    drift_sensitive_names,
    field_changes,
    forcing_fields,
    format_value,
    gate_hint,
    is_gated,
    reason_words,
    sensitive_names,
    summary_line,
)

# Paints one span of a line: the text itself, or the text wrapped in its style's ANSI codes.
Paint = Callable[[str, str | None], str]

# Terraform's palette: green +, yellow ~, red -, magenta -/+, cyan <=.
_ANSI: dict[str, str] = {
    "+": "32",
    "~": "33",
    "-": "31",
    "-/+": "35",
    "<=": "36",
    "=": "34",
    ">": "34",
    "blocked": "1;31",
    "forces": "31",
    "heading": "1",
    "warning": "1;33",
}
_RESET = "\x1b[0m"

_HEADER_INDENT = 3  # symbols are right-aligned in three columns: "  +", "-/+", " <="
_FIELD_INDENT = " " * 6


def render_text(plan: Plan, *, color: bool = False) -> str:
    """The whole plan as text, ending with the summary line and a newline."""
    paint = _painter(color)
    sections: list[list[str]] = []
    if plan.refresh_only:
        sections.append([paint(REFRESH_ONLY_NOTE, "heading")])
    if plan.has_changes:
        sections.extend(op_blocks(plan.ops, paint))
    if plan.drift:
        sections.append(drift_lines(plan.drift, paint))
    if plan.warnings:
        sections.append([paint("Warning:", "warning") + f" {w}" for w in plan.warnings])
    sections.append([paint(summary_line(plan), "heading")])
    return join_sections(sections)


def render_ops_text(ops: Iterable[Op], *, color: bool = False) -> str:
    """Only the op blocks, one blank line apart (Markdown folds these per integration)."""
    return join_sections(op_blocks(ops, _painter(color)))


def render_drift_text(drift: Sequence[Drift], *, color: bool = False) -> str:
    return join_sections([drift_lines(drift, _painter(color))])


def join_sections(sections: Sequence[Sequence[str]]) -> str:
    blocks = ["\n".join(section) for section in sections]
    return "\n\n".join(blocks) + "\n" if blocks else ""


def op_blocks(ops: Iterable[Op], paint: Paint) -> list[list[str]]:
    """One block per op, in plan order."""
    return [op_lines(op, paint) for op in ops]


def op_lines(op: Op, paint: Paint) -> list[str]:
    header = (
        paint(f"{op.symbol:>{_HEADER_INDENT}}", op.symbol)
        + f" {op.address}  # ({reason_words(op.reason)})"
    )
    lines = [header]
    if op.previous_address is not None:
        lines.append(f"{_FIELD_INDENT}# (moved from {op.previous_address})")
    if op.blocked is not None:
        lines.append(paint(f"{_FIELD_INDENT}# BLOCKED: {op.blocked}", "blocked"))
    if is_gated(op):
        lines.append(paint(f"{_FIELD_INDENT}# {gate_hint(op)}", "blocked"))
    lines.extend(_field_lines(op, paint))
    return lines


def _field_lines(op: Op, paint: Paint) -> list[str]:
    rows = field_changes(op)
    if not rows:
        return []
    width = max(len(row.field) for row in rows)
    secret = sensitive_names(op)
    forces = forcing_fields(op) if isinstance(op, ReplaceOp) else frozenset()
    symbol = _row_symbol(op)
    lead = _FIELD_INDENT + paint(symbol, symbol if symbol != " " else None)
    forced = paint("  # forces replacement", "forces")
    lines: list[str] = []
    for row in rows:
        masked = row.sensitive or row.field in secret
        line = f"{lead} {row.field:<{width}} = {_row_value(op, row, masked)}"
        lines.append(line + forced if row.field in forces else line)
    return lines


def _row_symbol(op: Op) -> str:
    match op:
        case CreateOp():
            return "+"
        case DeleteOp():
            return "-"
        case UpdateOp() | ReplaceOp() | AdoptOp():
            return "~"
        case ReadOp() | SyncOp():
            return " "
        case _:
            return " "


def _row_value(op: Op, row: FieldChange, masked: bool) -> str:
    if masked:
        return SENSITIVE
    match op:
        case DeleteOp():
            return format_value(row.before)
        case UpdateOp() | ReplaceOp() | AdoptOp():
            return f"{format_value(row.before)} -> {format_value(row.after)}"
        case _:
            return format_value(row.after)


def drift_lines(drift: Sequence[Drift], paint: Paint) -> list[str]:
    """``address: field "live" (was "applied")`` per drifted field (Terraform's "Objects have
    changed outside of Terraform", plan-apply-anchors.md §2.5)."""
    lines = [paint("Drift detected (changed outside reconciler):", "warning")]
    for item in drift:
        if item.gone:
            lines.append(f"  {item.address}: deleted outside reconciler; apply will re-create it")
            continue
        secret = drift_sensitive_names(item.changes)
        outcome = "# apply will revert" if item.reverted else "# left as is"
        for change in drift_rows(item.changes):
            if change.field in secret:
                values = SENSITIVE
            else:
                values = f"{format_value(change.after)} (was {format_value(change.before)})"
            lines.append(f"  {item.address}: {change.field} {values}  {outcome}")
    return lines


def _painter(color: bool) -> Paint:
    return _styled if color else _plain


def _plain(text: str, style: str | None) -> str:
    return text


def _styled(text: str, style: str | None) -> str:
    if style is None:
        return text
    return f"\x1b[{_ANSI[style]}m{text}{_RESET}"
