"""docs/import.md's first example, run as a reader runs it, its outputs as the page shows them."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest

from reconciler.cli import main

REPO = Path(__file__).resolve().parents[2]
PAGE = REPO / "docs" / "import.md"


def blocks(kind: str) -> list[str]:
    return re.findall(rf"```{kind}\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.S)


def test_the_pages_example_runs_as_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(REPO / "examples" / "integrations", tmp_path / "examples" / "integrations")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RECONCILER_STATE", raising=False)
    commands = blocks("sh")[0].splitlines()
    assert commands[0].startswith("reconciler apply --sandbox examples/integrations")
    shown = blocks("text")
    outputs: list[tuple[int, str]] = []
    for line in commands:
        words = shlex.split(line)
        if words[0] == "export":
            name, _, value = words[1].partition("=")
            monkeypatch.setenv(name, value)
            continue
        assert words[0] == "reconciler", line
        code = main(words[1:])
        captured = capsys.readouterr()
        assert captured.err == "", line
        outputs.append((code, captured.out))
    codes = [code for code, _ in outputs]
    assert codes == [0, 0, 0, 0, 0, 0]
    assert outputs[1][1] == shown[0]  # import
    assert (
        outputs[2][1]
        == "estate: 2 owners, 3 integrations, 3 mappings: valid (0 errors, 0 warnings)\n"
    )
    assert outputs[3][1] == shown[1]  # the plan: adopts only
    assert outputs[5][1] == "No changes. Live systems match the configuration.\n"

    written = {p: p.read_bytes() for p in sorted((tmp_path / "estate").rglob("*")) if p.is_file()}
    assert main(["import", "--sandbox", "--out", "estate"]) == 0
    assert capsys.readouterr().out.endswith(
        "The next plan shows no changes.\nNext: reconciler plan estate --sandbox\n"
    )
    assert {
        p: p.read_bytes() for p in sorted((tmp_path / "estate").rglob("*")) if p.is_file()
    } == written
