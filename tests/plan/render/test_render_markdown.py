"""Markdown PR comment: size cap, escaping, fences, marker, sections."""

from __future__ import annotations

import re

from render_plans import (
    TRICKY_BOOK,
    book,
    change,
    create_field,
    drift,
    mixed_plan,
    plan,
    read_owner,
    update_book,
)

from reconciler.plan.ops import Plan
from reconciler.plan.render import render_markdown

TABLE_HEADER = "| Integration | Create | Update | Replace | Delete | Adopt | Sync |"


def big_plan(integrations: int = 300, ops: int = 40) -> Plan:
    return plan(
        *(
            create_field(f"FIELD_{n:02d}", f"team-{i:03d}")
            for i in range(integrations)
            for n in range(ops)
        )
    )


def test_cap_keeps_summary_and_pointer_for_300_integrations_of_40_ops() -> None:
    text = render_markdown(big_plan(), full_plan_hint="artifacts/plan.json")
    assert len(text) < 60000
    assert text.startswith("<!-- reconciler-plan -->\n\n### reconciler plan\n\n" + TABLE_HEADER)
    assert "| team-000 | 40 | 0 | 0 | 0 | 0 | 0 |" in text
    assert "| team-299 | 40 | 0 | 0 | 0 | 0 | 0 |" in text
    assert "| **Total** | **12000** | **0** | **0** | **0** | **0** | **0** |" in text
    kept = text.count("<details>")
    omitted = re.findall(
        r"^- integration team-\d{3}: 40 to create \(details omitted\)$", text, re.M
    )
    assert (kept + len(omitted), kept > 0, len(omitted) > 0) == (300, True, True)
    assert (
        f"> [!NOTE]\n> Details of {len(omitted)} sections were omitted to keep this comment under "
        "60,000 characters. The full plan is in <code>artifacts/plan.json</code>."
    ) in text
    # Equal sizes fold in name order, so the details kept are the last ones.
    assert omitted[0] == "- integration team-000: 40 to create (details omitted)"
    assert "<details><summary>integration team-299: 40 to create</summary>" in text


def test_cap_folds_the_largest_integration_first() -> None:
    full = render_markdown(mixed_plan())
    emea = full.index("<details><summary>integration emea")
    end = full.index("</details>", emea) + len("</details>")
    limit = len(full) - (end - emea) + 400  # room for emea's one-line stand-in and the note
    text = render_markdown(mixed_plan(), max_chars=limit)
    assert len(text) <= limit
    assert "<details><summary>integration apac: 1 to create, 1 to adopt" in text
    assert (
        "- integration emea: 1 to create, 2 to update, 1 to replace, 1 to delete, "
        "1 sync to schedule (details omitted)"
    ) in text
    assert "Details of 1 section was omitted" in text


def test_cap_collapses_to_the_note_and_total_row_when_nothing_else_fits() -> None:
    text = render_markdown(big_plan(), max_chars=2000)
    assert len(text) <= 2000
    assert text.splitlines()[4:7] == [
        TABLE_HEADER,
        "|---|---:|---:|---:|---:|---:|---:|",
        "| **Total** | **12000** | **0** | **0** | **0** | **0** | **0** |",
    ]
    assert "Details of 300 sections were omitted" in text
    assert "- integration team-" not in text


def test_under_the_cap_nothing_is_omitted() -> None:
    text = render_markdown(mixed_plan())
    assert (text.count("<details>"), "omitted" in text) == (4, False)


def test_names_are_escaped_outside_fences() -> None:
    tricky = plan(
        update_book("B", change("visibility", "Private", "Public"), integration="a|b <i>`x`"),
        warnings=("book **B** | <script>",),
    )
    text = render_markdown(tricky)
    assert "| a&#124;b &#60;i&#62;&#96;x&#96; | 0 | 1 | 0 | 0 | 0 | 0 |" in text
    assert (
        "<details><summary>integration a&#124;b &#60;i&#62;&#96;x&#96;: 1 to update</summary>"
        in (text)
    )
    assert "- **Warning**: book &#42;&#42;B&#42;&#42; &#124; &#60;script&#62;" in text
    outside_fences = re.sub(r"```diff\n.*?\n```", "", text, flags=re.S)
    assert ("<i>" in text, "<i>" in outside_fences, "<script>" in text) == (True, False, False)


def test_fence_outgrows_backticks_in_names() -> None:
    text = render_markdown(plan(update_book("a```b", change("name", "x", "a```b"))))
    assert '````diff\n!   integration.emea.address_book["a```b"]' in text
    assert text.count("\n````\n") == 1


def test_drift_and_owners_have_their_own_sections() -> None:
    text = render_markdown(
        plan(
            read_owner(),
            create_field("A"),
            drift=(drift(book(TRICKY_BOOK), change("visibility", "Private", "Public")),),
        )
    )
    summaries = re.findall(r"<details><summary>(.*)</summary>", text)
    assert summaries == [
        "integration emea: 1 to create",
        "owners and global: 1 to read",
        "drift: 1 object changed outside reconciler",
    ]


def test_no_changes_keeps_the_table_and_says_so() -> None:
    assert render_markdown(plan(read_owner())) == (
        "<!-- reconciler-plan -->\n"
        "\n"
        "### reconciler plan\n"
        "\n"
        f"{TABLE_HEADER}\n"
        "|---|---:|---:|---:|---:|---:|---:|\n"
        "| **Total** | **0** | **0** | **0** | **0** | **0** | **0** |\n"
        "\n"
        "**No changes. Live systems match the configuration.**\n"
    )
