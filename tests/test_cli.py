"""The ``codesift`` command: JSON contract, exit codes, index location."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import copy_packages


def run(*args: str, cache: Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache), "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "codesift.cli", *args], capture_output=True,
                          text=True, env=env, cwd=cwd, timeout=120)


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    return copy_packages(tmp_path_factory.mktemp("cli") / "ws", ("json", "html"))


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cache")


def test_search_json_contract(root, cache):
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    proc = run("search", "JSONDecoder.raw_decode", "--root", str(root), "--json", "-n", "3",
               cache=cache)
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)  # exactly one JSON object on stdout
    assert set(payload) == {"query", "route", "stage", "results", "stages", "timings_ms",
                            "confidence", "confidence_note", "search_id"}
    assert payload["stage"] == "final"
    # an exact definition of the named identifier leads: sure, and nothing to suggest
    assert payload["confidence"] >= 0.9 and payload["confidence_note"] is None
    assert [s["name"] for s in payload["stages"]] == ["light", "heavy"]
    assert payload["query"] == "JSONDecoder.raw_decode" and payload["route"] == "symbol"
    assert 1 <= len(payload["results"]) <= 3
    for hit in payload["results"]:
        assert set(hit) == {"path", "start_line", "end_line", "score", "symbol", "kind",
                            "language", "snippet", "scores", "why"}
        assert set(hit["why"]) == {"summary", "terms", "matched", "found_by", "stages",
                                   "decided_by"}
        assert "\\" not in hit["path"] and not hit["path"].startswith("/")
        assert 1 <= hit["start_line"] <= hit["end_line"]
        assert isinstance(hit["score"], float) and isinstance(hit["snippet"], str)
    top = payload["results"][0]
    assert (top["path"], top["symbol"], top["kind"]) == (
        "json/decoder.py", "JSONDecoder.raw_decode", "method")
    why = top["why"]
    assert {"source": "ast", "rank": 1} in [{k: f[k] for k in ("source", "rank")}
                                            for f in why["found_by"]]
    assert why["summary"].startswith("symbol exact") and why["decided_by"] == "early exit"
    first = top["snippet"].split("\n")
    for m in why["matched"]:  # each place names a word of the query, inside the snippet
        assert first[m["line"]][m["start"]:m["end"]].lower() in {"json", "decoder", "raw",
                                                                "decode"}
    lines = (root / "json/decoder.py").read_text().split("\n")
    assert top["snippet"].split("\n")[0] == lines[top["start_line"] - 1]
    timings = payload["timings_ms"]
    assert "total" in timings and all(isinstance(v, float) for v in timings.values())
    # the index went to the cache dir, nothing was written into the workspace
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before
    assert list((cache / "codesift").glob("*/index.sqlite3"))


def test_readable_output_and_filters(root, cache):
    proc = run("search", "escape", "--root", str(root), "--lang", "python", "--path", "html/",
               cache=cache)
    assert proc.returncode == 0, proc.stderr
    assert "html/__init__.py:" in proc.stdout and "escape" in proc.stdout
    assert "json/" not in proc.stdout


def test_invalid_regex_is_a_usage_error(root, cache):
    proc = run("search", "foo(", "--regex", "--root", str(root), cache=cache)
    assert proc.returncode == 2
    assert "invalid regex" in proc.stderr and "missing )" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_bad_usage_and_missing_root_exit_2(root, cache, tmp_path):
    assert run("search", cache=cache).returncode == 2
    proc = run("search", "x", "--root", str(tmp_path / "nope"), cache=cache)
    assert proc.returncode == 2 and "not a folder" in proc.stderr
    proc = run("search", "  ", "--root", str(root), cache=cache)
    assert proc.returncode == 2 and "empty query" in proc.stderr


def test_config_errors_name_the_key(tmp_path, cache):
    (tmp_path / "codesift.toml").write_text("[retrieve]\npool_size = 'many'\n")
    proc = run("search", "x", "--root", str(tmp_path), cache=cache)
    assert proc.returncode == 2 and "retrieve.pool_size" in proc.stderr
    (tmp_path / "codesift.toml").write_text("[scan]\nmax_bytes = 10\n")
    proc = run("search", "x", "--root", str(tmp_path), cache=cache)
    assert proc.returncode == 2 and "scan.max_bytes" in proc.stderr


def test_index_reports_a_summary(root, tmp_path):
    index_dir = tmp_path / "idx"
    proc = run("index", str(root), "--index-dir", str(index_dir), "--json", cache=tmp_path)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["files"] == summary["added"] > 5 and summary["chunks"] > summary["files"]
    assert (index_dir / "index.sqlite3").exists()
    again = json.loads(run("index", str(root), "--index-dir", str(index_dir), "--json",
                           cache=tmp_path).stdout)
    assert again["added"] == again["updated"] == again["removed"] == 0


def test_help_lists_commands(cache):
    proc = run("--help", cache=cache)
    assert proc.returncode == 0 and "index" in proc.stdout and "search" in proc.stdout


def test_final_k_sets_the_default_result_count(root, cache):
    (root / "codesift.toml").write_text("[rerank]\nfinal_k = 3\nenabled = false\n")
    try:
        proc = run("search", "decode a JSON document", "--root", str(root), "--json",
                   cache=cache)
        assert proc.returncode == 0, proc.stderr
        assert len(json.loads(proc.stdout)["results"]) == 3
        proc = run("search", "decode a JSON document", "--root", str(root), "--json", "-n", "5",
                   cache=cache)
        assert len(json.loads(proc.stdout)["results"]) == 5
    finally:
        (root / "codesift.toml").unlink()


def test_serve_accepts_the_stdio_flag_clients_send(cache):
    """vscode-languageclient and others append --stdio for a stdio transport."""
    proc = run("serve", "--stdio", "--help", cache=cache)
    assert proc.returncode == 0 and "--stdio" in proc.stdout
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "shutdown"})
    exit_msg = json.dumps({"jsonrpc": "2.0", "method": "exit"})
    frames = "".join(f"Content-Length: {len(m)}\r\n\r\n{m}" for m in (body, exit_msg))
    served = subprocess.run([sys.executable, "-m", "codesift.cli", "serve", "--stdio"],
                            input=frames, capture_output=True, text=True, env=env, timeout=60)
    assert "unrecognized arguments" not in served.stderr
    assert '"id": 1' in served.stdout.replace('"id":1', '"id": 1')


def test_index_embed_caches_every_chunk(tmp_path):
    root = tmp_path / "ws"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "mod.py").write_text(
        "def parse_header(line):\n    return line.split(':', 1)\n\n\n"
        "class Reader:\n    def read_all(self, stream):\n        return stream.read()\n")
    proc = run("index", str(root), "--embed", "--json", cache=tmp_path / "cache")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["embedded"] == summary["chunks"] > 0
    search = run("search", "read everything from a stream", "--root", str(root), "--json",
                 cache=tmp_path / "cache")
    light = next(s for s in json.loads(search.stdout)["stages"] if s["name"] == "light")
    assert light["ran"] and light["cache_hits"] == light["in"]  # all from the index


def test_lexical_search_loads_no_models_and_no_rich_when_piped(root, cache):
    """A regex search's start-up is most of its time: it must not load the models, numpy,
    the index lock or (printing to a pipe) rich."""
    assert run("index", str(root), cache=cache).returncode == 0
    heavy = ("numpy", "onnxruntime", "tokenizers", "rich", "filelock", "rapidfuzz")
    script = ("import sys; from codesift.cli import main; code = main(sys.argv[1:]); "
              f"print([m for m in {heavy!r} if m in sys.modules], file=sys.stderr); "
              "sys.exit(code)")
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    proc = subprocess.run([sys.executable, "-c", script, "search", "--regex", "--no-refresh",
                           r"def \w+_decode", "--root", str(root), "-n", "2"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "decode" in proc.stdout and "\x1b[" not in proc.stdout
    assert proc.stderr.strip().splitlines()[-1] == "[]"
