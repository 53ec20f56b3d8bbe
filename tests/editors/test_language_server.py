"""The examples as an editor sees them: the real yaml-language-server over LSP.

yaml-language-server reads the ``# yaml-language-server: $schema=`` modeline from the comments
that head each document (its yamlParser07.getDocumentHeaderComments and
modelineUtil.getSchemaFromModeline), so every document of a multi-document file carries its
own. Ranges are 0-based, as LSP has them.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from lsp_client import LanguageServer

from reconciler.cli import main

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "integrations"
NAMES = ["amer.yaml", "apac.yaml", "emea.yaml", "mappings.yaml", "owners.yaml", "reconciler.yaml"]
LITERAL = (
    "a literal secret is not allowed here; use {env: NAME} or {file: PATH}, "
    "or pass --allow-literal-secrets"
)


def _settings(schemas: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """What an editor sends for `yaml`: validation on, no download of the SchemaStore catalog."""
    yaml: dict[str, Any] = {"validate": True, "schemaStore": {"enable": False}}
    if schemas is not None:
        yaml["schemas"] = schemas
    return {"yaml": yaml, "http": {}, "[yaml]": {}, "editor": {}}


Start = Callable[[Path, dict[str, Any]], LanguageServer]


@pytest.fixture
def server(language_server_command: list[str]) -> Iterator[Start]:
    """Starts a server on a workspace folder with the given settings; all are shut down."""
    started: list[LanguageServer] = []

    def start(root: Path, settings: dict[str, Any]) -> LanguageServer:
        started.append(LanguageServer(language_server_command, root, settings))
        return started[-1]

    yield start
    for language_server in started:
        language_server.close()


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The repository's layout: examples/integrations/ and the schemas two levels up."""
    shutil.copytree(EXAMPLES, tmp_path / "examples" / "integrations")
    shutil.copytree(REPO / "reconciler" / "schemas", tmp_path / "schemas")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _edit(file: Path, old: str, new: str) -> None:
    text = file.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    file.write_text(text.replace(old, new), encoding="utf-8")


def _shown(diagnostics: dict[Path, list[dict[str, Any]]]) -> dict[str, list[tuple[Any, ...]]]:
    """file name -> (start line, start char, end line, end char, severity, message, source)."""
    return {
        file.name: [
            (
                d["range"]["start"]["line"],
                d["range"]["start"]["character"],
                d["range"]["end"]["line"],
                d["range"]["end"]["character"],
                d["severity"],
                d["message"],
                d["source"],
            )
            for d in found
        ]
        for file, found in diagnostics.items()
    }


def test_every_document_of_the_examples_declares_its_schema() -> None:
    for name in NAMES:
        text = (EXAMPLES / name).read_text(encoding="utf-8")
        separators = re.findall(r"^---(.*)$", text, re.MULTILINE)
        heads = [text.splitlines()[0], *(rest.strip() for rest in separators)]
        assert len(set(heads)) == 1, name
        assert heads[0].startswith("# yaml-language-server: $schema=../../schemas/"), name


def test_the_examples_are_clean_in_the_editor(server: Start) -> None:
    language_server = server(REPO, _settings())
    found = language_server.diagnostics([EXAMPLES / name for name in NAMES])
    assert _shown(found) == {name: [] for name in NAMES}


