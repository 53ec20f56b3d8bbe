"""The graphs drawn by a real Mermaid renderer, so a syntax error cannot ship (issue 12 item 3).

mermaid-cli (``mmdc``, npm, pinned in ``.ci/node``) drives Debian's Chromium through puppeteer,
as GitHub draws a ```` ```mermaid ```` block in a comment. The plans are the examples on the
sandbox, made by the real CLI: the first plan (every object created), then one with a gated
replace, a prune delete, an update and drift made by hand; and a large plan, capped. Each is
drawn from ``plan --format mermaid`` and from the PR comment's Markdown; the renderer must exit
0 and write one SVG per graph holding every node of it.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from render_plans import create_field, delete_field, plan
from test_render_mermaid import HEADER

from reconciler.ci import comment_body
from reconciler.cli import main
from reconciler.plan.render import render_mermaid
from reconciler.sandbox.world import DEFAULT_SEED, Sandbox

REPO = Path(__file__).resolve().parents[3]
MMDC = REPO / ".ci" / "node" / "node_modules" / ".bin" / "mmdc"
EMEA = ("apiuser-emea@apiconnector.com", "sandbox-emea-pw")
RUN_URL = "https://github.com/acme/crm/actions/runs/4242"

Draw = Callable[[str, Path], list[str]]


@pytest.fixture(scope="module")
def draw(tmp_path_factory: pytest.TempPathFactory) -> Draw:
    """``draw(markdown, out_dir)``: every ```` ```mermaid ```` block of ``markdown`` as SVG
    text, in order, from one run of mmdc (it fails on the first block it cannot draw)."""
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("Chromium is not installed: apt-get install -y chromium (.ci/run does)")
    if shutil.which("node") is None or not MMDC.is_file():
        pytest.skip(
            "mermaid-cli is not installed: apt-get install -y nodejs npm, then "
            "npm install --prefix .ci/node (.ci/run does both)"
        )
    config = tmp_path_factory.mktemp("puppeteer") / "puppeteer.json"
    launch = {"executablePath": chromium, "args": ["--no-sandbox", "--headless", "--disable-gpu"]}
    config.write_text(json.dumps(launch), encoding="utf-8")

    def run(markdown: str, out: Path) -> list[str]:
        out.mkdir(parents=True, exist_ok=True)
        (out / "in.md").write_text(markdown, encoding="utf-8")
        result = subprocess.run(
            [str(MMDC), "-p", str(config), "-i", "in.md", "-o", "out.md", "-q"],
            cwd=out, capture_output=True, text=True, timeout=240, check=False,
        )  # fmt: skip
        assert (result.returncode, result.stderr) == (0, "")
        blocks = markdown.count("```mermaid\n")
        svgs = [out / f"out-{n}.svg" for n in range(1, blocks + 1)]
        assert [svg.is_file() for svg in svgs] == [True] * blocks
        return [svg.read_text(encoding="utf-8") for svg in svgs]

    return run


def fenced(*graphs: str) -> str:
    return "\n".join(f"```mermaid\n{graph}```\n" for graph in graphs)


def nodes(graph: str) -> int:
    return len(re.findall(r'^  n\d+\["', graph, re.M))


def drawn(svg: str) -> int:
    """Nodes in a drawn flowchart: Mermaid gives each one ``class="node default …"``."""
    return len(re.findall(r'class="node default[ "]', svg))


@dataclass(frozen=True)
class Examples:
    config: Path
    url: str  # the sandbox's


