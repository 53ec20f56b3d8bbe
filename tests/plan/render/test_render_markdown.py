"""Markdown PR comment: risk first, size cap, escaping, fences, marker, sections."""

from __future__ import annotations

import re

from render_plans import (
    TRICKY_BOOK,
    book,
    change,
    create_field,
    delete_field,
    drift,
    mixed_plan,
    plan,
    read_owner,
    replace_field,
    update_book,
)

from reconciler.plan.ops import Plan
from reconciler.plan.render import render_markdown
from reconciler.plan.render.markdown import FullPlan

TABLE_HEADER = "| Integration | Create | Update | Replace | Delete | Adopt | Sync |"
TABLE_RULE = "|---|---:|---:|---:|---:|---:|---:|"
RUN = "https://github.com/acme/crm/actions/runs/4242"


def big_plan(integrations: int = 300, ops: int = 40) -> Plan:
    return plan(
        *(
            create_field(f"FIELD_{n:02d}", f"team-{i:03d}")
            for i in range(integrations)
            for n in range(ops)
        )
    )


def test_cap_keeps_summary_and_pointer_for_300_integrations_of_40_ops() -> None:
    links = FullPlan("artifacts/plan.txt", "artifacts/plan.json", f"{RUN}#artifacts")
    text = render_markdown(big_plan(), full_plan=links)
    assert len(text) < 60000
    assert text.startswith(
        "<!-- reconciler-plan -->\n\n### reconciler plan\n\n**Plan: 12000 to create, 0 to update, "
        "0 to replace, 0 to delete, 0 to adopt; 0 syncs to schedule.**\n\n> [!NOTE]\n"
    )
    # The totals come before the 300 rows of the table.
    assert (
        f"{TABLE_HEADER}\n{TABLE_RULE}\n"
        "| **Total** | **12000** | **0** | **0** | **0** | **0** | **0** |\n"
        "| team-000 | 40 | 0 | 0 | 0 | 0 | 0 |\n"
    ) in text
    assert "| team-299 | 40 | 0 | 0 | 0 | 0 | 0 |\n\n" in text
    kept = re.findall(r"^<details><summary>integration (team-\d{3}): 40 to create", text, re.M)
    omitted = re.findall(
        r"^- integration (team-\d{3}): 40 to create \(details omitted\)$", text, re.M
    )
    # Nothing is risky, so the sections stay in name order and the last ones fold.
    assert kept + omitted == [f"team-{i:03d}" for i in range(300)]
    assert (len(kept) > 0, len(omitted) > 0) == (True, True)
    assert (
        f"> [!NOTE]\n> Details of {len(omitted)} sections were omitted to keep this comment under "
        "60,000 characters. The whole plan is in [<code>artifacts/plan.txt</code> (readable) and "
        f"<code>artifacts/plan.json</code> (saved)](<{RUN}#artifacts>)."
    ) in text


def test_cap_folds_the_least_risky_sections_first_never_by_size() -> None:
    """Whatever the cap, the sections kept are the first ones in risk order: emea (a gated
    replace and a blocked delete) before apac (which is larger), then owners, then drift."""
    full = render_markdown(mixed_plan())
    order = ["integration emea", "integration apac", "owners and global", "drift"]
    assert re.findall(r"<details><summary>([^:]*):", full) == order
    seen = []
    for limit in range(len(full), 1500, -25):
        text = render_markdown(mixed_plan(), max_chars=limit)
        assert len(text) <= limit
        kept = re.findall(r"<details><summary>([^:]*):", text)
        assert kept == order[: len(kept)]
        if kept not in seen:
            seen.append(kept)
    assert seen == [order[:n] for n in range(4, -1, -1)]


def test_cap_collapses_to_the_note_and_total_row_when_nothing_else_fits() -> None:
    assert render_markdown(big_plan(), max_chars=2000) == (
        "<!-- reconciler-plan -->\n"
        "\n"
        "### reconciler plan\n"
        "\n"
        "**Plan: 12000 to create, 0 to update, 0 to replace, 0 to delete, 0 to adopt; "
        "0 syncs to schedule.**\n"
        "\n"
        "> [!NOTE]\n"
        "> Details of 300 sections were omitted to keep this comment under 2,000 characters. "
        "The whole plan is in <code>plan.txt</code> (readable) and <code>plan.json</code> "
        "(saved).\n"
        "\n"
        f"{TABLE_HEADER}\n"
        f"{TABLE_RULE}\n"
        "| **Total** | **12000** | **0** | **0** | **0** | **0** | **0** |\n"
    )


