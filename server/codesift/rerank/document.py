"""What a model reads about a candidate, cut to fit its token budget.

The first line is ``path :: symbol path``; then the code. When the code is longer
than the budget, the signature and doc comment are kept, then the window of the
body that holds the most query terms (for query-independent uses such as cached
embeddings, the window simply follows the head).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..terms import split_identifier, words

HEAD_SHARE = 0.5  # at most this share of the budget goes to the signature and doc comment
COMMENT = re.compile(r"^\s*(#|//|/\*|\*|--|;|@)")
DOC_OPEN = re.compile(r'^\s*[rRbBuU]?("""|\'\'\')')
SIGNATURE_END = re.compile(r"(:|\{|=>|\bthen|\bdo|\))\s*(#.*|//.*)?$")


@dataclass(frozen=True)
class Document:
    """A candidate as the rerankers see it; ``key`` changes whenever the text does."""

    key: str
    path: str
    symbol: str | None
    kind: str
    text: str

    @property
    def header(self) -> str:
        return f"{self.path} :: {self.symbol or self.kind}"


TokenCounter = Callable[[Sequence[str]], list[int]]


def head_length(lines: Sequence[str]) -> int:
    """Number of leading lines that make the signature and doc comment."""
    i, n = 0, len(lines)
    while i < n and (COMMENT.match(lines[i]) or not lines[i].strip()):
        i += 1  # leading comments, decorators, annotations
    for j in range(i, min(n, i + 6)):  # the signature, possibly over several lines
        i = j + 1
        if SIGNATURE_END.search(lines[j].rstrip()):
            break
    while i < n and not lines[i].strip():
        i += 1
    if i < n and (m := DOC_OPEN.match(lines[i])):
        quote = m.group(1)
        rest = lines[i][m.end():]
        i += 1
        if quote not in rest:
            while i < n and quote not in lines[i]:
                i += 1
            i += 1
    else:
        while i < n and COMMENT.match(lines[i]):
            i += 1
    return min(i, n)


def _line_hits(line: str, terms: frozenset[str]) -> int:
    if not terms:
        return 0
    found = 0
    for word in words(line):
        lower = word.lower()
        if lower in terms or any(p in terms for p in split_identifier(word)):
            found += 1
    return found


def fit(document: Document, budget: int, count: TokenCounter,
        query_terms: frozenset[str] = frozenset()) -> str:
    """The document's text for a model with ``budget`` tokens for the document."""
    lines = [line.rstrip() for line in document.text.split("\n")]
    lines = [line for line in lines if line.strip()]
    header = document.header
    sizes = count([header, *lines])
    budget -= sizes[0]
    sizes = sizes[1:]
    if sum(sizes) <= budget:
        return "\n".join([header, *lines])
    head_end = head_length(lines)
    head: list[str] = []
    used = 0
    for k in range(head_end):
        if used + sizes[k] > budget * HEAD_SHARE and head:
            break
        head.append(lines[k])
        used += sizes[k]
    else:
        k = head_end
    rest = budget - used
    start = head_end if len(head) == head_end else k
    if start >= len(lines):
        return "\n".join([header, *head])
    best = _best_window(sizes, [_line_hits(x, query_terms) for x in lines], start, rest)
    end = best
    total = 0
    while end < len(lines) and total + sizes[end] <= rest:
        total += sizes[end]
        end += 1
    gap = ["..."] if best > start else []
    return "\n".join([header, *head, *gap, *lines[best:end]])


def _best_window(sizes: Sequence[int], hits: Sequence[int], start: int, budget: int) -> int:
    """Start line of the window (fitting ``budget`` tokens) with the most query terms."""
    if not any(hits[start:]):
        return start
    best, best_hits = start, -1
    end, tokens, inside = start, 0, 0
    for left in range(start, len(sizes)):
        while end < len(sizes) and tokens + sizes[end] <= budget:
            tokens += sizes[end]
            inside += hits[end]
            end += 1
        if inside > best_hits:
            best, best_hits = left, inside
        if end == left:  # a single line larger than the budget
            end += 1
        else:
            tokens -= sizes[left]
            inside -= hits[left]
    return best
