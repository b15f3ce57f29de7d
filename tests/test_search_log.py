"""The local search log: what a search leaves in it, its size cap, a crash mid-write, a
broken log that must not fail searches, query hashing, and the editors' codesift/opened
round trip through a real language server into ``codesift stats``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import pytest_lsp
from pytest_lsp import LanguageClient

from codesift.config import LogConfig
from codesift.index.indexer import sync
from codesift.index.search_log import LogEntry, SearchLog
from codesift.index.store import Store
from codesift.search import Searcher, SearchRequest
from codesift.workspace import Workspace

from .conftest import copy_packages, make_config
from .test_cli import run
from .test_lsp import SERVER, open_folder, search, wait_indexed


@pytest.fixture()
def indexed(tmp_path: Path) -> Workspace:
    root = copy_packages(tmp_path / "ws", ("json",))
    config = make_config(tmp_path / "index")
    config.rerank.enabled = False  # the log, not the models, is under test
    workspace = Workspace(root, config)
    store = workspace.open_store()
    sync(workspace, store)
    store.close()
    return workspace


def test_a_search_and_a_failed_search_are_logged(indexed: Workspace):
    store = indexed.open_store()
    try:
        searcher = Searcher(store, indexed.config)
        result = searcher.search(SearchRequest("decode json text", 5, client="cli"))
        with pytest.raises(Exception, match="regex"):
            searcher.search(SearchRequest("foo(", 5, regex=True))
        entries = SearchLog(store, indexed.config.log).entries()
    finally:
        store.close()
    done, failed = entries
    assert done.id == result.search_id and done.query == "decode json text"
    assert done.route == "natural" and done.results == len(result.hits) > 0
    assert set(done.stages_ms) >= {"candidates", "total"} and done.pool > 0
    assert done.skipped and done.error is None
    assert failed.error and "regex" in failed.error


def test_query_hash_only_and_switched_off(indexed: Workspace):
    indexed.config.log.queries = False
    store = indexed.open_store()
    try:
        Searcher(store, indexed.config).search(SearchRequest("decode json text"))
        (entry,) = SearchLog(store, indexed.config.log).entries()
        assert entry.query != "decode json text" and len(entry.query) == 64  # the hash
        indexed.config.log.enabled = False
        Searcher(store, indexed.config).search(SearchRequest("decode json text"))
        assert len(SearchLog(store, indexed.config.log).entries()) == 1
    finally:
        store.close()


def test_the_log_stays_under_its_cap(tmp_path: Path):
    store = Store(tmp_path / "index.sqlite3")
    try:
        log = SearchLog(store, LogConfig(max_mb=0.02))  # 20 kB
        for i in range(400):
            assert log.record(LogEntry(i + 1, "cli", "natural", f"query number {i} " * 4))
        assert log.size_bytes() <= 20_000
        ids = [e.id for e in log.entries()]
        assert ids == sorted(ids) and ids[-1] == 400 and ids[0] > 1  # the oldest went
    finally:
        store.close()


WRITER = """
import sys
from pathlib import Path
from codesift.config import LogConfig
from codesift.index.search_log import LogEntry, SearchLog
from codesift.index.store import Store
log = SearchLog(Store(Path(sys.argv[1])), LogConfig())
print("ready", flush=True)
i = 0
while True:
    i += 1
    log.record(LogEntry(i, "cli", "natural", "x" * 2000))
"""


def test_a_crash_mid_write_loses_nothing_else(tmp_path: Path):
    db = tmp_path / "index.sqlite3"
    Store(db).close()
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(db)], stdout=subprocess.PIPE,
                              text=True)
    assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
    time.sleep(1.0)
    os.kill(writer.pid, signal.SIGKILL)  # mid-write, most likely inside a transaction
    writer.wait(timeout=10)
    store = Store(db)
    try:
        assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        entries = SearchLog(store, LogConfig()).entries()
        assert entries and all(e.query == "x" * 2000 for e in entries)
        ids = [e.id for e in entries]  # consecutive (the cap may have dropped the oldest)
        assert ids == list(range(ids[0], ids[0] + len(ids)))
    finally:
        store.close()


def test_a_broken_log_never_fails_a_search(indexed: Workspace):
    store = indexed.open_store()
    try:
        with store.transaction():  # a table of the wrong shape under the log's name
            store.conn.execute("DROP TABLE IF EXISTS search_log")
            store.conn.execute("CREATE TABLE search_log(x)")
        result = Searcher(store, indexed.config).search(SearchRequest("decode json text"))
        assert result.hits and SearchLog(store, indexed.config.log).entries() == []
    finally:
        store.close()
    os.chmod(indexed.db_path, 0o400)  # read-only: searches still answer
    try:
        proc = run("search", "decode json text", "--root", str(indexed.root), "--json",
                   "--no-refresh", "--no-rerank", "--index-dir", str(indexed.index_dir),
                   cache=indexed.index_dir.parent / "cache")
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["results"]
    finally:
        os.chmod(indexed.db_path, 0o600)


@pytest_lsp.fixture(config=SERVER)
async def client(lsp_client: LanguageClient, tmp_path: Path):
    root = copy_packages(tmp_path / "ws", ("json",))
    lsp_client.root = root  # type: ignore[attr-defined]
    await open_folder(lsp_client, root, {  # type: ignore[arg-type]
        "index": {"index_dir": str(tmp_path / "index")},
        "rerank": {"enabled": False}})
    yield
    await lsp_client.shutdown_session()


async def test_opened_round_trip_into_stats(client: LanguageClient):
    status = await wait_indexed(client)  # type: ignore[arg-type]
    index_dir = status["roots"][0]["index_dir"]  # the editor's folder: one per root
    result = await search(client, "decode json text")  # type: ignore[arg-type]
    picked = result["results"][1]
    assert isinstance(picked["search_id"], int)
    client.protocol.notify("codesift/opened", {"searchId": picked["search_id"],
                                               "uri": picked["uri"], "rank": 2})
    client.protocol.notify("codesift/opened", {"searchId": "bad"})  # ignored, not fatal
    await client.protocol.send_request_async("codesift/status", {})  # after the notes
    root = client.root  # type: ignore[attr-defined]
    for _ in range(50):
        proc = run("stats", str(root), "--json", "--index-dir", index_dir, cache=root.parent)
        assert proc.returncode == 0, proc.stderr
        stats = json.loads(proc.stdout)
        if stats["opened"]:
            break
        time.sleep(0.1)
    assert stats["opened_ranks"] == {"2": 1} and stats["clients"] == {"lsp": 1}
    assert stats["latency_ms"]["total"]["n"] == 1
    text = run("stats", str(root), "--index-dir", index_dir, cache=root.parent)
    assert "opened results" in text.stdout and "#2 1" in text.stdout
    cleared = run("stats", str(root), "--clear", "--index-dir", index_dir, cache=root.parent)
    assert cleared.returncode == 0 and "cleared 1" in cleared.stderr
