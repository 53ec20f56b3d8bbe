"""``reconciler ci post``: one sticky comment, created once and updated after, over real HTTP
against a fake GitHub API on 127.0.0.1."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from reconciler.ci import PostResult, post_sticky_comment
from reconciler.cli import main
from reconciler.errors import RemoteError, UsageError
from reconciler.providers.http import RetryPolicy
from reconciler.sandbox.core import Request, Response, SandboxServer

TOKEN = "ghs_fakeTokenThatMustNeverBePrinted"
REPO = "acme/crm"
MARKER = "<!-- reconciler-plan -->"


@dataclass
class FakeGitHub:
    """Issue comments of one repository; pages of ``page_size`` with ``Link: rel="next"``."""

    page_size: int = 2
    comments: list[dict[str, Any]] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)  # "METHOD /path?query"
    fail: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)  # method -> answer
    next_id: int = 1000
    prefixes: tuple[str, ...] = ("/repos/",)

    def handle(self, request: Request) -> Response:
        query = "&".join(f"{k}={v[-1]}" for k, v in sorted(request.query.items()))
        self.requests.append(f"{request.method} {request.path}" + (f"?{query}" if query else ""))
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return Response.json(401, {"message": "Bad credentials"})
        if request.method in self.fail:
            status, payload = self.fail.pop(request.method)
            return Response.json(status, payload)
        parts = request.path.strip("/").split("/")
        # /repos/acme/crm/issues/7/comments  and  /repos/acme/crm/issues/comments/ID
        if parts[:4] == ["repos", "acme", "crm", "issues"] and parts[-1] == "comments":
            if request.method == "GET":
                return self._page(request, int(parts[4]))
            if request.method == "POST":
                return self._create(request, int(parts[4]))
        if (
            parts[:5] == ["repos", "acme", "crm", "issues", "comments"]
            and request.method == "PATCH"
        ):
            return self._update(request, int(parts[5]))
        return Response.json(404, {"message": "Not Found"})

    def _page(self, request: Request, pr: int) -> Response:
        mine = [c for c in self.comments if c["pr"] == pr]
        page = int(request.query_one("page") or 1)
        chunk = mine[(page - 1) * self.page_size : page * self.page_size]
        response = Response.json(200, [{k: v for k, v in c.items() if k != "pr"} for c in chunk])
        if page * self.page_size < len(mine):
            url = f"{request.base_url}{request.path}?per_page=100&page={page + 1}"
            response.headers["Link"] = f'<{url}>; rel="next"'
        return response

    def _create(self, request: Request, pr: int) -> Response:
        self.next_id += 1
        url = f"https://github.com/acme/crm/pull/{pr}#issuecomment-{self.next_id}"
        comment = {"id": self.next_id, "pr": pr, "body": request.json()["body"], "html_url": url}
        self.comments.append(comment)
        return Response.json(201, {k: v for k, v in comment.items() if k != "pr"})

    def _update(self, request: Request, comment_id: int) -> Response:
        for comment in self.comments:
            if comment["id"] == comment_id:
                comment["body"] = request.json()["body"]
                return Response.json(200, {k: v for k, v in comment.items() if k != "pr"})
        return Response.json(404, {"message": "Not Found"})


@pytest.fixture
def github() -> Iterator[tuple[FakeGitHub, SandboxServer]]:
    app = FakeGitHub(
        comments=[
            {"id": 1, "pr": 7, "body": "LGTM", "html_url": "u1"},
            {"id": 2, "pr": 7, "body": "a question", "html_url": "u2"},
            {"id": 3, "pr": 8, "body": f"{MARKER}\nanother PR's plan", "html_url": "u3"},
            {"id": 4, "pr": 7, "body": "another reply", "html_url": "u4"},
        ]
    )
    with SandboxServer([app]) as server:
        yield app, server


def _post(server: SandboxServer, body: Path, *extra: str) -> int:
    return main(
        ["ci", "post", "--body", str(body), "--repo", REPO, "--pr", "7",
         "--api-url", server.url, *extra]
    )  # fmt: skip


def test_the_sticky_comment_is_created_once_then_updated(
    github: tuple[FakeGitHub, SandboxServer],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    app, server = github
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    body = tmp_path / "comment.md"
    body.write_text(f"{MARKER}\n\nfirst plan\n", encoding="utf-8")
    assert _post(server, body) == 0
    assert capsys.readouterr() == (
        "Created the plan comment on acme/crm#7: "
        "https://github.com/acme/crm/pull/7#issuecomment-1001\n",
        "",
    )
    body.write_text(f"{MARKER}\n\nsecond plan\n", encoding="utf-8")
    assert _post(server, body) == 0
    assert capsys.readouterr() == (
        "Updated the plan comment on acme/crm#7: "
        "https://github.com/acme/crm/pull/7#issuecomment-1001\n",
        "",
    )
    listing = "GET /repos/acme/crm/issues/7/comments"
    assert app.requests == [
        f"{listing}?per_page=100",
        f"{listing}?page=2&per_page=100",  # followed from the Link header
        "POST /repos/acme/crm/issues/7/comments",
        f"{listing}?per_page=100",
        f"{listing}?page=2&per_page=100",
        "PATCH /repos/acme/crm/issues/comments/1001",
    ]
    assert [(c["id"], c["pr"], c["body"]) for c in app.comments] == [
        (1, 7, "LGTM"),
        (2, 7, "a question"),
        (3, 8, f"{MARKER}\nanother PR's plan"),
        (4, 7, "another reply"),
        (1001, 7, f"{MARKER}\n\nsecond plan\n"),
    ]


def test_a_failed_post_exits_4_naming_the_url_and_status_but_not_the_token(
    github: tuple[FakeGitHub, SandboxServer],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    app, server = github
    app.fail["POST"] = (403, {"message": "Resource not accessible by integration"})
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    body = tmp_path / "comment.md"
    body.write_text(f"{MARKER}\n\nplan\n", encoding="utf-8")
    assert _post(server, body) == 4
    out, err = capsys.readouterr()
    assert (out, err) == (
        "",
        f"error: GitHub: access denied: POST {server.url}/repos/acme/crm/issues/7/comments: "
        "HTTP 403: Resource not accessible by integration\n",
    )
    assert TOKEN not in out + err


def test_a_refused_token_exits_4(
    github: tuple[FakeGitHub, SandboxServer],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, server = github
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_wrongToken")
    body = tmp_path / "comment.md"
    body.write_text(f"{MARKER}\n", encoding="utf-8")
    assert _post(server, body) == 4
    assert capsys.readouterr() == (
        "",
        f"error: GitHub: credentials refused: GET {server.url}/repos/acme/crm/issues/7/comments"
        "?per_page=100: HTTP 401: Bad credentials\n",
    )


def test_without_a_token_nothing_is_sent(
    github: tuple[FakeGitHub, SandboxServer],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    app, server = github
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    body = tmp_path / "comment.md"
    body.write_text(f"{MARKER}\n", encoding="utf-8")
    assert _post(server, body) == 64
    assert capsys.readouterr() == (
        "",
        "error: GITHUB_TOKEN is not set: the comment cannot be posted\n",
    )
    assert app.requests == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"repo": "acme"}, "--repo must be OWNER/NAME, got 'acme'"),
        ({"pr": 0}, "--pr must be a pull-request number, got 0"),
        (
            {"body": "no marker"},
            "the comment body lacks the marker <!-- reconciler-plan -->: it could never be updated",
        ),
    ],
)
def test_bad_arguments_are_refused_before_any_request(
    github: tuple[FakeGitHub, SandboxServer], kwargs: dict[str, Any], message: str
) -> None:
    app, server = github
    arguments: dict[str, Any] = {"body": MARKER, "repo": REPO, "pr": 7, **kwargs}
    body = arguments.pop("body")
    with pytest.raises(UsageError) as caught:
        post_sticky_comment(body, token=TOKEN, api_url=server.url, **arguments)
    assert str(caught.value) == message
    assert app.requests == []


def test_server_errors_are_retried_with_the_clients_policy(
    github: tuple[FakeGitHub, SandboxServer],
) -> None:
    app, server = github
    app.fail["PATCH"] = (502, {"message": "Bad Gateway"})
    app.comments.append({"id": 9, "pr": 7, "body": f"{MARKER} old", "html_url": "u9"})
    app.page_size = 10
    waits: list[float] = []
    result = post_sticky_comment(
        f"{MARKER} new",
        repo=REPO,
        pr=7,
        token=TOKEN,
        api_url=server.url,
        policy=RetryPolicy(jitter=0.0),
        sleep=waits.append,
    )
    assert result == PostResult("updated", 9, "u9")
    assert waits == [0.5]
    assert app.requests == [
        "GET /repos/acme/crm/issues/7/comments?per_page=100",
        "PATCH /repos/acme/crm/issues/comments/9",
        "PATCH /repos/acme/crm/issues/comments/9",
    ]


def test_an_unreachable_api_is_a_remote_error() -> None:
    with SandboxServer([FakeGitHub()]) as server:
        url = server.url
    # Nothing listens there any more.
    with pytest.raises(RemoteError) as caught:
        post_sticky_comment(
            MARKER,
            repo=REPO,
            pr=7,
            token=TOKEN,
            api_url=url,
            policy=RetryPolicy(max_attempts=2),
            sleep=lambda _: None,
        )
    # The sleeps are skipped, the clock is real: the time the two attempts took varies.
    host = url.removeprefix("http://")
    assert re.fullmatch(
        re.escape(f"GitHub: cannot connect to {host} (connection refused; 2 attempts over ")
        + r"\d+\.\d"
        + re.escape(f" s): GET {url}/repos/acme/crm/issues/7/comments?per_page=100"),
        str(caught.value),
    )


def test_each_key_has_its_own_sticky_comment(
    github: tuple[FakeGitHub, SandboxServer],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    app, server = github
    app.page_size = 10
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    bodies = {}
    for key in ("crm", "shop/integrations"):
        bodies[key] = tmp_path / f"{key.replace('/', '_')}.md"
        bodies[key].write_text(f"{MARKER}\n<!-- reconciler-plan: {key} -->\n\n{key} v1\n")
    unkeyed = tmp_path / "plain.md"
    unkeyed.write_text(f"{MARKER}\n\nplain v1\n")
    assert _post(server, bodies["crm"], "--key", "crm") == 0
    assert _post(server, bodies["shop/integrations"], "--key", "shop/integrations") == 0
    assert _post(server, unkeyed) == 0
    bodies["crm"].write_text(f"{MARKER}\n<!-- reconciler-plan: crm -->\n\ncrm v2\n")
    assert _post(server, bodies["crm"], "--key", "crm") == 0
    capsys.readouterr()
    assert [(c["id"], c["body"]) for c in app.comments if c["id"] > 1000] == [
        (1001, f"{MARKER}\n<!-- reconciler-plan: crm -->\n\ncrm v2\n"),
        (1002, f"{MARKER}\n<!-- reconciler-plan: shop/integrations -->\n\nshop/integrations v1\n"),
        (1003, f"{MARKER}\n\nplain v1\n"),
    ]
    assert [r.split(" ")[0] for r in app.requests].count("PATCH") == 1


def test_a_body_without_its_keys_marker_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as caught:
        post_sticky_comment(f"{MARKER}\n", repo=REPO, pr=7, token=TOKEN, key="crm")
    assert str(caught.value) == (
        "the comment body lacks the marker <!-- reconciler-plan: crm -->: it could never be updated"
    )
    with pytest.raises(UsageError) as caught:
        post_sticky_comment(f"{MARKER}\n", repo=REPO, pr=7, token=TOKEN, key="a--b")
    assert str(caught.value) == "--key must be letters, digits and . _ / - (no --), got 'a--b'"
