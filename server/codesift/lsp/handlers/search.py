"""codesift/search (streamed snapshots), codesift/status, codesift/reindex and the
codesift/opened notification."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from lsprotocol import types as t
from pygls.exceptions import JsonRpcInvalidParams, JsonRpcRequestCancelled

from ... import __version__
from ...errors import Cancelled, UserError
from ...index.search_log import SearchLog
from ...retrieve.candidate import Filters
from ...search import SearchRequest
from ..engine import Engine
from ..params import SearchParams, invalid, parse_opened, parse_search
from ..results import interleave, snapshot_json
from ..session import CodesiftServer

log = logging.getLogger(__name__)
SEARCH = "codesift/search"
STATUS = "codesift/status"
REINDEX = "codesift/reindex"
OPENED = "codesift/opened"


def _snapshots(ls: CodesiftServer, engine: Engine, params: SearchParams,
               cancel: threading.Event, loop: asyncio.AbstractEventLoop) -> dict[str, Any]:
    """The search itself (query thread): snapshots to the client, the last one back.

    Each root runs with its own ``rerank.interactive_budget_ms``; a request without
    ``limit`` asks each root for its own ``rerank.final_k`` and keeps the largest."""
    # without a limit, the plan gives each root its own final_k in place of this 1
    request = SearchRequest(params.query, params.limit or 1, params.regex,
                            Filters(params.paths, params.languages), client="lsp")
    plan = engine.plan(request, own_budget=True, own_limit=params.limit is None)
    limit = max((r.limit for _, r in plan), default=1)
    final: dict[str, Any] = {}
    for stage, per_root in engine.stream_plan(plan, cancel.is_set):
        final = snapshot_json(stage, interleave(per_root, limit), per_root)
        if cancel.is_set():  # superseded or cancelled: no more progress, no answer
            raise Cancelled
        if params.partial_result_token is not None:
            loop.call_soon_threadsafe(ls.progress, t.ProgressParams(
                params.partial_result_token, final))
        if params.work_done_token is not None and stage != "final":
            loop.call_soon_threadsafe(
                ls.work_done_progress.report, params.work_done_token,
                t.WorkDoneProgressReport(message=f"{stage}: {len(final['results'])}"))
        final["stages"] = [{"root": root.as_uri(), **s.to_json()}
                           for root, r in per_root for s in r.stages]
    return final or {**snapshot_json("final", [], []), "stages": []}


def _begin_progress(ls: CodesiftServer, params: SearchParams, cancel: threading.Event
                    ) -> None:
    if params.work_done_token is None:
        return
    ls.work_done_progress.begin(params.work_done_token, t.WorkDoneProgressBegin(
        title="codesift", message=f"Searching {params.query!r}", cancellable=True))
    token_future = ls.work_done_progress.tokens.get(params.work_done_token)
    if token_future is not None:  # the client's cancel button on the progress
        token_future.add_done_callback(lambda _: cancel.set())


async def search(ls: CodesiftServer, raw: Any) -> dict[str, Any]:
    params = parse_search(raw)
    engine = ls.require_engine()
    if ls.active_search is not None:
        ls.active_search.set()  # a new search from the client replaces the old one
    cancel = threading.Event()
    ls.active_search = cancel
    loop = asyncio.get_running_loop()
    _begin_progress(ls, params, cancel)
    try:
        return await asyncio.wrap_future(engine.submit_query(
            lambda: _snapshots(ls, engine, params, cancel, loop)))
    except asyncio.CancelledError:
        cancel.set()
        raise
    except Cancelled:
        raise JsonRpcRequestCancelled("cancelled: a newer codesift/search replaced it"
                                      ) from None
    except UserError as exc:
        raise invalid(str(exc)) from None
    finally:
        if ls.active_search is cancel:
            ls.active_search = None
        if params.work_done_token is not None:
            ls.work_done_progress.end(params.work_done_token, t.WorkDoneProgressEnd())
            ls.work_done_progress.tokens.pop(params.work_done_token, None)


async def status(ls: CodesiftServer, raw: Any) -> dict[str, Any]:
    engine = ls.require_engine()
    result = await asyncio.wrap_future(engine.status())
    return {"version": __version__, **result}


def reindex(ls: CodesiftServer, raw: Any) -> dict[str, Any]:
    ls.require_engine().reindex()
    return {"started": True}


async def opened(ls: CodesiftServer, raw: Any) -> None:
    """``codesift/opened`` (notification): the user opened the result at ``rank`` of the
    search ``searchId``; kept in the local search log (``codesift stats``)."""
    try:
        params = parse_opened(raw)
    except JsonRpcInvalidParams as exc:  # a notification has no answer: log it
        log.info("codesift/opened ignored: %s", exc)
        return
    engine = ls.engine
    found = engine.locate(params.uri) if engine is not None else None
    if engine is None or found is None:
        log.info("codesift/opened ignored: %s is in no open folder", params.uri)
        return
    root = found[0]
    # on the index thread, the index's one writer: an editor opening the file at once
    # makes the index write too, and a write from the query thread would lose the race
    await asyncio.wrap_future(engine.submit_index(
        lambda: SearchLog(root.writer, root.config.log).opened(params.search_id, params.rank)))
