"""Incremental sync of a workspace into its index.

A file is re-parsed only when its size or mtime changed *and* its content hash
differs; vanished files are dropped. Work is committed in batches, each one
transaction, so a killed process leaves a consistent index (every file either
fully old or fully new). A lock file keeps two processes from writing at once:
the second waits (``index``) or skips the refresh (``search``).
"""

from __future__ import annotations

import logging
import stat
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field

import filelock

from ..errors import IndexBusyError
from ..parse.chunker import chunk_text
from ..scan import (
    WorkspaceFile,
    encodable,
    language_for,
    load_file,
    scan,
)
from ..workspace import Workspace
from .store import FileState, Store, content_hash

log = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int, str], None]
OPTIMIZE_MIN_CHANGES = 50



@dataclass
class SyncReport:
    """What one sync did."""

    scanned: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    skipped: int = 0
    seconds: float = 0.0
    skipped_paths: list[str] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return self.added + self.updated + self.removed


def sync(workspace: Workspace, store: Store, *, wait: bool = True,
         progress: ProgressCallback | None = None,
         keep: Collection[str] = ()) -> SyncReport:
    """Bring the index up to date with the files on disk.

    With ``wait=False`` a held lock raises IndexBusyError instead of waiting.
    Paths in ``keep`` (open editor buffers with unsaved text) are left as indexed.
    """
    timeout = workspace.config.index.lock_timeout_s if wait else 0.0
    try:
        with workspace.lock().acquire(timeout=timeout):
            return _sync_locked(workspace, store, progress, keep)
    except filelock.Timeout as exc:
        raise IndexBusyError(f"index at {workspace.index_dir} is being updated by another "
                             "process") from exc


def update_paths(workspace: Workspace, store: Store, rels: Iterable[str],
                 keep: Collection[str] = ()) -> SyncReport:
    """Re-index only these root-relative paths (created, changed or deleted files)."""
    started = time.perf_counter()
    report = SyncReport()
    config = workspace.config
    policy = workspace.policy()
    with workspace.lock().acquire(timeout=config.index.lock_timeout_s), store.transaction():
        skipped_before = store.skipped_states()
        for rel in dict.fromkeys(rels):
            if rel in keep:
                continue
            if not encodable(rel):  # never indexed, so there is nothing to remove either
                log.warning("skipping %r: the name is not valid UTF-8", rel)
                continue
            path = workspace.root / rel
            state = store.file_state(rel)
            try:
                st = path.stat()
                present = stat.S_ISREG(st.st_mode) and policy.skip_reason(
                    rel, size=st.st_size, via_symlink=policy.via_symlink(rel)) is None
            except OSError:
                present = False
            if not present:
                if state is not None:
                    store.delete_file(state.id)
                    report.removed += 1
                continue
            report.scanned += 1
            wf = WorkspaceFile(path, rel, st.st_size, st.st_mtime_ns)
            _index_one(workspace, store, wf, state, report, skipped_before)
        if report.changed:
            store.set_meta("last_sync", str(time.time()))
    report.seconds = time.perf_counter() - started
    return report


def put_buffer(workspace: Workspace, store: Store, rel: str, text: str) -> None:
    """Index an editor buffer's text in place of the file on disk (an unsaved edit).

    The row gets mtime -1, so the next disk sync after the buffer closes re-reads the
    file, unless its content hash shows the buffer matched the disk.
    """
    config = workspace.config
    text = text.replace("\r\n", "\n")
    raw = text.encode("utf-8")
    policy = workspace.policy()
    if policy.skip_reason(rel, size=len(raw), via_symlink=policy.via_symlink(rel),
                          head=raw) is not None:
        return  # the same files the disk scan would skip
    language = language_for(rel.rsplit("/", 1)[-1], raw[:8192])
    try:
        chunked = chunk_text(text, language, config.chunk)
    except Exception:  # a parser bug must not take the buffer's old version away
        log.exception("failed to chunk the unsaved buffer of %s; skipping", rel)
        return
    with workspace.lock().acquire(timeout=config.index.lock_timeout_s), store.transaction():
        state = store.file_state(rel)
        if state is not None:
            store.delete_file(state.id)
        store.put_file(rel, language, len(raw), -1, content_hash(raw), text, chunked)
        store.set_meta("last_sync", str(time.time()))


