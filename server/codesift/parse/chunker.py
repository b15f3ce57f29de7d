"""Cut a file into search chunks.

Definitions found by the language's tree-sitter query become chunks of their own
(a method carries its enclosing path, e.g. ``Session.send``); the code between
definitions is cut into bounded line windows; very long definitions are split into
overlapping windows that each repeat the signature. Files without a grammar use
plain line windows. Lines are 1-based and inclusive throughout.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import tree_sitter as ts

from ..config import ChunkConfig
from .chunks import Chunk, ChunkedFile, Symbol
from .languages import load_grammar

__all__ = ["Chunk", "ChunkedFile", "Symbol", "chunk_text"]

CONTAINER_KINDS = {"class", "interface", "trait", "struct", "impl", "module", "enum"}
SYMBOL_ONLY_KINDS = {"constant"}  # indexed as symbols, left inside the surrounding chunk
WRAPPER_TYPES = {"decorated_definition", "export_statement", "template_declaration"}
MAX_SIGNATURE_LINES = 4


@dataclass
class _Def:
    start: int  # first line, including decorators and leading comments
    node_start: int  # first line of the definition node itself
    end: int
    start_byte: int
    end_byte: int
    signature_end: int
    kind: str
    name: str
    path: str = ""
    children: list[_Def] = field(default_factory=list)


def _text(node: ts.Node) -> str:
    return (node.text or b"").decode("utf-8", "replace")


def _leading_start(node: ts.Node) -> int:
    """First line of the definition with its decorators, export and doc comments."""
    outer = node
    while outer.parent is not None and outer.parent.type in WRAPPER_TYPES:
        outer = outer.parent
    start = outer.start_point.row
    prev = outer.prev_sibling
    while prev is not None and "comment" in prev.type and prev.end_point.row >= start - 1:
        before = prev.prev_sibling
        if before is not None and before.end_point.row == prev.start_point.row:
            break  # a trailing comment of the previous statement, not our doc comment
        start = prev.start_point.row
        prev = before
    return start + 1


def _signature_end(node: ts.Node) -> int:
    """Last line (1-based) of the signature: up to the body, or up to the line before it."""
    body = node.child_by_field_name("body")
    first = node.start_point.row
    if body is None:
        last = first
    elif body.start_point.row > first:
        last = body.start_point.row - 1
    else:
        last = body.start_point.row
    return min(last, first + MAX_SIGNATURE_LINES - 1) + 1


def _find_defs(tree: ts.Tree, query: ts.Query) -> list[_Def]:
    seen: set[tuple[int, int]] = set()
    defs: list[_Def] = []
    for _, captures in ts.QueryCursor(query).matches(tree.root_node):
        def_nodes = [(k, v[0]) for k, v in captures.items() if k.startswith("definition.")]
        names = captures.get("name")
        if not def_nodes or not names:
            continue
        capture, node = def_nodes[0]
        key = (node.start_byte, node.end_byte)
        if key in seen:
            continue
        seen.add(key)
        name = _text(names[0]).strip()
        scope = captures.get("scope")
        if scope:
            name = f"{_text(scope[0]).strip()}.{name}"
        defs.append(
            _Def(
                start=_leading_start(node),
                node_start=node.start_point.row + 1,
                end=node.end_point.row + 1,
                start_byte=node.start_byte,
                end_byte=node.end_byte,
                signature_end=_signature_end(node),
                kind=capture.split(".", 1)[1],
                name=name,
            )
        )
    return defs


def _nest(defs: list[_Def]) -> list[_Def]:
    """Arrange definitions into a containment tree; fill in symbol paths and methods."""
    defs.sort(key=lambda d: (d.start_byte, -d.end_byte))
    roots: list[_Def] = []
    stack: list[_Def] = []
    for d in defs:
        while stack and not (stack[-1].start_byte <= d.start_byte
                             and d.end_byte <= stack[-1].end_byte):
            stack.pop()
        parent = stack[-1] if stack else None
        if parent is not None:
            d.path = f"{parent.path}.{d.name}"
            if d.kind == "function" and parent.kind in CONTAINER_KINDS:
                d.kind = "method"
            d.start = min(max(d.start, parent.node_start + 1), d.node_start)
            parent.children.append(d)
        else:
            d.path = d.name
            roots.append(d)
        stack.append(d)
    return roots


class _Emitter:
    def __init__(self, lines: list[str], config: ChunkConfig):
        self.lines = lines
        self.config = config
        self.chunks: list[Chunk] = []
        self.symbols: list[Symbol] = []

    def blank(self, start: int, end: int) -> bool:
        return not any(any(c.isalnum() for c in self.lines[i - 1]) for i in range(start, end + 1))

    def trim(self, start: int, end: int) -> tuple[int, int]:
        while start <= end and not self.lines[start - 1].strip():
            start += 1
        while end >= start and not self.lines[end - 1].strip():
            end -= 1
        return start, end

    def windows(self, start: int, end: int, kind: str, symbol: str | None,
                prefix: tuple[int, int] | None = None, overlap: int = 0) -> None:
        """Cover [start, end] with windows; continuation windows carry ``prefix``."""
        size = self.config.window_lines
        step = max(1, size - overlap)
        first = True
        pos = start
        while pos <= end:
            w_start, w_end = self.trim(pos, min(end, pos + size - 1))
            if w_start <= w_end and not self.blank(w_start, w_end):
                self.chunks.append(
                    Chunk(w_start, w_end, kind, symbol, None if first else prefix)
                )
                first = False
            if pos + size - 1 >= end:
                break
            pos += step

    def gap(self, start: int, end: int, symbol: str | None) -> None:
        start, end = self.trim(start, end)
        if start <= end and not self.blank(start, end):
            self.windows(start, end, "code", symbol)

    def definition(self, d: _Def) -> None:
        chunked = [c for c in d.children if c.kind not in SYMBOL_ONLY_KINDS]
        first_chunk = len(self.chunks)
        if not chunked:
            if d.end - d.start + 1 <= self.config.max_definition_lines:
                self.chunks.append(Chunk(d.start, d.end, d.kind, d.path))
            else:
                self.windows(d.start, d.end, d.kind, d.path,
                             prefix=(d.node_start, d.signature_end),
                             overlap=self.config.window_overlap)
            self.symbols.append(self._symbol(d, first_chunk))
        else:
            header_end = chunked[0].start - 1
            h_start, h_end = self.trim(d.start, header_end)
            self.windows(h_start, max(h_end, d.node_start), d.kind, d.path)
            self.symbols.append(self._symbol(d, first_chunk))
            self.region(chunked[0].start, d.end, chunked, d.path)
        for c in d.children:
            if c.kind in SYMBOL_ONLY_KINDS:
                self.symbols.append(self._symbol(c, self.chunk_at(c.node_start)))

    def region(self, start: int, end: int, defs: list[_Def], symbol: str | None) -> None:
        pos = start
        for d in defs:
            if d.node_start < pos:  # shares a line with the previous definition: fold in
                self.symbols.append(self._symbol(d, self.chunk_at(d.node_start)))
                continue
            d.start = max(d.start, pos)
            self.gap(pos, d.start - 1, symbol)
            self.definition(d)
            pos = d.end + 1
        self.gap(pos, end, symbol)

    def chunk_at(self, line: int) -> int:
        best = 0
        for i, c in enumerate(self.chunks):
            if c.start_line <= line <= c.end_line:
                return i
            if c.start_line <= line:
                best = i
        return best

    @staticmethod
    def _symbol(d: _Def, chunk_index: int) -> Symbol:
        return Symbol(d.name.rsplit(".", 1)[-1], d.path, d.kind, d.node_start, d.end, chunk_index)


def chunk_text(text: str, language: str, config: ChunkConfig) -> ChunkedFile:
    """Chunk a file's text; falls back to line windows without a grammar."""
    lines = text.split("\n")
    emitter = _Emitter(lines, config)
    grammar = load_grammar(language)
    if grammar is None:
        start, end = emitter.trim(1, len(lines))
        if start <= end:
            emitter.windows(start, end, "window", None, overlap=config.window_overlap)
        return ChunkedFile(emitter.chunks, [])
    tree = grammar.parser().parse(text.encode("utf-8"))
    roots = _nest(_find_defs(tree, grammar.query))
    top = [d for d in roots if d.kind not in SYMBOL_ONLY_KINDS]
    emitter.region(1, len(lines), top, None)
    for d in roots:
        if d.kind in SYMBOL_ONLY_KINDS:
            emitter.symbols.append(emitter._symbol(d, emitter.chunk_at(d.node_start)))
    return ChunkedFile(emitter.chunks, emitter.symbols)
