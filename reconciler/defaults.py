"""A data field's default value, in one place, for every layer that touches it.

A default has one *canonical* form, compared everywhere (config, plan, state): ``Numeric`` an
``int``, ``Boolean`` a ``bool``, ``Date`` the text ``YYYY-MM-DDTHH:MM:SS``, ``String`` text; no
default is ``None``. Each side stores it its own way, and this module is the only code that
converts between them:

* the YAML may say ``default: Yes``, ``0.5``, ``2026-01-31`` (:func:`check`, strict, with the
  error or warning the validator reports);
* dotmailer takes and returns the canonical value as JSON (:func:`to_dotmailer`) and refuses a
  value that does not fit the type (:func:`dotmailer_accepts`, what the emulator enforces);
* Oro's ``DataField.defaultValue`` is a string, Boolean as ``Yes``/``No`` (:func:`to_oro`);
* whatever a live system reports is read back with :func:`canonical` (lenient: it never fails).

Sources: oro-dotmailer-bundle.md §2 (``DataFieldManager::prepareDataField`` casts a Numeric
default to ``int`` and formats a Date as ``Y-m-d\\TH:i:s``; Boolean is stored as Yes/No),
dotdigital-api-v2.md §3 (``defaultValue`` must match the field's type), SPEC §2.2.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

Default = str | int | bool | None

# SPEC §2.2: a date, or an ISO date-time to the second (what Oro sends: Y-m-d\TH:i:s).
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2})?")
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_WIRE_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")


@dataclass(frozen=True)
class DefaultCheck:
    """A declared default in canonical form, or why it does not fit its type."""

    value: Default
    error: str | None = None
    warning: str | None = None


def check(field_type: str, value: object) -> DefaultCheck:
    """The default a YAML file declares, checked against the field's type (SPEC §2.2)."""
    if value is None:
        return DefaultCheck(None)
    if field_type == "Numeric":
        return _numeric(value)
    if field_type == "Boolean":
        if isinstance(value, bool):
            return DefaultCheck(value)
        if isinstance(value, str) and value.casefold() in ("yes", "no"):
            return DefaultCheck(value.casefold() == "yes")
        return DefaultCheck(
            None, error=f"a Boolean default must be Yes, No, true or false (got {show(value)})"
        )
    if field_type == "Date":
        return _date(value)
    if isinstance(value, bool):
        return DefaultCheck("true" if value else "false")
    return DefaultCheck(value if isinstance(value, str) else str(value))


def _numeric(value: object) -> DefaultCheck:
    number: float | int | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str):
        try:
            number = float(value) if re.search(r"[.eE]", value) else int(value)
        except ValueError:
            number = None
    if number is None or (isinstance(number, float) and not math.isfinite(number)):
        return DefaultCheck(None, error=f"a Numeric default must be a number (got {show(value)})")
    if isinstance(number, float):
        truncated = int(number)  # PHP (int) truncates toward zero
        if truncated != number:
            return DefaultCheck(
                truncated,
                warning=f"Oro sends a Numeric default as an integer: {show(value)} becomes "
                f"{truncated}",
            )
        return DefaultCheck(truncated)
    return DefaultCheck(number)


def _date(value: object) -> DefaultCheck:
    if isinstance(value, str) and _DATE.fullmatch(value):
        try:
            datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            return DefaultCheck(value if "T" in value else value + "T00:00:00")
    return DefaultCheck(
        None,
        error=f"a Date default must be YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS (got {show(value)})",
    )


def show(value: object) -> str:
    """A declared value as the user wrote it, for messages."""
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def canonical(field_type: str, value: Any) -> Default:
    """Any side's stored default in canonical form: empty and the API's ``'null'`` are None,
    a Numeric is truncated to an int, a Boolean read from ``Yes``/``true``/``1``, a Date cut
    to the second; what cannot be read stays as text so a difference still shows."""
    if value is None or value == "" or value == "null":
        return None
    if field_type == "Numeric":
        try:
            return int(float(value))
        except (TypeError, ValueError):
            return str(value)
    if field_type == "Boolean":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("yes", "true", "1"):
            return True
        if text in ("no", "false", "0"):
            return False
        return None
    if field_type == "Date":
        if isinstance(value, datetime):
            return value.strftime("%Y-%m-%dT%H:%M:%S")
        if isinstance(value, date):
            return value.strftime("%Y-%m-%dT00:00:00")
        text = str(value).strip()
        if _DATE_ONLY.match(text):
            return f"{text}T00:00:00"
        return text.removesuffix("Z")[:19]
    return str(value)


def to_oro(field_type: str, value: Any) -> str | None:
    """The default as Oro's ``DataField.defaultValue`` stores it: a string, Boolean Yes/No."""
    normal = canonical(field_type, value)
    if normal is None:
        return None
    if isinstance(normal, bool):
        return "Yes" if normal else "No"
    return str(normal)


def to_dotmailer(field_type: str, value: Any) -> Default:
    """The ``defaultValue`` sent in ``POST /v2/data-fields``: the canonical value as JSON."""
    return canonical(field_type, value)


def dotmailer_accepts(field_type: str, value: Any) -> tuple[bool, Any]:
    """dotmailer's own check of a ``defaultValue`` on ``POST /v2/data-fields``
    (dotdigital-api-v2.md §3, §7 item 4): whether it fits the type, and the value stored.

    String takes text; Numeric a number or numeric text (stored as a number); Boolean a bool
    or ``"true"``/``"false"``; Date an ISO ``YYYY-MM-DDTHH:MM:SS`` (Oro sends ``Y-m-d\\TH:i:s``).
    """
    if value is None:
        return True, None
    if field_type == "String":
        return isinstance(value, str), value
    if field_type == "Numeric":
        if isinstance(value, bool):
            return False, value
        if isinstance(value, int | float):
            return True, value
        if isinstance(value, str):
            try:
                number = float(value)
            except ValueError:
                return False, value
            return True, int(number) if number.is_integer() else number
        return False, value
    if field_type == "Boolean":
        if isinstance(value, bool):
            return True, value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return True, value.lower() == "true"
        return False, value
    if isinstance(value, str) and _WIRE_DATE.match(value):
        try:
            datetime.fromisoformat(value)
        except ValueError:
            return False, value
        return True, value
    return False, value
