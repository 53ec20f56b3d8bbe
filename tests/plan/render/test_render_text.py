"""Text rendering: colour, empty and refresh-only plans, reason words, ordering."""

from __future__ import annotations

import re

from render_plans import (
    change,
    create_field,
    delete_field,
    drift,
    field,
    mixed_plan,
    plan,
    read_owner,
    replace_field,
    sync,
    update_book,
)

from reconciler.plan.ops import UpdateOp
from reconciler.plan.render import render, render_text
from reconciler.plan.render.common import address_key

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_colour_adds_only_escape_codes() -> None:
    coloured = render_text(mixed_plan(), color=True)
    assert coloured != render_text(mixed_plan())
    assert ANSI.sub("", coloured) == render_text(mixed_plan())


def test_colour_follows_terraform_palette() -> None:
    ops = (
        create_field("A"),
        update_book("B", change("visibility", "Private", "Public")),
        replace_field("C", change("type", "String", "Date"), allowed=True),
        delete_field("D"),
        read_owner(),
        sync(),
    )
    headers = [line for line in render_text(plan(*ops), color=True).splitlines() if " # (" in line]
    assert headers == [
        "\x1b[32m  +\x1b[0m integration.emea.data_field.A  # (not in state)",
        "\x1b[33m  ~\x1b[0m integration.emea.address_book.B  # (configuration changed)",
        "\x1b[35m-/+\x1b[0m integration.emea.data_field.C"
        "  # (dotmailer cannot update a data field)",
        "\x1b[31m  -\x1b[0m integration.emea.data_field.D  # (not in the configuration)",
        "\x1b[36m <=\x1b[0m owner.marketing-ops  # (resolved through Oro)",
        "\x1b[34m  >\x1b[0m integration.emea.sync  # (configuration changed)",
    ]


def test_colour_marks_blocked_and_field_symbols() -> None:
    text = render_text(plan(delete_field("D", blocked="prune is off")), color=True)
    assert text.splitlines()[1:3] == [
        "\x1b[1;31m      # BLOCKED: prune is off\x1b[0m",
        "      \x1b[31m-\x1b[0m default    = 0",
    ]


def test_render_dispatches_colour_to_text_only() -> None:
    assert render(mixed_plan(), "text", color=True) == render_text(mixed_plan(), color=True)
    assert ANSI.search(render(mixed_plan(), "json", color=True)) is None
    assert ANSI.search(render(mixed_plan(), "markdown", color=True)) is None


def test_no_changes_is_one_exact_line() -> None:
    assert render_text(plan()) == "No changes. Live systems match the configuration.\n"


def test_reads_alone_are_no_changes() -> None:
    assert render_text(plan(read_owner())) == (
        "No changes. Live systems match the configuration.\n"
    )


def test_refresh_only_plan_reports_drift_and_no_ops() -> None:
    refresh = plan(
        create_field("A"),
        drift=(drift(field("NOTES"), change("notes", "ours", "theirs")),),
        refresh_only=True,
    )
    assert render_text(refresh) == (
        "This is a refresh-only plan: it reports drift and changes nothing.\n"
        "\n"
        "Drift detected (changed outside reconciler):\n"
        '  integration.emea.data_field.NOTES: notes "theirs" (was "ours")  # apply will revert\n'
        "\n"
        "Refresh-only plan: 1 object changed outside reconciler; nothing will be changed.\n"
    )


def test_refresh_only_plan_without_drift() -> None:
    assert render_text(plan(refresh_only=True)) == (
        "This is a refresh-only plan: it reports drift and changes nothing.\n"
        "\n"
        "No drift. Live systems match the last applied state.\n"
    )


def test_unknown_reason_code_reads_as_words() -> None:
    op = update_book("B", change("name", "B", "C"))
    odd = UpdateOp(
        address=op.address,
        kind=op.kind,
        integration=op.integration,
        reason="quota_exceeded_elsewhere",
        changes=op.changes,
    )
    assert render_text(plan(odd)).splitlines()[0] == (
        "  ~ integration.emea.address_book.B  # (quota exceeded elsewhere)"
    )


def test_update_without_changes_shows_the_differing_keys_sorted() -> None:
    op = UpdateOp(
        address="integration.emea",
        kind="integration",
        integration="emea",
        reason="config_changed",
        before={"enabled": True, "name": "EMEA", "customDomain": "https://r1-app.dotmailer.com/"},
        after={"enabled": False, "name": "EMEA", "customDomain": "https://r2-app.dotmailer.com/"},
    )
    assert render_text(plan(op)).splitlines()[:3] == [
        "  ~ integration.emea  # (configuration changed)",
        '      ~ customDomain = "https://r1-app.dotmailer.com/" -> "https://r2-app.dotmailer.com/"',
        "      ~ enabled      = true -> false",
    ]


def test_address_key_reads_bare_and_quoted_segments() -> None:
    assert address_key("integration.emea.data_field.LOYALTY") == "LOYALTY"
    assert address_key('integration.emea.address_book["Say \\"hi\\""]') == 'Say "hi"'
    assert address_key("owner") == "owner"
