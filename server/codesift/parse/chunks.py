"""What the chunker produces, apart from the parser (the store reads these without
loading tree-sitter)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Chunk:
    """A searchable piece of a file.

    ``prefix`` is a (start, end) line range prepended to the chunk's text when it
    is a continuation window of a long definition (the definition's signature).
    """

    start_line: int
    end_line: int
    kind: str
    symbol: str | None = None
    prefix: tuple[int, int] | None = None


@dataclass(frozen=True)
class Symbol:
    """A named definition, pointing at the chunk that holds its start."""

    name: str
    path: str
    kind: str
    start_line: int
    end_line: int
    chunk_index: int


@dataclass(frozen=True)
class ChunkedFile:
    chunks: list[Chunk]
    symbols: list[Symbol]
