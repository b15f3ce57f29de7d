"""The pygls server object and the session state that lives on the event loop."""

from __future__ import annotations

import itertools
import logging
import threading
from pathlib import Path
from typing import Any

from lsprotocol import converters
from lsprotocol import types as t
from pygls.exceptions import JsonRpcInvalidRequest, JsonRpcServerNotInitialized
from pygls.lsp.server import LanguageServer
from pygls.protocol import JsonRPCNotification, JsonRPCRequestMessage, JsonRPCResponseMessage

from .. import __version__
from .engine import Engine
from .protocol import AnsweringProtocol

log = logging.getLogger(__name__)


def strict_str(value: Any, _: Any) -> str:
    """A string field gets a string: cattrs would turn ``false`` into "False"."""
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {type(value).__name__}")
    return value


def plain_json_converter() -> Any:
    """lsprotocol's converter, but params and results of custom messages stay plain JSON
    (pygls' default turns them into namedtuples), a missing ``params`` is None, and
    strings must be strings."""
    converter = converters.get_converter()
    for message in (JsonRPCRequestMessage, JsonRPCResponseMessage, JsonRPCNotification):
        converter.register_structure_hook(message, lambda obj, cls: cls(**obj))
    converter.register_structure_hook(
        JsonRPCRequestMessage, lambda obj, cls: cls(**{"params": None, **obj}))
    converter.register_structure_hook(str, strict_str)
    return converter


class CodesiftServer(LanguageServer):
    """Session state. Fields are written on the event loop only (worker threads read
    ``progress_supported`` and take tokens from ``next_token``); the workspace state
    (roots, buffers, settings) belongs to the engine's index thread."""

    def __init__(self, watch: bool = True) -> None:
        super().__init__("codesift", __version__,
                         text_document_sync_kind=t.TextDocumentSyncKind.Incremental,
                         converter_factory=plain_json_converter,
                         protocol_cls=AnsweringProtocol)
        self.watch = watch  # file watchers per root (off in some tests)
        self.engine: Engine | None = None
        self.initial_folders: list[Path] = []  # from initialize, opened on initialized
        self.active_search: threading.Event | None = None  # cancels the running search
        self.progress_supported = False
        self.shut_down = False  # after shutdown every request is InvalidRequest
        self.allowed_roots: list[Path] | None = None  # TCP mode: folders clients may open
        self._tokens = itertools.count(1)

    def report_server_error(self, error: Exception, source: Any) -> None:
        """Logged, never shown: a malformed message is the client's bug, not the user's."""
        log.info("%s: %s", getattr(source, "__name__", source), error)

    def allowed(self, folder: Path) -> bool:
        """Whether a client may open this folder (always over stdio)."""
        if self.allowed_roots is None:
            return True
        real = folder.resolve()
        return any(real == a or real.is_relative_to(a) for a in self.allowed_roots)

    def require_engine(self) -> Engine:
        if self.shut_down:
            raise JsonRpcInvalidRequest("the server is shutting down")
        if self.engine is None:
            raise JsonRpcServerNotInitialized("the server is not initialized")
        return self.engine

    def next_token(self, kind: str) -> str:
        return f"codesift-{kind}-{next(self._tokens)}"
