"""File watching: watchdog events, debounced into batches of changed paths.

Events inside excluded folders (``.git``, ``node_modules``, the index folder, …)
are dropped at once; ignore files are applied later by the indexer, which re-reads
them. A burst of events (a checkout, a formatter run) becomes one batch once the
tree has been quiet for ``delay_s``; a folder that vanished or moved asks for a
full sync instead of a per-file update.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

log = logging.getLogger(__name__)

FULL_SYNC = "\0full-sync"  # a batch entry that asks for a whole-tree sync


class RootWatcher(FileSystemEventHandler):
    """Watches one root; calls ``on_batch(paths)`` from its own thread."""

    def __init__(self, root: Path, on_batch: Callable[[list[str]], None],
                 excluded_dirs: Collection[str], index_dir: Path | None = None,
                 delay_s: float = 0.03, max_wait_s: float = 0.5,
                 rescan_names: Collection[str] = ()):
        self.root = root.resolve()
        self.on_batch = on_batch
        self.excluded = set(excluded_dirs)
        self.index_dir = index_dir.resolve() if index_dir else None
        self.delay_s = delay_s
        self.max_wait_s = max_wait_s
        self.rescan_names = set(rescan_names)  # ignore files: a change re-scans the tree
        self._pending: dict[str, None] = {}
        self._cond = threading.Condition()
        self._stopped = False
        self._observer = Observer()
        self._thread = threading.Thread(target=self._run, name=f"codesift-watch-{root.name}",
                                        daemon=True)

    def start(self) -> None:
        self._observer.schedule(self, str(self.root), recursive=True)
        self._observer.start()
        self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        try:
            self._observer.stop()
            self._observer.join(timeout=2)
        except RuntimeError:  # never started
            pass
        if self._thread.is_alive():
            self._thread.join(timeout=2)

    def _relative(self, raw: str | bytes, is_dir: bool = False) -> str | None:
        path = Path(raw.decode() if isinstance(raw, bytes) else raw)
        try:
            rel = path.relative_to(self.root)
        except ValueError:
            return None
        folders = rel.parts if is_dir else rel.parts[:-1]
        if any(part in self.excluded for part in folders):
            return None
        if self.index_dir is not None and path.is_relative_to(self.index_dir):
            return None
        return rel.as_posix()

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return  # reads: nothing changed
        paths: list[str] = []
        if event.is_directory:
            if event.event_type in ("deleted", "moved") and any(
                    raw and self._relative(raw, is_dir=True) is not None
                    for raw in (event.src_path, getattr(event, "dest_path", ""))):
                paths.append(FULL_SYNC)
        else:
            for raw in (event.src_path, getattr(event, "dest_path", "")):
                if raw and (rel := self._relative(raw)) is not None:
                    name = rel.rsplit("/", 1)[-1]
                    paths.append(FULL_SYNC if name in self.rescan_names else rel)
        if not paths:
            return
        with self._cond:
            for rel in paths:
                self._pending[rel] = None
            self._cond.notify_all()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._pending and not self._stopped:
                    self._cond.wait()
                if self._stopped:
                    return
                first = time.monotonic()
                while True:  # wait for a quiet moment, but not forever
                    size = len(self._pending)
                    self._cond.wait(self.delay_s)
                    if self._stopped:
                        return
                    if len(self._pending) == size or time.monotonic() - first > self.max_wait_s:
                        break
                batch = list(self._pending)
                self._pending.clear()
            try:
                self.on_batch(batch)
            except Exception:  # the watcher must outlive a failing batch
                log.exception("re-indexing after file events failed")
