"""The language server's dispatch table: every handler registered once, from one
table whose thread and access marks hold."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from codesift.lsp.dispatch import Route, check
from codesift.lsp.handlers import documents, relevance, search, workspace
from codesift.lsp.server import ROUTES, build_server


def test_every_handler_is_registered_from_the_table():
    server = build_server(watch=False)
    fm = server.protocol.fm
    for route in ROUTES:
        registered = fm.commands if route.command else fm.features
        # pygls binds the server: a partial, or a coroutine wrapper with .func
        assert registered[route.method].func is route.handler, route.method
    handlers = {route.handler for route in ROUTES}
    for module in (workspace, documents, search, relevance):
        public = {fn for name, fn in inspect.getmembers(module, inspect.isfunction)
                  if fn.__module__ == module.__name__ and not name.startswith("_")
                  and next(iter(inspect.signature(fn).parameters), None) == "ls"}
        assert public <= handlers, module.__name__  # no handler outside the table


def test_marks_follow_the_rules():
    for route in ROUTES:
        check(route)
        if route.on == "query":
            assert not route.mutates
        if route.on == "index":
            assert route.mutates
    mutating = {r.method for r in ROUTES if r.mutates}
    assert "codesift/search" not in mutating and "textDocument/didChange" in mutating


async def _reads(ls: Any, params: Any) -> None:
    pass


def _enqueues(ls: Any, params: Any) -> None:
    pass


@pytest.mark.parametrize("route", [
    Route("x/asyncIndex", _reads, on="index", access="mutates"),
    Route("x/readsOnIndex", _enqueues, on="index", access="reads"),
    Route("x/syncQuery", _enqueues, on="query", access="reads"),
    Route("x/mutatingQuery", _reads, on="query", access="mutates"),
    Route("x/noLs", lambda server, params: None, on="loop", access="reads"),
])
def test_a_route_breaking_the_rules_is_refused(route):
    with pytest.raises(TypeError):
        check(route)


def test_an_answer_to_a_clients_mistake_is_one_info_line_not_an_error(caplog):
    """pygls logs error answers with their traceback; invalid params are the client's
    mistake (a regex typo), told to the user already: one INFO line, or nothing."""
    import logging

    from pygls.exceptions import JsonRpcInternalError, JsonRpcInvalidParams

    from codesift.lsp import client_mistakes

    client_mistakes.install()
    client_mistakes.install()  # once only
    logger = logging.getLogger(client_mistakes.PYGLS_LOGGER)
    assert sum(isinstance(f, client_mistakes.ClientMistakes) for f in logger.filters) == 1

    def answer(error: Exception) -> None:
        try:
            raise error
        except Exception:
            logger.exception('Exception occurred for message "%s"', 7)

    with caplog.at_level(logging.WARNING, logger=client_mistakes.PYGLS_LOGGER):
        answer(JsonRpcInvalidParams("invalid regex 'def (': missing )"))
        answer(JsonRpcInternalError("a real bug"))
    assert [(r.levelname, r.exc_info is not None) for r in caplog.records] == [("ERROR", True)]
    caplog.clear()
    with caplog.at_level(logging.INFO, logger=client_mistakes.PYGLS_LOGGER):
        answer(JsonRpcInvalidParams("invalid regex 'def (': missing )"))
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("INFO", "answered JsonRpcInvalidParams: invalid regex 'def (': missing )")]
