"""The domain rules of SPEC §2.1–§2.5 that a JSON Schema cannot express.

Every check is tolerant of values of the wrong type (the schema already reported them), so one
run reports every problem. Each diagnostic names a rule of :mod:`reconciler.config.rules`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from reconciler.config.diagnostics import Diagnostic, YamlPath
from reconciler.config.entities import ENTITY_ALIASES, resolve_entity
from reconciler.config.loader import Document, did_you_mean
from reconciler.errors import Location
from reconciler.model import (
    BUILTIN_ADDRESS_BOOKS,
    BUILTIN_DATA_FIELDS,
    DATA_FIELD_TYPES,
    RESTRICTED_DATA_FIELDS,
    DataFieldType,
)

# oro-dotmailer-bundle.md rule 1: a mapped name becomes an SQL alias in Oro's export query.
SQL_SAFE_NAME = re.compile(r"^[A-Za-z0-9_]+$")
# SPEC §2.2: a date, or an ISO date-time to the second (what Oro sends: Y-m-d\TH:i:s).
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2})?")

DefaultValue = str | int | float | bool | None


@dataclass(frozen=True)
class DefaultCheck:
    """A data-field default normalised for its type, or why it does not fit."""

    value: DefaultValue
    error: str | None = None
    warning: str | None = None


def check_default(field_type: DataFieldType, value: object) -> DefaultCheck:
    """oro-dotmailer-bundle.md §2 (DataFieldManager::prepareDataField) and SPEC §2.2."""
    if value is None:
        return DefaultCheck(None)
    if field_type == "Numeric":
        return _numeric_default(value)
    if field_type == "Boolean":
        if isinstance(value, bool):
            return DefaultCheck(value)
        if isinstance(value, str) and value.casefold() in ("yes", "no"):
            return DefaultCheck(value.casefold() == "yes")
        return DefaultCheck(
            None, error=f"a Boolean default must be Yes, No, true or false (got {_show(value)})"
        )
    if field_type == "Date":
        return _date_default(value)
    if isinstance(value, bool):
        return DefaultCheck("true" if value else "false")
    return DefaultCheck(value if isinstance(value, str) else str(value))


def _numeric_default(value: object) -> DefaultCheck:
    number: float | int | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str):
        try:
            number = float(value) if re.search(r"[.eE]", value) else int(value)
        except ValueError:
            number = None
    if number is None or (isinstance(number, float) and not math.isfinite(number)):
        return DefaultCheck(None, error=f"a Numeric default must be a number (got {_show(value)})")
    if isinstance(number, float):
        truncated = int(number)  # PHP (int) truncates toward zero
        if truncated != number:
            return DefaultCheck(
                truncated,
                warning=f"Oro sends a Numeric default as an integer: {_show(value)} becomes "
                f"{truncated}",
            )
        return DefaultCheck(truncated)
    return DefaultCheck(number)


def _date_default(value: object) -> DefaultCheck:
    if isinstance(value, str) and _DATE.fullmatch(value):
        try:
            datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            return DefaultCheck(value if "T" in value else value + "T00:00:00")
    return DefaultCheck(
        None,
        error=f"a Date default must be YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS (got {_show(value)})",
    )


def _show(value: object) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _dict(value: object) -> dict[str, object]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def labels_of(document: Document) -> dict[str, str]:
    labels = _dict(_dict(document.data).get("metadata")).get("labels")
    return {k: v for k, v in _dict(labels).items() if isinstance(v, str)}


@dataclass
class _IntegrationInfo:
    document: Document
    labels: dict[str, str]
    field_types: dict[str, str | None]  # upper-cased name -> declared type (None if invalid)


@dataclass
class Checker:
    """Runs every semantic rule over the documents of one config."""

    allow_literal_secrets: bool = False
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def report(
        self, document: Document, path: YamlPath, rule_id: str, message: str, *, key: bool = False
    ) -> None:
        self.diagnostics.append(document.diagnostic(path, rule_id, message, key=key))

    def run(
        self,
        owners: list[Document],
        integrations: list[Document],
        mappings: list[Document],
        settings: Document | None,
    ) -> list[Diagnostic]:
        for kind, documents in (
            ("Owner", owners),
            ("Integration", integrations),
            ("DataFieldMapping", mappings),
        ):
            self._unique_names(kind, documents)
        owner_names = sorted({name for doc in owners if (name := doc.name) is not None})
        marketing_lists: dict[str, tuple[Location, str, str]] = {}
        infos: dict[str, _IntegrationInfo] = {}
        for document in integrations:
            info = self._integration(document, owner_names, marketing_lists)
            if document.name is not None:
                infos.setdefault(document.name, info)
        taken: dict[tuple[str, str], tuple[str, Location]] = {}
        for document in mappings:
            self._mapping(document, infos, taken)
        if settings is not None:
            self._settings(settings)
        return self.diagnostics

    # --- all kinds ---------------------------------------------------------------------

    def _unique_names(self, kind: str, documents: list[Document]) -> None:
        seen: dict[str, Document] = {}
        for document in documents:
            name = document.name
            if name is None:
                continue
            first = seen.setdefault(name.casefold(), document)
            if first is not document:
                where = first.location(("metadata", "name"))
                self.report(
                    document,
                    ("metadata", "name"),
                    "metadata.name.unique",
                    f'{kind} "{name}" is already declared at {where}',
                )

    def _secret(self, document: Document, path: YamlPath, value: object) -> bool:
        """Report a literal secret unless allowed; True when the value is a literal."""
        if not isinstance(value, str):
            return False
        if not self.allow_literal_secrets:
            self.report(
                document,
                path,
                "secret.literal",
                "a literal secret is not allowed here; use {env: NAME} or {file: PATH}, "
                "or pass --allow-literal-secrets",
            )
        return True

    # --- Integration ---------------------------------------------------------------------

    def _integration(
        self,
        document: Document,
        owner_names: list[str],
        marketing_lists: dict[str, tuple[Location, str, str]],
    ) -> _IntegrationInfo:
        spec = _dict(_dict(document.data).get("spec"))
        owner = _str(spec.get("owner"))
        if owner is not None and owner not in owner_names:
            known = f"known owners: {', '.join(owner_names)}" if owner_names else "none declared"
            self.report(
                document,
                ("spec", "owner"),
                "integration.owner.reference",
                f'owner "{owner}" is not declared ({known})' + did_you_mean(owner, owner_names),
            )
        password_path: YamlPath = ("spec", "connection", "password")
        password = _dict(spec.get("connection")).get("password")
        if self._secret(document, password_path, password) and self.allow_literal_secrets:
            assert isinstance(password, str)
            if not 8 <= len(password) <= 255:
                self.report(
                    document,
                    password_path,
                    "integration.password.length",
                    "the password must be 8–255 characters",
                )
        if "oauth" in spec:
            self._oauth(document, _dict(spec.get("oauth")))
        field_types = self._data_fields(document, _list(spec.get("dataFields")))
        self._address_books(document, _list(spec.get("addressBooks")), marketing_lists)
        return _IntegrationInfo(document, labels_of(document), field_types)

    def _oauth(self, document: Document, oauth: dict[str, object]) -> None:
        path: YamlPath = ("spec", "oauth")
        has_id, has_secret = "clientId" in oauth, "clientSecret" in oauth
        if has_id != has_secret:
            missing = "clientSecret" if has_id else "clientId"
            self.report(
                document,
                path,
                "oauth.pair",
                f"oauth needs both clientId and clientSecret, or neither ({missing} is missing)",
            )
        if has_secret:
            self._secret(document, (*path, "clientSecret"), oauth["clientSecret"])
        domain = _str(oauth.get("customDomain"))
        if domain is not None:
            problems = []
            if not domain.startswith("https://") or not urlsplit(domain).hostname:
                problems.append("use https:// with a host")
            if not domain.endswith("/"):
                problems.append('end with "/" (Oro appends "OAuth2/Tokens.ashx" to it)')
            if problems:
                self.report(
                    document,
                    (*path, "customDomain"),
                    "oauth.customDomain",
                    f'customDomain "{domain}" must ' + " and ".join(problems),
                )

    def _data_fields(self, document: Document, items: list[object]) -> dict[str, str | None]:
        types: dict[str, str | None] = {}
        first_at: dict[str, YamlPath] = {}
        builtins = {name.casefold() for name in BUILTIN_DATA_FIELDS}
        for index, item in enumerate(items):
            entry = _dict(item)
            path: YamlPath = ("spec", "dataFields", index)
            name = _str(entry.get("name"))
            field_type = _str(entry.get("type"))
            if name is not None:
                folded = name.casefold()
                if folded in RESTRICTED_DATA_FIELDS:
                    self.report(
                        document,
                        (*path, "name"),
                        "datafield.name.restricted",
                        f'"{name}" is a restricted data field name in dotmailer',
                    )
                elif folded in builtins:
                    self.report(
                        document,
                        (*path, "name"),
                        "datafield.name.builtin",
                        f'"{name}" is built into every dotmailer account: map it without '
                        "declaring it",
                    )
                elif folded in first_at:
                    where = document.location((*first_at[folded], "name"))
                    self.report(
                        document,
                        (*path, "name"),
                        "datafield.name.unique",
                        f'data field "{name}" is already declared at {where} '
                        "(names are compared case-insensitively)",
                    )
                else:
                    first_at[folded] = path
                    valid = field_type in DATA_FIELD_TYPES
                    types[name.upper()] = field_type if valid else None
            if field_type in ("String", "Numeric", "Date", "Boolean") and "default" in entry:
                checked = check_default(field_type, entry["default"])  # type: ignore[arg-type]
                if checked.error:
                    self.report(
                        document, (*path, "default"), "datafield.default.type", checked.error
                    )
                if checked.warning:
                    self.report(
                        document, (*path, "default"), "datafield.default.truncated", checked.warning
                    )
        return types

    def _address_books(
        self,
        document: Document,
        items: list[object],
        marketing_lists: dict[str, tuple[Location, str, str]],
    ) -> None:
        reserved = {name.casefold(): name for name in BUILTIN_ADDRESS_BOOKS}
        first_at: dict[str, YamlPath] = {}
        for index, item in enumerate(items):
            entry = _dict(item)
            path: YamlPath = ("spec", "addressBooks", index)
            name = _str(entry.get("name"))
            if name is not None:
                folded = name.casefold()
                if folded in reserved:
                    self.report(
                        document,
                        (*path, "name"),
                        "addressbook.name.reserved",
                        f'"{reserved[folded]}" is built into every dotmailer account and cannot '
                        "be declared",
                    )
                elif folded in first_at:
                    where = document.location((*first_at[folded], "name"))
                    self.report(
                        document,
                        (*path, "name"),
                        "addressbook.name.unique",
                        f'address book "{name}" is already declared at {where} '
                        "(names are compared case-insensitively)",
                    )
                else:
                    first_at[folded] = path
            marketing_list = _str(entry.get("marketingList"))
            if marketing_list is None:
                continue
            here = document.location((*path, "marketingList"))
            first = marketing_lists.setdefault(
                marketing_list, (here, name or "?", document.name or "?")
            )
            if first[0] != here:
                self.report(
                    document,
                    (*path, "marketingList"),
                    "addressbook.marketingList.unique",
                    f'marketing list "{marketing_list}" is already connected to address book '
                    f'"{first[1]}" of integration "{first[2]}" at {first[0]} (one address book '
                    "per marketing list)",
                )

    # --- DataFieldMapping ----------------------------------------------------------------

    def _mapping(
        self,
        document: Document,
        infos: dict[str, _IntegrationInfo],
        taken: dict[tuple[str, str], tuple[str, Location]],
    ) -> None:
        spec = _dict(_dict(document.data).get("spec"))
        targets = self._targets(document, spec.get("integrations"), infos)
        entity = _str(spec.get("entity"))
        fqcn = resolve_entity(entity) if entity is not None else None
        if entity is not None and fqcn is None:
            self.report(
                document,
                ("spec", "entity"),
                "mapping.entity.unknown",
                f'"{entity}" is neither an entity alias ({", ".join(sorted(ENTITY_ALIASES))}) '
                "nor a fully qualified class name" + did_you_mean(entity, sorted(ENTITY_ALIASES)),
            )
        if fqcn is not None:
            here = document.location(("spec", "entity"))
            for target in targets:
                first = taken.setdefault((target, fqcn), (document.name or "?", here))
                if first[1] != here:
                    self.report(
                        document,
                        ("spec", "entity"),
                        "mapping.unique",
                        f'integration "{target}" already has a mapping for {fqcn}: '
                        f'"{first[0]}" at {first[1]}',
                    )
        self._fields(document, _list(spec.get("fields")), [infos[t] for t in targets])

    def _targets(
        self, document: Document, selection: object, infos: dict[str, _IntegrationInfo]
    ) -> list[str]:
        """The integrations a mapping applies to; reports unknown names and empty selectors."""
        path: YamlPath = ("spec", "integrations")
        found = select_integrations(selection, {name: i.labels for name, i in infos.items()})
        if isinstance(selection, list):
            for index, item in enumerate(selection):
                if isinstance(item, str) and item not in infos:
                    self.report(
                        document,
                        (*path, index),
                        "mapping.integrations.unknown",
                        f'integration "{item}" is not declared' + did_you_mean(item, list(infos)),
                    )
            return found
        wanted = _selector(selection)
        if wanted and not found:
            shown = ", ".join(f"{k}: {v}" for k, v in sorted(wanted.items()))
            self.report(
                document,
                (*path, "matchLabels"),
                "mapping.selector.empty",
                f"label selector {{{shown}}} matches no integration",
            )
        return found

    def _fields(
        self, document: Document, items: list[object], targets: list[_IntegrationInfo]
    ) -> None:
        seen: dict[str, YamlPath] = {}
        builtins = {name.upper(): "String" for name in BUILTIN_DATA_FIELDS}
        for index, item in enumerate(items):
            entry = _dict(item)
            path: YamlPath = ("spec", "fields", index)
            name = _str(entry.get("dataField"))
            entity_fields = [f for f in _list(entry.get("entityFields")) if isinstance(f, str)]
            if entry.get("twoWaySync") is True and (
                len(entity_fields) != 1 or "+" in entity_fields[0]
            ):
                self.report(
                    document,
                    (*path, "twoWaySync"),
                    "mapping.twoWaySync",
                    "twoWaySync needs exactly one entity field of the entity itself "
                    f'(no "+" relation path); got {", ".join(entity_fields) or "none"}',
                )
            if name is None:
                continue
            if name.upper() in seen:
                where = document.location((*seen[name.upper()], "dataField"))
                self.report(
                    document,
                    (*path, "dataField"),
                    "mapping.dataField.duplicate",
                    f'data field "{name}" is already mapped at {where}',
                )
                continue
            seen[name.upper()] = path
            if not SQL_SAFE_NAME.match(name):
                self.report(
                    document,
                    (*path, "dataField"),
                    "mapping.dataField.sqlSafe",
                    f'"{name}" cannot be mapped: Oro uses a mapped name as an SQL alias, so it '
                    'may contain only letters, digits and "_"',
                )
            for info in targets:
                self._field_on(document, path, name, len(entity_fields), info, builtins)

    def _field_on(
        self,
        document: Document,
        path: YamlPath,
        name: str,
        entity_field_count: int,
        info: _IntegrationInfo,
        builtins: dict[str, str],
    ) -> None:
        integration = info.document.name or "?"
        types = {**builtins, **info.field_types}
        if name.upper() not in types:
            declared = sorted(n for n in info.field_types)
            self.report(
                document,
                (*path, "dataField"),
                "mapping.dataField.undeclared",
                f'data field "{name}" is neither declared on integration "{integration}" nor '
                "built in" + did_you_mean(name.upper(), declared + sorted(builtins)),
            )
            return
        field_type = types[name.upper()]
        if entity_field_count > 1 and field_type not in ("String", None):
            self.report(
                document,
                (*path, "entityFields"),
                "mapping.entityFields.multiple",
                f'several entity fields need a String data field; "{name}" is {field_type} on '
                f'integration "{integration}"',
            )

    # --- reconciler.yaml -----------------------------------------------------------------

    def _settings(self, document: Document) -> None:
        data = _dict(document.data)
        state = _str(data.get("state"))
        if state is not None and not (
            state.startswith("sqlite:///") or re.match(r"^postgres(ql)?://[^/]", state)
        ):
            scheme = state.split(":", 1)[0] if ":" in state else state
            self.report(
                document,
                ("state",),
                "settings.state",
                "state must be sqlite:///PATH or postgresql://USER@HOST/DB "
                f'(got scheme "{scheme}")',
            )
        oro = _dict(data.get("oro"))
        for path, value in (
            (("oro", "url"), oro.get("url")),
            (("dotmailer", "apiUrl"), _dict(data.get("dotmailer")).get("apiUrl")),
        ):
            url = _str(value)
            if url is not None and not _is_http_url(url):
                self.report(
                    document,
                    path,
                    "settings.url",
                    f"{'.'.join(path)} must be an http:// or https:// URL with a host "
                    f'(got "{_without_userinfo(url)}")',
                )
        if "clientSecret" in oro:
            self._secret(document, ("oro", "clientSecret"), oro["clientSecret"])


def _selector(selection: object) -> dict[str, str]:
    match_labels = _dict(_dict(selection).get("matchLabels"))
    return {k: v for k, v in match_labels.items() if isinstance(v, str)}


def select_integrations(selection: object, labels: Mapping[str, Mapping[str, str]]) -> list[str]:
    """SPEC §2.3: the declared integrations a mapping's ``integrations`` names or selects, sorted.

    A list keeps the names that exist; ``{matchLabels: {...}}`` keeps every integration whose
    labels contain all the pairs (an empty selector selects nothing).
    """
    if isinstance(selection, list):
        return sorted({item for item in selection if isinstance(item, str) and item in labels})
    wanted = _selector(selection)
    if not wanted:
        return []
    return sorted(
        name
        for name, have in labels.items()
        if all(have.get(key) == value for key, value in wanted.items())
    )


def _without_userinfo(url: str) -> str:
    """A URL safe to show: credentials before "@" in the authority are masked."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return parts._replace(netloc="***@" + parts.netloc.rsplit("@", 1)[1]).geturl()


def _is_http_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def iter_kind(documents: list[Document], kind: str) -> Iterator[Document]:
    return (document for document in documents if document.kind == kind)
