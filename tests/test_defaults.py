"""reconciler/defaults.py: one converter for a data field's default, for every layer.

The round trips are the point: a declared default, sent to either side and read back, is the
value compare started from, so no layer can make a perpetual diff (plan-apply-anchors.md §3
complaint 1).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from reconciler import defaults
from reconciler.defaults import DefaultCheck

DECLARED = [
    ("String", "bronze", "bronze"),
    ("String", 12, "12"),
    ("String", True, "true"),
    ("Numeric", 10, 10),
    ("Numeric", "42", 42),
    ("Numeric", 3.0, 3),
    ("Numeric", "-7", -7),
    ("Boolean", True, True),
    ("Boolean", "Yes", True),
    ("Boolean", "no", False),
    ("Date", "2026-01-31", "2026-01-31T00:00:00"),
    ("Date", "2026-01-31T08:30:00", "2026-01-31T08:30:00"),
    ("Numeric", None, None),
]


@pytest.mark.parametrize(("type_", "declared", "canonical"), DECLARED)
def test_a_declared_default_checks_to_its_canonical_form(
    type_: str, declared: Any, canonical: Any
) -> None:
    assert defaults.check(type_, declared) == DefaultCheck(canonical)


@pytest.mark.parametrize(("type_", "declared", "canonical"), DECLARED)
def test_the_canonical_form_survives_both_sides_and_back(
    type_: str, declared: Any, canonical: Any
) -> None:
    assert defaults.canonical(type_, canonical) == canonical
    # Oro keeps a string (Boolean Yes/No); reading it back gives the same value.
    assert defaults.canonical(type_, defaults.to_oro(type_, canonical)) == canonical
    # dotmailer takes the canonical value as JSON and accepts it for the type.
    accepted, stored = defaults.dotmailer_accepts(type_, defaults.to_dotmailer(type_, canonical))
    assert accepted
    assert defaults.canonical(type_, stored) == canonical


def test_oro_stores_booleans_as_yes_and_no_and_numbers_as_text() -> None:
    assert [
        defaults.to_oro("Boolean", True),
        defaults.to_oro("Boolean", False),
        defaults.to_oro("Numeric", 5),
        defaults.to_oro("String", None),
    ] == ["Yes", "No", "5", None]


def test_a_decimal_numeric_default_warns_that_oro_truncates_it() -> None:
    assert defaults.check("Numeric", 0.5) == DefaultCheck(
        0, warning="Oro sends a Numeric default as an integer: 0.5 becomes 0"
    )


@pytest.mark.parametrize(
    ("type_", "value", "error"),
    [
        ("Numeric", "ten", 'a Numeric default must be a number (got "ten")'),
        ("Numeric", True, "a Numeric default must be a number (got true)"),
        ("Numeric", float("nan"), "a Numeric default must be a number (got nan)"),
        ("Boolean", "maybe", 'a Boolean default must be Yes, No, true or false (got "maybe")'),
        (
            "Date",
            "2026-02-30",
            'a Date default must be YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS (got "2026-02-30")',
        ),
        (
            "Date",
            20260101,
            "a Date default must be YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS (got 20260101)",
        ),
    ],
)
def test_a_default_that_does_not_fit_its_type_is_an_error(
    type_: str, value: Any, error: str
) -> None:
    assert defaults.check(type_, value) == DefaultCheck(None, error=error)


@pytest.mark.parametrize(
    ("type_", "live", "canonical"),
    [
        ("String", "", None),
        ("String", "null", None),
        ("Numeric", "12.9", 12),
        ("Numeric", "n/a", "n/a"),  # unreadable stays visible as text
        ("Boolean", "1", True),
        ("Boolean", "0", False),
        ("Boolean", "perhaps", None),
        ("Date", "2026-01-31T08:30:00Z", "2026-01-31T08:30:00"),
        ("Date", "2026-01-31T08:30:00.123", "2026-01-31T08:30:00"),
        ("Date", datetime(2026, 1, 31, 8, 30), "2026-01-31T08:30:00"),
        ("Date", date(2026, 1, 31), "2026-01-31T00:00:00"),
    ],
)
def test_what_a_live_system_reports_is_read_leniently(
    type_: str, live: Any, canonical: Any
) -> None:
    assert defaults.canonical(type_, live) == canonical


@pytest.mark.parametrize(
    ("type_", "wire", "expected"),
    [
        ("String", 5, (False, 5)),
        ("Numeric", "1.5", (True, 1.5)),
        ("Numeric", "1.0", (True, 1)),
        ("Numeric", False, (False, False)),
        ("Boolean", "TRUE", (True, True)),
        ("Boolean", "yes", (False, "yes")),
        ("Date", "2026-01-31", (False, "2026-01-31")),
        ("Date", "2026-13-01T00:00:00", (False, "2026-13-01T00:00:00")),
    ],
)
def test_dotmailer_refuses_a_wire_default_that_does_not_fit(
    type_: str, wire: Any, expected: tuple[bool, Any]
) -> None:
    assert defaults.dotmailer_accepts(type_, wire) == expected
