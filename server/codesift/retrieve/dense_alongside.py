"""Static vectors computed on a second thread while the lexical index is being built.

A cold index is one Python thread parsing and writing; the static model's tokenizer and
pooling run in Rust and numpy outside the GIL, so on a second core they keep pace with
the indexer. The thread reads each committed batch of chunks (a WAL reader never blocks
the writer) and keeps the vectors in memory; ``dense.refresh`` writes them once the index
is built and embeds whatever the thread did not reach. Without it the embedding pass
came after indexing and nearly doubled a cold index of the standard library.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from ..config import Config
from ..index.store import Store
from . import dense

log = logging.getLogger(__name__)
MAX_PENDING = 100_000  # about 40 MB of vectors and keys; the rest is embedded after indexing
IDLE_S = 0.2


class EmbedAlongside:
    """``with EmbedAlongside(db, config) as alongside: sync(..., progress=alongside.watch(
    report))``, then ``dense.refresh(store, config, ready=alongside.vectors)``. The thread
    starts once the sync reports files to index (an unchanged tree starts none)."""

    def __init__(self, db_path: Path, config: Config):
        self.db_path = db_path
        self.config = config
        self.vectors: list[tuple[str, bytes]] = []
        self._indexed = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        name = self.config.retrieve.dense_model
        if self._thread is None and name and self.config.retrieve.strategy != "lexical":
            self._thread = threading.Thread(target=self._run, args=(name,),
                                            name="codesift-dense", daemon=True)
            self._thread.start()

    def watch(self, progress: Callable[[int, int, str], None] | None = None
              ) -> Callable[[int, int, str], None]:
        """A sync progress callback that starts the thread at the first report of work,
        then passes the report on to ``progress``."""

        def report(done: int, total: int, rel: str) -> None:
            if total:
                self.start()
            if progress is not None:
                progress(done, total, rel)

        return report

    def __enter__(self) -> EmbedAlongside:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._indexed.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self, name: str) -> None:
        try:
            store = Store(self.db_path)
        except Exception as exc:  # the embedding pass after indexing does it all instead
            log.warning("static embedding alongside indexing unavailable: %s", exc)
            return
        try:
            self._embed_committed(store, name)
        except Exception as exc:
            log.warning("static embedding alongside indexing stopped: %s: %s",
                        type(exc).__name__, exc)
        finally:
            store.close()

    def _embed_committed(self, store: Store, name: str) -> None:
        after = 0
        while len(self.vectors) < MAX_PENDING:
            indexed = self._indexed.is_set()
            after, pairs = dense.embed_next(store, name, after)
            if pairs is not None:
                self.vectors += pairs
            elif indexed or dense.load_model(name) is None:
                return
            else:
                time.sleep(IDLE_S)  # the indexer's next batch is not committed yet
