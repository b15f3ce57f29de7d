"""Index work that found the index locked by another process is tried again later,
with backoff, until it is applied: a watcher batch is never dropped for a busy lock."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)
FIRST_DELAY_S = 0.5
MAX_DELAY_S = 30.0


class LockRetry:
    """Per root, the next delay; ``later`` schedules one retry, ``done`` resets it."""

    def __init__(self, closed: Callable[[], bool]):
        self._closed = closed
        self._delays: dict[Path, float] = {}
        self._lock = threading.Lock()

    def later(self, root: Path, fn: Callable[[], None]) -> float:
        """Run ``fn`` after the root's current delay (then double it); the delay."""
        with self._lock:
            delay = self._delays.get(root, FIRST_DELAY_S)
            self._delays[root] = min(delay * 2, MAX_DELAY_S)
        log.warning("index of %s is locked by another process; retrying in %.1f s",
                    root, delay)

        def run() -> None:
            if not self._closed():
                fn()

        timer = threading.Timer(delay, run)
        timer.daemon = True
        timer.start()
        return delay

    def done(self, root: Path) -> None:
        with self._lock:
            self._delays.pop(root, None)
