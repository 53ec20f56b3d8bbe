"""A small Language Server Protocol client: JSON-RPC 2.0 over the server's stdin/stdout.

Framing and messages follow the LSP 3.17 base protocol (``Content-Length`` headers, then the
JSON body). The client answers the server's own requests the way an editor does:
``workspace/configuration`` with the settings it was given, everything else with ``null``.
"""

from __future__ import annotations

import json
import queue
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

Message = dict[str, Any]


class LanguageServer:
    """One server process for one workspace folder."""

    def __init__(self, command: list[str], root: Path, settings: dict[str, Any]) -> None:
        self._settings = settings
        self._process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        self._incoming: queue.Queue[Message | None] = queue.Queue()
        self._next_id = 0
        self._answers: dict[int, Message] = {}
        self._published: dict[str, list[dict[str, Any]]] = {}
        threading.Thread(target=self._read, daemon=True).start()
        self.request(
            "initialize",
            {
                "processId": None,
                "rootUri": root.as_uri(),
                "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}],
                "capabilities": {
                    "workspace": {"configuration": True},
                    "textDocument": {"publishDiagnostics": {"relatedInformation": True}},
                },
            },
        )
        self.notify("initialized", {})
        # The server pulls its settings after `initialized`; a code lens request waits for that
        # pull to be applied (yaml-language-server: languageHandlers.codeLensHandler awaits
        # configurationPullPromise), so documents opened afterwards see the settings.
        self.request("textDocument/codeLens", {"textDocument": {"uri": (root / "-").as_uri()}})

    def diagnostics(self, files: list[Path], timeout: float = 30) -> dict[Path, list[Any]]:
        """Open ``files`` and return the diagnostics the server publishes for each."""
        for file in files:
            self.notify(
                "textDocument/didOpen",
                {
                    "textDocument": {
                        "uri": file.as_uri(),
                        "languageId": "yaml",
                        "version": 1,
                        "text": file.read_text(encoding="utf-8"),
                    }
                },
            )
        deadline = time.monotonic() + timeout
        while any(file.as_uri() not in self._published for file in files):
            self._handle_one(deadline)
        return {file: self._published.pop(file.as_uri()) for file in files}

    def request(self, method: str, params: dict[str, Any], timeout: float = 30) -> Any:
        self._next_id += 1
        ident = self._next_id
        self._send({"jsonrpc": "2.0", "id": ident, "method": method, "params": params})
        deadline = time.monotonic() + timeout
        while ident not in self._answers:
            self._handle_one(deadline)
        answer = self._answers.pop(ident)
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        return answer.get("result")

    def notify(self, method: str, params: dict[str, Any]) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def close(self) -> None:
        try:
            self.request("shutdown", {}, timeout=10)
            self.notify("exit", {})
            self._process.wait(timeout=10)
        finally:
            if self._process.poll() is None:
                self._process.kill()
                self._process.wait()

    def _send(self, message: Message) -> None:
        body = json.dumps(message).encode("utf-8")
        assert self._process.stdin is not None
        self._process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self._process.stdin.flush()

    def _read(self) -> None:
        stream = self._process.stdout
        assert stream is not None
        while True:
            length = None
            while (line := stream.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("ascii").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            if line == b"" or length is None:
                self._incoming.put(None)  # the server closed its output
                return
            self._incoming.put(json.loads(stream.read(length)))

    def _handle_one(self, deadline: float) -> None:
        try:
            message = self._incoming.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise TimeoutError("the language server did not answer in time") from None
        if message is None:
            raise ConnectionError(f"the language server exited ({self._process.wait()})")
        if "method" in message and "id" in message:  # a request from the server
            self._send({"jsonrpc": "2.0", "id": message["id"], "result": self._answer(message)})
        elif "id" in message:
            self._answers[message["id"]] = message
        elif message["method"] == "textDocument/publishDiagnostics":
            params = message["params"]
            self._published[params["uri"]] = params["diagnostics"]

    def _answer(self, request: Message) -> Any:
        if request["method"] == "workspace/configuration":
            return [self._settings.get(item.get("section")) for item in request["params"]["items"]]
        return None
