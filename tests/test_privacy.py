"""codesift sends nothing anywhere: no telemetry files from onnxruntime, and a running
language server makes no network connection (checked with strace on the real process)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

import pytest

from .conftest import STDLIB
from .wire import frame, read_message


def test_a_search_with_models_leaves_no_telemetry_files(tmp_path):
    root = tmp_path / "ws"
    shutil.copytree(STDLIB / "json", root, ignore=shutil.ignore_patterns("__pycache__"))
    cache = tmp_path / "cache"
    env = {**os.environ, "XDG_CACHE_HOME": str(cache), "HOME": str(tmp_path)}
    env.pop("ORT_DISABLE_TELEMETRY", None)  # codesift itself must set it
    proc = subprocess.run([sys.executable, "-m", "codesift.cli", "search", "parse a document",
                           "--root", str(root), "--json", "-n", "3"], capture_output=True,
                          text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert [s["name"] for s in json.loads(proc.stdout)["stages"] if s["ran"]]  # models ran
    leftovers = [p for p in tmp_path.rglob("*") if "Microsoft" in p.parts
                 or p.name == "deviceid"]
    assert leftovers == []


@pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace")
def test_the_language_server_makes_no_network_connection(tmp_path):
    root = tmp_path / "ws"
    shutil.copytree(STDLIB / "json", root, ignore=shutil.ignore_patterns("__pycache__"))
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "HOME": str(tmp_path)}
    env.pop("ORT_DISABLE_TELEMETRY", None)
    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize",
         "params": {"processId": None, "rootUri": root.as_uri(), "capabilities": {},
                    "initializationOptions": {"rerank": {"interactive_budget_ms": 0}}}},
        {"jsonrpc": "2.0", "method": "initialized", "params": {}},
    ]
    trace = tmp_path / "trace.txt"
    server = subprocess.Popen(
        ["strace", "-f", "-qq", "-e", "trace=connect,sendto,sendmsg", "-o", str(trace),
         sys.executable, "-m", "codesift", "serve"], stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    try:
        assert server.stdin is not None and server.stdout is not None
        server.stdin.write(b"".join(frame(m) for m in messages))
        server.stdin.flush()
        ids = iter(range(2, 10_000))

        def request(method: str, params: dict) -> dict:
            ident = next(ids)
            server.stdin.write(frame({"jsonrpc": "2.0", "id": ident, "method": method,
                                       "params": params}))
            server.stdin.flush()
            while (message := read_message(server.stdout)).get("id") != ident:
                pass
            return message["result"]

        while not (roots := request("codesift/status", {})["roots"]) or roots[0]["indexing"]:
            time.sleep(0.1)
        answer = request("codesift/search", {"query": "decode a JSON document"})
        assert any(s["ran"] for s in answer["stages"]), answer["stages"]  # models loaded
        server.stdin.write(frame({"jsonrpc": "2.0", "id": 1_000_000, "method": "shutdown"})
                           + frame({"jsonrpc": "2.0", "method": "exit"}))
        server.stdin.flush()
        server.wait(timeout=60)
    finally:
        if server.poll() is None:
            server.kill()
    calls = [line for line in trace.read_text().splitlines()
             if "AF_INET" in line or "AF_INET6" in line]
    assert calls == [], calls
    assert not (tmp_path / "cache" / "Microsoft").exists()


@pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace")
def test_index_search_and_eval_make_no_network_call_nor_files_outside_the_cache(tmp_path):
    root = tmp_path / "ws"
    shutil.copytree(STDLIB / "json", root, ignore=shutil.ignore_patterns("__pycache__"))
    queries = tmp_path / "queries.jsonl"
    queries.write_text(json.dumps({"query": "decode a JSON document", "targets": [
        {"path": "decoder.py", "start_line": 1, "end_line": 400}]}) + "\n")
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "HOME": str(home),
           "TMPDIR": str(tmp_path / "tmp")}
    (tmp_path / "tmp").mkdir()
    env.pop("ORT_DISABLE_TELEMETRY", None)
    before = {p for p in tmp_path.rglob("*")}
    for args in (["index", str(root), "--embed"],
                 ["search", "parse a document", "--root", str(root)],
                 ["eval", "--queries", str(queries), "--root", str(root),
                  "--approaches", "lexical,cascade"]):
        trace = tmp_path / "trace.txt"
        proc = subprocess.run(["strace", "-f", "-qq", "-e", "trace=connect,sendto,sendmsg",
                               "-o", str(trace), sys.executable, "-m", "codesift", *args],
                              capture_output=True, text=True, env=env, timeout=600)
        assert proc.returncode == 0, (args, proc.stderr[-800:])
        calls = [line for line in trace.read_text().splitlines()
                 if "AF_INET" in line or "AF_INET6" in line]
        assert calls == [], (args, calls)
        trace.unlink()
    made = {p for p in tmp_path.rglob("*")} - before
    outside = [p for p in made if not p.is_relative_to(tmp_path / "cache")
               and not p.is_relative_to(tmp_path / "tmp")]
    assert outside == [], outside
