"""The names ``reconciler import`` gives what it writes: secret variables, files, documents.

Every rule is a pure function of the live names, so an unchanged estate gets the same names on
every import. Names that would collide get ``-2``, ``-3``… (``_2`` for variables) in the order
of the live names they come from.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

PASSWORD_VARIABLE = "DOTMAILER_{}_PASSWORD"
OAUTH_SECRET_VARIABLE = "DOTMAILER_{}_OAUTH_SECRET"
ORO_CLIENT_SECRET_VARIABLE = "RECONCILER_ORO_CLIENT_SECRET"

_NOT_VARIABLE = re.compile(r"[^A-Z0-9]+")
_NOT_FILE = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class Stems:
    """Per integration name: the stem of its secret variables and of its file. Made from every
    integration Oro has, so importing some of them names them as importing all would."""

    variables: Mapping[str, str]
    files: Mapping[str, str]

    @classmethod
    def of(cls, integrations: Iterable[str]) -> Stems:
        names = sorted(set(integrations))
        return cls(variable_stems(names), file_stems(names))


def variable_stems(integrations: Iterable[str]) -> dict[str, str]:
    """Integration name -> the stem of its secret variables: accents dropped, upper case,
    every run of other characters than ``A-Z 0-9`` one ``_`` (``emea`` -> ``EMEA``,
    ``Shop DE-2`` -> ``SHOP_DE_2``)."""
    stems = {
        name: _NOT_VARIABLE.sub("_", _ascii(name).upper()).strip("_") or "X"
        for name in integrations
    }
    return distinct(stems, "_")


def password_variable(stem: str) -> str:
    return PASSWORD_VARIABLE.format(stem)


def oauth_secret_variable(stem: str) -> str:
    return OAUTH_SECRET_VARIABLE.format(stem)


def file_stems(integrations: Iterable[str]) -> dict[str, str]:
    """Integration name -> its file's stem under ``integrations/``: accents dropped, lower
    case, every run of other characters than ``a-z 0-9`` one ``-`` (``Shop DE`` -> ``shop-de``).
    """
    stems = {
        name: _NOT_FILE.sub("-", _ascii(name).lower()).strip("-") or "integration"
        for name in integrations
    }
    return distinct(stems, "-")


def _ascii(name: str) -> str:
    """``name`` with accents dropped (``Zoë`` -> ``Zoe``) and other non-ASCII letters gone."""
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")


def distinct(stems: Mapping[str, str], separator: str) -> dict[str, str]:
    """``stems`` (live name -> wanted name) made unique case-insensitively: a live name whose
    stem an earlier one (in sorted order) took gets a counter."""
    result: dict[str, str] = {}
    taken: set[str] = set()
    for name in sorted(stems):
        chosen, n = stems[name], 1
        while chosen.casefold() in taken:
            n += 1
            chosen = f"{stems[name]}{separator}{n}"
        taken.add(chosen.casefold())
        result[name] = chosen
    return result


def owner_name(username: str, organization: str, business_unit: str | None, shared: bool) -> str:
    """An Owner document's name: the username; ``user@organization/unit`` when the same user
    owns integrations in several organizations or business units (``shared``)."""
    if not shared:
        return username
    return f"{username}@{organization}" + (f"/{business_unit}" if business_unit else "")
