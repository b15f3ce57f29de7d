"""``codesift serve``: the pygls language server.

Handlers only parse, validate and hand work to the Engine's threads; nothing here
blocks the message loop on indexing, parsing or inference. Every handler is listed
in ``ROUTES`` with the thread its work runs on and whether it changes workspace
state (see ``dispatch.py``). Custom messages are documented in docs/PROTOCOL.md.
"""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types as t

from . import client_mistakes
from .dispatch import Route, register
from .framing import serve_stdio
from .handlers import documents, relevance, search, workspace
from .session import CodesiftServer, plain_json_converter

__all__ = ["ROUTES", "CodesiftServer", "build_server", "plain_json_converter", "serve"]

ROUTES: tuple[Route, ...] = (
    # workspace lifecycle and settings
    Route(t.INITIALIZE, workspace.initialize, on="loop", access="mutates"),
    Route(t.INITIALIZED, workspace.initialized, on="index", access="mutates"),
    Route(t.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS, workspace.folders_changed,
          on="index", access="mutates"),
    Route(t.WORKSPACE_DID_CHANGE_CONFIGURATION, workspace.configuration_changed,
          on="index", access="mutates"),
    Route(t.SHUTDOWN, workspace.shutdown, on="loop", access="mutates"),
    # document sync
    Route(t.TEXT_DOCUMENT_DID_CHANGE, documents.did_change, on="index", access="mutates"),
    Route(t.TEXT_DOCUMENT_DID_SAVE, documents.did_save, on="index", access="mutates"),
    Route(t.TEXT_DOCUMENT_DID_CLOSE, documents.did_close, on="index", access="mutates"),
    # search, status and reindex
    Route(search.SEARCH, search.search, on="query", access="reads"),
    Route(search.STATUS, search.status, on="query", access="reads"),
    Route(search.REINDEX, search.reindex, on="index", access="mutates"),
    Route(search.OPENED, search.opened, on="query", access="reads"),
    # relevance
    Route(t.TEXT_DOCUMENT_HOVER, relevance.hover, on="query", access="reads"),
    Route(t.TEXT_DOCUMENT_CODE_ACTION, relevance.code_action, on="loop", access="reads"),
    Route(relevance.RELEVANT_CODE, relevance.relevant_code, on="query", access="reads",
          command=True),
    Route(t.WORKSPACE_SYMBOL, relevance.workspace_symbol, on="query", access="reads"),
)


def build_server(watch: bool = True) -> CodesiftServer:
    server = CodesiftServer(watch=watch)
    register(server, ROUTES)
    return server


def limit_malloc_arenas() -> None:
    """A long-lived process with several worker threads: glibc's per-thread malloc
    arenas otherwise keep hundreds of MB of freed model activations."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-8, 2)  # M_ARENA_MAX
    except (OSError, AttributeError):
        pass  # not glibc: nothing to tune


def serve(tcp: tuple[str, int] | None = None, watch: bool = True,
          allowed_roots: list[Path] | None = None) -> None:
    """Serve LSP; ``allowed_roots`` (TCP mode) confines the folders clients may open."""
    limit_malloc_arenas()
    client_mistakes.install()
    server = build_server(watch=watch)
    server.allowed_roots = allowed_roots
    if tcp is not None:
        server.start_tcp(*tcp)
    else:
        serve_stdio(server)