@pytest.fixture
def examples(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Examples]:
    """The examples against a sandbox served on loopback, as a user points the tool at it."""
    world = Sandbox.open(tmp_path / "sandbox", DEFAULT_SEED)
    server = world.serve("127.0.0.1", 0)
    config = tmp_path / "integrations"
    shutil.copytree(REPO / "examples" / "integrations", config)
    monkeypatch.chdir(tmp_path)
    for name, value in {
        "RECONCILER_ORO_URL": server.url,
        "RECONCILER_ORO_CLIENT_ID": "ci",
        "RECONCILER_DOTMAILER_API_URL": server.url,
        "RECONCILER_ORO_CLIENT_SECRET": "sandbox-oro-secret",
        "RECONCILER_STATE": f"sqlite:///{tmp_path / 'state.db'}",
        "DOTMAILER_EMEA_PASSWORD": EMEA[1],
        "DOTMAILER_AMER_PASSWORD": "sandbox-amer-pw",
        "DOTMAILER_APAC_PASSWORD": "sandbox-apac-pw",
        "DOTMAILER_APAC_OAUTH_SECRET": "apac-oauth-secret-1",
    }.items():
        monkeypatch.setenv(name, value)
    try:
        yield Examples(config, server.url)
    finally:
        server.stop()


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    return code, capsys.readouterr().out


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


CHANGED = """\
  n1["integration emea"]
  n2["data field LAST_ORDER_DATE (delete)"]
  n1 --> n2
  n3["data field LIFETIME_VALUE (replace, needs approval)"]
  n1 --> n3
  n4["address book Leads EMEA (update, drift)"]
  n1 -.-> n4
  n5["marketing list EMEA leads"]
  n4 --> n5
  n6["address book Newsletter EMEA (update)"]
  n1 --> n6
  n7["marketing list EMEA subscribers"]
  n6 --> n7
  class n4,n6 update
  class n2,n3 destroy
  class n4 drift
"""


@pytest.mark.slow
def test_the_end_to_end_plans_render(
    examples: Examples, draw: Draw, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = str(examples.config)
    code, first = cli(capsys, "plan", config, "--format", "mermaid")
    assert (code, nodes(first)) == (0, 30)
    assert cli(capsys, "apply", config, "--auto-approve")[0] == 0
    emea = examples.config / "emea.yaml"
    edit(emea, "{name: LIFETIME_VALUE, type: Numeric", "{name: LIFETIME_VALUE, type: String")
    edit(emea, "    - {name: LAST_ORDER_DATE", "    # - {name: LAST_ORDER_DATE")
    edit(
        emea,
        "{name: Newsletter EMEA, visibility: Private",
        "{name: Newsletter EMEA, visibility: Public",
    )
    # Drift made by hand in dotmailer: a book made public (PUT /v2/address-books/{id}).
    books = httpx.get(f"{examples.url}/v2/address-books", auth=EMEA).json()
    leads = next(b for b in books if b["name"] == "Leads EMEA")
    httpx.put(
        f"{examples.url}/v2/address-books/{leads['id']}",
        json={"name": "Leads EMEA", "visibility": "Public"},
        auth=EMEA,
    ).raise_for_status()
    code, changed = cli(capsys, "plan", config, "--format", "mermaid", "--out", "plan.json")
    assert (code, changed) == (3, HEADER + CHANGED)
    code, comment = cli(capsys, "ci", "comment", "--plan", "plan.json", "--run-url", RUN_URL)
    assert (code, nodes(comment)) == (0, 7)
    svgs = draw(fenced(first, changed) + comment, tmp_path / "drawn")
    assert [drawn(svg) for svg in svgs] == [30, 7, 7]


def test_a_large_capped_plan_renders(draw: Draw, tmp_path: Path) -> None:
    """12,000 creates and a prune delete: the graph is capped at 40 nodes and the "+N more"
    ones, alone and inside a comment capped to GitHub's size."""
    big = plan(
        *(create_field(f"FIELD_{n:02d}", f"team-{i:03d}") for i in range(300) for n in range(40)),
        delete_field("OLD_SCORE", integration="zz-last"),
    )
    graph = render_mermaid(big)
    comment = comment_body(big, secrets=(), run_url=RUN_URL, max_chars=60000).text
    assert (nodes(graph), len(comment) <= 60000, f"```mermaid\n{graph}```" in comment) == (
        42,
        True,
        True,
    )
    assert [drawn(svg) for svg in draw(fenced(graph) + comment, tmp_path / "drawn")] == [42, 42]
