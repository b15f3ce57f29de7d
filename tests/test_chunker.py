"""Chunking: definitions with their paths, gaps in windows, long definitions split."""

from __future__ import annotations

from codesift.config import ChunkConfig
from codesift.parse.chunker import chunk_text

PY = '''"""Module docstring."""
import os

LIMIT = 10


class Session:
    """A session."""

    timeout = 5

    def send(self, request):
        """Send it."""
        return request

    # helper comment
    @staticmethod
    def _build():
        return 1


def top_level(x):
    return x + 1
'''


def by_symbol(chunks):
    return {c.symbol: c for c in chunks if c.symbol}


def test_methods_carry_their_class_path_and_decorators_and_comments():
    result = chunk_text(PY, "python", ChunkConfig())
    chunks = by_symbol(result.chunks)
    assert chunks["Session.send"].kind == "method"
    assert (chunks["Session.send"].start_line, chunks["Session.send"].end_line) == (12, 14)
    build = chunks["Session._build"]
    assert build.start_line == 16 and build.kind == "method"  # comment + decorator included
    assert chunks["top_level"].kind == "function"
    header = chunks["Session"]
    assert header.kind == "class" and header.start_line == 7 and header.end_line == 10
    module = [c for c in result.chunks if c.symbol is None]
    assert module and module[0].start_line == 1 and module[0].kind == "code"
    names = {(s.path, s.kind) for s in result.symbols}
    assert {("Session", "class"), ("Session.send", "method"), ("LIMIT", "constant"),
            ("top_level", "function")} <= names


def test_long_definition_is_split_into_windows_that_keep_the_signature():
    body = "\n".join(f"    total += {i}" for i in range(300))
    source = f"def accumulate(values,\n               start=0):\n    total = start\n{body}\n"
    config = ChunkConfig(max_definition_lines=100, window_lines=60, window_overlap=10)
    chunks = chunk_text(source, "python", config).chunks
    assert len(chunks) >= 5
    assert all(c.symbol == "accumulate" for c in chunks)
    assert chunks[0].start_line == 1 and chunks[0].prefix is None
    for previous, current in zip(chunks, chunks[1:], strict=False):
        assert current.prefix == (1, 2)  # the two-line signature
        assert current.start_line <= previous.end_line  # overlapping windows
    assert chunks[-1].end_line == 303
    assert all(c.end_line - c.start_line < 60 for c in chunks)


def test_unknown_language_uses_line_windows():
    text = "\n".join(f"line {i}" for i in range(1, 151))
    chunks = chunk_text(text, "markdown", ChunkConfig(window_lines=60, window_overlap=10)
                        ).chunks
    assert [(c.start_line, c.end_line) for c in chunks] == [(1, 60), (51, 110), (101, 150)]
    assert all(c.kind == "window" and c.symbol is None for c in chunks)


def test_go_method_path_uses_receiver_and_rust_impl():
    go = "package x\n\ntype Session struct{}\n\nfunc (s *Session) Send() error {\n" \
         "\treturn nil\n}\n"
    paths = {c.symbol for c in chunk_text(go, "go", ChunkConfig()).chunks}
    assert "Session.Send" in paths
    rust = "struct Pool;\nimpl Pool {\n    fn acquire(&self) -> u32 {\n        1\n    }\n}\n"
    chunks = by_symbol(chunk_text(rust, "rust", ChunkConfig()).chunks)
    assert chunks["Pool.acquire"].kind == "method"


def test_empty_and_whitespace_files_have_no_chunks():
    assert chunk_text("", "python", ChunkConfig()).chunks == []
    assert chunk_text("\n\n   \n", "text", ChunkConfig()).chunks == []
