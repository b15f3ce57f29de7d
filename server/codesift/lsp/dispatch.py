"""The dispatch table's entry type and its registration.

Every handler is a module-level function in ``lsp/handlers/``; ``lsp/server.py``
lists them all in one table of ``Route``s, each saying where the handler's work runs
and whether it changes workspace state (in the manner of ruff's server, whose table
sorts requests into local ones that may mutate the session and background ones that
read a snapshot):

- ``on="loop"``: the handler runs on the event loop and finishes there (code action,
  initialize, shutdown). It touches only loop-owned session state and pygls' documents.
- ``on="index"``: the handler runs inline on the loop, in message order, and only
  enqueues a change on the engine's index thread, the one owner of roots, buffers and
  settings. Must be a plain function (no awaiting: the client's order is kept) and
  ``access="mutates"``.
- ``on="query"``: the handler is a coroutine that parses on the loop and awaits its
  work on the query thread, which reads a snapshot of the roots. Must be
  ``access="reads"``.

``access="mutates"`` marks handlers that change workspace state (folders, buffers,
settings, index contents, the server's lifecycle); ``"reads"`` handlers never do.
``register`` refuses a table that breaks these rules.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from pygls.lsp.server import LanguageServer

Thread = Literal["loop", "index", "query"]
Access = Literal["mutates", "reads"]


@dataclass(frozen=True)
class Route:
    method: str  # an LSP method, or with command=True a workspace/executeCommand id
    handler: Callable[..., Any]
    on: Thread
    access: Access
    command: bool = False

    @property
    def mutates(self) -> bool:
        return self.access == "mutates"


def check(route: Route) -> None:
    """Raises TypeError when a route breaks the table's rules (see the module doc)."""
    name = f"{route.method} ({route.handler.__qualname__})"
    coroutine = inspect.iscoroutinefunction(route.handler)
    if route.on == "index" and (coroutine or not route.mutates):
        raise TypeError(f"{name}: index-thread handlers are plain functions that enqueue "
                        "a change (access='mutates')")
    if route.on == "query" and (not coroutine or route.mutates):
        raise TypeError(f"{name}: query-thread handlers are coroutines that only read "
                        "(access='reads')")
    first = next(iter(inspect.signature(route.handler).parameters), None)
    if first != "ls":
        raise TypeError(f"{name}: the first parameter must be 'ls' (the server)")


def register(server: LanguageServer, routes: Iterable[Route]) -> None:
    seen: set[tuple[str, bool]] = set()
    for route in routes:
        check(route)
        key = (route.method, route.command)
        if key in seen:
            raise TypeError(f"{route.method} is in the dispatch table twice")
        seen.add(key)
        if route.command:
            server.command(route.method)(route.handler)
        else:
            server.feature(route.method)(route.handler)
