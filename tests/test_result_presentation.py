"""How results read: shown scores never rise down a list, Markdown paths are escaped,
and duplicate snippets (generated or linked copies) are shown once."""

from __future__ import annotations

from pathlib import Path

from codesift.lsp.handlers.relevance import markdown_code
from codesift.relevance import elsewhere
from codesift.search import Searcher, SearchHit, SearchRequest


def test_scores_never_rise_down_the_list(stdlib_index):
    workspace, store = stdlib_index
    searcher = Searcher(store, workspace.config)
    for query in ("JSONDecoder", "HTTPConnection", "getLogger", "parse a cookie header"):
        scores = [h.score for h in searcher.search(SearchRequest(query, 10)).hits]
        assert scores == sorted(scores, reverse=True), (query, scores)


def test_markdown_paths_are_literal():
    assert markdown_code("json/__init__.py:3") == "`json/__init__.py:3`"
    assert markdown_code("a*b[c](d)") == "`a*b[c](d)`"
    assert markdown_code("odd`name.py:1") == "`` odd`name.py:1 ``"


def hit(path: str, snippet: str, line: int = 1) -> SearchHit:
    return SearchHit(path, line, line + 3, 0.5, "f", "function", "python", snippet, {})


def test_identical_snippets_collapse_and_the_origin_is_left_out():
    root = Path("/ws")
    found = [(root, hit("a.py", "def f():\n    return 1")),
             (root, hit("copy/a.py", "def f():\n        return 1")),
             (root, hit("b.py", "def g():\n    return 2")),
             (root, hit("here.py", "def h():\n    pass", line=10))]
    kept = elsewhere(found, root / "here.py", 11)
    assert [h.path for _, h in kept] == ["a.py", "b.py"]
