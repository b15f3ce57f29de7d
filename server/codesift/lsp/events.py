"""Engine events and codesift warnings turned into LSP notifications.

Both are called from worker threads and hand every send to the event loop."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from lsprotocol import types as t

from ..index.indexer import SyncReport
from .session import CodesiftServer

log = logging.getLogger(__name__)


class LspEvents:
    """Engine events turned into LSP notifications, sent from the event loop."""

    def __init__(self, server: CodesiftServer, loop: asyncio.AbstractEventLoop):
        self.server = server
        self.loop = loop
        self.tokens: dict[Path, str] = {}
        self.embed_tokens: dict[Path, str] = {}

    def _on_loop(self, fn: Any, *args: Any) -> None:
        self.loop.call_soon_threadsafe(fn, *args)

    def _new_token(self, kind: str) -> str | None:
        """A work-done progress token the client accepted, or None."""
        if not self.server.progress_supported:
            return None
        token = self.server.next_token(kind)

        async def create() -> None:
            await self.server.work_done_progress.create_async(token)

        try:  # the token must exist on the client before the first notification
            asyncio.run_coroutine_threadsafe(create(), self.loop).result(timeout=10)
        except Exception:
            log.info("client did not accept a progress token; working silently")
            return None
        return token

    def index_started(self, root: Path, total: int) -> None:
        token = self._new_token("index")
        if token is None:
            return
        self.tokens[root] = token
        self._on_loop(self.server.work_done_progress.begin, token, t.WorkDoneProgressBegin(
            title=f"Indexing {root.name}", message=f"0/{total:,} files", percentage=0,
            cancellable=False))

    def embed_progress(self, root: Path, done: int, total: int) -> None:
        """Background embedding: one progress from the first step to the last."""
        token = self.embed_tokens.get(root)
        if token is None and done < total:
            token = self._new_token("embed")
            if token is None:
                return
            self.embed_tokens[root] = token
            self._on_loop(self.server.work_done_progress.begin, token,
                          t.WorkDoneProgressBegin(title=f"Embedding {root.name}",
                                                  message=f"{done:,}/{total:,} chunks",
                                                  percentage=int(100 * done / total),
                                                  cancellable=False))
        elif token is not None and done < total:
            self._on_loop(self.server.work_done_progress.report, token,
                          t.WorkDoneProgressReport(
                              message=f"Embedding {done:,}/{total:,} chunks",
                              percentage=int(100 * done / max(1, total))))
        elif token is not None:
            self.embed_tokens.pop(root, None)
            self._on_loop(self.server.work_done_progress.end, token, t.WorkDoneProgressEnd(
                message=f"{root.name}: {total:,} chunks embedded; searches rank fully"))

    def embed_stopped(self, root: Path, reason: str) -> None:
        """Background embedding stopped before the end (switched off, folder gone, model
        broken): end its progress with the reason."""
        token = self.embed_tokens.pop(root, None)
        if token is not None:
            self._on_loop(self.server.work_done_progress.end, token, t.WorkDoneProgressEnd(
                message=f"{root.name}: embedding stopped ({reason})"))

    def index_progress(self, root: Path, done: int, total: int) -> None:
        token = self.tokens.get(root)
        if token is None or total == 0:
            return
        self._on_loop(self.server.work_done_progress.report, token, t.WorkDoneProgressReport(
            message=f"Indexing {done:,}/{total:,} files",
            percentage=int(100 * done / total)))

    def index_finished(self, root: Path, report: SyncReport | None, error: str | None
                       ) -> None:
        token = self.tokens.pop(root, None)
        if report is not None:
            message = (f"{root.name}: +{report.added} added, {report.updated} updated, "
                       f"{report.removed} removed in {report.seconds:.1f}s")
        else:
            message = f"{root.name}: indexing failed: {error}"
            self._on_loop(self.server.window_show_message, t.ShowMessageParams(
                t.MessageType.Error, f"codesift: {message}"))
        if token is not None:
            self._on_loop(self.server.work_done_progress.end, token,
                          t.WorkDoneProgressEnd(message=message))


class ClientLogHandler(logging.Handler):
    """Forwards codesift warnings to the client's log, each distinct message once."""

    def __init__(self, server: CodesiftServer, loop: asyncio.AbstractEventLoop):
        super().__init__(logging.WARNING)
        self.server = server
        self.loop = loop
        self.seen: set[str] = set()

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message in self.seen:
            return
        self.seen.add(message)
        kind = t.MessageType.Error if record.levelno >= logging.ERROR else t.MessageType.Warning
        self.loop.call_soon_threadsafe(self.server.window_log_message,
                                       t.LogMessageParams(kind, f"codesift: {message}"))
