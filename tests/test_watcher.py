"""The file watcher: real watchdog events, debounced, filtered like the scan."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

from codesift.config import Config
from codesift.index.indexer import put_buffer, sync
from codesift.index.watcher import FULL_SYNC, RootWatcher
from codesift.workspace import Workspace


def collect(root: Path, index_dir: Path | None = None):
    batches: list[list[str]] = []
    ready = threading.Event()

    def on_batch(batch: list[str]) -> None:
        batches.append(batch)
        ready.set()

    watcher = RootWatcher(root, on_batch, [".git", "node_modules"], index_dir,
                          rescan_names=[".gitignore"])
    return watcher, batches, ready


def wait_for(batches, ready, timeout=5.0):
    ready.wait(timeout)
    time.sleep(0.2)  # let a burst finish
    return [p for b in batches for p in b]


def test_file_events_are_batched_and_excluded_folders_ignored(tmp_path):
    root = tmp_path / "ws"
    (root / ".git" / "rebase-merge").mkdir(parents=True)
    (root / "pkg").mkdir()
    watcher, batches, ready = collect(root)
    watcher.start()
    try:
        (root / ".git" / "HEAD").write_text("ref")
        shutil.rmtree(root / ".git" / "rebase-merge")  # a folder vanishing inside .git
        for i in range(5):
            (root / "pkg" / f"m{i}.py").write_text(f"x = {i}\n")
        seen = wait_for(batches, ready)
    finally:
        watcher.stop()
    assert {f"pkg/m{i}.py" for i in range(5)} <= set(seen)
    assert not any(p.startswith(".git") for p in seen) and FULL_SYNC not in seen
    assert len(batches) <= 3  # debounced, not one call per event


def test_ignore_file_change_and_folder_removal_ask_for_a_full_sync(tmp_path):
    root = tmp_path / "ws"
    (root / "gen").mkdir(parents=True)
    (root / "gen" / "a.py").write_text("a = 1\n")
    watcher, batches, ready = collect(root)
    watcher.start()
    try:
        (root / ".gitignore").write_text("gen/\n")
        assert FULL_SYNC in wait_for(batches, ready)
        batches.clear()
        ready.clear()
        shutil.rmtree(root / "gen")
        assert FULL_SYNC in wait_for(batches, ready)
    finally:
        watcher.stop()


def test_buffers_of_ignored_or_outside_files_are_not_indexed(tmp_path):
    root = tmp_path / "ws"
    root.mkdir()
    (root / ".gitignore").write_text("secrets/\n")
    (root / "ok.py").write_text("def fine():\n    pass\n")
    config = Config()
    config.index.index_dir = str(tmp_path / "index")
    workspace = Workspace(root, config)
    store = workspace.open_store()
    sync(workspace, store)
    put_buffer(workspace, store, "secrets/key.py", "TOKEN = 'x'\n")
    put_buffer(workspace, store, "../elsewhere.py", "def outside():\n    pass\n")
    put_buffer(workspace, store, "ok.py", "def fine_and_edited():\n    pass\n")
    paths = {p for _, p, _ in store.files()}
    assert paths == {"ok.py", ".gitignore"} or paths == {"ok.py"}
    assert "fine_and_edited" in store.file_content(store.file_state("ok.py").id)
    store.close()
