"""The shape docs/architecture.md describes, checked: small rooms, a one-way flow, no private
reach-ins, and no string protocol between compare and apply.

Read from the source with ``ast`` (nothing is imported), so a violation names its file.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "reconciler"
MAX_LINES = 400


def _name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(name: str, path: Path) -> Iterator[str]:
    """Every reconciler module ``name`` imports, at any level (a function-level import makes a
    cycle too). ``from pkg import submodule`` depends on the submodule, not on the package."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name.startswith("reconciler"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            if not module.startswith("reconciler"):
                continue
            subs = [f"{module}.{a.name}" for a in node.names]
            yield from (s for s in subs if s in MODULES)
            if any(s not in MODULES for s in subs):
                yield module


GRAPH = {name: {t for t in _imports(name, path) if t in MODULES} for name, path in MODULES.items()}


def test_no_module_is_over_400_lines() -> None:
    long = {
        str(path.relative_to(ROOT)): lines
        for path in MODULES.values()
        if (lines := path.read_text(encoding="utf-8").count("\n")) > MAX_LINES
    }
    assert long == {}


def test_no_import_cycle() -> None:
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in sorted(GRAPH[node]):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[node] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_no_private_module_is_imported_from_outside_its_package() -> None:
    reach_ins = sorted(
        f"{importer} imports {target}"
        for importer, targets in GRAPH.items()
        for target in targets
        if (private := target.rsplit(".", 1)[-1]).startswith("_")
        and not private.startswith("__")
        and not importer.startswith(target.rsplit(".", 1)[0] + ".")
    )
    assert reach_ins == []


@pytest.mark.parametrize("room", ["plan", "execute"])
def test_plan_and_execute_do_no_io_of_their_own(room: str) -> None:
    """plan/ is pure; execute/ reaches the live systems only through the client Protocols."""
    banned = {"httpx", "psycopg", "sqlite3", "socket", "subprocess"}
    found = sorted(
        f"{name} imports {alias.name.split('.')[0]}"
        for name, path in MODULES.items()
        if name.startswith(f"reconciler.{room}")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in (
            node.names if isinstance(node, ast.Import) else [ast.alias(node.module or "")]
        )
        if alias.name.split(".")[0] in banned
    )
    assert found == []


# The journal's step names and the kinds are enums (plan/steps.py); spelling one as a string
# anywhere in compare or apply would be a second protocol beside them. ("integration" and
# "owner" are also plan field names, so only the other kinds are looked for.)
_PROTOCOL_LITERAL = re.compile(
    r"""["'](?:(?:dotmailer|oro)\.(?:check|create|update|delete|sync)|sync\.owed"""
    r"""|data_field|address_book|mapping)["']"""
)


def test_no_step_or_kind_string_is_a_protocol_between_compare_and_apply() -> None:
    rooms = [
        p
        for n, p in MODULES.items()
        if n.startswith(("reconciler.plan.compare", "reconciler.execute"))
    ]
    found = sorted(
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in rooms
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if _PROTOCOL_LITERAL.search(line.split("#", 1)[0])
    )
    assert found == []


def test_every_path_the_docs_name_exists() -> None:
    """docs/architecture.md's "to change X, open Y" table, and every other doc, name files
    that exist."""
    named = sorted(
        (str(doc.relative_to(ROOT)), path)
        for doc in [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
        for path in re.findall(
            r"`(reconciler/[A-Za-z0-9_/.-]+(?:\.py|\.json|\.yaml|/))`", doc.read_text("utf-8")
        )
    )
    assert [(doc, path) for doc, path in named if not (ROOT / path).exists()] == []
    assert len([1 for doc, _ in named if doc == "docs/architecture.md"]) > 30
