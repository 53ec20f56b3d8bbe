"""The terminal display's content (issue 13 item 1), rendered by rich into captured stderr:
the waits it is told are named lines, a task's bar counts done, failed, and ends at its total.
That it moves on a real terminal is tests/e2e/test_progress_terminal.py (tmux)."""

from __future__ import annotations

import re

import pytest

from reconciler.cli.display import TerminalDisplay
from reconciler.progress import APPLY, SYNC, observing

SGR = re.compile(r"\x1b\[[0-9;]*m")


def test_waits_and_counts_are_shown(capsys: pytest.CaptureFixture[str]) -> None:
    display = TerminalDisplay(color=False)
    with observing(display):
        display.begin(APPLY, 3)
        display.waiting(12.4, "for apiuser-emea@…'s rate limit")
        display.advance(APPLY)
        display.waiting(0.5, "to retry GET oro.example.com:443 (HTTP 503; attempt 2 of 6)")
        display.advance(APPLY, failed=True)
        display.advance(APPLY)
        display.end(APPLY)
    err = capsys.readouterr().err
    lines = [line.rstrip() for line in err.splitlines()]
    assert lines[0] == "waiting 12 s for apiuser-emea@…'s rate limit"
    assert lines[1] == "waiting 0.5 s to retry GET oro.example.com:443 (HTTP 503; attempt 2 of 6)"
    assert re.fullmatch(
        r"Applying \(ops\) ━+ 3/3 1 failed [\d.,]+/s \d:\d\d:\d\d ETA \d:\d\d:\d\d", lines[-1]
    ), lines[-1]
    assert SGR.findall(err) == []


def test_a_status_is_a_line_of_its_own(capsys: pytest.CaptureFixture[str]) -> None:
    display = TerminalDisplay(color=False)
    display.status(SYNC, "job 12: running (40%)")
    display.end(SYNC)
    display.close()
    assert "sync: job 12: running (40%)" in capsys.readouterr().err


def test_markup_in_a_wait_is_shown_as_written(capsys: pytest.CaptureFixture[str]) -> None:
    display = TerminalDisplay(color=True)
    display.waiting(3.0, "for [bold]x[/bold]'s rate limit")
    display.close()
    assert "waiting 3 s for [bold]x[/bold]'s rate limit" in capsys.readouterr().err
