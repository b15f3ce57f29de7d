"""The persistent index: incremental sync, crash safety, schema and locking."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from codesift.errors import IndexBusyError
from codesift.index.indexer import sync
from codesift.index.store import SCHEMA_VERSION, Store
from codesift.search import Searcher, SearchRequest
from codesift.workspace import Workspace

from .conftest import copy_packages, make_config


@pytest.fixture()
def workspace(tmp_path) -> Workspace:
    root = copy_packages(tmp_path / "ws", ("json", "html"))
    return Workspace(root, make_config(tmp_path / "index"))


def symbols(store: Store, query: str, workspace: Workspace) -> list[tuple[str, str | None]]:
    result = Searcher(store, workspace.config).search(SearchRequest(query, limit=5))
    return [(h.path, h.symbol) for h in result.hits]


def test_edited_added_and_deleted_files_are_reflected(workspace):
    store = workspace.open_store()
    first = sync(workspace, store)
    assert first.added == first.scanned > 5 and first.updated == 0

    again = sync(workspace, store)
    assert again.changed == 0

    target = workspace.root / "json" / "tool.py"
    target.write_text(target.read_text() + "\n\ndef frobnicate_widgets(count):\n"
                      "    return count * 2\n")
    (workspace.root / "json" / "extra_mod.py").write_text(
        "class GizmoFactory:\n    def assemble_gizmo(self):\n        return 1\n")
    (workspace.root / "html" / "entities.py").unlink()
    report = sync(workspace, store)
    assert (report.added, report.updated, report.removed) == (1, 1, 1)

    assert symbols(store, "frobnicate_widgets", workspace)[0] == (
        "json/tool.py", "frobnicate_widgets")
    assert symbols(store, "assemble_gizmo", workspace)[0] == (
        "json/extra_mod.py", "GizmoFactory.assemble_gizmo")
    assert not any(p == "html/entities.py" for p, _ in symbols(store, "html5", workspace))
    paths = {p for _, p, _ in store.files()}
    assert "html/entities.py" not in paths


def test_touched_but_unchanged_file_is_not_reparsed(workspace):
    store = workspace.open_store()
    sync(workspace, store)
    target = workspace.root / "json" / "decoder.py"
    os.utime(target, ns=(time.time_ns(), time.time_ns()))
    report = sync(workspace, store)
    assert report.updated == 0 and report.unchanged == report.scanned


def test_schema_version_change_triggers_rebuild(workspace):
    store = workspace.open_store()
    sync(workspace, store)
    store.conn.execute("PRAGMA user_version=999")
    store.close()
    reopened = workspace.open_store()
    assert reopened.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert reopened.stats()["files"] == 0
    assert sync(workspace, reopened).added > 0


def test_second_indexer_waits_or_skips_instead_of_corrupting(workspace):
    store = workspace.open_store()
    with workspace.lock().acquire():
        with pytest.raises(IndexBusyError):
            sync(workspace, store, wait=False)
    assert sync(workspace, store, wait=False).added > 0


def test_concurrent_index_processes_leave_one_consistent_index(workspace, tmp_path):
    cmd = [sys.executable, "-m", "codesift.cli", "index", str(workspace.root),
           "--index-dir", workspace.config.index.index_dir, "--json"]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for _ in range(2)]
    for proc in procs:
        assert proc.wait(timeout=120) == 0, proc.stderr.read() if proc.stderr else ""
    store = workspace.open_store()
    assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    paths = [p for _, p, _ in store.files()]
    assert len(paths) == len(set(paths)) == sync(workspace, store).scanned


def test_killed_indexer_leaves_a_usable_index(tmp_path):
    root = copy_packages(tmp_path / "ws", ("json", "email", "http", "logging", "urllib",
                                           "html", "xml", "unittest", "asyncio"))
    (root / "codesift.toml").write_text("[index]\nbatch_files = 5\n")
    index_dir = tmp_path / "index"
    workspace = Workspace(root, make_config(index_dir))
    db = workspace.db_path
    proc = subprocess.Popen(
        [sys.executable, "-m", "codesift.cli", "index", str(root), "--index-dir",
         str(index_dir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 60
    indexed = 0
    while time.time() < deadline and proc.poll() is None:
        if db.exists():
            try:
                with sqlite3.connect(db, timeout=1) as conn:
                    indexed = conn.execute("SELECT count(*) FROM files").fetchone()[0]
            except sqlite3.Error:
                indexed = 0
            if indexed >= 20:
                break
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert indexed >= 20, "indexer finished before it could be killed"

    store = workspace.open_store()
    assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    partial = store.stats()["files"]
    assert partial >= 20
    hits = Searcher(store, workspace.config).search(SearchRequest("def", limit=3)).hits
    assert hits
    report = sync(workspace, store)
    assert report.added == report.scanned - partial
    assert store.stats()["files"] == report.scanned


def test_skipped_files_are_remembered_until_they_change(workspace):
    blob = workspace.root / "json" / "data.bin"
    blob.write_bytes(b"\x00\x01binary")
    store = workspace.open_store()
    first = sync(workspace, store)
    assert "json/data.bin" in first.skipped_paths
    second = sync(workspace, store)
    assert second.skipped == 1 and second.skipped_paths == []  # not read again
    blob.write_text("def now_readable_text():\n    return 1\n")
    third = sync(workspace, store)
    assert third.added == 1
    assert symbols(store, "now_readable_text", workspace)[0][0] == "json/data.bin"
    blob.unlink()
    assert sync(workspace, store).removed == 1
    assert store.skipped_states() == {}


def test_an_index_folder_serves_one_root_only(tmp_path):
    """Two roots pointed at one index folder would overwrite each other's files."""
    from codesift.config import Config
    from codesift.errors import IndexOwnerError

    first, second = tmp_path / "a", tmp_path / "b"
    for root in (first, second):
        root.mkdir()
        (root / "mod.py").write_text("def f():\n    pass\n")
    config = Config()
    config.index.index_dir = str(tmp_path / "shared-index")
    Workspace(first, config).open_store().close()
    with pytest.raises(IndexOwnerError, match="belongs to"):
        Workspace(second, config).open_store()
    Workspace(first, config).open_store().close()  # its owner still opens it
