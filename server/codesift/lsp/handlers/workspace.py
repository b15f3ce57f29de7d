"""Workspace lifecycle and settings: initialize, initialized, folder and settings
changes, shutdown."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from lsprotocol import types as t
from pygls.exceptions import JsonRpcInvalidRequest

from ...config import load_config
from ...errors import ConfigError
from ..engine import Engine
from ..events import ClientLogHandler, LspEvents
from ..roots import uri_to_path
from ..session import CodesiftServer


def settings_of(options: Any) -> dict[str, Any]:
    """codesift's settings from initializationOptions or didChangeConfiguration."""
    if isinstance(options, dict):
        inner = options.get("codesift", options)
        return inner if isinstance(inner, dict) else {}
    return {}


def folders_of(params: t.InitializeParams) -> list[Path]:
    uris = [f.uri for f in params.workspace_folders or []]
    if not uris and params.root_uri:
        uris = [params.root_uri]
    paths = [uri_to_path(u) for u in uris]
    return [p for p in paths if p is not None and p.is_dir()]


def _error(ls: CodesiftServer, message: str) -> None:
    ls.window_show_message(t.ShowMessageParams(t.MessageType.Error, f"codesift: {message}"))


def _checked_settings(ls: CodesiftServer, settings: dict[str, Any], folders: list[Path]
                     ) -> dict[str, Any]:
    """The client's settings, or none when they do not load for some folder."""
    for folder in folders:
        try:
            load_config(folder, settings)
        except ConfigError as exc:
            _error(ls, f"{exc}; using defaults")
            settings = {}
    return settings


def _permitted(ls: CodesiftServer, folders: list[Path]) -> list[Path]:
    """The folders this server may open; the others are refused with a message."""
    refused = [f for f in folders if not ls.allowed(f)]
    if refused:
        _error(ls, f"refused workspace folders outside --allow-root: "
                   f"{', '.join(map(str, refused))}")
    return [f for f in folders if ls.allowed(f)]


def initialize(ls: CodesiftServer, params: t.InitializeParams) -> None:
    if ls.engine is not None:  # a second engine would index and watch the same folders
        raise JsonRpcInvalidRequest("the server is already initialized")
    caps = params.capabilities.window
    ls.progress_supported = bool(caps and caps.work_done_progress)
    loop = asyncio.get_event_loop()
    ls.initial_folders = _permitted(ls, folders_of(params))
    settings = _checked_settings(ls, settings_of(params.initialization_options),
                                ls.initial_folders)
    ls.engine = Engine(LspEvents(ls, loop), settings, watch=ls.watch)
    logging.getLogger("codesift").addHandler(ClientLogHandler(ls, loop))


def initialized(ls: CodesiftServer, params: t.InitializedParams) -> None:
    engine = ls.require_engine()
    for folder in ls.initial_folders:
        engine.add_root(folder)


def folders_changed(ls: CodesiftServer, params: t.DidChangeWorkspaceFoldersParams) -> None:
    engine = ls.require_engine()
    for folder in params.event.removed:
        if (path := uri_to_path(folder.uri)) is not None:
            engine.remove_root(path)
    added = [p for p in (uri_to_path(f.uri) for f in params.event.added)
             if p is not None and p.is_dir()]
    for path in _permitted(ls, added):
        engine.add_root(path)


def configuration_changed(ls: CodesiftServer, params: t.DidChangeConfigurationParams
                          ) -> None:
    engine = ls.require_engine()
    raw = params.settings
    if not isinstance(raw, dict):  # null, a number, a string: not settings at all
        _error(ls, f"ignored workspace/didChangeConfiguration: settings must be an object, "
                   f"got {type(raw).__name__ if raw is not None else 'null'}")
        return
    if not raw or raw.get("codesift", raw) == {}:
        return  # some clients send an empty object to mean "nothing changed"
    try:
        engine.apply_settings(settings_of(raw))
    except ConfigError as exc:
        _error(ls, f"{exc}; settings unchanged")


async def shutdown(ls: CodesiftServer, params: Any) -> None:
    ls.shut_down = True
    engine, ls.engine = ls.engine, None
    if engine is not None:  # off the loop: queued work may still need it
        await asyncio.get_running_loop().run_in_executor(None, engine.close)
