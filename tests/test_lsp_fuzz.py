"""Every request gets an answer, whatever its params (JSON-RPC 2.0): wrong types are
InvalidParams, a notification with an id and any request after shutdown are
InvalidRequest; malformed messages are logged, never shown to the user."""

from __future__ import annotations

import json
import os
import queue
import random
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from .conftest import STDLIB
from .wire import frame, read_message

METHODS = ("textDocument/hover", "workspace/symbol", "codesift/search", "codesift/status",
           "codesift/reindex", "textDocument/codeAction", "workspace/executeCommand",
           "textDocument/didOpen", "textDocument/didChange", "workspace/didChangeConfiguration")
JUNK: tuple[Any, ...] = (-1, 0, 3.5, "", "garbage", [], [1, 2], {}, {"query": False},
                         {"query": 7}, {"textDocument": 5}, {"textDocument": {"uri": 3}},
                         {"query": "x" * 5000, "limit": "ten"}, {"position": {"line": -1}},
                         {"command": 12, "arguments": "no"}, None)


def request(msg_id: int, method: str, params: Any = None, *, omit: bool = False
            ) -> dict[str, Any]:
    message: dict[str, Any] = {"jsonrpc": "2.0", "id": msg_id, "method": method}
    if not omit:
        message["params"] = params
    return message


class Server:
    def __init__(self, root: Path, tmp: Path):
        env = {**os.environ, "XDG_CACHE_HOME": str(tmp / "cache")}
        self.proc = subprocess.Popen([sys.executable, "-m", "codesift", "serve"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, env=env)
        self.notifications: list[dict[str, Any]] = []
        self.root = root
        self.inbox: queue.Queue[dict[str, Any]] = queue.Queue()
        threading.Thread(target=self._read_all, daemon=True).start()

    def _read_all(self) -> None:
        while True:
            try:
                self.inbox.put(read_message(self.proc.stdout))
            except (AssertionError, ValueError, OSError):
                return

    def send(self, *messages: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"".join(frame(m) for m in messages))
        self.proc.stdin.flush()

    def answers(self, ids: set[int], timeout: float = 60) -> dict[int, dict[str, Any]]:
        got: dict[int, dict[str, Any]] = {}
        deadline = time.monotonic() + timeout
        while not ids <= set(got):
            try:
                message = self.inbox.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                missing = sorted(ids - set(got))
                raise AssertionError(f"{len(missing)} requests never answered: "
                                     f"{missing[:20]}") from None
            if "method" in message:
                self.notifications.append(message)
                if "id" in message:  # a request from the server: accept it
                    self.send({"jsonrpc": "2.0", "id": message["id"], "result": None})
            else:
                got[message["id"]] = message
        return got


def test_every_fuzzed_request_is_answered(tmp_path: Path):
    root = tmp_path / "ws"
    root.mkdir()
    shutil.copy(STDLIB / "shlex.py", root / "shlex.py")
    server = Server(root, tmp_path)
    try:
        server.send(request(1, "initialize", {
            "processId": None, "rootUri": root.as_uri(), "capabilities": {},
            "initializationOptions": {"rerank": {"enabled": False}}}),
            {"jsonrpc": "2.0", "method": "initialized", "params": {}})
        assert "result" in server.answers({1})[1]
        fixed = {
            2: (request(2, "textDocument/hover", -1), -32602),
            3: (request(3, "codesift/status", omit=True), None),
            4: (request(4, "workspace/symbol", omit=True), -32602),
            5: (request(5, "workspace/symbol", {"query": False}), -32602),
            6: (request(6, "textDocument/didOpen", {"textDocument": {
                "uri": (root / "a.py").as_uri(), "languageId": "python", "version": 1,
                "text": "x = 1\n"}}), -32600),
            7: (request(7, "codesift/reindex", omit=True), None),
        }
        server.send(*(m for m, _ in fixed.values()))
        answers = server.answers(set(fixed))
        for msg_id, (_, code) in fixed.items():
            if code is None:
                assert "result" in answers[msg_id], answers[msg_id]
            else:
                assert answers[msg_id]["error"]["code"] == code, answers[msg_id]
        rng = random.Random(5)
        fuzzed = [request(100 + i, rng.choice(METHODS), rng.choice(JUNK), omit=rng.random() < .1)
                  for i in range(600)]
        server.send(*fuzzed)
        answers = server.answers({m["id"] for m in fuzzed})
        assert all(("result" in a) != ("error" in a) for a in answers.values())
        server.send(request(1000, "shutdown"), request(1001, "codesift/status", {}))
        answers = server.answers({1000, 1001})
        assert "result" in answers[1000]
        assert answers[1001]["error"]["code"] == -32600
        server.send({"jsonrpc": "2.0", "method": "exit"})
        assert server.proc.wait(timeout=30) is not None
    finally:
        server.proc.kill()
    shown = [n for n in server.notifications if n["method"] == "window/showMessage"
             and n["params"]["type"] == 1]
    assert shown == [], json.dumps(shown)[:1000]