def _sync_locked(workspace: Workspace, store: Store, progress: ProgressCallback | None,
                 keep: Collection[str] = ()) -> SyncReport:
    started = time.perf_counter()
    config = workspace.config
    report = SyncReport()
    known = store.file_states()
    for rel in keep:
        known.pop(rel, None)
    skipped_before = store.skipped_states()
    on_disk = [wf for wf in scan(workspace.root, config.scan, workspace.index_dir)
               if wf.rel not in keep]
    report.scanned = len(on_disk)
    todo: list[WorkspaceFile] = []
    for wf in on_disk:
        state = known.get(wf.rel)
        if state is not None and state.size == wf.size and state.mtime_ns == wf.mtime_ns:
            report.unchanged += 1
        elif skipped_before.get(wf.rel) == (wf.size, wf.mtime_ns):
            report.skipped += 1  # skipped last time and unchanged since: not re-read
        else:
            todo.append(wf)
    present = {wf.rel for wf in on_disk} | set(keep)
    vanished = [state.id for rel, state in known.items() if rel not in present]
    stale_skips = [rel for rel in skipped_before if rel not in present]

    if vanished or stale_skips:
        with store.transaction():
            for file_id in vanished:
                store.delete_file(file_id)
            store.forget_skipped(stale_skips)
        report.removed = len(vanished)

    batch = max(1, config.index.batch_files)
    for offset in range(0, len(todo), batch):
        with store.transaction():
            for i, wf in enumerate(todo[offset : offset + batch], start=offset):
                if progress is not None:
                    progress(i, len(todo), wf.rel)
                _index_one(workspace, store, wf, known.get(wf.rel), report, skipped_before)
    if progress is not None:
        progress(len(todo), len(todo), "")
    if report.changed:
        with store.transaction():
            store.set_meta("last_sync", str(time.time()))
            if report.changed >= max(OPTIMIZE_MIN_CHANGES, len(known) // 10):
                store.optimize()  # merge FTS segments after bulk changes: faster queries
    report.seconds = time.perf_counter() - started
    return report


def _index_one(workspace: Workspace, store: Store, wf: WorkspaceFile, state: FileState | None,
               report: SyncReport, skipped_before: dict[str, tuple[int, int]]) -> None:
    """Index one file inside the caller's transaction; a failing file is logged and skipped."""
    config = workspace.config
    try:
        loaded = load_file(wf.path, config.scan)
    except OSError as exc:  # not the content's fault: keep what is indexed, retry later
        log.info("cannot read %s now (%s); will retry", wf.rel, exc)
        report.skipped += 1
        report.skipped_paths.append(wf.rel)
        return
    if loaded is None:
        if state is not None:
            store.delete_file(state.id)
            report.removed += 1
        report.skipped += 1
        report.skipped_paths.append(wf.rel)
        store.mark_skipped(wf.rel, wf.size, wf.mtime_ns)
        return
    if wf.rel in skipped_before:
        store.forget_skipped([wf.rel])
    digest = content_hash(loaded.raw)
    if state is not None and state.hash == digest:
        store.touch_file(state.id, wf.size, wf.mtime_ns)
        report.unchanged += 1
        return
    try:
        chunked = chunk_text(loaded.text, loaded.language, config.chunk)
    except Exception:  # a parser bug must not stop the whole index
        log.exception("failed to chunk %s; skipping", wf.rel)
        report.skipped += 1
        report.skipped_paths.append(wf.rel)
        return
    if state is not None:
        store.delete_file(state.id)
        report.updated += 1
    else:
        report.added += 1
    store.put_file(wf.rel, loaded.language, wf.size, wf.mtime_ns, digest, loaded.text, chunked)

