"""Relevant code from anywhere in the workspace: hover, the code action and its
command, and workspace symbols."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from lsprotocol import types as t

from ...errors import UserError
from ...relevance import elsewhere, query_at
from ...search import SearchHit, SearchRequest
from ..document_text import document_text
from ..params import invalid
from ..results import interleave, lsp_range
from ..roots import uri_to_path
from ..session import CodesiftServer

log = logging.getLogger(__name__)
RELEVANT_CODE = "codesift.relevantCode"
HOVER_BUDGET_MS = 150.0  # model time; hover must never feel slow
HOVER_RESULTS = 3

SYMBOL_KINDS = {
    "function": t.SymbolKind.Function, "method": t.SymbolKind.Method,
    "class": t.SymbolKind.Class, "interface": t.SymbolKind.Interface,
    "trait": t.SymbolKind.Interface, "struct": t.SymbolKind.Struct,
    "enum": t.SymbolKind.Enum, "constant": t.SymbolKind.Constant,
    "type": t.SymbolKind.TypeParameter, "module": t.SymbolKind.Module,
    "namespace": t.SymbolKind.Namespace, "impl": t.SymbolKind.Class,
}


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


def relevant_args(args: Any) -> tuple[str, t.Range]:
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


def markdown_code(text: str) -> str:
    """Text shown literally in Markdown, as a code span: ``__init__`` must not turn bold,
    and unlike backslash escapes a code span reads clean in every client (Neovim's hover
    shows escapes as typed)."""
    fence = "``" if "`" in text else "`"
    pad = " " if fence == "``" else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _hover_markdown(picks: list[tuple[Path, SearchHit]]) -> str:
    parts = ["**Relevant code**"]
    for root, hit in picks:
        uri = (root / hit.path).as_uri()
        title = f"`{hit.symbol}` · " if hit.symbol else ""
        snippet = "\n".join(hit.snippet.split("\n")[:8])
        label = markdown_code(f"{hit.path}:{hit.start_line}")
        parts.append(f"{title}[{label}]({uri}#L{hit.start_line})\n"
                     f"```{hit.language}\n{snippet}\n```")
    return "\n\n".join(parts)


async def hover(ls: CodesiftServer, params: t.HoverParams) -> t.Hover | None:
    engine = ls.require_engine()
    uri = params.text_document.uri
    try:  # a document the client never opened is read from disk, under the scan's rule
        lines = document_text(ls, uri).split("\n")
    except UserError as exc:
        log.info("hover: %s", exc)
        return None
    line = params.position.line
    if line >= len(lines):
        return None
    query = query_at(lines[line], params.position.character)
    if query is None:
        return None
    here = uri_to_path(uri)
    # the same for every root
    request = SearchRequest(query, 10, budget_ms=HOVER_BUDGET_MS, client="lsp-hover")

    def run() -> list[tuple[Path, SearchHit]]:
        found: list[tuple[Path, SearchHit]] = []
        for _, per_root in engine.stream(request):
            found = interleave(per_root, 10)
        return elsewhere(found, here, line)[:HOVER_RESULTS]

    picks = await asyncio.wrap_future(engine.submit_query(run))
    if not picks:
        return None
    return t.Hover(contents=t.MarkupContent(t.MarkupKind.Markdown, _hover_markdown(picks)))


def code_action(ls: CodesiftServer, params: t.CodeActionParams) -> list[t.Command]:
    """Offered on a selection or on an identifier (or comment), not on every line: the
    light bulb should not follow the cursor everywhere."""
    selection = params.range
    if (selection.start.line, selection.start.character) == (selection.end.line,
                                                             selection.end.character):
        try:
            lines = document_text(ls, params.text_document.uri).split("\n")
        except UserError:
            return []
        at = selection.start
        if at.line >= len(lines) or query_at(lines[at.line], at.character) is None:
            return []
    # a bare Command is a valid code action and parses the same in every client
    return [t.Command(title="CodeSift: Go to relevant code", command=RELEVANT_CODE,
                      arguments=[params.text_document.uri,
                                 ls.protocol._converter.unstructure(params.range)])]


async def relevant_code(ls: CodesiftServer, *args: Any) -> list[dict[str, Any]]:
    engine = ls.require_engine()
    uri, selection = relevant_args(list(args))
    try:
        source = document_text(ls, uri)
    except UserError as exc:
        raise invalid(str(exc)) from None
    query = selection_query(source, selection)
    if query is None:
        return []
    here = uri_to_path(uri)

    def run() -> list[dict[str, Any]]:
        per_root = engine.final(SearchRequest(query, 12, client="lsp-relevant"), own_budget=True)
        found = elsewhere(interleave(per_root, 12), here, selection.start.line)
        return [{"uri": (root / hit.path).as_uri(),
                 "range": lsp_range(hit.start_line, hit.end_line)} for root, hit in found][:10]

    return await asyncio.wrap_future(engine.submit_query(run))


def _symbol(root: Path, hit: SearchHit) -> t.SymbolInformation:
    assert hit.symbol
    name = hit.symbol.rsplit(".", 1)[-1]
    container = hit.symbol.rsplit(".", 1)[0] if "." in hit.symbol else None
    return t.SymbolInformation(
        name=name, kind=SYMBOL_KINDS.get(hit.kind, t.SymbolKind.Object),
        location=t.Location((root / hit.path).as_uri(),
                            t.Range(t.Position(hit.start_line - 1, 0),
                                    t.Position(hit.end_line, 0))),
        container_name=container or hit.path)


async def workspace_symbol(ls: CodesiftServer, params: t.WorkspaceSymbolParams
                           ) -> list[t.SymbolInformation]:
    engine = ls.require_engine()
    query = params.query.strip()
    if not query:
        return []
    request = SearchRequest(query, 100, rerank=len(query.split()) > 1, client="lsp-relevant")

    def run() -> list[t.SymbolInformation]:
        per_root = engine.final(request, own_budget=True)
        return [_symbol(root, hit) for root, hit in interleave(per_root, 100) if hit.symbol]

    return await asyncio.wrap_future(engine.submit_query(run))
