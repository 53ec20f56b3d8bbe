"""One sticky comment from the comment bodies of several environments (docs/environments.md).

Each environment's plan job makes its own body with ``ci comment`` (scrubbed there, where that
environment's secrets are known); ``ci join`` puts them in one comment, a section per
environment, sorted by name. It needs no secret: it only moves text that was scrubbed already.
"""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.ci.comment import MARKER, environment_heading, environment_of
from reconciler.errors import UsageError
from reconciler.plan.render.markdown import escape

__all__ = ["join_comments"]


def join_comments(bodies: Sequence[str], *, max_chars: int = 60000) -> str:
    """The bodies' sticky markers once, then each body's section, sorted by environment.

    A single body without an environment (a config that declares none) is returned as it is.
    When the sections together pass ``max_chars``, the longest are cut to their heading and
    header line, with a note, until the comment fits.
    """
    if not bodies:
        raise UsageError("ci join needs at least one comment body")
    parts = [_split(body) for body in bodies]
    markers = {lead for lead, _, _ in parts}
    if len(markers) > 1:
        raise UsageError("the comment bodies carry different sticky markers (--key)")
    named = [environment for _, environment, _ in parts]
    if len(bodies) == 1 and named[0] is None:
        return bodies[0]
    if None in named:
        raise UsageError("a comment body made without --env cannot be joined with others")
    duplicates = sorted({name for name in named if name is not None and named.count(name) > 1})
    if duplicates:
        raise UsageError(f"two comment bodies of environment {', '.join(duplicates)}")
    lead = markers.pop()
    sections = dict(sorted((name or "", text) for _, name, text in parts))
    joined = _joined(lead, sections)
    for name in sorted(sections, key=lambda n: (-len(sections[n]), n)):
        if len(joined) <= max_chars:
            break
        sections[name] = _cut(name, sections[name], max_chars)
        joined = _joined(lead, sections)
    if len(joined) > max_chars:
        raise UsageError(f"--max-chars {max_chars} leaves no room for {len(sections)} sections")
    return joined


def _split(body: str) -> tuple[str, str | None, str]:
    """(the sticky marker lines, the environment, the section) of one ``ci comment`` body."""
    if not body.startswith(MARKER + "\n"):
        raise UsageError("not a comment body made by `reconciler ci comment` (no marker)")
    head, separator, text = body.partition("\n\n")
    if not separator:
        raise UsageError("not a comment body made by `reconciler ci comment` (no plan)")
    environment = environment_of(head)
    lines = [line for line in head.splitlines() if environment_of(line) is None]
    return "\n".join(lines), environment, text.rstrip("\n")


def _joined(lead: str, sections: dict[str, str]) -> str:
    return "\n\n".join([lead, *sections.values()]) + "\n"


def _cut(environment: str, section: str, max_chars: int) -> str:
    """The section's heading and header line, and where its plan is instead."""
    heading = environment_heading(environment)
    header = section.removeprefix(heading).lstrip("\n").split("\n", 1)[0]
    return (
        f"{heading}\n\n{header}\n\n> [!NOTE]\n> The plan of environment "
        f"<code>{escape(environment)}</code> is left out to keep this comment under {max_chars:,} "
        "characters; it is in the plan artifact named above."
    )
