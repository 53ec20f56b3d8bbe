"""docs/configuration.md stays in step with the rule registry, the entity aliases and the
settings pinned in CI."""

from __future__ import annotations

from pathlib import Path

from reconciler.config import ENTITY_ALIASES, RULES
from reconciler.config.settings import CREDENTIAL_SETTINGS

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def _section_rows(heading: str) -> dict[str, list[str]]:
    """The table rows under ``heading`` (up to the next heading), keyed by their first cell."""
    lines = DOC.read_text(encoding="utf-8").splitlines()
    start = lines.index(heading) + 1
    rows: dict[str, list[str]] = {}
    for line in lines[start:]:
        if line.startswith("#"):
            break
        if line.startswith("| `"):
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            rows[cells[0].strip("`")] = [cell.strip("`") for cell in cells[1:]]
    return rows


def test_every_rule_is_documented_with_its_severity() -> None:
    rows = _section_rows("## Rules")
    assert {rule_id: cells[0] for rule_id, cells in rows.items()} == {
        rule.id: rule.severity for rule in RULES.values()
    }


def test_alias_table_matches_the_code() -> None:
    rows = _section_rows("### Entity aliases")
    assert {alias: cells[0] for alias, cells in rows.items()} == ENTITY_ALIASES


def test_the_pinned_credential_settings_are_the_codes() -> None:
    rows = _section_rows("### Where credentials may be sent")
    assert {key: cells[0] for key, cells in rows.items()} == {
        key: variable for key, _, variable in CREDENTIAL_SETTINGS
    }
