"""The names import gives what it writes: stable, and distinct where live names collide."""

from __future__ import annotations

from reconciler.estate import naming


def test_secret_variables_follow_the_documented_rule() -> None:
    stems = naming.Stems.of(["emea", "Shop DE-2", "shop_de_2", "ünïcode", "x"])
    assert stems.variables == {
        "Shop DE-2": "SHOP_DE_2",
        "emea": "EMEA",
        "shop_de_2": "SHOP_DE_2_2",  # the same stem as "Shop DE-2", which sorts first
        "x": "X",
        "ünïcode": "UNICODE",
    }
    assert naming.password_variable("SHOP_DE_2") == "DOTMAILER_SHOP_DE_2_PASSWORD"
    assert naming.oauth_secret_variable("EMEA") == "DOTMAILER_EMEA_OAUTH_SECRET"


def test_file_stems_are_lower_case_and_distinct() -> None:
    stems = naming.Stems.of(["EMEA", "Shop DE", "shop-de", "---", "Zoë"])
    assert stems.files == {
        "---": "integration",
        "Zoë": "zoe",
        "EMEA": "emea",
        "Shop DE": "shop-de",
        "shop-de": "shop-de-2",
    }


def test_names_are_the_same_whatever_order_they_come_in() -> None:
    assert naming.Stems.of(["b b", "b-b", "a"]) == naming.Stems.of(["a", "b-b", "b b"])


def test_an_owner_is_named_by_its_user_and_where_the_user_is_shared() -> None:
    assert naming.owner_name("mkt.ops", "ACME", "Main", shared=False) == "mkt.ops"
    assert naming.owner_name("mkt.ops", "ACME", "Main", shared=True) == "mkt.ops@ACME/Main"
    assert naming.owner_name("mkt.ops", "ACME", None, shared=True) == "mkt.ops@ACME"


def test_distinct_counts_case_insensitively() -> None:
    assert naming.distinct({"b": "Contact", "a": "contact", "c": "contact-2"}, "-") == {
        "a": "contact",
        "b": "Contact-2",
        "c": "contact-2-2",
    }
