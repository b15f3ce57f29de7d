"""What the engine reports about indexing, kept for the tools to read and tell."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from ..index.indexer import SyncReport

log = logging.getLogger(__name__)


@dataclass
class RootProgress:
    """One root's indexing, as a tool result states it."""

    state: str = "waiting"  # waiting | indexing | ready | error
    done: int = 0
    total: int = 0
    error: str | None = None
    embedded: int = 0
    to_embed: int = 0

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"state": self.state, "files_done": self.done,
                                  "files_total": self.total}
        if self.error:
            out["error"] = self.error
        if self.to_embed:
            out["embedded"] = self.embedded
            out["to_embed"] = self.to_embed
        return out


class IndexEvents:
    """The engine's events (called from its worker threads), kept under a lock; a
    condition wakes whoever waits for indexing to finish."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._roots: dict[Path, RootProgress] = {}

    def snapshot(self) -> dict[Path, RootProgress]:
        with self._lock:
            return {path: RootProgress(**vars(p)) for path, p in self._roots.items()}

    def wait(self, timeout: float) -> None:
        with self._lock:
            self._lock.wait(timeout)

    def _update(self, root: Path, **changes: object) -> None:
        with self._lock:
            progress = self._roots.setdefault(root, RootProgress())
            for key, value in changes.items():
                setattr(progress, key, value)
            self._lock.notify_all()

    def index_started(self, root: Path, total: int) -> None:
        self._update(root, state="indexing", done=0, total=total, error=None)

    def index_progress(self, root: Path, done: int, total: int) -> None:
        self._update(root, state="indexing", done=done, total=total)

    def index_finished(self, root: Path, report: SyncReport | None, error: str | None
                       ) -> None:
        if error:
            log.warning("%s: %s", root, error)
        if report is None and error:
            self._update(root, state="error", error=error)
            return
        self._update(root, state="ready", error=error)

    def embed_progress(self, root: Path, done: int, total: int) -> None:
        self._update(root, embedded=done, to_embed=total)

    def embed_stopped(self, root: Path, reason: str) -> None:
        log.info("%s: background embedding stopped: %s", root, reason)
