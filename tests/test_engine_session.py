"""Session wiring that the end-to-end tests cannot see from outside."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reconciler.session import SessionOptions, open_session

REPO = Path(__file__).resolve().parent.parent


def test_integrations_sharing_a_dotmailer_user_share_its_rate_limiter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "integrations"
    shutil.copytree(REPO / "examples" / "integrations", config)
    amer = config / "amer.yaml"
    amer.write_text(
        amer.read_text(encoding="utf-8").replace("apiuser-amer@", "apiuser-emea@"), "utf-8"
    )
    monkeypatch.chdir(tmp_path)
    with open_session(SessionOptions(config_path=config, sandbox=True)) as session:
        by_name = {i.name: i for i in session.desired.integrations}
        emea = session.dotmailer_for(by_name["emea"])
        shared = session.dotmailer_for(by_name["amer"])
        apac = session.dotmailer_for(by_name["apac"])
        assert emea is not shared
        assert emea.limiter is shared.limiter
        assert apac.limiter is not emea.limiter
