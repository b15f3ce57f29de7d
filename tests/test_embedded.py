"""The light model's nearest chunks join natural-language pools, and the pool grows, only
after a complete embedding pass (``retrieve.embedded_keep``, ``embedded_pool_size``); a
chunk gone since then is skipped."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from codesift.index.indexer import sync
from codesift.rerank.cascade import LEXICAL_SOURCES
from codesift.search import Searcher, SearchRequest
from codesift.workspace import Workspace

from .conftest import copy_packages, make_config


@contextmanager
def indexed(tmp_path: Path, packages: tuple[str, ...]) -> Iterator[Searcher]:
    """A searcher over an indexed copy of standard-library packages, closed afterwards."""
    config = make_config(tmp_path / "index")
    workspace = Workspace(copy_packages(tmp_path / "ws", packages), config)
    store = workspace.open_store()
    try:
        sync(workspace, store)
        yield Searcher(store, config)
    finally:
        store.close()


def embedded_sources(searcher: Searcher, query: str) -> list[str]:
    _, pool = searcher.candidates(SearchRequest(query), {})
    return [c.path for c in pool if "embedded" in c.scores]


def lexical_pool(searcher: Searcher, query: str) -> list[str]:
    _, pool = searcher.candidates(SearchRequest(query), {})
    return [c.path for c in pool if any(s in c.scores for s in LEXICAL_SOURCES)]


def test_embedded_candidates_after_a_complete_pass(tmp_path: Path):
    root = copy_packages(tmp_path / "ws", ("json",))
    config = make_config(tmp_path / "index")
    config.retrieve.embedded_keep = 5
    config.retrieve.pool_size, config.retrieve.embedded_pool_size = 5, 15
    workspace = Workspace(root, config)
    store = workspace.open_store()
    try:
        sync(workspace, store)
        searcher = Searcher(store, config)
        query = "turn python objects into a text string"
        assert embedded_sources(searcher, query) == []  # no vectors yet: nothing waits
        assert len(lexical_pool(searcher, query)) == 5
        assert not searcher.mark_embedded()  # coverage incomplete: not recorded
        searcher.embed_all()  # walks the index, then records the complete pass
        assert searcher.mark_embedded()
        assert Searcher(store, config).embedded.ready(
            searcher._light_bi_encoder().cache_id)  # type: ignore[union-attr]
        _, pool = searcher.candidates(SearchRequest(query), {})
        nearest = [c for c in pool if "embedded" in c.scores]
        assert nearest and all(c.path.startswith("json/") for c in nearest)
        assert len(pool) == len({(c.path, c.start_line) for c in pool})  # no duplicates
        assert len(lexical_pool(searcher, query)) == 15  # scored from the cache: a larger pool
        # the lexical pool's snapshot goes out first; the nearest chunks join it after
        results = list(searcher.stream(SearchRequest(query)))
        assert [r.stage for r in results] == ["candidates", "light", "final"]
        assert results[0].pool == 15 < results[-1].pool == len(pool)
        assert "embedded" not in results[0].timings_ms and "embedded" in results[-1].timings_ms
        # identifier and regex queries and lexical-only searches never use them
        assert embedded_sources(searcher, "JSONDecoder") == []
        _, lexical = searcher.candidates(SearchRequest(query, rerank=False), {})
        assert not any("embedded" in c.scores for c in lexical)
        # a file removed after the pass: its chunks are skipped, the rest still come
        (root / "json" / "encoder.py").unlink()
        sync(workspace, store)
        after = embedded_sources(Searcher(store, config), query)
        assert "json/encoder.py" not in after
    finally:
        store.close()


def test_embedded_weight_ranks_the_light_models_own_finds_below_lexical_ones(tmp_path: Path):
    """``rerank.light_embedded_weight``: the light stage discounts a candidate that only its
    own nearest-chunk search found, which no lexical rank backs."""
    root = copy_packages(tmp_path / "ws", ("json", "email"))
    config = make_config(tmp_path / "index")
    config.retrieve.dense_model = ""  # only lexical and the light model's own candidates
    config.rerank.heavy_model = ""
    workspace = Workspace(root, config)
    store = workspace.open_store()
    try:
        sync(workspace, store)
        Searcher(store, config).embed_all()
        query = "turn python objects into a text string"

        def lexically_found(weight: float) -> list[bool]:
            config.rerank.light_embedded_weight = weight
            result = Searcher(store, config).search(SearchRequest(query, limit=300))
            assert result.stages[0].ran
            return [any(f.source in LEXICAL_SOURCES for f in h.why.found_by)
                    for h in result.hits if h.why is not None]

        plain, discounted = lexically_found(1.0), lexically_found(0.0)
        assert False in plain and True in plain
        assert plain.index(False) < plain.count(True)  # some model pick ranks high
        first_unmatched = discounted.index(False)
        assert all(discounted[:first_unmatched]) and not any(discounted[first_unmatched:])
    finally:
        store.close()


def test_int8_vectors_rank_like_float32_and_a_preload_is_adopted(tmp_path: Path):
    """The matrix is int8 with a scale per row: its nearest chunks are float32's. Read on
    another thread (the language server's counting thread), it is adopted as it is."""
    import threading

    import numpy as np

    from codesift.rerank.cache import chunk_embeddings

    with indexed(tmp_path, ("json", "email")) as searcher:
        store, config = searcher.store, searcher.config
        searcher.embed_all()
        scorer = searcher._light_bi_encoder()
        assert scorer is not None
        fresh = Searcher(store, config)
        loader = threading.Thread(target=fresh.preload_embedded)
        loader.start()
        loader.join()
        preloaded = fresh.embedded._preloaded
        assert preloaded is not None
        assert fresh.embedded.ready(scorer.cache_id) and fresh.embedded.matrix is preloaded[1]
        matrix = preloaded[1]
        assert matrix is not None
        rows = list(chunk_embeddings(store, scorer.cache_id))
        assert list(matrix.ids) == [r[0] for r in rows] and list(matrix.files) == [
            r[1] for r in rows]
        exact = np.frombuffer(b"".join(r[2] for r in rows), np.float32).reshape(len(rows), -1)
        query = scorer.query_vector("parse an email address header").astype(np.float32)
        approx = matrix.scores(query)
        error = np.abs(approx - exact @ query).max()
        assert error < 0.01
        # the same top 10, except where two chunks' exact scores are closer than the error
        scores = exact @ query
        tenth = np.sort(scores)[-10]
        top = np.argsort(-approx)[:10]
        assert scores[top].min() >= tenth - 2 * error
        assert scores[top[0]] >= scores.max() - 2 * error
        assert len(set(top) & set(np.argsort(-scores)[:10])) >= 9


def test_searches_count_the_vectors_they_compute_and_background_work_does_not(tmp_path):
    """The background pass's progress adds the chunks searches embedded meanwhile."""
    with indexed(tmp_path, ("json",)) as searcher:
        start = searcher.embedding_coverage()
        assert start is not None and start[0] == 0 and searcher.vectors_from_searches() == 0
        searcher.search(SearchRequest("turn python objects into a text string"))
        searched = searcher.vectors_from_searches()
        coverage = searcher.embedding_coverage()
        assert coverage is not None and 0 < searched == coverage[0]
        stepped = searcher.embed_pending(10_000)
        assert stepped is not None and stepped[0] + searched == coverage[1]
        assert searcher.vectors_from_searches() == searched  # background work: not counted
