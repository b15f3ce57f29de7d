"""The MCP server: the official SDK's ``MCPServer`` with codesift's tools.

Tool work runs on the engine's query thread (searches) or waits on its index thread
(reindex), never on the event loop; a cancelled request stops its search between
batches. Argument errors come back as JSON-RPC InvalidParams naming the field."""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS
from pydantic import ValidationError

from .. import __version__
from ..errors import UserError
from ..lsp.engine import Engine
from ..lsp.roots import uri_to_path
from .events import IndexEvents

log = logging.getLogger(__name__)
ROOTS_OPEN_WAIT_S = 10.0

INSTRUCTIONS = (
    "codesift searches the code of the open workspace: identifiers, regexes and plain "
    "questions ('where are retries with backoff handled'). Start with `search`; read "
    "more of a result with `get_code`; `relevant_code` finds code related to a place or "
    "a symbol. Results are ranked by keyword, syntax-tree and regex retrieval reranked "
    "by small local models. Nothing leaves this machine.")


class CodesiftMCP(MCPServer):
    """MCPServer whose argument validation errors are InvalidParams, not tool output."""

    async def call_tool(self, name: str, arguments: dict[str, Any],
                        context: Any = None) -> Any:
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            cause = exc.__cause__
            if isinstance(cause, ValidationError):
                problems = "; ".join(
                    f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
                    for err in cause.errors())
                raise MCPError(code=INVALID_PARAMS,
                               message=f"invalid arguments for {name}: {problems}") from None
            raise


class Session:
    """The engine and its roots for one MCP server process."""

    def __init__(self, roots: list[Path], watch: bool = True, client_roots: bool = True):
        self.events = IndexEvents()
        self.engine = Engine(self.events, {}, watch=watch)
        self.roots = [r.resolve() for r in roots]
        # over HTTP any local user can connect: the command line's roots only
        self.client_roots_checked = not client_roots
        for root in self.roots:
            self.engine.add_root(root)

    @property
    def parts(self) -> tuple[Engine, IndexEvents]:
        return self.engine, self.events

    async def adopt_client_roots(self, ctx: Context) -> None:
        """The client's MCP roots, when it offers them, replace the command line's."""
        if self.client_roots_checked:
            return
        self.client_roots_checked = True
        caps = ctx.client_capabilities
        if caps is None or caps.roots is None:
            return
        try:
            with warnings.catch_warnings():  # roots are deprecated from protocol 2026-07-28
                warnings.simplefilter("ignore")
                listed = await ctx.session.list_roots()
        except Exception as exc:  # the client said it has roots but did not answer
            log.info("client roots unavailable (%s); keeping %s", exc, self.roots)
            return
        paths = [p for p in (uri_to_path(str(r.uri)) for r in listed.roots)
                 if p is not None and p.is_dir()]
        if not paths:
            return
        for old in self.roots:
            self.engine.remove_root(old)
        self.roots = [p.resolve() for p in paths]
        for root in self.roots:
            self.engine.add_root(root)
        # the index thread applies these in order; answer once the new roots are open
        # (their indexing goes on in the background)
        deadline = time.monotonic() + ROOTS_OPEN_WAIT_S
        while set(self.engine.roots) != set(self.roots) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)

    async def on_query_thread(self, fn: Callable[[threading.Event], Any]) -> Any:
        """Run ``fn(cancel)`` on the query thread; a cancelled request sets ``cancel``."""
        cancel = threading.Event()
        try:
            return await asyncio.wrap_future(self.engine.submit_query(lambda: fn(cancel)))
        except asyncio.CancelledError:  # the search sees ``cancel`` and stops
            cancel.set()
            raise
        except UserError as exc:
            raise MCPError(code=INVALID_PARAMS, message=str(exc)) from None


def progress_reporter(ctx: Context, loop: asyncio.AbstractEventLoop
                      ) -> Callable[[float, float | None, str], None]:
    """A thread-safe way to send this request's progress notifications."""

    def report(progress: float, total: float | None, message: str) -> None:
        asyncio.run_coroutine_threadsafe(ctx.report_progress(progress, total, message), loop)

    return report


def build_server(session: Session) -> CodesiftMCP:
    from .tool_defs import register  # it imports this module

    server = CodesiftMCP("codesift", version=__version__, instructions=INSTRUCTIONS)
    register(server, session)
    return server


def serve(roots: list[Path], http_port: int | None = None, watch: bool = True) -> None:
    session = Session(roots, watch, client_roots=http_port is None)
    server = build_server(session)
    try:
        if http_port is None:
            server.run("stdio")
        else:
            print(f"codesift mcp: streamable HTTP on http://127.0.0.1:{http_port}/mcp "
                  "(loopback only)", file=sys.stderr, flush=True)
            server.run("streamable-http", host="127.0.0.1", port=http_port)
    finally:
        session.engine.close()
