"""The light transport and the shared dotmailer client, over real loopback HTTP (and TLS)."""

from __future__ import annotations

import base64
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.clients import DotmailerClients
from reconciler.execute import IntegrationSecrets
from reconciler.providers.transport import (
    LightTransport,
    environment_names_a_proxy,
    shared_client,
)
from reconciler.sandbox.core import Request, Response, SandboxServer
from reconciler.sandbox.dotmailer import DotmailerApp

ALPHA = ("apiuser-alpha@apiconnector.com", "sandbox-alpha-pw")
BETA = ("apiuser-beta@apiconnector.com", "sandbox-beta-pw")


@dataclass
class Seen:
    method: str
    path: str
    peer: tuple[str, int]  # the client's address: one per TCP connection
    headers: dict[str, str]


@dataclass
class Recorder:
    """A loopback HTTP/1.1 server; ``answer`` decides per request (status, headers, body)."""

    answer: Callable[[BaseHTTPRequestHandler], tuple[int, dict[str, str], bytes]]
    seen: list[Seen] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> Recorder:
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                recorder.seen.append(
                    Seen(self.command, self.path, self.client_address, dict(self.headers.items()))
                )
                status, headers, body = recorder.answer(self)
                if status == 0:  # drop the connection without an answer
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _serve

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def ok(_: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
    return 200, {"Content-Type": "application/json"}, b'{"ok":true}'


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    started = Recorder(ok).start()
    yield started
    started.stop()


def test_keep_alive_one_connection_for_requests_in_turn(recorder: Recorder) -> None:
    with httpx.Client(transport=LightTransport()) as client:
        answers = [client.get(f"{recorder.url}/n/{i}").json() for i in range(3)]
        posted = client.post(f"{recorder.url}/p", json={"a": 1})
    assert answers == [{"ok": True}] * 3
    assert posted.status_code == 200
    assert [(s.method, s.path) for s in recorder.seen] == [
        ("GET", "/n/0"), ("GET", "/n/1"), ("GET", "/n/2"), ("POST", "/p"),
    ]  # fmt: skip
    assert len({s.peer for s in recorder.seen}) == 1
    assert recorder.seen[3].headers["Content-Type"] == "application/json"
    assert recorder.seen[3].headers["Content-Length"] == "7"


def test_a_connection_the_server_closed_while_idle_is_not_reused_for_a_write() -> None:
    """The server closes after each answer without saying so: the next request, even a POST,
    goes on a fresh connection instead of failing as "closed without an answer"."""

    def close_silently(handler: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
        handler.close_connection = True
        return ok(handler)

    server = Recorder(close_silently).start()
    try:
        with httpx.Client(transport=LightTransport()) as client:
            client.get(f"{server.url}/first")
            time.sleep(0.2)  # let the server's FIN arrive (not a timing assertion)
            answer = client.post(f"{server.url}/second", content=b"x")
        assert answer.status_code == 200
        assert len({s.peer for s in server.seen}) == 2
    finally:
        server.stop()


def test_failures_map_to_the_httpx_errors_the_retry_policy_reads() -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there
    with httpx.Client(transport=LightTransport()) as client:
        with pytest.raises(httpx.ConnectError):
            client.get(f"http://127.0.0.1:{port}/")
        dropper = Recorder(lambda handler: (0, {}, b"")).start()
        try:
            with pytest.raises(httpx.RemoteProtocolError):
                client.post(f"{dropper.url}/create", content=b"{}")
        finally:
            dropper.stop()

    def slow(handler: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
        time.sleep(1.0)
        return ok(handler)

    sleeper = Recorder(slow).start()
    try:
        with (
            httpx.Client(transport=LightTransport(), timeout=0.2) as client,
            pytest.raises(httpx.ReadTimeout),
        ):
            client.get(f"{sleeper.url}/slow")
    finally:
        sleeper.stop()


def test_two_accounts_on_one_shared_pool_each_send_their_own_credentials() -> None:
    """DotmailerClients: one connection pool for every account, credentials per request; each
    account reads its own data fields (the emulator answers by the Basic credentials,
    dotdigital-api-v2.md §1) and every request carries its own account's Authorization."""
    app = DotmailerApp(
        {
            "accounts": [
                {"username": user, "password": pw, "rateLimit": {"mode": "off"},
                 "dataFields": [{"name": name, "type": "String"}]}
                for (user, pw), name in ((ALPHA, "ALPHA_ONLY"), (BETA, "BETA_ONLY"))
            ]
        }
    )  # fmt: skip
    seen: list[tuple[str, str]] = []
    server = SandboxServer([app]).start()
    server.before_app = lambda request: seen.append((request.path, _user(request)))
    secrets = {
        "a": IntegrationSecrets(ALPHA[1], None, {}),
        "b": IntegrationSecrets(BETA[1], None, {}),
    }
    clients = DotmailerClients(secrets, api_url=server.url, timeout=10.0)
    try:
        alpha, beta = clients.account("a", ALPHA[0]), clients.account("b", BETA[0])

        def names(which: int) -> set[str]:
            client = (alpha, beta)[which % 2]
            return {f.name for f in client.list_data_fields()} & {"ALPHA_ONLY", "BETA_ONLY"}

        with ThreadPoolExecutor(max_workers=8) as pool:
            read = list(pool.map(names, range(40)))
    finally:
        clients.close()
        server.stop()
    assert read == [{"ALPHA_ONLY"}, {"BETA_ONLY"}] * 20
    users = [user for path, user in seen if path.endswith("/data-fields")]
    assert sorted(users) == sorted([ALPHA[0]] * 20 + [BETA[0]] * 20)
    assert {user for _, user in seen} == {ALPHA[0], BETA[0]}


def _user(request: Request) -> str:
    scheme, _, token = (request.headers.get("Authorization") or "").partition(" ")
    assert scheme == "Basic"
    return base64.b64decode(token).decode().partition(":")[0]


def test_a_cookie_set_for_one_account_is_never_sent_for_another(recorder: Recorder) -> None:
    def set_cookie(handler: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
        status, headers, body = ok(handler)
        return status, {**headers, "Set-Cookie": "session=alpha-only; Path=/"}, body

    recorder.answer = set_cookie
    with shared_client(timeout=5.0) as client:
        client.get(f"{recorder.url}/v2/account-info", auth=ALPHA)
        client.get(f"{recorder.url}/v2/account-info", auth=BETA)
    assert [s.headers.get("Cookie") for s in recorder.seen] == [None, None]
    assert [s.headers["Authorization"] for s in recorder.seen] == [
        "Basic " + base64.b64encode(f"{user}:{pw}".encode()).decode() for user, pw in (ALPHA, BETA)
    ]


def test_a_proxy_named_by_the_environment_is_still_used(
    recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """httpx honours HTTP(S)_PROXY; the light transport does not speak to proxies, so with one
    in the environment the client keeps httpx's own transport (and the proxy sees the call)."""
    monkeypatch.setenv("HTTP_PROXY", recorder.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    with shared_client(timeout=5.0) as client:
        answer = client.get("http://dotmailer.invalid/v2/account-info", auth=ALPHA)
    assert answer.json() == {"ok": True}
    assert [(s.method, s.path) for s in recorder.seen] == [
        ("GET", "http://dotmailer.invalid/v2/account-info")
    ]


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An HTTPS server on loopback with a self-signed certificate no CA vouches for."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command (apt-get install openssl)")
    folder: Path = tmp_path_factory.mktemp("tls")
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    recorder = Recorder(ok).start()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    recorder.server.socket = context.wrap_socket(recorder.server.socket, server_side=True)
    yield recorder.url.replace("http://", "https://")
    recorder.stop()


def test_tls_is_verified_an_unknown_certificate_is_refused(tls_server: str) -> None:
    with shared_client(timeout=5.0) as client, pytest.raises(httpx.ConnectError) as info:
        client.get(f"{tls_server}/v2/account-info", auth=ALPHA)
    assert "CERTIFICATE_VERIFY_FAILED" in str(info.value)


def test_the_sandbox_answer_shape_passes_through_unchanged() -> None:
    """Status, headers and body of an emulator answer reach the caller as httpx would give them."""

    class Teapot:
        prefixes = ("/",)

        def handle(self, request: Request) -> Response:
            return Response(418, b"short and stout", {"X-Kind": "teapot"})

    server = SandboxServer([Teapot()]).start()
    try:
        with shared_client(timeout=5.0) as client:
            answer = client.get(f"{server.url}/brew")
    finally:
        server.stop()
    assert (answer.status_code, answer.text, answer.headers["x-kind"]) == (
        418,
        "short and stout",
        "teapot",
    )
    assert answer.http_version == "HTTP/1.1"


@pytest.mark.parametrize(
    ("variables", "named"),
    [
        ({}, False),
        ({"NO_PROXY": "example.com"}, False),  # hosts to reach directly, not a proxy
        ({"HTTPS_PROXY": "http://proxy.invalid:3128"}, True),
        ({"all_proxy": "socks5://proxy.invalid:1080", "no_proxy": "localhost"}, True),
    ],
)
def test_which_environments_name_a_proxy(
    variables: dict[str, str], named: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a proxy named, shared_client keeps httpx's transport; otherwise the light one."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    assert environment_names_a_proxy() is named
