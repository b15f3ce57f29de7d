"""``codesift/status`` on a thread of its own, with read connections of its own: it
answers while a long search holds the query thread (a status poll must never wait for
a search to finish)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ..index.store import Store
from .roots import Root, engine_status


class StatusThread:
    """Owns one Store per open index, opened on first use and closed with its root."""

    def __init__(self) -> None:
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="codesift-status")
        self.stores: dict[Path, Store] = {}  # touched on the status thread only

    def submit(self, roots: list[Root], embedding: Mapping[Path, Any],
               latencies: Iterable[Mapping[str, float]]) -> Future[dict[str, Any]]:
        return self.pool.submit(self._status, roots, dict(embedding), list(latencies))

    def _status(self, roots: list[Root], embedding: Mapping[Path, Any],
                latencies: list[Mapping[str, float]]) -> dict[str, Any]:
        live = {root.workspace.db_path for root in roots}
        for gone in [path for path in self.stores if path not in live]:
            self.stores.pop(gone).close()
        for root in roots:
            if root.workspace.db_path not in self.stores:
                self.stores[root.workspace.db_path] = Store(root.workspace.db_path)
        return engine_status(roots, embedding, latencies,
                             {r.path: self.stores[r.workspace.db_path] for r in roots})

    def close(self) -> None:
        def close_all() -> None:
            for store in self.stores.values():
                store.close()
            self.stores.clear()

        self.pool.submit(close_all)
        self.pool.shutdown(wait=True)
