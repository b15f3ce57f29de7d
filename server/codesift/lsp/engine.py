"""The server's engine: workspace roots, their indexes, and the two worker threads.

The LSP message loop never runs indexing, parsing or inference itself. Writes
(full syncs, file-event updates, unsaved buffers) go to one index thread that owns
each root's writer connection; queries (search, hover, symbols) go to one query
thread that owns the reader connections and the models. SQLite in WAL mode lets
the reader see every committed batch while indexing continues.
"""

from __future__ import annotations

import collections
import ctypes
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlparse

from ..config import Config, ConfigError, config_from_dict, load_config
from ..index.indexer import SyncReport, Workspace, put_buffer, sync, update_paths
from ..index.store import Store
from ..index.watcher import FULL_SYNC, RootWatcher
from ..rerank.onnx import CancelCheck
from ..rerank.scorers import ModelPool
from ..search import Searcher, SearchRequest, SearchResult

log = logging.getLogger(__name__)
LATENCY_WINDOW = 50


def trim_heap() -> None:
    """Return freed heap pages to the system after bulk work (glibc only)."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


class Events(Protocol):
    """What the engine tells the LSP layer (called from worker threads)."""

    def index_started(self, root: Path, total: int) -> None: ...
    def index_progress(self, root: Path, done: int, total: int) -> None: ...
    def index_finished(self, root: Path, report: SyncReport | None, error: str | None
                       ) -> None: ...


def uri_to_path(uri: str) -> Path | None:
    """The normalized local path of a file: URI (``..`` resolved), else None."""
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    return Path(os.path.normpath(unquote(parsed.path)))


@dataclass
class Root:
    """One workspace folder with its index connections, watcher and unsaved buffers."""

    workspace: Workspace
    writer: Store
    reader: Store
    searcher: Searcher
    watcher: RootWatcher | None = None
    buffers: dict[str, str] = field(default_factory=dict)
    pending_buffers: dict[str, str] = field(default_factory=dict)
    indexing: bool = False
    last_update: float | None = None

    @property
    def path(self) -> Path:
        return self.workspace.root


class Engine:
    def __init__(self, events: Events, settings: dict[str, Any] | None = None,
                 watch: bool = True):
        self.events = events
        self.settings = settings or {}
        self.watch = watch
        self.roots: dict[Path, Root] = {}
        self.index_pool = ThreadPoolExecutor(1, thread_name_prefix="codesift-index")
        self.query_pool = ThreadPoolExecutor(1, thread_name_prefix="codesift-query")
        self.latencies: collections.deque[dict[str, float]] = collections.deque(
            maxlen=LATENCY_WINDOW)
        self._lock = threading.Lock()
        self._queued = 0
        self._closed = False

    # -- roots ---------------------------------------------------------------------

    def config_for(self, root: Path) -> Config:
        return load_config(root, self.settings)

    def add_root(self, path: Path, buffers: dict[str, str] | None = None) -> Future[Any]:
        """Open (creating if needed) a root's index and start its background sync;
        ``buffers`` are unsaved editor texts to index in place of their files."""
        path = path.resolve()

        def open_root() -> None:
            if path in self.roots:
                return
            try:
                config = self.config_for(path)
            except ConfigError as exc:  # a broken codesift.toml: say so, index anyway
                self.events.index_finished(path, None, f"{exc}; indexing with defaults")
                try:
                    config = config_from_dict(self.settings)
                except ConfigError:
                    config = Config()
            workspace = Workspace(path, config)
            writer = workspace.open_store()
            reader = Store(workspace.db_path)
            root = Root(workspace, writer, reader,
                        Searcher(reader, workspace.config, ModelPool(workspace.config.rerank,
                                                                     reader)))
            for rel, text in (buffers or {}).items():
                root.buffers[rel] = text
                put_buffer(root.workspace, root.writer, rel, text)
            with self._lock:
                self.roots[path] = root
            if self.watch:
                def on_batch(batch: list[str], r: Root = root) -> None:
                    self._on_file_batch(r, batch)

                scan = workspace.config.scan
                root.watcher = RootWatcher(path, on_batch, scan.exclude_dirs,
                                           workspace.index_dir,
                                           rescan_names=scan.ignore_files)
                root.watcher.start()
            self._full_sync(root)

        return self.submit_index(open_root)

    def remove_root(self, path: Path) -> None:
        root = self.roots.pop(path.resolve(), None)
        if root is not None:
            self._close_root(root)

    def _close_root(self, root: Root) -> None:
        if root.watcher is not None:
            root.watcher.stop()

        def close() -> None:
            root.writer.close()

        self.submit_index(close)
        self.query_pool.submit(root.reader.close)

    def apply_settings(self, settings: dict[str, Any]) -> None:
        """New settings: rebuild each root's configuration and searcher, then re-sync.
        Unsaved buffers carry over to the reopened roots."""
        for path in list(self.roots):
            load_config(path, settings)  # raises ConfigError before anything changes
        self.settings = settings
        for path, root in list(self.roots.items()):
            buffers = dict(root.buffers)
            self.remove_root(path)
            self.add_root(path, buffers)

    def locate(self, uri: str) -> tuple[Root, str] | None:
        """The root holding a document and the document's root-relative path."""
        path = uri_to_path(uri)
        if path is None:
            return None
        best: Root | None = None
        for root_path, root in list(self.roots.items()):
            if path.is_relative_to(root_path) and (best is None or len(root_path.parts) >
                                                   len(best.path.parts)):
                best = root
        if best is None:
            return None
        return best, path.relative_to(best.path).as_posix()

    # -- indexing (index thread) ---------------------------------------------------

    def _full_sync(self, root: Root) -> None:
        root.indexing = True
        last = [0.0]

        def progress(done: int, total: int, rel: str) -> None:
            now = time.monotonic()
            if done == 0:
                self.events.index_started(root.path, total)
            if now - last[0] >= 0.1 or done == total:
                last[0] = now
                self.events.index_progress(root.path, done, total)

        report: SyncReport | None = None
        error: str | None = None
        try:
            report = sync(root.workspace, root.writer, progress=progress,
                          keep=set(root.buffers))
            root.last_update = time.time()
        except Exception as exc:  # reported to the client; the server keeps running
            log.exception("indexing %s failed", root.path)
            error = f"{type(exc).__name__}: {exc}"
        finally:
            trim_heap()
            # tell the client first: once status says "not indexing", the end is sent
            self.events.index_finished(root.path, report, error)
            root.indexing = False

    def _on_file_batch(self, root: Root, batch: list[str]) -> None:
        if self._closed:
            return

        def apply() -> None:
            if FULL_SYNC in batch:
                self._full_sync(root)
                return
            update_paths(root.workspace, root.writer, batch, keep=set(root.buffers))
            root.last_update = time.time()

        self.submit_index(apply)

    def reindex(self) -> Future[None]:
        """Forget every indexed file of every root and index again from scratch."""

        def rebuild() -> None:
            for root in list(self.roots.values()):
                with root.writer.transaction():
                    for file_id, _, _ in root.writer.files():
                        root.writer.delete_file(file_id)
                    root.writer.conn.execute("DELETE FROM skipped")
                for rel, text in list(root.buffers.items()):
                    put_buffer(root.workspace, root.writer, rel, text)
                self._full_sync(root)

        return self.submit_index(rebuild)

    # -- editor buffers --------------------------------------------------------------

    def buffer_changed(self, uri: str, text: str) -> Future[None] | None:
        """Index an unsaved buffer's text; only the newest text of a burst is indexed."""
        located = self.locate(uri)
        if located is None:
            return None
        root, rel = located
        root.buffers[rel] = text
        root.pending_buffers[rel] = text

        def apply() -> None:
            latest = root.pending_buffers.pop(rel, None)
            if latest is not None and rel in root.buffers:
                put_buffer(root.workspace, root.writer, rel, latest)
                root.last_update = time.time()

        return self.submit_index(apply)

    def buffer_closed(self, uri: str) -> Future[Any] | None:
        """The buffer is gone: the file on disk is the truth again."""
        located = self.locate(uri)
        if located is None:
            return None
        root, rel = located
        root.buffers.pop(rel, None)
        root.pending_buffers.pop(rel, None)
        return self.submit_index(lambda: update_paths(root.workspace, root.writer, [rel]))

    # -- queries (query thread) -------------------------------------------------------

    def submit_query(self, fn: Callable[[], Any]) -> Future[Any]:
        """Run a query on the query thread; while any is waiting, prefetch stands aside."""
        with self._lock:
            self._queued += 1
        counted = [True]

        def uncount(*_: Any) -> None:
            with self._lock:
                if counted[0]:  # once: when it starts, or when it is cancelled unstarted
                    counted[0] = False
                    self._queued -= 1

        def run() -> Any:
            uncount()
            return fn()

        future = self.query_pool.submit(run)
        future.add_done_callback(uncount)
        return future

    def submit_index(self, fn: Callable[[], Any]) -> Future[Any]:
        """Run work on the index thread; its failure is logged, never silently dropped."""
        future = self.index_pool.submit(fn)

        def report(done: Future[Any]) -> None:
            if not done.cancelled() and (exc := done.exception()) is not None:
                log.error("index work failed: %s: %s", type(exc).__name__, exc)

        future.add_done_callback(report)
        return future

    def budget_ms(self) -> float | None:
        roots = list(self.roots.values())
        if not roots:
            return None
        return float(roots[0].workspace.config.rerank.interactive_budget_ms) or None

    def prefetch_later(self, request: SearchRequest) -> None:
        """Idle-time work: embed what a budgeted search left unscored. Any new query
        waiting for the query thread stops it between batches."""

        def busy() -> bool:
            return self._queued > 0 or self._closed

        def run() -> None:
            for root in list(self.roots.values()):
                if busy():
                    return
                root.searcher.prefetch(request, busy)
            trim_heap()

        self.query_pool.submit(run)

    def stream(self, request: SearchRequest, cancel: CancelCheck | None = None
               ) -> Iterator[tuple[str, list[tuple[Path, SearchResult]]]]:
        """Snapshots across all roots, advanced in lockstep: (stage, per-root results)."""
        gens = [(root.path, root.searcher.stream(request, cancel))
                for root in list(self.roots.values())]
        latest: dict[Path, SearchResult] = {}
        live = list(gens)
        while live:
            still: list[tuple[Path, Iterator[SearchResult]]] = []
            for path, gen in live:
                result = next(gen, None)
                if result is not None:
                    latest[path] = result
                    if result.stage != "final":
                        still.append((path, gen))
            live = still
            stages = {r.stage for r in latest.values()}
            stage = ("final" if stages == {"final"} else
                     "light" if "light" in stages or "final" in stages else "candidates")
            yield stage, list(latest.items())
        for result in latest.values():
            self.latencies.append(dict(result.timings_ms))
        if any(s.unscored for r in latest.values() for s in r.stages):
            self.prefetch_later(request)
        elif not self._closed:  # after the answer: hand inference buffers back
            self.query_pool.submit(trim_heap)

    def final(self, request: SearchRequest) -> list[tuple[Path, SearchResult]]:
        """The last snapshot's per-root results (empty when there are no roots)."""
        last: list[tuple[Path, SearchResult]] = []
        for _, snapshot in self.stream(request):
            last = snapshot
        return last

    def status(self) -> dict[str, Any]:
        roots = []
        hits = misses = 0
        models: dict[str, str] = {}
        for root in list(self.roots.values()):
            stats = root.reader.stats()
            languages = dict(root.reader.conn.execute(
                "SELECT language, count(*) FROM files GROUP BY language ORDER BY 2 DESC"))
            pool = root.searcher.models
            for cache in (pool.embeddings, pool.scores):
                hits += cache.hits
                misses += cache.misses
            models.update(pool.loaded)
            roots.append({
                "uri": root.path.as_uri(), "index_dir": str(root.workspace.index_dir),
                "indexing": root.indexing, "files": stats["files"], "chunks": stats["chunks"],
                "symbols": stats["symbols"], "languages": languages,
                "last_update": root.last_update, "unsaved_buffers": len(root.buffers),
                "model_failures": dict(pool.failures),
            })
        latencies: dict[str, dict[str, float]] = {}
        for stage in ("candidates", "light", "heavy", "total"):
            values = sorted(t[stage] for t in self.latencies if stage in t)
            if values:
                latencies[stage] = {"p50": round(values[len(values) // 2], 2),
                                    "max": round(values[-1], 2), "n": len(values)}
        return {"roots": roots, "models": models,
                "cache_hit_rate": round(hits / (hits + misses), 4) if hits + misses else None,
                "latency_ms": latencies}

    def close(self) -> None:
        """Stop watchers, finish queued work and close every database."""
        self._closed = True
        for root in list(self.roots.values()):
            if root.watcher is not None:
                root.watcher.stop()
        self.query_pool.shutdown(wait=True, cancel_futures=True)
        self.index_pool.shutdown(wait=True, cancel_futures=True)
        for root in self.roots.values():
            root.reader.close()
            root.writer.close()
        self.roots.clear()
