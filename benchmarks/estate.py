"""The estate benchmarks/scale.py plans and applies: N integrations as YAML files, and the sandbox
seed (accounts, Oro users, organization, marketing lists) it needs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

TYPES = ("String", "Numeric", "Date", "Boolean")
MAX_DATA_FIELDS = 200  # the seed's custom entity fields cover --data-fields up to this
DEFAULTS = {"String": "bronze", "Numeric": 10, "Date": "2024-01-01T00:00:00", "Boolean": "No"}
TEAMS = ("crm", "retail", "web")
PASSWORD = "bench-dotmailer-pw"  # sandbox-only value, shared by every generated account
ORO_SECRET = "bench-oro-secret"  # sandbox-only value
ORO_API = "/admin/api"


def username(index: int) -> str:
    return f"apiuser-{index:04d}@apiconnector.com"


def integration_yaml(index: int, data_fields: int, books: int) -> str:
    team = TEAMS[index % 3]
    lines = [
        "apiVersion: reconciler/v1",
        "kind: Integration",
        "metadata:",
        f"  name: account-{index:04d}",
        f"  labels: {{team: {team}, region: r{index % 3 + 1}}}",
        "spec:",
        "  owner: marketing-ops",
        "  connection:",
        f"    username: {username(index)}",
        "    password: {env: BENCH_DOTMAILER_PASSWORD}",
        "  sync: {onChange: true}",
        "  dataFields:",
    ]
    for number in range(data_fields):
        kind = TYPES[number % 4]
        lines.append(
            f"    - {{name: FIELD_{number:02d}, type: {kind}, visibility: Private, "
            f"default: {DEFAULTS[kind]!r}, notes: field {number}}}"
        )
    lines.append("  addressBooks:" if books else "  addressBooks: []")
    for number in range(books):
        lines.append(
            f"    - {{name: Book {number} of {index}, visibility: Public, "
            f"marketingList: {marketing_list(index, number)}, createEntities: false}}"
        )
    return "\n".join(lines) + "\n"


def marketing_list(index: int, number: int) -> str:
    return f"List {index}-{number}"


def mappings_yaml(indexes: range, data_fields: int) -> str:
    """Three mappings shared by the whole estate: two by label selector, one by a list."""

    def mapping(name: str, selection: str, entity: str) -> str:
        fields = "".join(
            f"    - {{dataField: FIELD_{n:02d}, entityFields: [field{n}]}}\n"
            for n in range(0, data_fields, 4)  # String fields only: any Oro type fits
        )
        return (
            "apiVersion: reconciler/v1\nkind: DataFieldMapping\n"
            f"metadata: {{name: {name}}}\nspec:\n  integrations: {selection}\n"
            f"  entity: {entity}\n  syncPriority: 10\n  fields:\n"
            "    - {dataField: FIRSTNAME, entityFields: [firstName], twoWaySync: true}\n"
            "    - {dataField: FULLNAME, entityFields: [firstName, lastName]}\n"
            f"{fields}"
        )

    teams = {TEAMS[i % 3] for i in indexes}
    listed = ", ".join(f"account-{i:04d}" for i in indexes if i % 2 == 0)
    documents = [
        mapping(f"contacts-{team}", f"{{matchLabels: {{team: {team}}}}}", "contact")
        for team in TEAMS[:2]
        if team in teams  # a selector that selects nothing is an error
    ]
    if listed:
        documents.append(mapping("leads", f"[{listed}]", "lead"))
    return "---\n".join(documents)


def generate_estate(
    directory: Path, *, integrations: int, data_fields: int = 30, books: int = 5, first: int = 0
) -> None:
    """Write the estate's YAML into ``directory`` (reconciler.yaml, owners, N files, mappings):
    integrations ``first`` .. ``first + integrations - 1``."""
    (directory / "reconciler.yaml").write_text("prune: {enabled: false}\n", encoding="utf-8")
    (directory / "owners.yaml").write_text(
        "apiVersion: reconciler/v1\nkind: Owner\nmetadata: {name: marketing-ops}\n"
        "spec: {username: mkt.ops, organization: ACME}\n",
        encoding="utf-8",
    )
    folder = directory / "integrations"
    folder.mkdir()
    indexes = range(first, first + integrations)
    for index in indexes:
        (folder / f"account-{index:04d}.yaml").write_text(
            integration_yaml(index, data_fields, books), encoding="utf-8"
        )
    (directory / "mappings.yaml").write_text(mappings_yaml(indexes, data_fields), encoding="utf-8")


# The main estate's accounts: a tiered limit that an apply of 36 calls never reaches.
ROOMY_LIMIT = {"mode": "tiered", "perMinute": 600, "windowSeconds": 60}


def sandbox_seed(
    *,
    integrations: int,
    books: int,
    calls: int,
    window_seconds: int,
    throttled_from: int = 0,
    oro_max_page: int = -1,
) -> dict[str, Any]:
    """N dotmailer accounts with a tiered limit (``calls`` per ``window_seconds`` from index
    ``throttled_from`` on, ROOMY_LIMIT before it), and the Oro side the estate needs."""
    tight = {"mode": "tiered", "perMinute": calls, "windowSeconds": window_seconds}
    accounts = [
        {
            "username": username(index),
            "password": PASSWORD,
            "region": f"r{index % 3 + 1}",
            "rateLimit": dict(tight if index >= throttled_from else ROOMY_LIMIT),
            "dataFields": [],
            "addressBooks": [],
        }
        for index in range(integrations)
    ]
    lists = [
        {"name": marketing_list(index, number), "entity": "contact"}
        for index in range(integrations)
        for number in range(books)
    ]
    return {
        "dotmailer": {"accounts": accounts},
        "oro": {
            "settings": {"maxPageSize": oro_max_page},  # oro_api.max_entities; -1: no cap
            "clients": [{"id": "bench", "secret": ORO_SECRET}],
            "organizations": [{"name": "ACME"}],
            "businessUnits": [{"name": "Main", "organization": "ACME"}],
            "users": [{"username": "mkt.ops", "organization": "ACME", "enabled": True}],
            "marketingLists": lists,
            # The custom fields the mappings read (text: any data-field type's String fits).
            "entities": {
                entity: {f"field{n}": "string" for n in range(0, MAX_DATA_FIELDS, 4)}
                for entity in ("contact", "lead")
            },
            "integrations": [],
        },
    }
