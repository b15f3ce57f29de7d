"""Faults while indexing lose nothing: odd file names are skipped with a warning and
the rest indexed; a read that fails once (a file mid-save) is tried again later."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from codesift.index.indexer import SyncReport, _index_one, sync, update_paths
from codesift.scan import WorkspaceFile
from codesift.workspace import Workspace

from .conftest import STDLIB, make_config

BAD_NAME = os.fsdecode(b"b\xff.py")  # not valid UTF-8: arrives with a surrogate


def test_a_name_that_is_not_utf8_is_skipped_and_the_rest_indexed(tmp_path: Path):
    root = tmp_path / "ws"
    root.mkdir()
    (root / "shlex.py").write_bytes((STDLIB / "shlex.py").read_bytes())
    (root / BAD_NAME).write_text("def odd_name_function():\n    pass\n")
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    proc = subprocess.run([sys.executable, "-m", "codesift.cli", "index", str(root)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count("not valid UTF-8") == 1, proc.stderr
    assert "+1 added" in proc.stderr, proc.stderr
    workspace = Workspace(root, make_config(tmp_path / "index"))
    store = workspace.open_store()
    try:
        (root / "later.py").write_text("def arrived_in_the_same_batch():\n    pass\n")
        report = update_paths(workspace, store, [BAD_NAME, "later.py"])  # a watcher batch
        assert report.added == 1
        assert "later.py" in store.file_states()
    finally:
        store.close()


def test_a_file_that_could_not_be_read_once_is_retried(tmp_path: Path):
    root = tmp_path / "ws"
    root.mkdir()
    workspace = Workspace(root, make_config(tmp_path / "index"))
    store = workspace.open_store()
    try:
        sync(workspace, store)
        path = root / "saved.py"
        path.write_text("def written_by_an_atomic_save():\n    return 1\n")
        st = path.stat()
        seen = WorkspaceFile(path, "saved.py", st.st_size, st.st_mtime_ns)
        path.rename(root / "saved.py.tmp")  # the editor's save is mid-rename: ENOENT
        report = SyncReport()
        with store.transaction():
            _index_one(workspace, store, seen, None, report, store.skipped_states())
        assert report.skipped == 1 and "saved.py" not in store.file_states()
        (root / "saved.py.tmp").rename(path)  # same size, same mtime as the scan saw
        assert path.stat().st_mtime_ns == st.st_mtime_ns
        sync(workspace, store)
        assert "saved.py" in store.file_states()
    finally:
        store.close()
