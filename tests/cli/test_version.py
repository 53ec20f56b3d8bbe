from __future__ import annotations

import pytest

from reconciler import __version__
from reconciler.cli import main


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["version"]) == 0
    assert capsys.readouterr().out == f"reconciler {__version__}\n"


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["no-such-command"]) == 64
    assert "No such command 'no-such-command'" in capsys.readouterr().err
