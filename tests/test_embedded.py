"""The light model's nearest chunks join natural-language pools only after a complete
embedding pass (``retrieve.embedded_keep``), and a chunk gone since then is skipped."""

from __future__ import annotations

from pathlib import Path

from codesift.index.indexer import sync
from codesift.search import Searcher, SearchRequest
from codesift.workspace import Workspace

from .conftest import copy_packages, make_config


def embedded_sources(searcher: Searcher, query: str) -> list[str]:
    _, pool = searcher.candidates(SearchRequest(query), {})
    return [c.path for c in pool if "embedded" in c.scores]


def test_embedded_candidates_after_a_complete_pass(tmp_path: Path):
    root = copy_packages(tmp_path / "ws", ("json",))
    config = make_config(tmp_path / "index")
    config.retrieve.embedded_keep = 5
    workspace = Workspace(root, config)
    store = workspace.open_store()
    try:
        sync(workspace, store)
        searcher = Searcher(store, config)
        query = "turn python objects into a text string"
        assert embedded_sources(searcher, query) == []  # no vectors yet: nothing waits
        assert not searcher.mark_embedded()  # coverage incomplete: not recorded
        searcher.embed_all()  # walks the index, then records the complete pass
        assert searcher.mark_embedded()
        assert Searcher(store, config).embedded.ready(
            searcher._light_bi_encoder().cache_id)  # type: ignore[union-attr]
        _, pool = searcher.candidates(SearchRequest(query), {})
        nearest = [c for c in pool if "embedded" in c.scores]
        assert nearest and all(c.path.startswith("json/") for c in nearest)
        assert len(pool) == len({(c.path, c.start_line) for c in pool})  # no duplicates
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
