"""What "relevant code" asks and keeps, shared by the language server (hover, code
action, command) and the MCP ``relevant_code`` tool: the query a place in a file
stands for, and the hits worth showing from elsewhere."""

from __future__ import annotations

import re
from pathlib import Path

from .search import SearchHit

WORD = re.compile(r"[A-Za-z_$][\w$]*")
COMMENT = re.compile(r"^\s*(?:#+|//+|/\*+|\*+|--|;+)\s*(.*?)\s*(?:\*/)?$")
MAX_COMMENT_QUERY = 300


def comment_query(line: str) -> str | None:
    """The text of a comment line of at least two words, else None."""
    comment = COMMENT.match(line)
    if comment and comment.group(1) and len(comment.group(1).split()) >= 2:
        return comment.group(1)[:MAX_COMMENT_QUERY]
    return None


def query_at(line: str, character: int) -> str | None:
    """The identifier under the cursor, or the comment text when the line is a comment."""
    comment = comment_query(line)
    if comment is not None:
        return comment
    for match in WORD.finditer(line):
        if match.start() <= character <= match.end():
            return match.group(0)
    return None


def elsewhere(found: list[tuple[Path, SearchHit]], here: Path | None, line: int
              ) -> list[tuple[Path, SearchHit]]:
    """Hits other than the place the query came from (a zero-based line in ``here``),
    each snippet once (generated copies and linked duplicates collapse to the first)."""
    seen: set[str] = set()
    out = []
    for root, hit in found:
        if root / hit.path == here and hit.start_line - 1 <= line <= hit.end_line - 1:
            continue
        key = " ".join(hit.snippet.split())
        if key in seen:
            continue
        seen.add(key)
        out.append((root, hit))
    return out