def test_problems_in_later_documents_and_literal_secrets_are_shown(
    server: Start, workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = workspace / "examples" / "integrations"
    # owners.yaml, second document (crm-admins): a misspelt field.
    _edit(config / "owners.yaml", "  username: crm.admin\n", "  user: crm.admin\n")
    # mappings.yaml, third document (retail-contacts): a priority that is not a number.
    _edit(config / "mappings.yaml", "  syncPriority: 20\n  fields:\n    - {dataField: FIRSTNAME, "
          "entityFields: [firstName], twoWaySync: true}\n    - {dataField: LASTNAME, entityFields: "
          "[lastName]}\n    - {dataField: POSTCODE", "  syncPriority: high\n  fields:\n    - "
          "{dataField: FIRSTNAME, entityFields: [firstName], twoWaySync: true}\n    - {dataField: "
          "LASTNAME, entityFields: [lastName]}\n    - {dataField: POSTCODE")  # fmt: skip
    _edit(config / "amer.yaml", "password: {env: DOTMAILER_AMER_PASSWORD}", "password: hunter2")
    _edit(config / "reconciler.yaml", "clientSecret: {env: RECONCILER_ORO_CLIENT_SECRET}",
          "clientSecret: s3cret")  # fmt: skip

    language_server = server(workspace, _settings())
    found = language_server.diagnostics([config / name for name in NAMES])

    owner, mapping = "yaml-schema: reconciler Owner", "yaml-schema: reconciler DataFieldMapping"
    literal = "yaml-schema: Literal secret (refused by default)"
    assert _shown(found) == {
        "amer.yaml": [(13, 4, 13, 21, 1, LITERAL, literal)],
        "apac.yaml": [],
        "emea.yaml": [],
        "mappings.yaml": [(38, 16, 38, 20, 1, 'Incorrect type. Expected "integer".', mapping)],
        "owners.yaml": [
            (15, 0, 15, 4, 1, 'Missing property "username".', owner),
            (16, 2, 16, 6, 1, "Property user is not allowed.", owner),
        ],
        "reconciler.yaml": [(7, 2, 7, 22, 1, LITERAL, literal)],
    }

    # The same lines, and the same words for a literal secret, in `reconciler validate`.
    assert main(["validate", "examples/integrations"]) == 3
    assert capsys.readouterr().out == (
        f"examples/integrations/amer.yaml:14:15: error: spec.connection.password: {LITERAL}\n"
        "examples/integrations/mappings.yaml:39:17: error: spec.syncPriority: expected an "
        "integer, got a string\n"
        "examples/integrations/owners.yaml:17:3: error: spec: missing required field "
        '"username"\n'
        'examples/integrations/owners.yaml:17:3: error: spec.user: unknown field "user"\n'
        f"examples/integrations/reconciler.yaml:8:17: error: oro.clientSecret: {LITERAL}\n"
        "examples/integrations: 2 owners, 3 integrations, 3 mappings: invalid (5 errors, "
        "0 warnings)\n"
    )


def test_a_modeline_covers_only_the_document_it_heads(server: Start, workspace: Path) -> None:
    owners = workspace / "examples" / "integrations" / "owners.yaml"
    _edit(owners, "--- # yaml-language-server: $schema=../../schemas/owner.json\n", "---\n")
    _edit(owners, "  username: crm.admin\n", "  user: crm.admin\n")
    _edit(owners, "  username: mkt.ops\n", "  user: mkt.ops\n")

    found = server(workspace, _settings()).diagnostics([owners])

    owner = "yaml-schema: reconciler Owner"
    assert _shown(found) == {  # the first document only: the second has no modeline
        "owners.yaml": [
            (6, 0, 6, 4, 1, 'Missing property "username".', owner),
            (7, 2, 7, 6, 1, "Property user is not allowed.", owner),
        ]
    }


def _yaml_schemas_of_the_docs() -> dict[str, list[str]]:
    text = (REPO / "docs" / "editors.md").read_text(encoding="utf-8")
    blocks = [json.loads(b) for b in re.findall(r"```json\n(.*?)```", text, re.DOTALL)]
    (settings,) = [block for block in blocks if "yaml.schemas" in block]
    schemas: dict[str, list[str]] = settings["yaml.schemas"]
    return schemas


def test_the_yaml_schemas_globs_of_the_docs_give_each_example_file_its_schema(
    server: Start, tmp_path: Path
) -> None:
    # A repository laid out as docs/editors.md says: integrations/ and schemas/ at its root,
    # the files without modelines, each document with one unknown top-level field.
    shutil.copytree(REPO / "reconciler" / "schemas", tmp_path / "schemas")
    (tmp_path / "integrations").mkdir()
    expected: dict[str, list[tuple[Any, ...]]] = {}
    titles = {
        "owners.yaml": "reconciler Owner",
        "mappings.yaml": "reconciler DataFieldMapping",
        "reconciler.yaml": "reconciler.yaml settings",
    }
    for name in NAMES:
        text = (EXAMPLES / name).read_text(encoding="utf-8")
        text = re.sub(r"^(---)? ?# yaml-language-server: .*$", r"\1", text, flags=re.MULTILINE)
        text = text.replace("apiVersion: reconciler/v1\n", "apiVersion: reconciler/v1\nbogus: 1\n")
        (tmp_path / "integrations" / name).write_text(text, encoding="utf-8")
        source = "yaml-schema: " + titles.get(name, "reconciler Integration")
        expected[name] = [
            (line, 0, line, 5, 1, "Property bogus is not allowed.", source)
            for line, content in enumerate(text.splitlines())
            if content == "bogus: 1"
        ]
    assert "yaml-language-server" not in "".join(
        (tmp_path / "integrations" / name).read_text(encoding="utf-8") for name in NAMES
    )

    language_server = server(tmp_path, _settings(_yaml_schemas_of_the_docs()))
    found = language_server.diagnostics([tmp_path / "integrations" / name for name in NAMES])

    assert _shown(found) == expected
    assert [len(expected[name]) for name in NAMES] == [1, 1, 1, 3, 2, 1]


def test_every_document_reconciler_import_writes_is_checked_against_its_schema(
    server: Start, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`reconciler import` writes the schemas beside the documents it writes, and a modeline
    naming them on every document (issue 12)."""
    monkeypatch.chdir(tmp_path)
    assert main(["apply", "--sandbox", str(EXAMPLES), "--auto-approve"]) == 0
    assert main(["import", "--sandbox", "--out", "imported"]) == 0
    out = tmp_path / "imported"
    written = sorted(out.rglob("*.yaml"))
    assert [p.relative_to(out).as_posix() for p in written] == [
        "integrations/amer.yaml",
        "integrations/apac.yaml",
        "integrations/emea.yaml",
        "mappings.yaml",
        "owners.yaml",
        "reconciler.yaml",
    ]
    clean = server(out, _settings()).diagnostics(written)
    assert _shown(clean) == {p.name: [] for p in written}

    # One unknown field in every document: each is reported, so each has its schema.
    titles = {
        "owners.yaml": "reconciler Owner",
        "mappings.yaml": "reconciler DataFieldMapping",
        "reconciler.yaml": "reconciler.yaml settings",
    }
    expected: dict[str, list[tuple[Any, ...]]] = {}
    for path in written:
        text = path.read_text(encoding="utf-8").replace(
            "apiVersion: reconciler/v1\n", "apiVersion: reconciler/v1\nbogus: 1\n"
        )
        path.write_text(text, encoding="utf-8")
        source = "yaml-schema: " + titles.get(path.name, "reconciler Integration")
        expected[path.name] = [
            (line, 0, line, 5, 1, "Property bogus is not allowed.", source)
            for line, content in enumerate(text.splitlines())
            if content == "bogus: 1"
        ]
    assert sum(len(found) for found in expected.values()) == 3 + 3 + 2 + 1  # every document
    found = server(out, _settings()).diagnostics(written)
    assert _shown(found) == expected
