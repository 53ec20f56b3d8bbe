"""The registry of every rule the validator applies, each with a stable id.

An id names the rule in diagnostics (``rule`` in ``--format json``) and in
``docs/configuration.md``. ``summary`` is the sentence used when a JSON Schema keyword that
carries this rule (``"x-rule"`` in the schema files) fails; semantic checks write their own,
more specific message. The reference a rule comes from is named in ``source``.
"""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.config.diagnostics import Severity


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    summary: str
    source: str = ""
    shows_value: bool = True  # False where the value may be a secret


def _rules(*rules: Rule) -> dict[str, Rule]:
    return {rule.id: rule for rule in rules}


RULES: dict[str, Rule] = _rules(
    # --- files and documents ---------------------------------------------------------------
    Rule("file.read", "error", "the file cannot be read as UTF-8 text", "SPEC §2"),
    Rule("yaml.syntax", "error", "YAML syntax error", "YAML 1.2"),
    Rule("yaml.duplicate-key", "error", "a key appears twice in one mapping", "YAML 1.2 §3.2.1.1"),
    Rule("document.shape", "error", "a document must be a mapping", "SPEC §2"),
    Rule("document.apiVersion", "error", "apiVersion must be reconciler/v1", "SPEC §2"),
    Rule(
        "document.kind", "error", "kind must be Owner, Integration or DataFieldMapping", "SPEC §2"
    ),
    # --- generic JSON Schema failures (schemas/*.json) -------------------------------------
    Rule("schema.required", "error", "a required field is missing", "schemas/*.json"),
    Rule("schema.unknown-field", "error", "a field the schema does not define", "schemas/*.json"),
    Rule("schema.type", "error", "a value has the wrong type", "schemas/*.json"),
    Rule(
        "schema.constraint",
        "error",
        "a value breaks a schema constraint (length, count, allowed values)",
        "schemas/*.json",
    ),
    # --- metadata ------------------------------------------------------------------------
    Rule(
        "metadata.name.format",
        "error",
        "a name must be 1–255 characters without leading or trailing spaces",
        "SPEC §2",
    ),
    Rule(
        "metadata.name.unique",
        "error",
        "names are unique per kind, case-insensitively",
        "SPEC §2; oro-dotmailer-bundle.md §1 (integration name unique per organization)",
    ),
    Rule(
        "metadata.labels.format",
        "error",
        "a label key is 1–63 letters, digits, '-', '_', '.', '/' starting and ending with a "
        "letter or digit, and a label value a string of at most 63 characters",
        "SPEC §2 (labels as in Kubernetes)",
    ),
    # --- secrets -------------------------------------------------------------------------
    Rule(
        "secret.shape",
        "error",
        "a secret must be {env: NAME} or {file: PATH}",
        "SPEC §2.5",
        shows_value=False,
    ),
    Rule(
        "secret.env.name",
        "error",
        "an environment variable name is letters, digits and '_', not starting with a digit",
        "SPEC §2.5",
    ),
    Rule(
        "secret.literal",
        "error",
        "a literal secret is refused unless --allow-literal-secrets",
        "SPEC §2.5",
        shows_value=False,
    ),
    # --- Owner ---------------------------------------------------------------------------
    Rule("owner.field.length", "error", "must be 1–255 characters", "SPEC §2.1"),
    # --- Integration ---------------------------------------------------------------------
    Rule(
        "integration.name.length",
        "error",
        "an integration name must be 3–255 characters without leading or trailing spaces",
        "oro-dotmailer-bundle.md §1 (Channel name Length 3..255)",
    ),
    Rule(
        "integration.username.length",
        "error",
        "the API username must be 1–255 characters",
        "oro-dotmailer-bundle.md §1 (username Length max 255)",
    ),
    Rule(
        "integration.password.length",
        "error",
        "the password must be 8–255 characters",
        "oro-dotmailer-bundle.md §1 (password Length 8..255)",
        shows_value=False,
    ),
    Rule(
        "integration.owner.reference",
        "error",
        "spec.owner must name an Owner document",
        "SPEC §2.1",
    ),
    Rule(
        "oauth.pair",
        "error",
        "oauth needs both clientId and clientSecret, or neither",
        "oro-dotmailer-bundle.md §1 (OAuth enabled only when both are set)",
    ),
    Rule(
        "oauth.clientId.length",
        "error",
        "the OAuth client ID must be 1–255 characters",
        "oro-dotmailer-bundle.md §1 (clientId Length max 255)",
    ),
    Rule(
        "oauth.customDomain",
        "error",
        "customDomain must use https and end with '/'",
        "oro-dotmailer-bundle.md §1 (token URL = domain + 'OAuth2/Tokens.ashx')",
    ),
    # --- data fields ---------------------------------------------------------------------
    Rule(
        "datafield.name.length",
        "error",
        "a data field name must be 1–20 characters",
        "dotdigital-api-v2.md §3; oro-dotmailer-bundle.md §2 (Length max 20)",
    ),
    Rule(
        "datafield.name.charset",
        "error",
        "a data field name may contain only letters, digits, '_' and '-'",
        "dotdigital-api-v2.md §3; oro-dotmailer-bundle.md §2 (Regex /^[a-z_\\-0-9]+$/i)",
    ),
    Rule(
        "datafield.name.unique",
        "error",
        "data field names are unique per integration, case-insensitively",
        "dotdigital-api-v2.md §3 (names are upper-cased)",
    ),
    Rule(
        "datafield.name.restricted",
        "error",
        "dotmailer reserves this data field name",
        "dotdigital-api-v2.md §3 (restricted names)",
    ),
    Rule(
        "datafield.name.builtin",
        "error",
        "built-in data fields exist in every account and are only mapped, never declared",
        "dotdigital-api-v2.md §7; SPEC §2.2",
    ),
    Rule(
        "datafield.type",
        "error",
        "the data field type must be String, Numeric, Date or Boolean",
        "oro-dotmailer-bundle.md §2 (enum dm_df_type)",
    ),
    Rule(
        "datafield.visibility",
        "error",
        "the data field visibility must be Private or Public",
        "oro-dotmailer-bundle.md §2 (enum dm_df_visibility)",
    ),
    Rule(
        "datafield.default.type",
        "error",
        "the default value must fit the data field type",
        "oro-dotmailer-bundle.md §2 (DataFieldManager::prepareDataField)",
    ),
    Rule(
        "datafield.default.truncated",
        "warning",
        "Oro sends a Numeric default as an integer: decimals are dropped",
        "oro-dotmailer-bundle.md §2 (cast to int)",
    ),
    # --- address books -------------------------------------------------------------------
    Rule(
        "addressbook.name.length",
        "error",
        "an address book name must be 1–128 characters",
        "dotdigital-api-v2.md §3 (maxLength 128)",
    ),
    Rule(
        "addressbook.name.reserved",
        "error",
        "'Test' and 'All Contacts' exist in every account and cannot be declared",
        "dotdigital-api-v2.md §3",
    ),
    Rule(
        "addressbook.name.unique",
        "error",
        "address book names are unique per integration, case-insensitively",
        "dotdigital-api-v2.md §3 (ERROR_ADDRESSBOOK_DUPLICATE)",
    ),
    Rule(
        "addressbook.visibility",
        "error",
        "the address book visibility must be Private or Public",
        "dotdigital-api-v2.md §2",
    ),
    Rule(
        "addressbook.marketingList.unique",
        "error",
        "a marketing list is connected to at most one address book",
        "oro-dotmailer-bundle.md §4 (AddressBook.marketingList is one-to-one)",
    ),
    # --- mappings ------------------------------------------------------------------------
    Rule(
        "mapping.integrations.shape",
        "error",
        "integrations must be a list of integration names or {matchLabels: {key: value}}",
        "SPEC §2.3",
    ),
    Rule(
        "mapping.integrations.unknown",
        "error",
        "a listed integration is not declared",
        "SPEC §2.3",
    ),
    Rule(
        "mapping.selector.empty",
        "error",
        "a label selector must match at least one integration",
        "SPEC §2.3",
    ),
    Rule(
        "mapping.entity.unknown",
        "error",
        "entity must be a known alias or a fully qualified class name",
        "SPEC §2.3",
    ),
    Rule(
        "mapping.syncPriority",
        "error",
        "syncPriority must be an integer ≥ 0",
        "SPEC §2.3; oro-dotmailer-bundle.md §3",
    ),
    Rule(
        "mapping.entityField.format",
        "error",
        "an entity field name contains no commas or spaces",
        "oro-dotmailer-bundle.md §3 (entityFields are comma-joined)",
    ),
    Rule(
        "mapping.dataField.undeclared",
        "error",
        "a mapped data field must be declared on the integration or be built in",
        "SPEC §2.3",
    ),
    Rule(
        "mapping.dataField.sqlSafe",
        "error",
        "a mapped data field name may contain only letters, digits and '_'",
        "oro-dotmailer-bundle.md rule 1 (the name is an SQL alias on export)",
    ),
    Rule(
        "mapping.dataField.duplicate",
        "error",
        "a data field appears at most once per mapping",
        "oro-dotmailer-bundle.md rule 6",
    ),
    Rule(
        "mapping.entityFields.multiple",
        "error",
        "several entity fields need a String data field",
        "oro-dotmailer-bundle.md rule 6",
    ),
    Rule(
        "mapping.twoWaySync",
        "error",
        "twoWaySync needs exactly one entity field of the entity itself (no '+' relation path)",
        "oro-dotmailer-bundle.md rule 8",
    ),
    Rule(
        "mapping.unique",
        "error",
        "one mapping per (integration, entity)",
        "oro-dotmailer-bundle.md rule 6 (unique (entity, channel))",
    ),
    # --- reconciler.yaml -----------------------------------------------------------------
    Rule(
        "settings.state",
        "error",
        "state must be sqlite:///PATH or postgresql://…",
        "SPEC §2.4, §5",
    ),
    Rule(
        "settings.url",
        "error",
        "a URL must start with http:// or https:// and name a host",
        "SPEC §2.4",
    ),
    Rule("settings.oro.apiBase", "error", "apiBase must start with '/'", "oro-jsonapi.md"),
    Rule("settings.range", "error", "the number is out of range", "SPEC §2.4"),
    # --- environments (docs/environments.md) ---------------------------------------------
    Rule(
        "environment.name",
        "error",
        "an environment name is 1–40 lower-case letters, digits and '_', starting with a letter",
        "SPEC §9 (it names a state file, a PostgreSQL schema and a GitHub environment)",
    ),
    Rule(
        "environment.directory",
        "error",
        "overlay documents live in environments/NAME/ for an environment NAME that "
        "reconciler.yaml declares",
        "SPEC §9",
    ),
    Rule(
        "overlay.remove",
        "error",
        "$remove: true removes an item of a named list, or a whole document, that the base "
        "declares",
        "SPEC §9",
    ),
)


def rule(rule_id: str) -> Rule:
    """The rule with this id; a KeyError here is a bug in the validator, not in the config."""
    return RULES[rule_id]
