"""A data-field default checked against its type and normalised, as Oro will store it.

oro-dotmailer-bundle.md §2 (DataFieldManager::prepareDataField) and SPEC §2.2; used by the
data-field rule and by the desired state built from a valid config.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime

from reconciler.model import DataFieldType

__all__ = ["DefaultCheck", "DefaultValue", "check_default"]

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
