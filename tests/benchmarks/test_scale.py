"""benchmarks/scale.py: the estate it generates, its budget measure, and one tiny real run."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import httpx
import pytest
import yaml

from reconciler.config import validate_config

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "scale.py"


@pytest.fixture(scope="module")
def scale() -> ModuleType:
    spec = importlib.util.spec_from_file_location("benchmark_scale", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their module by name
    spec.loader.exec_module(module)
    return module


def test_generated_estate_is_valid(scale: ModuleType, tmp_path: Path) -> None:
    scale.generate_estate(tmp_path, integrations=4, data_fields=6, books=2)
    validation = validate_config(tmp_path)
    assert validation.diagnostics == ()
    assert validation.state is not None
    assert [
        (i.name, len(i.data_fields), len(i.address_books)) for i in validation.state.integrations
    ] == [
        ("account-0000", 6, 2),
        ("account-0001", 6, 2),
        ("account-0002", 6, 2),
        ("account-0003", 6, 2),
    ]
    # contacts-crm selects team crm (0, 3), contacts-retail team retail (1), leads the even ones
    assert sorted((m.integration, m.name) for m in validation.state.mappings) == [
        ("account-0000", "contacts-crm"),
        ("account-0000", "leads"),
        ("account-0001", "contacts-retail"),
        ("account-0002", "leads"),
        ("account-0003", "contacts-crm"),
    ]


def test_seed_has_an_account_and_the_lists_of_each_integration(scale: ModuleType) -> None:
    seed = scale.sandbox_seed(integrations=2, books=1, calls=10, window_seconds=2)
    assert [a["username"] for a in seed["dotmailer"]["accounts"]] == [
        "apiuser-0000@apiconnector.com",
        "apiuser-0001@apiconnector.com",
    ]
    assert seed["dotmailer"]["accounts"][1]["rateLimit"] == {
        "mode": "tiered",
        "perMinute": 10,
        "windowSeconds": 2,
    }
    assert seed["oro"]["marketingLists"] == [
        {"name": "List 0-0", "entity": "contact"},
        {"name": "List 1-0", "entity": "contact"},
    ]


def test_budget_use_counts_the_windows_between_first_and_last(scale: ModuleType) -> None:
    windows = {
        # throttled: 5 windows, the 3 interior ones used 10, 9 and 0 of 10
        "a": (2, {100.0: 4, 102.0: 10, 104.0: 9, 106.0: 0, 108.0: 3}),
        "b": (2, {100.0: 3, 102.0: 2}),  # never throttled: fewer than 3 windows
        "c": (2, {90.0: 10, 92.0: 10, 94.0: 10}),  # before the apply started
    }
    # window 106 had no call at all: it is missing from the log, and still counts as unused
    del windows["a"][1][106.0]
    assert scale.budget_use(windows, since=101.0, limit=10) == (19 / 30, 3)


def test_a_tiny_run_prints_the_table(scale: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    code = scale.main(
        [
            "--integrations", "3", "--data-fields", "4", "--books", "2", "--latency-ms", "0",
            "--rate", "10/1", "--throttled", "1", "--local-objects", "60",
            "--apply-concurrency", "2",
        ]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    rows = {
        match.group(1).strip(): match.group(2).strip()
        for match in re.finditer(r"^(.+?)  +(\S.*?)(?:  +\S.*)?$", out, re.M)
    }
    assert rows["dotmailer requests"] == "9 (3.00 each)"
    # A token, eight lists, and the field types of the two mapped entities (entitystructures).
    assert rows["Oro requests"] == "11"
    assert re.fullmatch(r"\d+\.\d s \(\d+ ok, 0 failed\)", rows["apply (concurrency 2)"])
    assert re.fullmatch(r"\d+\.\d\d s \(0 ops\)", rows["no-change plan, command wall"])
    assert rows["429 answers"] == "0"
    assert re.fullmatch(r"\d+\.\d\d s \(\d+ requests\)", rows["naive refresh (one GET per object)"])
    # The floor, computed in the same run (benchmarks/floor.py), beside each phase.
    assert re.fullmatch(r"\d+\.\d\d s CPU", rows["floor: C-YAML compose of the estate"])
    assert re.fullmatch(r"\d+\.\d\d s", rows["floor: latency 20/32 x 0 ms"])
    assert re.fullmatch(
        r"\d+\.\d\d s \(\d+\.\d\d ms each\)", rows["floor: bare-HTTP CPU (http.client replay)"]
    )
    assert re.fullmatch(r"\d+\.\d\d s", rows["floor: YAML + max(latency, HTTP CPU) + JSON"])
    assert re.fullmatch(r"\d+\.\d\d s, \d+\.\d\dx", rows["HTTP floor, ratio"])
    # Each command's memory is its own process's (a fresh interpreter per phase), beside the
    # benchmark's own and the sandbox's.
    for command in ("cold plan", "apply", "no-change plan", "local compute"):
        assert re.fullmatch(r"\d+ MiB", rows[f"peak RSS, {command} (its own process)"]), command
    assert re.fullmatch(
        r"\d+ MiB", rows["peak RSS, this benchmark's process (floors, naive refresh)"]
    )
    assert re.fullmatch(r"\d+ MiB", rows["peak RSS, the sandbox's process"])
    last = out.rstrip("\n").splitlines()[-1]
    assert re.fullmatch(
        r"floor-ratio: plan_cold=\d+\.\d\d plan_nochange=\d+\.\d\d apply=\d+\.\d\d", last
    ), last


def test_the_floor_replays_what_was_recorded_and_composes_the_estate(
    scale: ModuleType, tmp_path: Path
) -> None:
    """benchmarks/floor.py against a real loopback sandbox: every recorded request is sent
    again with http.client and every JSON answer decoded."""
    floor = sys.modules["floor"]
    seed = scale.sandbox_seed(integrations=1, books=1, calls=10, window_seconds=2)
    world = scale.World(seed, 0.0, None, in_process=True)
    try:
        world.record()
        user = scale.username(0)
        answer = httpx.get(f"{world.url}/v2/account-info", auth=(user, scale.PASSWORD))
        assert answer.status_code == 200
        recorded = world.recorded()
        assert [(m, p, q, b) for m, p, q, _, b in recorded] == [
            ("GET", "/v2/account-info", (), b"")
        ]
        before = world.counts()
        again = floor.replay(world.url, recorded * 3, workers=2)
        assert world.since(before) == sys.modules["world"].Counts(dotmailer=3, oro=0)
        assert (again.requests, again.bodies) == (3, 3 * len(answer.content))
    finally:
        world.stop()
    scale.generate_estate(tmp_path, integrations=2, data_fields=2, books=1)
    floor.compose_cpu(tmp_path)  # the estate composes; a broken file is composed too:
    (tmp_path / "integrations" / "broken.yaml").write_text("a: [1,\n", encoding="utf-8")
    with pytest.raises(yaml.YAMLError):
        floor.compose_cpu(tmp_path)
    assert floor.latency_floor(3000, 32, 25.0) == 3000 / 32 * 0.025
    assert floor.ratio_line("1.00", "2.50", "nan") == (
        "floor-ratio: plan_cold=1.00 plan_nochange=2.50 apply=nan"
    )
