"""Hardening figures, against a real ``codesift serve`` over stdio (raw JSON-RPC):

1. 600 fuzzed requests: how many went unanswered, whether the server survived, how many
   error messages it showed the user;
2. ``codesift/status`` latency while a long search runs;
3. pathological queries under the interactive budget: time to answer;
4. a 60 s run of edits while another process holds the index lock for the first 40 s:
   how many edits were lost.

    .venv/bin/python -m bench.hardening [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import queue
import random
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import filelock

from codesift.index.location import LOCK_NAME, default_index_dir

STDLIB = Path(sysconfig.get_paths()["stdlib"])
METHODS = ("textDocument/hover", "workspace/symbol", "codesift/search", "codesift/status",
           "textDocument/codeAction", "workspace/executeCommand", "textDocument/didOpen")
JUNK: tuple[Any, ...] = (-1, "", "x", [], {}, {"query": False}, {"query": 7},
                         {"textDocument": 5}, {"query": "y" * 5000, "limit": "ten"}, None)


class Server:
    def __init__(self, root: Path, index: Path, options: dict[str, Any]):
        env = {**os.environ, "XDG_CACHE_HOME": str(index.parent / "cache")}
        self.proc = subprocess.Popen([sys.executable, "-m", "codesift", "serve"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, env=env)
        self.inbox: queue.Queue[dict[str, Any]] = queue.Queue()
        self.shown = 0
        self.ids = iter(range(1, 10**9))
        self.lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()
        self.call("initialize", {"processId": None, "rootUri": root.as_uri(),
                                 "capabilities": {"window": {"workDoneProgress": True}},
                                 "initializationOptions": {"index": {"index_dir": str(index)},
                                                           **options}})
        self.send({"jsonrpc": "2.0", "method": "initialized", "params": {}})

    def _read(self) -> None:
        stream = self.proc.stdout
        assert stream is not None
        while True:
            length = 0
            while (line := stream.readline().strip()):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            if not length:
                return
            message = json.loads(stream.read(length))
            if message.get("method") == "window/showMessage" and message["params"]["type"] == 1:
                self.shown += 1
            if "method" in message and "id" in message:
                self.send({"jsonrpc": "2.0", "id": message["id"], "result": None})
            elif "method" not in message:
                self.inbox.put(message)

    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps(message).encode()
        with self.lock:
            assert self.proc.stdin is not None
            self.proc.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
            self.proc.stdin.flush()

    def request(self, method: str, params: Any) -> int:
        ident = next(self.ids)
        self.send({"jsonrpc": "2.0", "id": ident, "method": method, "params": params})
        return ident

    def wait(self, ids: set[int], timeout: float) -> dict[int, dict[str, Any]]:
        got: dict[int, dict[str, Any]] = {}
        deadline = time.monotonic() + timeout
        while not ids <= set(got) and time.monotonic() < deadline:
            try:
                message = self.inbox.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            got[message["id"]] = message
        return got

    def call(self, method: str, params: Any, timeout: float = 120) -> dict[str, Any]:
        ident = self.request(method, params)
        return self.wait({ident}, timeout).get(ident, {})

    def ready(self) -> None:
        while True:
            roots = self.call("codesift/status", {}).get("result", {}).get("roots", [])
            if roots and not roots[0]["indexing"] and roots[0]["last_update"]:
                return
            time.sleep(0.2)

    def found(self, name: str) -> bool:
        results = self.call("codesift/search", {"query": name, "limit": 3})["result"]
        return any(r["symbol"] == name for r in results["results"])

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=30)


def workspace(tmp: Path, packages: tuple[str, ...]) -> Path:
    root = tmp / "ws"
    for name in packages:
        shutil.copytree(STDLIB / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def fuzz(tmp: Path) -> dict[str, Any]:
    server = Server(workspace(tmp / "fuzz", ("json",)), tmp / "fuzz-index",
                    {"rerank": {"enabled": False}})
    try:
        server.ready()
        rng = random.Random(11)
        ids = set()
        for _ in range(600):
            ident = server.request(rng.choice(METHODS), rng.choice(JUNK))
            ids.add(ident)
        got = server.wait(ids, 120)
        return {"sent": 600, "unanswered": len(ids - set(got)),
                "alive": server.proc.poll() is None, "messages_shown": server.shown}
    finally:
        server.stop()


def status_during_search(tmp: Path) -> dict[str, Any]:
    root = workspace(tmp / "status", ("json", "email", "http", "logging"))
    server = Server(root, tmp / "status-index", {"rerank": {"interactive_budget_ms": 0,
                                                            "background_embed": False}})
    try:
        server.ready()
        latencies: list[float] = []
        for query in ("how are cookies parsed from response headers",
                      "where is the charset of a message body decoded",
                      "rotate log files when they grow too large"):
            search = server.request("codesift/search", {"query": query})
            time.sleep(0.2)
            for _ in range(3):
                started = time.monotonic()
                server.call("codesift/status", {})
                latencies.append((time.monotonic() - started) * 1000)
            server.wait({search}, 120)
        return {"status_ms_max": round(max(latencies), 1),
                "status_ms_p50": round(sorted(latencies)[len(latencies) // 2], 1),
                "polls": len(latencies)}
    finally:
        server.stop()


def pathological(tmp: Path) -> dict[str, Any]:
    root = workspace(tmp / "patho", ("json", "email", "http", "logging"))
    server = Server(root, tmp / "patho-index", {"rerank": {"interactive_budget_ms": 200}})
    try:
        server.ready()
        cases = {"100k chars, no space": "x" * 100_000,
                 "20k words": " ".join(f"word{i}" for i in range(20_000)),
                 "1,000-char alternation regex": "|".join(
                     f"[a-z]{{{i % 9 + 1}}}q{i}" for i in range(120))[:1000],
                 "nested repetition regex": "(a+)+(b*)*(c?)+d" * 20}
        out = {}
        for name, query in cases.items():
            started = time.monotonic()
            answer = server.call("codesift/search", {"query": query,
                                                     "regex": "regex" in name})
            out[name] = {"ms": round((time.monotonic() - started) * 1000, 1),
                         "answered": "result" in answer or "error" in answer}
        return out
    finally:
        server.stop()


def lost_updates(tmp: Path, total_s: float = 60.0, held_s: float = 40.0) -> dict[str, Any]:
    root = workspace(tmp / "lock", ("json",))
    index = tmp / "lock-index"
    server = Server(root, index, {"rerank": {"enabled": False}})
    try:
        server.ready()
        lock = filelock.FileLock(str(index / default_index_dir(root).name / LOCK_NAME))
        lock.acquire()
        names: list[str] = []
        started, released = time.monotonic(), False
        while time.monotonic() - started < total_s:
            if not released and time.monotonic() - started >= held_s:
                lock.release()
                released = True
            name = f"edited_under_lock_{len(names)}"
            (root / f"{name}.py").write_text(f"def {name}():\n    return {len(names)}\n")
            names.append(name)
            time.sleep(1.0)
        if not released:
            lock.release()
        deadline = time.monotonic() + 90
        missing = list(names)
        while missing and time.monotonic() < deadline:
            missing = [n for n in missing if not server.found(n)]
            time.sleep(1)
        return {"edits": len(names), "lost": len(missing), "lock_held_s": held_s,
                "run_s": total_s}
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="codesift-hardening-"))
    out = {"fuzz": fuzz(tmp), "status_during_search": status_during_search(tmp),
           "pathological_queries": pathological(tmp), "lost_updates": lost_updates(tmp)}
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores")
    print(json.dumps(out, indent=1))
    if args.json:
        args.json.write_text(json.dumps(out, indent=1) + "\n")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
