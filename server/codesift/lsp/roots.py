"""One workspace folder as the server holds it: its index connections, searcher,
watcher and the unsaved buffers of its open documents.

A Root belongs to the engine's index thread: it is opened there, changed there and
closed there (its reader on the query thread, after any search still using it). Other
threads only read it, through the engine's snapshot of the roots.
"""

from __future__ import annotations

import ctypes
import dataclasses
import logging
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlparse

from ..config import Config, config_from_dict, load_config
from ..errors import ConfigError
from ..index.indexer import SyncReport, sync
from ..index.location import default_index_dir
from ..index.store import Store
from ..index.watcher import RootWatcher
from ..rerank.scorers import ModelPool
from ..retrieve import dense
from ..retrieve.dense_alongside import EmbedAlongside
from ..search import Searcher
from ..workspace import Workspace
from .params import MAX_LIMIT

log = logging.getLogger(__name__)


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
    def embed_progress(self, root: Path, done: int, total: int) -> None: ...
    def embed_stopped(self, root: Path, reason: str) -> None: ...


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
    # root-relative path -> unsaved text; written on the index thread only
    buffers: dict[str, str] = field(default_factory=dict)
    indexing: bool = False
    last_update: float | None = None

    @property
    def path(self) -> Path:
        return self.workspace.root

    @property
    def config(self) -> Config:
        return self.workspace.config

    def budget_ms(self) -> float | None:
        """This folder's interactive budget for the model stages (0: none)."""
        return float(self.config.rerank.interactive_budget_ms) or None

    def final_k(self) -> int:
        """Results this folder keeps after the cascade (``rerank.final_k``)."""
        return max(1, min(MAX_LIMIT, int(self.config.rerank.final_k)))

    def load_models(self) -> None:
        """The model stages, loaded in idle time; loading's temporaries go back to the
        system."""
        self.searcher.load_models()
        trim_heap()

    def close_watcher(self) -> None:
        if self.watcher is not None:
            self.watcher.stop()
            self.watcher = None


def root_config(path: Path, settings: dict[str, Any], events: Events) -> Config:
    """The folder's configuration; a broken codesift.toml is reported, then defaults."""
    try:
        config = load_config(path, settings)
    except ConfigError as exc:  # a broken codesift.toml: say so, index anyway
        events.index_finished(path, None, f"{exc}; indexing with defaults")
        try:
            config = config_from_dict(settings)
        except ConfigError:
            config = Config()
    return per_folder_index(path, config)


def per_folder_index(path: Path, config: Config) -> Config:
    """An editor's absolute ``index_dir`` is one setting for every workspace folder: each
    folder's index goes into its own subfolder of it (one index serves one root)."""
    configured = config.index.index_dir
    if not configured or not Path(configured).expanduser().is_absolute():
        return config
    folder = str(Path(configured).expanduser() / default_index_dir(path).name)
    return dataclasses.replace(config, index=dataclasses.replace(config.index,
                                                                 index_dir=folder))


def open_root(path: Path, settings: dict[str, Any], events: Events) -> Root:
    """Open (creating if needed) a folder's index: a writer, a reader and a searcher."""
    workspace = Workspace(path, root_config(path, settings, events))
    writer = workspace.open_store()
    reader = Store(workspace.db_path)
    models = ModelPool(workspace.config.rerank, reader)
    return Root(workspace, writer, reader, Searcher(reader, workspace.config, models))


def locate(roots: Mapping[Path, Root], uri: str) -> tuple[Root, str] | None:
    """The innermost root holding a document, and the document's root-relative path."""
    path = uri_to_path(uri)
    if path is None:
        return None
    best: Root | None = None
    for root_path, root in roots.items():
        if path.is_relative_to(root_path) and (best is None or len(root_path.parts) >
                                               len(best.path.parts)):
            best = root
    if best is None:
        return None
    return best, path.relative_to(best.path).as_posix()


def root_status(root: Root, store: Store, embedding: Any = None) -> dict[str, Any]:
    """One root's part of ``codesift/status``, read through ``store``."""
    stats = store.stats()
    return {
        "embedding": embedding.to_json() if embedding is not None else {"state": "waiting"},
        "uri": root.path.as_uri(), "index_dir": str(root.workspace.index_dir),
        "indexing": root.indexing, "files": stats["files"], "chunks": stats["chunks"],
        "symbols": stats["symbols"], "languages": store.language_counts(),
        "last_update": root.last_update, "unsaved_buffers": len(root.buffers),
        "model_failures": dict(root.searcher.models.failures),
    }


def sync_alongside(root: Root, progress: Callable[[int, int, str], None]
                   ) -> tuple[SyncReport, list[tuple[str, bytes]]]:
    """A full sync of ``root`` (unsaved buffers kept) with its static vectors computed on a
    second thread meanwhile; the vectors are for ``refresh_dense`` to write."""
    with EmbedAlongside(root.workspace.db_path, root.workspace.config) as alongside:
        result = sync(root.workspace, root.writer, progress=alongside.watch(progress),
                      keep=set(root.buffers))
    return result, alongside.vectors


def refresh_dense(root: Root, ready: list[tuple[str, bytes]] | None = None) -> None:
    """Static embeddings for new chunks (the dense generator), after any index change, on
    the index thread; lexical answers go on meanwhile. ``ready``: vectors computed while
    indexing."""
    try:
        dense.refresh(root.writer, root.workspace.config, ready=ready or ())
    except Exception as exc:  # a failing embedder costs dense candidates, nothing more
        log.warning("dense embedding of %s failed: %s: %s", root.path, type(exc).__name__,
                    exc)
    trim_heap()  # the vectors written and the matrix's rows read: freed, given back


def latency_summary(samples: Iterable[Mapping[str, float]]) -> dict[str, dict[str, float]]:
    """p50 / max / count per stage over recent searches' timings."""
    out: dict[str, dict[str, float]] = {}
    for stage in ("candidates", "light", "heavy", "total"):
        values = sorted(t[stage] for t in samples if stage in t)
        if values:
            out[stage] = {"p50": round(values[len(values) // 2], 2),
                          "max": round(values[-1], 2), "n": len(values)}
    return out


def engine_status(roots: list[Root], embedding: Mapping[Path, Any],
                  latencies: Iterable[Mapping[str, float]],
                  stores: Mapping[Path, Store]) -> dict[str, Any]:
    """``codesift/status`` without the version, read through ``stores`` (per root)."""
    hits = misses = 0
    models: dict[str, str] = {}
    for root in roots:
        pool = root.searcher.models
        for cache in (pool.embeddings, pool.scores):
            hits += cache.hits
            misses += cache.misses
        models.update(pool.loaded)
    return {"roots": [root_status(root, stores[root.path], embedding.get(root.path))
                      for root in roots],
            "models": models,
            "cache_hit_rate": round(hits / (hits + misses), 4) if hits + misses else None,
            "latency_ms": latency_summary(latencies)}
