"""The background embedder's scheduling: progress, yielding to queries, a folder reopened
mid-run, switched off mid-run (its progress is ended, never left spinning)."""

from __future__ import annotations

import threading
from collections import deque
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from codesift.config import Config
from codesift.lsp.embedder import BackgroundEmbedder


class FakeSearcher:
    """Chunks 1..total; embeds ``step`` per call, walking by id (the real one is tested
    end to end in test_lsp_embedding.py)."""

    def __init__(self, total: int, step: int = 10):
        self.done, self.total, self.step = 0, total, step
        self.ahead: set[int] = set()  # chunks a search embedded before the walk got there
        self.searched = 0

    def vectors_from_searches(self) -> int:
        return self.searched

    def search_embeds(self, chunks: range) -> None:
        new = [c for c in chunks if c > self.done and c not in self.ahead]
        self.ahead.update(new)
        self.searched += len(new)

    def embedding_coverage(self, separate: bool = False) -> tuple[int, int]:
        return self.done + len(self.ahead), self.total

    def mark_embedded(self, coverage: tuple[int, int] | None = None) -> bool:
        self.marked = (coverage or (self.done, self.total)) == (self.total, self.total)
        return self.marked

    def embed_pending(self, batch: int, after: int = 0, cancel: Any = None
                      ) -> tuple[int, int]:
        todo = list(range(max(after, self.done) + 1, self.total + 1))[: self.step]
        if not todo:
            return 0, -1
        self.done = todo[-1]
        embedded = [c for c in todo if c not in self.ahead]
        self.ahead.difference_update(todo)
        return len(embedded), todo[-1]


def make_root(total: int, embed: bool = True) -> Any:
    config = Config()
    config.rerank.background_embed = embed
    return SimpleNamespace(path=Path("/ws"), workspace=SimpleNamespace(config=config),
                           searcher=FakeSearcher(total))


class Harness:
    def __init__(self) -> None:
        self.queue: deque = deque()
        self.busy = False
        self.live: set[int] = set()
        self.events: list[tuple] = []
        self.embedder = BackgroundEmbedder(self.queue.append, lambda: self.busy,
                                           lambda root: id(root) in self.live, self)

    def embed_progress(self, root: Path, done: int, total: int) -> None:
        self.events.append(("progress", done, total))

    def embed_stopped(self, root: Path, reason: str) -> None:
        self.events.append(("stopped", reason))

    def run(self, steps: int = 1000) -> None:
        """Run queued work; the count that ends a pass runs on a thread of its own, so
        wait for it when the queue is empty."""
        while steps:
            if not self.queue:
                counting = [t for t in threading.enumerate() if t.name == "codesift-embed-count"]
                if not counting:
                    return
                for thread in counting:
                    thread.join(5)
                continue
            self.queue.popleft()()
            steps -= 1


def test_runs_to_the_end_and_steps_aside_for_queries():
    h = Harness()
    root = make_root(35)
    h.live.add(id(root))
    h.embedder.start(root)
    h.busy = True
    h.run(5)
    assert root.searcher.done == 0  # a waiting query: every step requeued, nothing embedded
    h.busy = False
    h.run()
    assert h.embedder.progress[root.path].to_json() == {"state": "done", "done": 35,
                                                       "total": 35}
    assert h.events[-1] == ("progress", 35, 35)
    assert root.searcher.marked  # the complete pass is recorded for the embedded candidates


def test_a_reopened_folder_continues_and_switching_off_ends_the_progress():
    h = Harness()
    old = make_root(100)
    h.live.add(id(old))
    h.embedder.start(old)
    h.run(3)
    new = make_root(100)  # settings changed: the folder is reopened
    new.searcher.done = old.searcher.done
    h.live = {id(new)}
    h.embedder.start(new)
    h.run()
    assert h.embedder.progress[new.path].state == "done"
    assert new.searcher.done == 100 and h.events[-1] == ("progress", 100, 100)
    off = make_root(200, embed=True)
    h.live = {id(off)}
    h.embedder.start(off)
    h.run(2)
    quiet = make_root(200, embed=False)
    h.live = {id(quiet)}
    h.embedder.start(quiet)
    h.run()
    assert h.events[-1][0] == "stopped"  # the progress was ended, not left running
    assert h.embedder.progress[quiet.path].state == "off"


def test_progress_is_reported_at_a_bounded_rate_and_always_at_the_end(monkeypatch):
    import codesift.lsp.embedder as embedder

    h = Harness()
    root = make_root(100)
    h.live.add(id(root))
    monkeypatch.setattr(embedder, "REPORT_S", 3600.0)  # only the first and the last report
    h.embedder.start(root)
    h.run()
    assert h.embedder.progress[root.path].to_json()["state"] == "done"
    assert [e for e in h.events if e[0] == "progress"] == [("progress", 10, 100),
                                                           ("progress", 100, 100)]


def test_chunks_searches_embed_ahead_of_the_walk_count_at_once(monkeypatch):
    """Searches during the pass embed their pools; the walk then skips those chunks. They
    count as they are embedded: the progress tracks the real coverage and does not jump
    at the end's recount."""
    import codesift.lsp.embedder as embedder

    monkeypatch.setattr(embedder, "REPORT_S", 0.0)  # every step reports
    h = Harness()
    root = make_root(100)
    h.live.add(id(root))
    h.embedder.start(root)
    h.run(2)  # the start (with its first step) and a second: chunks 1..20
    root.searcher.search_embeds(range(41, 71))  # a search's pool, ahead of the walk
    h.run(1)
    progress = [e[1] for e in h.events if e[0] == "progress"]
    assert progress[-1] == root.searcher.embedding_coverage()[0] == 60  # 30 walked + 30
    h.run()
    progress = [e[1] for e in h.events if e[0] == "progress"]
    assert progress == sorted(progress) and progress[-1] == 100
    steps = progress[:-1]  # the last event is the recount at the end
    assert steps[-1] == 100  # the walk alone got there: no jump at the recount
