"""The bad-input corpus: invalid configurations given to ``plan``.

Each case edits a copy of the examples. ``plan`` must exit 3 with a ``file:line:col: error:``
line naming the problem at the expected line, make no request to either live system, and
leave the state file (written by an earlier apply) byte for byte as it was.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import open_lab
from e2e.sandbox_env import EXAMPLES
from harness import TALLY, Lab, Launcher

SCENARIO = "bad input corpus"
EMEA, AMER, APAC = "emea.yaml", "amer.yaml", "apac.yaml"
MAPPINGS, OWNERS, SETTINGS = "mappings.yaml", "owners.yaml", "reconciler.yaml"
NEW = None  # an edit whose "old" is NEW writes a new file


@dataclass(frozen=True)
class Case:
    description: str
    edits: tuple[tuple[str, str | None, str], ...]  # (file, old text or NEW, new text)
    fragment: str  # part of the diagnostic's message
    file: str  # the diagnostic's file
    line: int  # and line


def case(description: str, file: str, old: str | None, new: str, fragment: str, line: int) -> Case:
    return Case(description, ((file, old, new),), fragment, file, line)


LOYALTY = "{name: LOYALTY_TIER, type: String, visibility: Private, default: bronze"
LIFETIME = "{name: LIFETIME_VALUE, type: Numeric, visibility: Private, default: 0}"
NEWSLETTER = "{name: Newsletter EMEA, visibility: Private, marketingList: EMEA subscribers}"
LEADS = "{name: Leads EMEA, visibility: Private, marketingList: EMEA leads, createEntities: true}"

CASES = [
    # -- document envelope ------------------------------------------------------------------
    case("unknown apiVersion", EMEA, "apiVersion: reconciler/v1", "apiVersion: reconciler/v9",
         "apiVersion", 3),
    case("unknown kind", EMEA, "kind: Integration", "kind: Integrations", "kind", 4),
    case("metadata without a name", EMEA, "  name: emea\n", "", "name", 6),
    case("integration name too short", EMEA, "  name: emea\n", "  name: em\n", "em", 6),
    case("label value not a string", EMEA, "    team: crm", "    team: [crm]", "team", 8),
    case("unknown key in spec", EMEA, "  enabled: true\n", "  enabled: true\n  colour: blue\n",
         "colour", 12),
    case("enabled not a boolean", EMEA, "enabled: true", "enabled: maybe", "enabled", 11),
    case("unknown owner", EMEA, "owner: marketing-ops", "owner: nobody", "nobody", 12),
    case("connection without username", EMEA,
         "    username: apiuser-emea@apiconnector.com\n", "", "username", 14),
    case("literal password", EMEA, "password: {env: DOTMAILER_EMEA_PASSWORD}",
         "password: not-a-reference", "secret", 15),
    case("empty env secret name", EMEA, "password: {env: DOTMAILER_EMEA_PASSWORD}",
         "password: {env: ''}", "env", 15),
    case("unknown secret source", EMEA, "password: {env: DOTMAILER_EMEA_PASSWORD}",
         "password: {vault: emea}", "a secret must be {env: NAME} or {file: PATH}", 15),
    # -- data fields ------------------------------------------------------------------------
    case("data field name too long", EMEA, "{name: LIFETIME_VALUE,",
         "{name: LIFETIME_VALUE_IS_TOO_LONG,", "LIFETIME_VALUE_IS_TOO_LONG", 18),
    case("data field name with a space", EMEA, "{name: LIFETIME_VALUE,",
         "{name: LIFETIME VALUE,", "LIFETIME VALUE", 18),
    case("data field named like a built-in", EMEA, "{name: LIFETIME_VALUE,",
         "{name: FIRSTNAME,", "FIRSTNAME", 18),
    case("data field named like a restricted name", EMEA, "{name: LIFETIME_VALUE,",
         "{name: EMAIL,", "EMAIL", 18),
    case("data field declared twice (case-insensitive)", EMEA, "{name: LIFETIME_VALUE,",
         "{name: loyalty_tier,", "loyalty_tier", 18),
    case("unknown data field type", EMEA, LIFETIME, LIFETIME.replace("Numeric", "Integer"),
         "Integer", 18),
    case("unknown visibility", EMEA, LIFETIME, LIFETIME.replace("Private", "Secret"),
         "Secret", 18),
    case("numeric default not a number", EMEA, LIFETIME, LIFETIME.replace("0}", "lots}"),
         "lots", 18),
    case("boolean default not yes/no", EMEA, 'default: "No"', 'default: "Maybe"', "Maybe", 20),
    case("date default not a date", EMEA, "LAST_ORDER_DATE, type: Date, visibility: Private}",
         "LAST_ORDER_DATE, type: Date, visibility: Private, default: yesterday}",
         "yesterday", 19),
    case("unknown key in a data field", EMEA, LOYALTY, LOYALTY + ", colour: red", "colour", 17),
    case("data field without a type", EMEA, "LEAD_SOURCE, type: String, visibility: Private}",
         "LEAD_SOURCE, visibility: Private}", "type", 21),
    case("empty data field name", EMEA, "{name: LIFETIME_VALUE,", "{name: '',", "name", 18),
    case("replaceOnChange not a boolean", EMEA, LIFETIME,
         LIFETIME.replace("0}", "0, replaceOnChange: often}"), "replaceOnChange", 18),
    case("apac date default in another format", APAC, 'default: "2020-01-01T00:00:00"',
         'default: "01/01/2020"', "01/01/2020", 21),
    case("apac numeric default not a number", APAC, "default: 100}", "default: many}", "many", 22),
    case("amer boolean default not yes/no", AMER, "default: false}", "default: perhaps}",
         "perhaps", 19),
    case("dataFields not a list", AMER, "  dataFields:\n", "  dataFields: LOYALTY_TIER\n  x:\n",
         "dataFields", 15),
    # -- address books ----------------------------------------------------------------------
    case("address book named Test", EMEA, "{name: Newsletter EMEA,", "{name: Test,", "Test", 23),
    case("address book named All Contacts", EMEA, "{name: Newsletter EMEA,",
         "{name: All Contacts,", "All Contacts", 23),
    case("address book declared twice (case-insensitive)", EMEA, "{name: Leads EMEA,",
         "{name: newsletter emea,", "newsletter emea", 24),
    case("address book name too long", EMEA, "{name: Newsletter EMEA,",
         "{name: " + "N" * 129 + ",", "128", 23),
    case("empty address book name", APAC, "{name: Newsletter APAC,", "{name: '',", "name", 24),
    case("unknown address book visibility", EMEA, NEWSLETTER,
         NEWSLETTER.replace("Private", "Hidden"), "Hidden", 23),
    case("one marketing list for two books", EMEA, "marketingList: EMEA leads",
         "marketingList: EMEA subscribers", "EMEA subscribers", 24),
    case("createEntities not a boolean", EMEA, LEADS, LEADS.replace("true}", "often}"),
         "createEntities", 24),
    case("unknown key in an address book", EMEA, NEWSLETTER,
         NEWSLETTER.replace("}", ", colour: red}"), "colour", 23),
    case("sync.onChange not a boolean", EMEA, "onChange: true", "onChange: sometimes",
         "onChange", 26),
    # -- OAuth ------------------------------------------------------------------------------
    case("oauth clientId without its secret", APAC,
         "    clientSecret: {env: DOTMAILER_APAC_OAUTH_SECRET}\n", "", "clientSecret", 16),
    case("customDomain over http", APAC, "https://r3-app.dotmailer.com/",
         "http://r3-app.dotmailer.com/", "https", 18),
    case("customDomain without a trailing slash", APAC, "https://r3-app.dotmailer.com/",
         "https://r3-app.dotmailer.com", "/", 18),
    case("literal OAuth client secret", APAC, "clientSecret: {env: DOTMAILER_APAC_OAUTH_SECRET}",
         "clientSecret: plain-text-secret", "secret", 17),
    # -- mappings ---------------------------------------------------------------------------
    case("unknown entity", MAPPINGS, "entity: contact", "entity: spaceship", "spaceship", 9),
    # The first "syncPriority: 20" is crm-contacts'.
    case("negative sync priority", MAPPINGS, "syncPriority: 20", "syncPriority: -1", "-1", 10),
    case("mapped data field not declared", MAPPINGS, "{dataField: LOYALTY_TIER,",
         "{dataField: NOT_DECLARED,", "NOT_DECLARED", 15),
    case("data field mapped twice", MAPPINGS,
         "{dataField: LASTNAME, entityFields: [lastName], twoWaySync: true}",
         "{dataField: FIRSTNAME, entityFields: [lastName], twoWaySync: true}", "FIRSTNAME", 13),
    case("several entity fields for a numeric field", MAPPINGS,
         "    - {dataField: LOYALTY_TIER, entityFields: [loyaltyTier]}\n",
         "    - {dataField: LOYALTY_TIER, entityFields: [loyaltyTier]}\n"
         "    - {dataField: LIFETIME_VALUE, entityFields: [a, b]}\n", "LIFETIME_VALUE", 16),
    case("two-way sync of several fields", MAPPINGS,
         "{dataField: FULLNAME, entityFields: [firstName, lastName]}",
         "{dataField: FULLNAME, entityFields: [firstName, lastName], twoWaySync: true}",
         "twoWaySync", 14),
    case("two-way sync through a relation", MAPPINGS, "ContactAddress::postalCode\"]}",
         "ContactAddress::postalCode\"], twoWaySync: true}", "twoWaySync", 43),
    case("unknown integration in a mapping", MAPPINGS, "integrations: [emea, amer]",
         "integrations: [emea, mars]", "mars", 23),
    case("no entity fields", MAPPINGS, "entityFields: [source]", "entityFields: []",
         "entityFields", 29),
    case("two mappings of one entity", MAPPINGS, "  entity: lead", "  entity: contact",
         "contact", 24),
    case("unknown key in a mapping field", MAPPINGS, "LEAD_SOURCE, entityFields: [source]}",
         "LEAD_SOURCE, entityFields: [source], direction: both}", "direction", 29),
    case("fields not a list", MAPPINGS, "  syncPriority: 10\n  fields:\n",
         "  syncPriority: 10\n  fields: FIRSTNAME\n  x:\n", "fields", 26),
    # -- owners -----------------------------------------------------------------------------
    case("owner without username", OWNERS, "  username: mkt.ops\n", "", "username", 8),
    case("organization not a string", OWNERS, "organization: ACME\n  businessUnit",
         "organization: [ACME]\n  businessUnit", "organization", 9),
    case("two owners with one name", OWNERS, "  name: crm-admins", "  name: marketing-ops",
         "marketing-ops", 15),
    # -- project settings -------------------------------------------------------------------
    case("concurrency zero", SETTINGS, "concurrency: 4", "concurrency: 0", "concurrency", 12),
    case("negative maxDeletes", SETTINGS, "maxDeletes: 10", "maxDeletes: -5", "maxDeletes", 11),
    case("prune.enabled not a boolean", SETTINGS, "  enabled: true", "  enabled: always",
         "enabled", 10),
    case("unknown setting", SETTINGS, "concurrency: 4\n", "concurrency: 4\ncolour: blue\n",
         "colour", 13),
    case("literal Oro client secret", SETTINGS, "clientSecret: {env: RECONCILER_ORO_CLIENT_SECRET}",
         "clientSecret: hunter2-hunter2", "secret", 8),
    # -- YAML itself ------------------------------------------------------------------------
    case("unclosed flow mapping", EMEA, "{name: LEAD_SOURCE, type: String, visibility: Private}",
         "{name: LEAD_SOURCE, type: String, visibility: Private", "", 22),
    case("tab indentation", EMEA, "  enabled: true", "\tenabled: true", "", 11),
    case("duplicate key", EMEA, "  owner: marketing-ops\n",
         "  owner: marketing-ops\n  owner: crm-admins\n", "owner", 13),
    case("unterminated quote", APAC, 'clientId: "4711"', 'clientId: "4711', "", 21),
    case("a document that is a list", "extra.yaml", NEW, "- apiVersion: reconciler/v1\n",
         "", 1),
    case("a document without kind", "extra.yaml", NEW,
         "apiVersion: reconciler/v1\nmetadata: {name: stray}\nspec: {}\n", "kind", 1),
    case("an integration declared twice", "extra.yaml", NEW,
         (EXAMPLES / EMEA).read_text(encoding="utf-8"), "emea", 6),
]  # fmt: skip


@pytest.fixture(scope="module")
def corpus_lab(
    tmp_path_factory: pytest.TempPathFactory, launchers: list[Launcher]
) -> Iterator[Lab]:
    """One lab for the whole corpus, with a state written by a real apply."""
    with open_lab(tmp_path_factory.mktemp("corpus"), launchers[0], SCENARIO) as lab:
        applied = lab.run("apply", "integrations", "--auto-approve")
        assert applied.code == 0, applied.err
        yield lab


def _materialise(lab: Lab, number: int, case: Case) -> Path:
    target = lab.workdir / f"case-{number:02d}"
    shutil.copytree(EXAMPLES, target)
    for file, old, new in case.edits:
        path = target / file
        if old is None:
            path.write_text(new, encoding="utf-8")
            continue
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {file}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return target


def test_the_corpus_is_large_and_every_description_unique() -> None:
    assert len(CASES) >= 60
    assert len({c.description for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.description for c in CASES])
def test_bad_input_exits_3_at_its_line_with_no_request_and_no_state_write(
    corpus_lab: Lab, case: Case
) -> None:
    lab = corpus_lab
    config = _materialise(lab, CASES.index(case), case)
    state = lab.state_path.read_bytes()
    requests = lab.requests
    run = lab.run("plan", config.name)
    TALLY.add(SCENARIO, faults=1)
    where = re.escape(f"{config.name}/{case.file}:{case.line}:")
    errors = [
        line
        for line in run.err.splitlines()
        if re.match(rf"{where}\d+: error: .*{re.escape(case.fragment)}", line)
    ]
    assert (run.code, run.out) == (3, ""), run.err
    assert errors != [], run.err
    assert run.err.splitlines()[-1].startswith("error: ")
    assert lab.requests == requests
    assert lab.state_path.read_bytes() == state
