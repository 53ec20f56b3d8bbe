from __future__ import annotations

from pathlib import Path

from reconciler.config import Diagnostic


def test_github_annotations_escape_as_actions_core_does() -> None:
    # actions/toolkit packages/core/src/command.ts: escapeProperty for file, escapeData for the
    # message ("%" first, then CR and LF; properties also ":" and ",").
    diagnostic = Diagnostic("dir,1/a:b%.yaml", 3, 5, "error", "spec.x", "50% of\r\nit, ok: 1", "r")
    assert diagnostic.github_annotation() == (
        "::error file=dir%2C1/a%3Ab%25.yaml,line=3,col=5::spec.x: 50%25 of%0D%0Ait, ok: 1"
    )


def test_github_annotations_name_files_relative_to_the_workspace(tmp_path: Path) -> None:
    inside = Diagnostic(str(tmp_path / "cfg" / "a.yaml"), 1, 2, "warning", "p", "m", "r")
    outside = Diagnostic("/elsewhere/a.yaml", 1, 2, "warning", "p", "m", "r")
    assert inside.github_annotation(str(tmp_path)) == "::warning file=cfg/a.yaml,line=1,col=2::p: m"
    assert outside.github_annotation(str(tmp_path)) == (
        "::warning file=/elsewhere/a.yaml,line=1,col=2::p: m"
    )
