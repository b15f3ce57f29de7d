"""``serve --tcp`` has no authentication: it listens on loopback only and opens only
folders inside --allow-root."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from .conftest import STDLIB
from .wire import connect, frame, free_port, read_message

CLI = [sys.executable, "-m", "codesift"]


def session(port: int, root: Path, index: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """initialize with ``root``, then status; (status, notifications)."""
    conn = connect(port)
    stream = conn.makefile("rwb")
    stream.write(frame({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "processId": None, "rootUri": root.as_uri(), "capabilities": {},
        "initializationOptions": {"index": {"index_dir": str(index)},
                                  "rerank": {"enabled": False}}}}))
    stream.write(frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}))
    stream.flush()
    notes: list[dict[str, Any]] = []
    for msg_id in range(2, 40):  # roots open on the index thread: ask until they show
        stream.write(frame({"jsonrpc": "2.0", "id": msg_id, "method": "codesift/status",
                             "params": {}}))
        stream.flush()
        while (message := read_message(stream)).get("id") != msg_id or "method" in message:
            if "method" in message:
                notes.append(message)
        status = message["result"]
        if status["roots"] or msg_id > 10:
            break
        time.sleep(0.2)
    conn.close()
    return status, notes


def test_tcp_refuses_folders_outside_allow_root_and_non_loopback_hosts(tmp_path: Path):
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    shutil.copy(STDLIB / "shlex.py", allowed / "shlex.py")
    secret = tmp_path / "private"
    secret.mkdir()
    (secret / "keys.py").write_text("API_KEY = 'x'\n")
    refused = subprocess.run([*CLI, "serve", "--tcp", "0.0.0.0:2087"], capture_output=True,
                             text=True, timeout=60)
    assert refused.returncode == 2 and "not a loopback address" in refused.stderr
    port = free_port()
    server = subprocess.Popen([*CLI, "serve", "--tcp", f"127.0.0.1:{port}", "--allow-root",
                               str(allowed)], stderr=subprocess.DEVNULL)
    try:
        status, notes = session(port, secret, tmp_path / "index")
        assert status["roots"] == []
        shown = json.dumps([n for n in notes if n["method"] == "window/showMessage"])
        assert "outside --allow-root" in shown
    finally:
        server.kill()
        server.wait(timeout=30)
    port = free_port()
    server = subprocess.Popen([*CLI, "serve", "--tcp", f":{port}", "--allow-root",
                               str(allowed)], stderr=subprocess.DEVNULL)
    try:
        status, _ = session(port, allowed, tmp_path / "index")
        assert [r["uri"] for r in status["roots"]] == [allowed.as_uri()]
    finally:
        server.kill()
        server.wait(timeout=30)
