"""Search results on real code: the standard library's own packages."""

from __future__ import annotations

from codesift.retrieve.candidate import Filters
from codesift.search import Searcher, SearchRequest


def search(stdlib_index, query: str, **kwargs):
    workspace, store = stdlib_index
    return Searcher(store, workspace.config).search(SearchRequest(query, **kwargs))


def test_function_name_returns_its_definition_first(stdlib_index):
    result = search(stdlib_index, "parsedate_to_datetime")
    assert result.route == "symbol"
    top = result.hits[0]
    assert (top.path, top.symbol, top.kind) == ("email/utils.py", "parsedate_to_datetime",
                                                "function")
    assert top.snippet.lstrip().startswith("def parsedate_to_datetime")


def test_method_path_query_returns_the_method(stdlib_index):
    top = search(stdlib_index, "JSONDecoder.raw_decode").hits[0]
    assert (top.path, top.symbol, top.kind) == ("json/decoder.py", "JSONDecoder.raw_decode",
                                                "method")


def test_concept_query_finds_function_in_top_10(stdlib_index):
    result = search(stdlib_index, "escape special html characters", limit=10)
    assert result.route == "natural"
    assert ("html/__init__.py", "escape") in [(h.path, h.symbol) for h in result.hits]


def test_language_and_path_filters_apply_before_the_cut(stdlib_index):
    result = search(stdlib_index, "decode", limit=50, filters=Filters(paths=("email/",)))
    assert result.hits and all(h.path.startswith("email/") for h in result.hits)
    none = search(stdlib_index, "decode", filters=Filters(languages=("rust",)))
    assert none.hits == []


def test_identifier_that_is_also_a_stop_word_is_still_searched(stdlib_index):
    result = search(stdlib_index, "get", limit=20)
    assert result.route == "symbol"
    assert any(h.symbol and h.symbol.split(".")[-1] == "get" for h in result.hits)


def test_queries_with_fts_syntax_characters_do_not_fail(stdlib_index):
    for query in ['"', "*", "NEAR(", "AND OR NOT", "a:b", "?"]:
        search(stdlib_index, query)  # no exception; results may be empty


def test_keyword_matches_rank_alike_with_and_without_a_file_filter(stdlib_index):
    """The keyword query ranks inside the full-text index before joining, a file filter
    included: a filtered search gives the unfiltered rows, order and scores of its files."""
    _, store = stdlib_index
    weights = (2.0, 1.0)
    expression = '"parse" OR "header" OR "address" OR "decode"'
    everything = store.keyword_matches(expression, weights, None, 10_000)
    assert len(everything) > 50 and all(s > 0 for _, s in everything)
    assert [s for _, s in everything] == sorted((s for _, s in everything), reverse=True)

    def alike(found, expected) -> bool:  # the same order, up to ties of equal score
        def tied(rows):
            return sorted(rows, key=lambda r: (-r[1], r[0].id))
        return [s for _, s in found] == [s for _, s in expected] and tied(found) == tied(
            expected)

    every_file = sorted({row.file_id for row, _ in everything})
    assert alike(store.keyword_matches(expression, weights, every_file, 10_000), everything)
    some = every_file[::3]
    assert alike(store.keyword_matches(expression, weights, some, 10_000),
                 [(row, s) for row, s in everything if row.file_id in some])
    assert [s for _, s in store.keyword_matches(expression, weights, None, 7)] == [
        s for _, s in everything[:7]]
