"""Regression tests named after the bug they pin down."""

from __future__ import annotations

import pytest

from codesift.config import ChunkConfig
from codesift.index.indexer import sync
from codesift.parse.chunker import chunk_text
from codesift.query import analyze
from codesift.retrieve.regex import iter_matches
from codesift.workspace import Workspace

from .conftest import make_config


@pytest.fixture()
def indexed(tmp_path):
    def build(files: dict[str, bytes | str]):
        root = tmp_path / "ws"
        root.mkdir()
        for rel, data in files.items():
            path = root / rel
            if isinstance(data, bytes):
                path.write_bytes(data)
            else:
                path.write_text(data)
        workspace = Workspace(root, make_config(tmp_path / "index"))
        store = workspace.open_store()
        sync(workspace, store)
        return store
    return build


def test_posix_class_does_not_make_the_prefilter_drop_matches(indexed):
    store = indexed({"a.txt": "xfoo bar\n"})
    assert [m.start_line for m in iter_matches(store, "[[:alpha:]]foo")] == [1]


def test_nul_in_pattern_does_not_break_the_trigram_query(indexed):
    store = indexed({"a.txt": "abc\n"})
    assert list(iter_matches(store, "abc\\x00")) == []


def test_dollar_matches_at_crlf_line_ends(indexed):
    store = indexed({"crlf.py": b"def f():\r\n    return 1\r\n"})
    matches = list(iter_matches(store, "return 1$"))
    assert [(m.start_line, m.line_text) for m in matches] == [(2, "    return 1")]


def test_trailing_comment_does_not_swallow_the_next_definition():
    source = "int a(void) {\n  return 1;\n} /* end a */\nint bravo(void) {\n  return 2;\n}\n"
    result = chunk_text(source, "c", ChunkConfig())
    bravo = [c for c in result.chunks if c.symbol == "bravo"]
    assert bravo and (bravo[0].start_line, bravo[0].end_line) == (4, 6)


def test_definitions_sharing_a_line_are_siblings_with_valid_ranges():
    result = chunk_text("function alpha(){} function beta(){}\n", "javascript", ChunkConfig())
    assert {s.path for s in result.symbols} == {"alpha", "beta"}
    one_line = chunk_text("class A { foo() { return 1; } }\n", "javascript", ChunkConfig())
    assert {s.path for s in one_line.symbols} == {"A", "A.foo"}
    assert all(c.start_line <= c.end_line == 1 for c in one_line.chunks)


def test_subscripts_in_plain_queries_are_not_regexes():
    assert analyze("sys.argv[1]").route == "natural"
    assert analyze("dict[str, int]").route == "natural"
    assert analyze("[0-9]+ items").route == "regex"


def test_relative_index_dir_inside_the_root_is_not_indexed(tmp_path):
    root = tmp_path / "ws"
    root.mkdir()
    (root / "a.py").write_text("def alpha():\n    return 1\n")
    config = make_config(tmp_path)
    config.index.index_dir = ".cs-index"
    workspace = Workspace(root, config)
    assert workspace.index_dir == root / ".cs-index"
    store = workspace.open_store()
    sync(workspace, store)
    assert [p for _, p, _ in store.files()] == ["a.py"]
    assert sync(workspace, store).changed == 0


STUB_SOURCE = '''def polygon_area(points):
    """Area of a simple polygon by the shoelace formula."""
    twice = 0.0
    for (x1, y1), (x2, y2) in zip(points, points[1:] + points[:1]):
        twice += x1 * y2 - x2 * y1
    return abs(twice) / 2
'''
STUB = '''def polygon_area(points: list[tuple[float, float]]) -> float:
    """Area of a simple polygon by the shoelace formula."""
    ...
'''


def test_a_stub_beside_its_implementation_is_not_a_second_result(tmp_path):
    from codesift.search import Searcher
    from codesift.search_types import SearchRequest

    root = tmp_path / "ws"
    (root / "stubs_only").mkdir(parents=True)
    (root / "geometry.py").write_text(STUB_SOURCE)
    (root / "geometry.pyi").write_text(STUB)
    (root / "stubs_only" / "shapes.pyi").write_text(STUB)
    workspace = Workspace(root, make_config(tmp_path / "index"))
    store = workspace.open_store()
    sync(workspace, store)
    searcher = Searcher(store, workspace.config)
    for query in ("polygon_area", "area of a polygon shoelace"):
        hits = searcher.search(SearchRequest(query, rerank=False)).hits
        paths = [hit.path for hit in hits if hit.symbol == "polygon_area"]
        assert "geometry.py" in paths and "geometry.pyi" not in paths, (query, paths)
        # a stub with no implementation beside it stays findable
        assert "stubs_only/shapes.pyi" in paths, (query, paths)
