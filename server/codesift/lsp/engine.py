"""The server's engine: workspace roots, their indexes, and the worker threads.

The LSP message loop never runs indexing, parsing or inference itself. Writes
(full syncs, file-event updates, unsaved buffers) go to one index thread that owns
each root's writer connection; queries (search, hover, symbols) go to one query
thread that owns the reader connections and the models. SQLite in WAL mode lets
the reader see every committed batch while indexing continues.

State ownership: the index thread is the one owner of the mutable workspace state,
that is the set of roots, each root's unsaved buffers and the settings. The public
mutators (``add_root``, ``remove_root``, ``apply_settings``, ``buffer_changed``,
``buffer_closed``, ``reindex``) may be called from any thread; they only enqueue, so
changes apply one at a time in the order they were asked for. ``roots`` is published
copy-on-write: a reader gets a snapshot that never changes under it. The one thing
shared between threads is the buffer inbox (newest text per document), under a lock.
After ``close`` has stopped the index thread, ``close`` itself is the owner.
"""

from __future__ import annotations

import collections
import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import filelock

from ..config import load_config
from ..errors import IndexBusyError
from ..index.indexer import SyncReport, put_buffer, update_paths
from ..index.watcher import FULL_SYNC, RootWatcher
from ..rerank.stages import CancelCheck
from ..search import SearchRequest, SearchResult
from .embedder import BackgroundEmbedder
from .retry import LockRetry
from .roots import Events, Root, locate, open_root, refresh_dense, sync_alongside, trim_heap
from .status import StatusThread

log = logging.getLogger(__name__)
LATENCY_WINDOW = 50

Plan = list[tuple[Root, SearchRequest]]  # each root with the request as it runs there


