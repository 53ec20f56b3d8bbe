"""The rules of an Integration document: owner, connection, OAuth, data fields, address books.

SPEC §2.1–§2.2 and §2.5, with the dotmailer and Oro constraints each rule names.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from reconciler import defaults
from reconciler.config.diagnostics import YamlPath
from reconciler.config.loader import Document, did_you_mean
from reconciler.config.semantic.common import (
    IntegrationInfo,
    Reporter,
    as_dict,
    as_list,
    as_str,
    labels_of,
)
from reconciler.model import (
    BUILTIN_ADDRESS_BOOKS,
    BUILTIN_DATA_FIELDS,
    DATA_FIELD_TYPES,
    RESTRICTED_DATA_FIELDS,
)

__all__ = ["check_integration"]


def check_integration(
    reporter: Reporter,
    document: Document,
    owner_names: list[str],
    marketing_lists: dict[str, tuple[Document, YamlPath, str, str]],
) -> IntegrationInfo:
    spec = as_dict(as_dict(document.data).get("spec"))
    owner = as_str(spec.get("owner"))
    if owner is not None and owner not in owner_names:
        known = f"known owners: {', '.join(owner_names)}" if owner_names else "none declared"
        reporter.report(
            document,
            ("spec", "owner"),
            "integration.owner.reference",
            f'owner "{owner}" is not declared ({known})' + did_you_mean(owner, owner_names),
        )
    password_path: YamlPath = ("spec", "connection", "password")
    password = as_dict(spec.get("connection")).get("password")
    if reporter.secret(document, password_path, password) and reporter.allow_literal_secrets:
        assert isinstance(password, str)
        if not 8 <= len(password) <= 255:
            reporter.report(
                document,
                password_path,
                "integration.password.length",
                "the password must be 8–255 characters",
            )
    if "oauth" in spec:
        _oauth(reporter, document, as_dict(spec.get("oauth")))
    field_types = _data_fields(reporter, document, as_list(spec.get("dataFields")))
    _address_books(reporter, document, as_list(spec.get("addressBooks")), marketing_lists)
    return IntegrationInfo(document, labels_of(document), field_types)


def _oauth(reporter: Reporter, document: Document, oauth: dict[str, object]) -> None:
    path: YamlPath = ("spec", "oauth")
    has_id, has_secret = "clientId" in oauth, "clientSecret" in oauth
    if has_id != has_secret:
        missing = "clientSecret" if has_id else "clientId"
        reporter.report(
            document,
            path,
            "oauth.pair",
            f"oauth needs both clientId and clientSecret, or neither ({missing} is missing)",
        )
    if has_secret:
        reporter.secret(document, (*path, "clientSecret"), oauth["clientSecret"])
    domain = as_str(oauth.get("customDomain"))
    if domain is not None:
        problems = []
        if not domain.startswith("https://") or not urlsplit(domain).hostname:
            problems.append("use https:// with a host")
        if not domain.endswith("/"):
            problems.append('end with "/" (Oro appends "OAuth2/Tokens.ashx" to it)')
        if problems:
            reporter.report(
                document,
                (*path, "customDomain"),
                "oauth.customDomain",
                f'customDomain "{domain}" must ' + " and ".join(problems),
            )


def _data_fields(
    reporter: Reporter, document: Document, items: list[object]
) -> dict[str, str | None]:
    types: dict[str, str | None] = {}
    first_at: dict[str, YamlPath] = {}
    builtins = {name.casefold() for name in BUILTIN_DATA_FIELDS}
    for index, item in enumerate(items):
        entry = as_dict(item)
        path: YamlPath = ("spec", "dataFields", index)
        name = as_str(entry.get("name"))
        field_type = as_str(entry.get("type"))
        if name is not None:
            folded = name.casefold()
            if folded in RESTRICTED_DATA_FIELDS:
                reporter.report(
                    document,
                    (*path, "name"),
                    "datafield.name.restricted",
                    f'"{name}" is a restricted data field name in dotmailer',
                )
            elif folded in builtins:
                reporter.report(
                    document,
                    (*path, "name"),
                    "datafield.name.builtin",
                    f'"{name}" is built into every dotmailer account: map it without declaring it',
                )
            elif folded in first_at:
                where = document.location((*first_at[folded], "name"))
                reporter.report(
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
            checked = defaults.check(field_type, entry["default"])
            if checked.error:
                reporter.report(
                    document, (*path, "default"), "datafield.default.type", checked.error
                )
            if checked.warning:
                reporter.report(
                    document, (*path, "default"), "datafield.default.truncated", checked.warning
                )
    return types


def _address_books(
    reporter: Reporter,
    document: Document,
    items: list[object],
    marketing_lists: dict[str, tuple[Document, YamlPath, str, str]],
) -> None:
    reserved = {name.casefold(): name for name in BUILTIN_ADDRESS_BOOKS}
    first_at: dict[str, YamlPath] = {}
    for index, item in enumerate(items):
        entry = as_dict(item)
        path: YamlPath = ("spec", "addressBooks", index)
        name = as_str(entry.get("name"))
        if name is not None:
            folded = name.casefold()
            if folded in reserved:
                reporter.report(
                    document,
                    (*path, "name"),
                    "addressbook.name.reserved",
                    f'"{reserved[folded]}" is built into every dotmailer account and cannot '
                    "be declared",
                )
            elif folded in first_at:
                where = document.location((*first_at[folded], "name"))
                reporter.report(
                    document,
                    (*path, "name"),
                    "addressbook.name.unique",
                    f'address book "{name}" is already declared at {where} '
                    "(names are compared case-insensitively)",
                )
            else:
                first_at[folded] = path
        marketing_list = as_str(entry.get("marketingList"))
        if marketing_list is None:
            continue
        # The first book of each list, as where it is declared: its position is looked up only
        # for a second book (a deep position is read again from the text, loader.EAGER_DEPTH).
        first = marketing_lists.setdefault(
            marketing_list, (document, path, name or "?", document.name or "?")
        )
        if first[0] is document and first[1] == path:
            continue
        there = first[0].location((*first[1], "marketingList"))
        if there != document.location((*path, "marketingList")):
            reporter.report(
                document,
                (*path, "marketingList"),
                "addressbook.marketingList.unique",
                f'marketing list "{marketing_list}" is already connected to address book '
                f'"{first[2]}" of integration "{first[3]}" at {there} (one address book '
                "per marketing list)",
            )
