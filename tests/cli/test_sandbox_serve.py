"""``reconciler sandbox serve`` as a real subprocess on a free loopback port."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

EMEA = ("apiuser-emea@apiconnector.com", "sandbox-emea-pw")


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str, list[str]]]:
    process = subprocess.Popen(
        [sys.executable, "-c", "from reconciler.cli import run; run()", "sandbox", "serve",
         "--port", "0", "--data-dir", str(tmp_path / "world"),
         "--error-rate", "1", "--fault-path", "/v2/address-books"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert process.stdout is not None
    lines: list[str] = []
    for line in process.stdout:
        lines.append(line.rstrip("\n"))
        if line.startswith("Press Ctrl-C"):
            break
    url = lines[0].removeprefix("Sandbox serving on ")
    try:
        yield process, url, lines
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_serve_answers_account_info_and_stops_on_sigint(
    serve: tuple[subprocess.Popen[str], str, list[str]], tmp_path: Path
) -> None:
    process, url, lines = serve
    assert lines[1:5] == [
        f"  dotmailer v2  {url}/v2/  (regions r2, r3: {url}/r2/v2/, {url}/r3/v2/)",
        "    apiuser-amer@apiconnector.com  r2  flat",
        "    apiuser-apac@apiconnector.com  r3  tiered",
        "    apiuser-emea@apiconnector.com  r1  tiered",
    ]
    assert lines[-2] == f"  world         {tmp_path / 'world' / 'world.json'}"
    assert all("sandbox-emea-pw" not in line for line in lines)

    info = httpx.get(f"{url}/v2/account-info", auth=EMEA)
    assert info.status_code == 200
    body = info.json()
    assert sorted(body) == ["id", "properties"]
    properties = {p["name"]: p["value"] for p in body["properties"]}
    assert properties["ApiEndpoint"] == f"{url}/"
    assert all(isinstance(v, str) for v in properties.values())
    assert info.headers["x-ratelimit-limit"] == "35"
    # --error-rate 1 limited to --fault-path /v2/address-books
    assert httpx.get(f"{url}/v2/address-books", auth=EMEA).status_code == 503

    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=20) == 0
    assert process.stdout is not None and process.stdout.read() == "Sandbox stopped.\n"
    assert (tmp_path / "world" / "world.json").is_file()
