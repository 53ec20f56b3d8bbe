"""Start-up: the short commands load none of the heavy libraries (issue 14).

Each command runs in a fresh interpreter, as the console script runs it, which then reports the
modules it loaded. httpx (the providers), jsonschema (needed only when a document fails the fast
check), psycopg (a PostgreSQL state) and the sandbox emulators are imported by the commands
that use them; benchmarks/startup.py measures what the rest costs.
"""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("httpx", "jsonschema", "psycopg", "rich", "reconciler.sandbox")

_RUN = """
import json, sys
from reconciler.cli import main
heavy = sys.argv.pop(1).split(",")
code = main(sys.argv[1:])
loaded = sorted({name for name in heavy for module in sys.modules
                 if module == name or module.startswith(name + ".")})
print(json.dumps({"code": code, "loaded": loaded}), file=sys.stderr)
"""


def run(*argv: str, cwd: Path = REPO) -> tuple[int, str, list[str]]:
    """Exit code, stdout and the heavy modules loaded by one command in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", _RUN, ",".join(HEAVY), *argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(done.stderr.splitlines()[-1])
    return report["code"], done.stdout, report["loaded"]


def test_help_loads_no_heavy_library() -> None:
    code, out, loaded = run("--help")
    assert (code, loaded) == (0, [])
    assert out.startswith("Usage: reconciler [OPTIONS] COMMAND [ARGS]...\n")
    assert "  validate  Validate the config in PATH" in out


def test_version_loads_no_heavy_library() -> None:
    assert run("version") == (0, "reconciler 0.1.0\n", [])


def test_validating_the_examples_loads_no_heavy_library() -> None:
    assert run("validate", "examples/integrations") == (
        0,
        "examples/integrations: 2 owners, 3 integrations, 3 mappings: "
        "valid (0 errors, 0 warnings)\n",
        [],
    )


@pytest.mark.parametrize(
    "argv", [("plan", "--help"), ("state", "list", "--help"), ("import", "--help")]
)
def test_a_command_s_help_loads_no_heavy_library(argv: tuple[str, ...]) -> None:
    code, out, loaded = run(*argv)
    assert (code, loaded) == (0, [])
    assert out.startswith(f"Usage: reconciler {' '.join(argv[:-1])} [OPTIONS]")


def test_a_document_failing_the_fast_check_is_reported_through_jsonschema(
    tmp_path: Path,
) -> None:
    (tmp_path / "owner.yaml").write_text(
        "apiVersion: reconciler/v1\nkind: Owner\nmetadata: {name: ops}\n"
        "spec: {username: ops, organization: ACME, colour: blue}\n",
        encoding="utf-8",
    )
    assert run("validate", ".", cwd=tmp_path) == (
        3,
        'owner.yaml:4:43: error: spec.colour: unknown field "colour"\n'
        ".: 1 owner, 0 integrations, 0 mappings: invalid (1 error, 0 warnings)\n",
        ["jsonschema"],
    )


def test_the_entry_points_tune_the_collector_for_the_command() -> None:
    """``python -m reconciler`` and the console script (the same ``run``) set the collector for
    one command's life before running it; ``main``, which tests call in-process, does not."""
    code = (
        "import atexit, gc, runpy, sys\n"
        "atexit.register(lambda: print(gc.get_threshold(), gc.get_freeze_count() > 0))\n"
        "sys.argv = ['reconciler', 'version']\n"
        "runpy.run_module('reconciler', run_name='__main__')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert (done.returncode, done.stdout) == (0, "reconciler 0.1.0\n(100000, 50, 50) True\n")
    [script] = entry_points(group="console_scripts", name="reconciler")
    assert script.value == "reconciler.cli:run"
