"""Rows the index hands out, and the hashes and texts both the store and the model
stages compute the same way (kept apart from the SQL so either side can import them)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..parse.chunks import Chunk
from ..terms import index_terms


@dataclass(frozen=True)
class FileState:
    id: int
    size: int
    mtime_ns: int
    hash: str


@dataclass(frozen=True)
class ChunkRow:
    """A chunk joined with its file, as retrieval needs it."""

    id: int
    file_id: int
    path: str
    language: str
    start_line: int
    end_line: int
    symbol: str | None
    kind: str


@dataclass(frozen=True)
class SymbolRow:
    """A definition joined with its chunk and file, as the AST generator needs it."""

    id: int
    chunk_id: int
    file_id: int
    path: str
    language: str
    start_line: int  # of the chunk holding the definition
    end_line: int
    symbol_path: str | None
    kind: str
    name: str


def content_hash(raw: bytes) -> str:
    return hashlib.blake2b(raw, digest_size=16).hexdigest()


def document_key(path: str, symbol: str | None, text: str) -> str:
    """Hash of everything a model reads about a chunk: a new key whenever any of it changes."""
    return content_hash(f"{path}\0{symbol or ''}\0{text}".encode())


def chunk_body(lines: Sequence[str], chunk: Chunk) -> str:
    """The text a chunk is indexed (and later reranked) with."""
    body = "\n".join(lines[chunk.start_line - 1 : chunk.end_line])
    if chunk.prefix is not None:
        head = "\n".join(lines[chunk.prefix[0] - 1 : chunk.prefix[1]])
        body = f"{head}\n    ...\n{body}"
    return body


def symbol_terms(path: str) -> str:
    return index_terms(path.replace(".", " "))


def json_ids(ids: Iterable[int]) -> str:
    return "[" + ",".join(str(int(i)) for i in ids) + "]"
