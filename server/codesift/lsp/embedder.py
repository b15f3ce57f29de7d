"""Background embedding: after indexing, the light model embeds every chunk in idle time,
so that later searches find every candidate cached and the budget goes to the heavy stage.

It runs on the query thread in small steps, each requeued behind whatever queries
arrived meanwhile; inside a step, ``busy`` (a query waiting) stops it after one slice of
two documents. It is resumable across restarts because the embeddings persist in the
index by chunk hash. ``rerank.background_embed`` switches it off and
``rerank.background_embed_max_chunks`` skips roots larger than that.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from .roots import Root, trim_heap

log = logging.getLogger(__name__)
STEP_CHUNKS = 32
REPORT_S = 0.25  # progress notifications at most this often (a step takes ~0.3 s)
MAX_PASSES = 3  # walks over the index before giving up on chunks that will not store


class EmbedEvents(Protocol):
    def embed_progress(self, root: Path, done: int, total: int) -> None: ...
    def embed_stopped(self, root: Path, reason: str) -> None: ...


@dataclass
class Progress:
    done: int = 0
    total: int = 0
    state: str = "waiting"  # waiting | running | done | off | too large | failed
    cursor: int = 0  # chunk id the walk continues after (each chunk is looked at once)
    passes: int = 0
    # time.monotonic() of the last progress notification; -inf: none yet, so the first
    # goes at once (monotonic time starts near 0 at boot: 0.0 held it back there)
    reported: float = -math.inf
    searched: int = 0  # the searcher's count of vectors from searches, when last read

    def to_json(self) -> dict[str, Any]:
        return {"state": self.state, "done": self.done, "total": self.total}


class BackgroundEmbedder:
    def __init__(self, submit: Callable[[Callable[[], None]], None],
                 busy: Callable[[], bool], is_live: Callable[[Root], bool],
                 events: EmbedEvents):
        self._submit = submit  # onto the query thread
        self._busy = busy
        self._is_live = is_live
        self._events = events
        self.progress: dict[Path, Progress] = {}
        self._active: dict[Path, Root] = {}  # the root whose steps are queued, per folder

    def start(self, root: Root) -> None:
        """Embed what the root's light model has not seen (again after an index change).
        Callable from any thread: the state lives on the query thread."""
        self._submit(lambda: self._start(root))

    def _start(self, root: Root) -> None:
        progress = self.progress.setdefault(root.path, Progress())
        if not root.workspace.config.rerank.background_embed:
            self._active.pop(root.path, None)
            self._stop(root.path, progress, "off")
        elif progress.state != "running" or self._active.get(root.path) is not root:
            self._active[root.path] = root  # a reopened folder's run replaces the old one
            progress.state = "running"
            progress.cursor = progress.passes = 0
            try:
                coverage = root.searcher.embedding_coverage()
            except Exception as exc:  # a broken model: the stages report it on each search
                self._fail(root, progress, exc)
                return
            if coverage is None:
                self._active.pop(root.path, None)
                self._stop(root.path, progress, "off")  # no bi-encoder light model
                return
            progress.done, progress.total = coverage
            progress.searched = root.searcher.vectors_from_searches()
            limit = root.workspace.config.rerank.background_embed_max_chunks
            if progress.total > limit:
                self._active.pop(root.path, None)
                self._stop(root.path, progress, "too large")
                log.warning("%s has %d chunks, more than "
                            "rerank.background_embed_max_chunks (%d): not embedding in the "
                            "background", root.path, progress.total, limit)
                return
            self._step(root)

    def _step(self, root: Root) -> None:
        progress = self.progress[root.path]
        if self._active.get(root.path) is not root:
            return  # superseded by a newer run for this folder, or switched off
        if not self._is_live(root):
            self._active.pop(root.path, None)
            self._stop(root.path, progress, "waiting")  # removed or reopened: a new start
            return
        if self._busy():  # a query is waiting: go behind it
            self._submit(lambda: self._step(root))
            return
        try:
            stepped = root.searcher.embed_pending(STEP_CHUNKS, progress.cursor, self._busy)
        except Exception as exc:  # a broken model: the stages report it on each search
            self._fail(root, progress, exc)
            return
        if stepped is None:
            self._stop(root.path, progress, "off")  # no bi-encoder light model
            return
        embedded, progress.cursor = stepped
        # chunks that searches embedded meanwhile are skipped by the walk: count them too,
        # or the progress lags and jumps at the end's recount
        searched = root.searcher.vectors_from_searches()
        progress.done = min(progress.total, progress.done + embedded + searched
                            - progress.searched)
        progress.searched = searched
        if progress.cursor < 0:  # every chunk looked at: the count, not the estimate
            self._count_then_end_pass(root, progress)
            return
        self._report(root, progress)
        self._submit(lambda: self._step(root))  # behind any query that arrived

    def _report(self, root: Root, progress: Progress, now: bool = False) -> None:
        if now or time.monotonic() - progress.reported >= REPORT_S:
            progress.reported = time.monotonic()
            self._events.embed_progress(root.path, progress.done, progress.total)

    def _count_then_end_pass(self, root: Root, progress: Progress) -> None:
        """The exact count reads the page of every stored vector (about 1 s for 89,000
        chunks); on the query thread it held a search that long. It runs on a connection
        of its own (SQLite lets the other threads run meanwhile) and the pass ends back on
        the query thread."""
        def count() -> None:
            coverage = None
            try:
                coverage = root.searcher.embedding_coverage(separate=True)
                if coverage is not None and 0 < coverage[1] == coverage[0]:
                    root.searcher.preload_embedded()  # read here, not on the query thread
            except Exception as exc:  # the walk's estimate stands
                log.debug("embedding count failed: %s: %s", type(exc).__name__, exc)
            self._submit(lambda: self._end_pass(root, progress, coverage))

        threading.Thread(target=count, name="codesift-embed-count", daemon=True).start()

    def _end_pass(self, root: Root, progress: Progress, coverage: tuple[int, int] | None
                  ) -> None:
        if self._active.get(root.path) is not root or progress.state != "running":
            return  # superseded, switched off or failed meanwhile
        progress.done, progress.total = coverage or (progress.done, progress.total)
        progress.passes += 1
        if progress.done < progress.total:  # some vectors could not be stored
            if progress.passes >= MAX_PASSES:
                self._fail(root, progress, RuntimeError(
                    f"{progress.total - progress.done} chunks still not cached after "
                    f"{MAX_PASSES} passes"))
                return
            progress.cursor = 0  # walk again
            self._report(root, progress)
            self._submit(lambda: self._step(root))
            return
        self._report(root, progress, now=True)
        progress.state = "done"
        if coverage is not None:  # a failed count: the next index change's pass marks it
            root.searcher.mark_embedded(coverage)
        trim_heap()  # the encoder's batch buffers, freed, go back to the system

    def _fail(self, root: Root, progress: Progress, exc: Exception) -> None:
        log.warning("background embedding of %s stopped: %s: %s", root.path,
                    type(exc).__name__, exc)
        self._active.pop(root.path, None)
        self._stop(root.path, progress, "failed")

    def _stop(self, path: Path, progress: Progress, state: str) -> None:
        """Leave the running state; a progress the client shows is ended, not left
        spinning."""
        if progress.state == "running" and 0 < progress.total and progress.done < progress.total:
            self._events.embed_stopped(path, state)
        progress.state = state