def test_needs_attention_lists_every_blocked_op_replace_and_delete_first() -> None:
    text = render_markdown(
        plan(
            create_field("NEW"),
            delete_field("OLD_SCORE"),
            replace_field("LOYALTY", change("type", "String", "Numeric"), allowed=True),
            replace_field("TIER", change("type", "String", "Numeric"), allowed=False),
            delete_field("AGE", blocked="4 deletes exceed the cap of 3 per run (prune.maxDeletes)"),
            warnings=("data field NEW: default 0.5 is truncated to 0 by Oro",),
        )
    )
    summary, attention, items = text.split("\n\n")[2:5]
    assert (summary, attention) == (
        "**Plan: 1 to create, 0 to update, 2 to replace, 2 to delete, 0 to adopt; 0 syncs to "
        "schedule; 4 destructive, 1 blocked, 1 gated.**",
        "#### Needs attention",
    )
    assert items.splitlines() == [
        "- **Blocked delete** <code>integration.emea.data&#95;field.AGE</code>: 4 deletes exceed "
        "the cap of 3 per run (prune.maxDeletes)",
        "- **Replace needs approval** <code>integration.emea.data&#95;field.TIER</code>: "
        "destroys the values stored on contacts; needs --allow-replace TIER or "
        "replaceOnChange: true",
        "- **Replace** <code>integration.emea.data&#95;field.LOYALTY</code>: destroys the values "
        "stored on contacts; allowed by replaceOnChange or --allow-replace",
        "- **Delete** <code>integration.emea.data&#95;field.OLD&#95;SCORE</code>: not in the "
        "configuration",
        "- **Warning**: data field NEW: default 0.5 is truncated to 0 by Oro",
    ]


def prune_delete_among(creates: Plan) -> Plan:
    """A big plan of creates and one prune delete, in the integration whose name sorts last."""
    return plan(*creates.ops, delete_field("OLD_SCORE", integration="zz-last"))


PRUNE_DELETE_FIRST = (
    "<!-- reconciler-plan -->\n\n### reconciler plan\n\n"
    "**Plan: 12000 to create, 0 to update, 0 to replace, 1 to delete, 0 to adopt; 0 syncs to "
    "schedule; 1 destructive, 0 blocked, 0 gated.**\n\n"
    "#### Needs attention\n\n"
    "- **Delete** <code>integration.zz-last.data&#95;field.OLD&#95;SCORE</code>: not in the "
    "configuration\n\n"
)


def test_a_prune_delete_is_under_needs_attention_at_the_top_also_when_capped() -> None:
    """Issue 11: a plan with a prune delete lists it under "Needs attention" at the top of the
    comment, also when the comment is capped; its section is the first one kept."""
    big = prune_delete_among(big_plan())
    for limit in (60000, 20000, 2000):
        text = render_markdown(big, max_chars=limit)
        assert (len(text) <= limit, text.startswith(PRUNE_DELETE_FIRST)) == (True, True)
    kept = re.findall(r"<details><summary>integration ([^:]*):", render_markdown(big))
    assert kept[:2] == ["zz-last", "team-000"]


def test_a_long_attention_list_is_grouped_then_counted_never_dropped_silently() -> None:
    why = "600 deletes exceed the cap of 10 per run (prune.maxDeletes)"
    many = plan(*(delete_field(f"F{n:03d}", blocked=why) for n in range(600)))
    addresses = [f"integration.emea.data&#95;field.F{n:03d}" for n in range(600)]
    grouped = render_markdown(many)
    assert len(grouped) <= 60000
    assert (
        f"#### Needs attention\n\n- **Blocked delete** (600): {why}: "
        + ", ".join(f"<code>{a}</code>" for a in addresses)
        + "\n\n"
    ) in grouped
    counted = render_markdown(many, max_chars=5000)
    lines = counted.split("#### Needs attention\n\n")[1].split("\n\n")[0].splitlines()
    shown = [f"- **Blocked delete** <code>{a}</code>: {why}" for a in addresses[: len(lines) - 1]]
    assert lines == [
        *shown,
        f"- … and {600 - len(shown)} more, every one in <code>plan.txt</code> (readable) and "
        "<code>plan.json</code> (saved)",
    ]
    assert (len(counted) <= 5000, len(shown) > 10) == (True, True)


def test_sections_with_a_delete_replace_or_blocked_op_come_first_then_by_name() -> None:
    text = render_markdown(
        plan(
            create_field("A", "alpha"),
            delete_field("B", integration="bravo"),
            update_book("C", change("visibility", "Private", "Public"), integration="charlie"),
            delete_field("D", blocked="the desired set is empty", integration="delta"),
            read_owner(),
        )
    )
    assert re.findall(r"<details><summary>([^:]*):", text) == [
        "integration bravo",
        "integration delta",
        "integration alpha",
        "integration charlie",
        "owners and global",
    ]


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
        "**No changes. Live systems match the configuration.**\n"
        "\n"
        f"{TABLE_HEADER}\n"
        f"{TABLE_RULE}\n"
        "| **Total** | **0** | **0** | **0** | **0** | **0** | **0** |\n"
    )
