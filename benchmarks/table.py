"""The one table every benchmark prints: left-aligned columns two spaces apart, a rule of
dashes under the header row, no trailing spaces."""

from __future__ import annotations

from collections.abc import Sequence


def table(rows: Sequence[Sequence[str]]) -> str:
    """``rows[0]`` is the header; every row has as many cells as it."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    rule = tuple("-" * width for width in widths)
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [rows[0], rule, *rows[1:]]
    )
