"""Render a Plan as text, JSON, Markdown or a Mermaid graph: four views of the same ops
(STYLE.md: alembic's render registry, sqlmesh's "explain is just another evaluator over the same
plan")."""

from __future__ import annotations

from typing import Literal

from reconciler.plan.ops import Plan
from reconciler.plan.render.json import plan_json, render_json
from reconciler.plan.render.markdown import render_markdown
from reconciler.plan.render.mermaid import render_mermaid
from reconciler.plan.render.text import render_text

Format = Literal["text", "json", "markdown", "mermaid"]

__all__ = [
    "Format",
    "plan_json",
    "render",
    "render_json",
    "render_markdown",
    "render_mermaid",
    "render_text",
]


def render(plan: Plan, fmt: Format, *, color: bool = False) -> str:
    """The plan in ``fmt``; ``color`` only affects text (the others never carry ANSI)."""
    match fmt:
        case "text":
            return render_text(plan, color=color)
        case "json":
            return render_json(plan)
        case "markdown":
            return render_markdown(plan)
        case "mermaid":
            return render_mermaid(plan)
