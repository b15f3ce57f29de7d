"""The tools as an agent sees them: names, argument schemas and descriptions."""

from __future__ import annotations

import asyncio
import threading
from typing import TYPE_CHECKING, Annotated, Any

from mcp.server.mcpserver import Context
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS, ToolAnnotations
from pydantic import Field

from .. import __version__
from ..errors import UserError
from . import tools
from .server import progress_reporter

if TYPE_CHECKING:
    from .server import CodesiftMCP, Session

READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)
STAGES = {"candidates": 1, "light": 2, "final": 3}
REINDEX_POLL_S = 0.25


class Tools:
    """One method per tool; the docstrings are the descriptions an agent reads."""

    def __init__(self, session: Session):
        self.session = session

    async def search(
        self,
        query: Annotated[str, Field(description=(
            "What to find: an identifier (parse_config), words, or a question as a "
            "developer would ask it ('where do retries back off'). With regex=true, an "
            "RE2 regular expression."))],
        ctx: Context,
        regex: Annotated[bool, Field(description="treat query as a regular expression")]
        = False,
        path_glob: Annotated[str | None, Field(description=(
            "only files matching this gitignore-style glob, e.g. 'src/**/*.py'"))] = None,
        language: Annotated[str | None, Field(description=(
            "only this language, e.g. python, javascript, typescript, go, rust"))] = None,
        limit: Annotated[int, Field(description="results to return (1-50)")] = 10,
        budget_ms: Annotated[float | None, Field(description=(
            "time for the model stages in ms; omit for the full ranking"))] = None,
    ) -> dict[str, Any]:
        """Search the workspace code. Returns ranked results (path, lines, symbol, kind,
        score, a short snippet), which stages ran, and `partial`/`notes` when the answer
        is incomplete (index still building, time budget spent, a model missing). Use
        get_code to read a result in full."""
        await self.session.adopt_client_roots(ctx)
        args = tools.SearchArgs(query, regex, path_glob, language, limit, budget_ms)
        report = progress_reporter(ctx, asyncio.get_running_loop())

        def run(cancel: threading.Event) -> dict[str, Any]:
            def on_stage(stage: str, count: int) -> None:
                report(STAGES.get(stage, 3), 3, f"{stage}: {count} results")
            return tools.run_search(*self.session.parts, args, cancel.is_set,
                                    on_stage)

        result: dict[str, Any] = await self.session.on_query_thread(run)
        return result

    async def get_code(
        self,
        path: Annotated[str, Field(description="file path, relative to a workspace root")],
        start_line: Annotated[int, Field(description="first line, counting from 1")],
        ctx: Context,
        end_line: Annotated[int | None, Field(description=(
            "last line, inclusive (default: up to 400 lines from start_line)"))] = None,
    ) -> dict[str, Any]:
        """Exact text of a line range of a file inside the workspace (at most 400 lines
        per call). Paths outside the workspace roots are refused."""
        await self.session.adopt_client_roots(ctx)
        try:
            return await asyncio.to_thread(tools.get_code, self.session.engine,
                                           self.session.roots, path, start_line, end_line)
        except UserError as exc:
            raise MCPError(code=INVALID_PARAMS, message=str(exc)) from None

    async def relevant_code(
        self,
        ctx: Context,
        path: Annotated[str | None, Field(description="file the question comes from")]
        = None,
        line: Annotated[int | None, Field(description="line in that file, from 1")] = None,
        column: Annotated[int | None, Field(description=(
            "column of the identifier on that line, from 1 (default: the whole line)"))]
        = None,
        symbol: Annotated[str | None, Field(description=(
            "a symbol name to find related code for, instead of path and line"))] = None,
        limit: Annotated[int, Field(description="results to return (1-50)")] = 10,
    ) -> dict[str, Any]:
        """Code related to a place (path + line [+ column]) or a symbol: what an
        editor's "go to relevant code" shows. The place itself is left out."""
        await self.session.adopt_client_roots(ctx)
        try:
            query, origin, at = tools.relevant_query(self.session.engine, self.session.roots,
                                                     path, line, column, symbol)
        except UserError as exc:
            raise MCPError(code=INVALID_PARAMS, message=str(exc)) from None
        args = tools.SearchArgs(query, limit=limit)

        def run(cancel: threading.Event) -> dict[str, Any]:
            return tools.run_relevant(*self.session.parts, args, origin, at, cancel.is_set)

        result: dict[str, Any] = await self.session.on_query_thread(run)
        return result

    async def status(self, ctx: Context) -> dict[str, Any]:
        """The server's version, its roots with indexing progress, file and chunk counts,
        loaded models, cache hit rate and recent search latencies."""
        await self.session.adopt_client_roots(ctx)
        status = await asyncio.wrap_future(self.session.engine.status())  # never queued
        return tools.status_json(*self.session.parts, __version__, status)

    async def reindex(self, ctx: Context) -> dict[str, Any]:
        """Forget the index and build it again from the files on disk (use after large
        changes the watcher may have missed). Reports progress; returns when done."""
        await self.session.adopt_client_roots(ctx)
        done = self.session.engine.reindex()
        while not done.done():
            progress = self.session.events.snapshot()
            files = sum(p.done for p in progress.values())
            total = sum(p.total for p in progress.values()) or None
            await ctx.report_progress(files, total, f"indexed {files} files")
            await asyncio.sleep(REINDEX_POLL_S)
        done.result()
        progress = self.session.events.snapshot()
        return {"reindexed": [str(r) for r in self.session.roots],
                "roots": {str(p): v.to_json() for p, v in progress.items()}}


def register(server: CodesiftMCP, session: Session) -> None:
    handlers = Tools(session)
    for name in ("search", "get_code", "relevant_code", "status"):
        server.add_tool(getattr(handlers, name), annotations=READ_ONLY)
    server.add_tool(handlers.reindex, annotations=ToolAnnotations(
        read_only_hint=False, destructive_hint=False, idempotent_hint=True,
        open_world_hint=False))
