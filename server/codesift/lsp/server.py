"""``codesift serve``: the pygls language server.

Handlers only parse, validate and hand work to the Engine's threads; nothing here
blocks the message loop on indexing, parsing or inference. Custom messages are
documented in docs/PROTOCOL.md.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from pathlib import Path
from typing import Any

from lsprotocol import converters
from lsprotocol import types as t
from pygls.exceptions import JsonRpcInternalError, JsonRpcRequestCancelled
from pygls.lsp.server import LanguageServer
from pygls.protocol import JsonRPCNotification, JsonRPCRequestMessage, JsonRPCResponseMessage

from .. import __version__
from ..config import ConfigError
from ..index.indexer import SyncReport
from ..rerank.onnx import Cancelled
from ..retrieve.candidate import FilterError, Filters
from ..retrieve.regex import RegexError
from ..search import SearchRequest
from .engine import Engine, uri_to_path
from .params import invalid, parse_search
from .results import interleave, lsp_range, snapshot_json

log = logging.getLogger(__name__)

SEARCH = "codesift/search"
STATUS = "codesift/status"
REINDEX = "codesift/reindex"
RELEVANT_CODE = "codesift.relevantCode"
HOVER_BUDGET_MS = 150.0  # model time; hover must never feel slow
HOVER_RESULTS = 3
WORD = re.compile(r"[A-Za-z_$][\w$]*")
COMMENT = re.compile(r"^\s*(?:#+|//+|/\*+|\*+|--|;+)\s*(.*?)\s*(?:\*/)?$")

SYMBOL_KINDS = {
    "function": t.SymbolKind.Function, "method": t.SymbolKind.Method,
    "class": t.SymbolKind.Class, "interface": t.SymbolKind.Interface,
    "trait": t.SymbolKind.Interface, "struct": t.SymbolKind.Struct,
    "enum": t.SymbolKind.Enum, "constant": t.SymbolKind.Constant,
    "type": t.SymbolKind.TypeParameter, "module": t.SymbolKind.Module,
    "namespace": t.SymbolKind.Namespace, "impl": t.SymbolKind.Class,
}


def plain_json_converter() -> Any:
    """lsprotocol's converter, but params and results of custom messages stay plain JSON
    (pygls' default turns them into namedtuples)."""
    converter = converters.get_converter()
    for message in (JsonRPCRequestMessage, JsonRPCResponseMessage, JsonRPCNotification):
        converter.register_structure_hook(message, lambda obj, cls: cls(**obj))
    return converter


class CodesiftServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("codesift", __version__,
                         text_document_sync_kind=t.TextDocumentSyncKind.Incremental,
                         converter_factory=plain_json_converter)
        self.engine: Engine | None = None
        self.active_search: threading.Event | None = None
        self.progress_supported = False
        self._token_counter = 0

    def require_engine(self) -> Engine:
        if self.engine is None:
            raise JsonRpcInternalError("the server is not initialized")
        return self.engine

    def next_token(self, kind: str) -> str:
        self._token_counter += 1
        return f"codesift-{kind}-{self._token_counter}"


class LspEvents:
    """Engine events turned into LSP notifications, sent from the event loop."""

    def __init__(self, server: CodesiftServer, loop: asyncio.AbstractEventLoop):
        self.server = server
        self.loop = loop
        self.tokens: dict[Path, str] = {}

    def _on_loop(self, fn, *args) -> None:
        self.loop.call_soon_threadsafe(fn, *args)

    def index_started(self, root: Path, total: int) -> None:
        if not self.server.progress_supported:
            return
        token = self.server.next_token("index")

        async def create() -> None:
            await self.server.work_done_progress.create_async(token)

        try:  # the token must exist on the client before the first notification
            asyncio.run_coroutine_threadsafe(create(), self.loop).result(timeout=10)
        except Exception:
            log.info("client did not accept a progress token; indexing silently")
            return
        self.tokens[root] = token
        self._on_loop(self.server.work_done_progress.begin, token, t.WorkDoneProgressBegin(
            title=f"Indexing {root.name}", message=f"0/{total:,} files", percentage=0,
            cancellable=False))

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


def _settings(options: Any) -> dict[str, Any]:
    if isinstance(options, dict):
        inner = options.get("codesift", options)
        return inner if isinstance(inner, dict) else {}
    return {}


def _folders(params: t.InitializeParams) -> list[Path]:
    uris = [f.uri for f in params.workspace_folders or []]
    if not uris and params.root_uri:
        uris = [params.root_uri]
    paths = [uri_to_path(u) for u in uris]
    return [p for p in paths if p is not None and p.is_dir()]


def build_server(watch: bool = True) -> CodesiftServer:
    server = CodesiftServer()

    @server.feature(t.INITIALIZE)
    def initialize(ls: CodesiftServer, params: t.InitializeParams) -> None:
        caps = params.capabilities.window
        ls.progress_supported = bool(caps and caps.work_done_progress)
        loop = asyncio.get_event_loop()
        settings = _settings(params.initialization_options)
        ls.engine = Engine(LspEvents(ls, loop), settings, watch=watch)
        ls.initial_folders = _folders(params)  # type: ignore[attr-defined]
        logging.getLogger("codesift").addHandler(ClientLogHandler(ls, loop))
        for folder in ls.initial_folders:  # type: ignore[attr-defined]
            try:
                ls.engine.config_for(folder)
            except ConfigError as exc:
                ls.window_show_message(t.ShowMessageParams(
                    t.MessageType.Error, f"codesift: {exc}; using defaults"))
                ls.engine.settings = {}

    @server.feature(t.INITIALIZED)
    def initialized(ls: CodesiftServer, params: t.InitializedParams) -> None:
        engine = ls.require_engine()
        for folder in getattr(ls, "initial_folders", []):
            engine.add_root(folder)

    @server.feature(t.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    def folders_changed(ls: CodesiftServer, params: t.DidChangeWorkspaceFoldersParams) -> None:
        engine = ls.require_engine()
        for folder in params.event.removed:
            if (path := uri_to_path(folder.uri)) is not None:
                engine.remove_root(path)
        for folder in params.event.added:
            if (path := uri_to_path(folder.uri)) is not None and path.is_dir():
                engine.add_root(path)

    @server.feature(t.WORKSPACE_DID_CHANGE_CONFIGURATION)
    def configuration_changed(ls: CodesiftServer,
                              params: t.DidChangeConfigurationParams) -> None:
        engine = ls.require_engine()
        try:
            engine.apply_settings(_settings(params.settings))
        except ConfigError as exc:
            ls.window_show_message(t.ShowMessageParams(
                t.MessageType.Error, f"codesift: {exc}; settings unchanged"))

    # -- documents ----------------------------------------------------------------

    @server.feature(t.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: CodesiftServer, params: t.DidChangeTextDocumentParams) -> None:
        document = ls.workspace.get_text_document(params.text_document.uri)
        ls.require_engine().buffer_changed(document.uri, document.source)

    @server.feature(t.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: CodesiftServer, params: t.DidSaveTextDocumentParams) -> None:
        ls.require_engine().buffer_closed(params.text_document.uri)

    @server.feature(t.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: CodesiftServer, params: t.DidCloseTextDocumentParams) -> None:
        ls.require_engine().buffer_closed(params.text_document.uri)

    # -- search -------------------------------------------------------------------

    @server.feature(SEARCH)
    async def search(ls: CodesiftServer, raw: Any) -> dict[str, Any]:
        params = parse_search(raw)
        engine = ls.require_engine()
        if ls.active_search is not None:
            ls.active_search.set()  # a new search from the client replaces the old one
        cancel = threading.Event()
        ls.active_search = cancel
        loop = asyncio.get_running_loop()
        request = SearchRequest(params.query, params.limit, params.regex,
                                Filters(params.paths, params.languages),
                                budget_ms=engine.budget_ms())
        if params.work_done_token is not None:
            ls.work_done_progress.begin(params.work_done_token, t.WorkDoneProgressBegin(
                title="codesift", message=f"Searching {params.query!r}", cancellable=True))
            token_future = ls.work_done_progress.tokens.get(params.work_done_token)
            if token_future is not None:  # the client's cancel button on the progress
                token_future.add_done_callback(lambda _: cancel.set())

        def run() -> dict[str, Any]:
            final: dict[str, Any] = {}
            for stage, per_root in engine.stream(request, cancel.is_set):
                results = [r for _, r in per_root]
                final = snapshot_json(stage, interleave(per_root, params.limit), results)
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

        try:
            return await asyncio.wrap_future(engine.submit_query(run))
        except asyncio.CancelledError:
            cancel.set()
            raise
        except Cancelled:
            raise JsonRpcRequestCancelled("cancelled: a newer codesift/search replaced it"
                                          ) from None
        except (RegexError, FilterError) as exc:
            raise invalid(str(exc)) from None
        finally:
            if ls.active_search is cancel:
                ls.active_search = None
            if params.work_done_token is not None:
                ls.work_done_progress.end(params.work_done_token, t.WorkDoneProgressEnd())
                ls.work_done_progress.tokens.pop(params.work_done_token, None)

    @server.feature(STATUS)
    async def status(ls: CodesiftServer, raw: Any) -> dict[str, Any]:
        engine = ls.require_engine()
        result = await asyncio.wrap_future(engine.submit_query(engine.status))
        return {"version": __version__, **result}

    @server.feature(REINDEX)
    def reindex(ls: CodesiftServer, raw: Any) -> dict[str, Any]:
        ls.require_engine().reindex()
        return {"started": True}

    # -- plain LSP features -------------------------------------------------------------

    @server.feature(t.WORKSPACE_SYMBOL)
    async def workspace_symbol(ls: CodesiftServer, params: t.WorkspaceSymbolParams
                               ) -> list[t.SymbolInformation]:
        engine = ls.require_engine()
        query = params.query.strip()
        if not query:
            return []
        words = len(query.split()) > 1
        request = SearchRequest(query, 100, rerank=words, budget_ms=engine.budget_ms())

        def run() -> list[t.SymbolInformation]:
            per_root = engine.final(request)
            out = []
            for root, hit in interleave(per_root, 100):
                if not hit.symbol:
                    continue
                name = hit.symbol.rsplit(".", 1)[-1]
                container = hit.symbol.rsplit(".", 1)[0] if "." in hit.symbol else None
                out.append(t.SymbolInformation(
                    name=name, kind=SYMBOL_KINDS.get(hit.kind, t.SymbolKind.Object),
                    location=t.Location((root / hit.path).as_uri(),
                                        _range(hit.start_line, hit.end_line)),
                    container_name=container or hit.path))
            return out

        return await asyncio.wrap_future(engine.submit_query(run))

    @server.feature(t.TEXT_DOCUMENT_HOVER)
    async def hover(ls: CodesiftServer, params: t.HoverParams) -> t.Hover | None:
        engine = ls.require_engine()
        try:  # a document the client never opened is read from disk: it may be gone
            document = ls.workspace.get_text_document(params.text_document.uri)
            lines = document.source.split("\n")
        except (OSError, UnicodeDecodeError, ValueError):
            return None
        if params.position.line >= len(lines):
            return None
        query = query_at(lines[params.position.line], params.position.character)
        if query is None:
            return None
        here = uri_to_path(document.uri)
        request = SearchRequest(query, 10, budget_ms=HOVER_BUDGET_MS)

        def run() -> list[tuple[Path, Any]]:
            found: list[tuple[Path, Any]] = []
            for _, per_root in engine.stream(request):
                found = interleave(per_root, 10)
            return [(root, hit) for root, hit in found
                    if not (root / hit.path == here and
                            hit.start_line - 1 <= params.position.line <= hit.end_line - 1)
                    ][:HOVER_RESULTS]

        picks = await asyncio.wrap_future(engine.submit_query(run))
        if not picks:
            return None
        parts = ["**Relevant code**"]
        for root, hit in picks:
            uri = (root / hit.path).as_uri()
            title = f"`{hit.symbol}` · " if hit.symbol else ""
            snippet = "\n".join(hit.snippet.split("\n")[:8])
            parts.append(f"{title}[{hit.path}:{hit.start_line}]({uri}#L{hit.start_line})\n"
                         f"```{hit.language}\n{snippet}\n```")
        return t.Hover(contents=t.MarkupContent(t.MarkupKind.Markdown, "\n\n".join(parts)))

    @server.feature(t.TEXT_DOCUMENT_CODE_ACTION)
    def code_action(ls: CodesiftServer, params: t.CodeActionParams) -> list[t.Command]:
        # a bare Command is a valid code action and parses the same in every client
        return [t.Command(title="CodeSift: Go to relevant code", command=RELEVANT_CODE,
                          arguments=[params.text_document.uri,
                                     ls.protocol._converter.unstructure(params.range)])]

    @server.command(RELEVANT_CODE)
    async def relevant_code(ls: CodesiftServer, *args: Any) -> list[dict[str, Any]]:
        engine = ls.require_engine()
        uri, selection = _relevant_args(list(args))
        try:
            document = ls.workspace.get_text_document(uri)
            source = document.source
        except Exception:
            raise invalid(f"unknown document {uri}") from None
        query = selection_query(source, selection)
        if query is None:
            return []
        here = uri_to_path(uri)
        first = selection.start.line

        def run() -> list[dict[str, Any]]:
            request = SearchRequest(query, 12, budget_ms=engine.budget_ms())
            per_root = engine.final(request)
            return [{"uri": (root / hit.path).as_uri(),
                     "range": lsp_range(hit.start_line, hit.end_line)}
                    for root, hit in interleave(per_root, 12)
                    if not (root / hit.path == here and
                            hit.start_line - 1 <= first <= hit.end_line - 1)][:10]

        return await asyncio.wrap_future(engine.submit_query(run))

    @server.feature(t.SHUTDOWN)
    async def shutdown(ls: CodesiftServer, params: Any) -> None:
        engine, ls.engine = ls.engine, None
        if engine is not None:  # off the loop: queued work may still need it
            await asyncio.get_running_loop().run_in_executor(None, engine.close)

    return server


def _range(start_line: int, end_line: int) -> t.Range:
    return t.Range(t.Position(start_line - 1, 0), t.Position(end_line, 0))


def query_at(line: str, character: int) -> str | None:
    """The identifier under the cursor, or the comment text when the line is a comment."""
    comment = COMMENT.match(line)
    if comment and comment.group(1) and len(comment.group(1).split()) >= 2:
        return comment.group(1)[:300]
    for match in WORD.finditer(line):
        if match.start() <= character <= match.end():
            return match.group(0)
    return None


def selection_query(source: str, selection: t.Range) -> str | None:
    lines = source.split("\n")
    start, end = selection.start, selection.end
    if (start.line, start.character) == (end.line, end.character):
        if start.line >= len(lines):
            return None
        return query_at(lines[start.line], start.character)
    picked = lines[start.line : end.line + 1]
    if not picked:
        return None
    picked[-1] = picked[-1][: end.character] if start.line != end.line else \
        picked[-1][start.character : end.character]
    if start.line != end.line:
        picked[0] = picked[0][start.character :]
    text = " ".join(" ".join(picked).split())
    return text[:500] or None


def _relevant_args(args: Any) -> tuple[str, t.Range]:
    """Accepts ``[uri, range]`` or ``[{"uri", "range"|"position"}]``."""
    try:
        if isinstance(args, list) and len(args) == 1 and isinstance(args[0], dict):
            item = args[0]
            uri = item["uri"]
            raw = item.get("range") or {"start": item["position"], "end": item["position"]}
        else:
            uri, raw = args[0], args[1]
        selection = t.Range(t.Position(int(raw["start"]["line"]), int(raw["start"]["character"])),
                            t.Position(int(raw["end"]["line"]), int(raw["end"]["character"])))
    except (KeyError, IndexError, TypeError, ValueError):
        raise invalid(f"{RELEVANT_CODE} expects [uri, range] or "
                      "[{uri, range | position}]") from None
    if not isinstance(uri, str):
        raise invalid(f"{RELEVANT_CODE}: uri must be a string")
    return uri, selection


def limit_malloc_arenas() -> None:
    """A long-lived process with several worker threads: glibc's per-thread malloc
    arenas otherwise keep hundreds of MB of freed model activations."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-8, 2)  # M_ARENA_MAX
    except (OSError, AttributeError):
        pass  # not glibc: nothing to tune


def serve(tcp: tuple[str, int] | None = None, watch: bool = True) -> None:
    limit_malloc_arenas()
    server = build_server(watch=watch)
    if tcp is not None:
        server.start_tcp(*tcp)
    else:
        server.start_io()