class Engine:
    def __init__(self, events: Events, settings: dict[str, Any] | None = None,
                 watch: bool = True):
        self.events = events
        self.watch = watch
        self._settings: dict[str, Any] = dict(settings or {})
        self._roots: dict[Path, Root] = {}  # replaced, never changed in place
        self._inbox: dict[str, tuple[int, str | None]] = {}  # uri -> (op, text | closed)
        self._ops = itertools.count(1)
        self._owner: int | None = None  # the index thread's ident
        self.index_pool = ThreadPoolExecutor(1, thread_name_prefix="codesift-index",
                                             initializer=self._claim)
        self.query_pool = ThreadPoolExecutor(1, thread_name_prefix="codesift-query")
        self.latencies: collections.deque[dict[str, float]] = collections.deque(
            maxlen=LATENCY_WINDOW)
        self._lock = threading.Lock()  # guards _inbox and _queued
        self._queued = 0
        self._closed = False
        self.retry, self.statuses = LockRetry(lambda: self._closed), StatusThread()
        self.embedder = BackgroundEmbedder(
            lambda fn: self._later_on_query(fn, drop=True), self._busy,
            lambda root: self._roots.get(root.path) is root, events)

    @property
    def roots(self) -> Mapping[Path, Root]:
        """A snapshot of the roots (the index thread publishes a new one on change)."""
        return self._roots

    # -- mutators: callable from any thread, applied on the index thread ----------------

    def add_root(self, path: Path) -> Future[Any]:
        """Open (creating if needed) a root's index and start its background sync."""
        path = path.resolve()
        return self.submit_index(lambda: self._open(path, {}))

    def remove_root(self, path: Path) -> Future[Any]:
        path = path.resolve()
        return self.submit_index(lambda: self._close(path))

    def apply_settings(self, settings: dict[str, Any]) -> Future[Any]:
        """New settings: rebuild each root's configuration and searcher, then re-sync.
        Unsaved buffers carry over to the reopened roots."""
        for path in self._roots:
            load_config(path, settings)  # raises ConfigError before anything changes
        settings = dict(settings)
        return self.submit_index(lambda: self._reconfigure(settings))

    def buffer_changed(self, uri: str, text: str) -> Future[Any]:
        """Index an unsaved buffer's text; only the newest text of a burst is indexed."""
        return self._post_buffer(uri, text)

    def buffer_closed(self, uri: str) -> Future[Any]:
        """The buffer is gone (closed or saved): the file on disk is the truth again."""
        return self._post_buffer(uri, None)

    def reindex(self) -> Future[None]:
        """Forget every indexed file of every root and index again from scratch."""
        return self.submit_index(self._rebuild)

    # -- the owner's side (index thread) ------------------------------------------------

    def _claim(self) -> None:
        self._owner = threading.get_ident()

    def _own(self) -> None:
        assert threading.get_ident() == self._owner, "engine state changes on the index thread"

    def _open(self, path: Path, buffers: dict[str, str]) -> None:
        self._own()
        if path in self._roots or self._closed:
            return
        root = open_root(path, self._settings, self.events)
        for rel, text in buffers.items():
            root.buffers[rel] = text
            put_buffer(root.workspace, root.writer, rel, text)
        self._roots = {**self._roots, path: root}
        if self.watch:
            scan = root.config.scan
            root.watcher = RootWatcher(path, lambda batch: self._on_file_batch(root, batch),
                                       scan.exclude_dirs, root.workspace.index_dir,
                                       rescan_names=scan.ignore_files)
            root.watcher.start()
        self._full_sync(root)

    def _close(self, path: Path) -> Root | None:
        self._own()
        root = self._roots.get(path)
        if root is None:
            return None
        self._roots = {p: r for p, r in self._roots.items() if p != path}
        root.close_watcher()
        root.writer.close()
        self._later_on_query(root.reader.close)  # after any search still reading it
        return root

    def _reconfigure(self, settings: dict[str, Any]) -> None:
        self._own()
        self._settings = settings
        for path in list(self._roots):
            root = self._close(path)
            if root is not None:
                self._open(path, dict(root.buffers))

    def _post_buffer(self, uri: str, text: str | None) -> Future[Any]:
        with self._lock:  # a newer op for this document supersedes the queued ones
            op = next(self._ops)
            self._inbox[uri] = (op, text)
        return self.submit_index(lambda: self._apply_buffer(uri, op))

    def _apply_buffer(self, uri: str, op: int) -> None:
        self._own()
        with self._lock:
            entry = self._inbox.get(uri)
            if entry is None or entry[0] != op:
                return  # a newer change or close of this document is queued: it applies
            del self._inbox[uri]
        located = self.locate(uri)
        if located is None:
            return
        root, rel = located
        text = entry[1]
        if text is None:
            root.buffers.pop(rel, None)
            update_paths(root.workspace, root.writer, [rel])
        else:
            root.buffers[rel] = text
            put_buffer(root.workspace, root.writer, rel, text)
            root.last_update = time.time()
        self._after_change(root)

    def _rebuild(self) -> None:
        self._own()
        for root in list(self._roots.values()):
            with root.writer.transaction():
                root.writer.forget_everything()
            for rel, text in list(root.buffers.items()):
                put_buffer(root.workspace, root.writer, rel, text)
            self._full_sync(root)

    def locate(self, uri: str) -> tuple[Root, str] | None:
        """The root holding a document and the document's root-relative path."""
        return locate(self._roots, uri)

    def _full_sync(self, root: Root) -> None:
        self._own()
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
        error, vectors = None, list[tuple[str, bytes]]()
        try:
            report, vectors = sync_alongside(root, progress)
            root.last_update = time.time()
        except IndexBusyError as exc:  # another process holds the index: again later
            error = f"{exc}; retrying"
            self.retry.later(root.path, lambda: self._on_file_batch(root, [FULL_SYNC]))
        except Exception as exc:  # reported to the client; the server keeps running
            log.exception("indexing %s failed", root.path)
            error = f"{type(exc).__name__}: {exc}"
        finally:
            trim_heap()  # and tell the client first: once "not indexing", the end is sent
            self.events.index_finished(root.path, report, error)
            root.indexing = False
        self._after_change(root, vectors)

    def _on_file_batch(self, root: Root, batch: list[str]) -> None:
        """From a watcher's thread: re-index the batch on the index thread."""
        if self._closed:
            return

        def apply() -> None:
            self._own()
            if self._roots.get(root.path) is not root:
                return  # removed or reopened since: the batch is for a closed index
            if FULL_SYNC in batch:
                self._full_sync(root)
                return
            try:
                update_paths(root.workspace, root.writer, batch, keep=set(root.buffers))
            except filelock.Timeout:  # another process holds the index: keep the batch
                self.retry.later(root.path, lambda: self._on_file_batch(root, batch))
                return
            self.retry.done(root.path)
            root.last_update = time.time()
            self._after_change(root)

        self.submit_index(apply)

    # -- threads -------------------------------------------------------------------------

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
        """Run work on the index thread; its failure is logged, never silently dropped.
        Once the engine is closed, work is dropped (the future comes back cancelled)."""
        try:
            future = self.index_pool.submit(fn)
        except RuntimeError:  # shut down
            if not self._closed:
                raise
            dropped: Future[Any] = Future()
            dropped.cancel()
            return dropped

        def report(done: Future[Any]) -> None:
            if not done.cancelled() and (exc := done.exception()) is not None:
                log.error("index work failed: %s: %s", type(exc).__name__, exc, exc_info=exc)

        future.add_done_callback(report)
        return future

    def _after_change(self, root: Root, ready: list[tuple[str, bytes]] | None = None) -> None:
        """On the index thread, after any index change: static embeddings now (``ready``:
        those computed while indexing); the models and light-model embeddings in idle time."""
        refresh_dense(root, ready)
        if not root.indexing:
            self._later_on_query(root.load_models, drop=True)
            self.embedder.start(root)

    def _busy(self) -> bool:
        """A query is waiting (or the engine is closing): idle work steps aside."""
        return self._queued > 0 or self._closed

    def _later_on_query(self, fn: Callable[[], Any], drop: bool = False) -> None:
        """Queue idle work on the query thread; once it is shut down, run it here
        (nothing reads any more) or, with ``drop``, skip it."""
        try:
            self.query_pool.submit(fn)
        except RuntimeError:
            if not drop:
                fn()

    # -- queries (query thread) ----------------------------------------------------------

    def plan(self, request: SearchRequest, *, own_budget: bool = False,
             own_limit: bool = False) -> Plan:
        """Each root with the request as that root runs it. ``own_budget``: the root's
        own ``rerank.interactive_budget_ms`` replaces ``request.budget_ms``;
        ``own_limit``: its own ``rerank.final_k`` replaces ``request.limit``."""
        plan: Plan = []
        for root in self._roots.values():
            changes: dict[str, Any] = {}
            if own_budget:
                changes["budget_ms"] = root.budget_ms()
            if own_limit:
                changes["limit"] = root.final_k()
            plan.append((root, replace(request, **changes) if changes else request))
        return plan

    def prefetch_later(self, plan: Plan) -> None:
        """Idle-time work: embed what a budgeted search left unscored. Any new query
        waiting for the query thread stops it between batches."""

        def run() -> None:
            for root, request in plan:
                if self._busy():
                    return
                if self._roots.get(root.path) is root:  # a removed root's reader is closing
                    root.searcher.prefetch(request, self._busy)
            trim_heap()

        self._later_on_query(run, drop=True)

    def stream(self, request: SearchRequest, cancel: CancelCheck | None = None, *,
               own_budget: bool = False, own_limit: bool = False
               ) -> Iterator[tuple[str, list[tuple[Path, SearchResult]]]]:
        """Snapshots across all roots, advanced in lockstep: (stage, per-root results)."""
        return self.stream_plan(self.plan(request, own_budget=own_budget,
                                          own_limit=own_limit), cancel)

    def stream_plan(self, plan: Plan, cancel: CancelCheck | None = None
                    ) -> Iterator[tuple[str, list[tuple[Path, SearchResult]]]]:
        gens = [(root.path, root.searcher.stream(request, cancel)) for root, request in plan]
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
        unscored = [(root, request) for root, request in plan if root.path in latest
                    and any(s.unscored for s in latest[root.path].stages)]
        if unscored:
            self.prefetch_later(unscored)
        elif not self._closed:  # after the answer: hand inference buffers back
            self._later_on_query(trim_heap, drop=True)

    def final(self, request: SearchRequest, *, own_budget: bool = False
              ) -> list[tuple[Path, SearchResult]]:
        """The last snapshot's per-root results (empty when there are no roots)."""
        last: list[tuple[Path, SearchResult]] = []
        for _, snapshot in self.stream(request, own_budget=own_budget):
            last = snapshot
        return last

    def status(self) -> Future[dict[str, Any]]:
        """``codesift/status``, answered on its own thread even while a search runs."""
        return self.statuses.submit(list(self._roots.values()), self.embedder.progress,
                                    self.latencies)

    def close(self) -> None:
        """Stop watchers, finish the running work (queued work is dropped) and close
        every database."""
        self._closed = True  # from here on, watchers' batches are dropped
        self.index_pool.shutdown(wait=True, cancel_futures=True)
        self.query_pool.shutdown(wait=True, cancel_futures=True)
        self.statuses.close()  # no worker thread is left: close() owns the state now
        for root in self._roots.values():
            root.close_watcher()
            root.reader.close()
            root.writer.close()
        self._roots = {}
