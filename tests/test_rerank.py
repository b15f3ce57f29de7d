"""Reranking runtime, cascade bookkeeping, caches and degradation, on tiny real models."""

from __future__ import annotations

import dataclasses
import logging
import shutil
from pathlib import Path

import numpy as np
import pytest

from codesift.config import Config
from codesift.errors import Cancelled, ModelError
from codesift.index.indexer import sync
from codesift.rerank.cascade import _exact_first
from codesift.rerank.document import Document, fit, head_length
from codesift.rerank.onnx import OnnxModel
from codesift.rerank.scorers import ModelPool
from codesift.retrieve import dense
from codesift.retrieve.candidate import Candidate
from codesift.search import Searcher, SearchRequest
from codesift.workspace import Workspace

from .tiny_models import reference_embedding


def make_config(index_dir: Path, light: str, heavy: str, **rerank) -> Config:
    config = Config()
    config.index.index_dir = str(index_dir)
    config.rerank = dataclasses.replace(config.rerank, light_model=light, heavy_model=heavy,
                                        light_keep=5, **rerank)
    return config


@pytest.fixture()
def indexed(tiny_corpus, tiny_models, tmp_path):
    """A fresh copy of the workspace, indexed, with the tiny models configured."""
    root = tmp_path / "ws"
    shutil.copytree(tiny_corpus, root)
    bi, cross = tiny_models
    config = make_config(tmp_path / "index", str(bi), str(cross))
    workspace = Workspace(root, config)
    store = workspace.open_store()
    sync(workspace, store)
    yield workspace, store
    store.close()


# -- runtime -------------------------------------------------------------------------

def test_onnx_bi_encoder_matches_numpy_reference(tiny_models):
    model = OnnxModel(tiny_models[0], threads=1, batch_size=2)
    texts = ["split a string into shell words", "decode json text",
             "wrap long paragraphs of text to a width", "match file names"]
    got = model.run_batched(texts)
    tok = model.counter
    for text, vector in zip(texts, got, strict=True):
        np.testing.assert_allclose(vector, reference_embedding(tok, text), atol=1e-6)
    assert got.shape == (4, tok.get_vocab_size())


def test_onnx_cross_encoder_scores_word_overlap(tiny_models):
    model = OnnxModel(tiny_models[1], threads=1, batch_size=3)
    query = "split the string into words"
    docs = ["def split(s): return shlex words from the string", "def dedent(text): pass",
            "split words", "nothing here at all"]
    scores = model.run_batched([(query, d) for d in docs])
    assert scores.shape == (4,)
    assert scores[0] > scores[2] > scores[1] == scores[3] == 0.0


def test_cancel_is_checked_between_batches(tiny_models):
    model = OnnxModel(tiny_models[0], threads=1, batch_size=1)
    calls = []

    def cancel() -> bool:
        calls.append(1)
        return len(calls) > 2

    with pytest.raises(Cancelled):
        model.run_batched(["a", "b", "c", "d", "e"], cancel)
    assert len(calls) == 3


# -- what the model reads ------------------------------------------------------------

LONG_FUNCTION = "\n".join(
    ["@decorator", "def compute_totals(orders, *, currency='EUR'):",
     '    """Sum the orders per customer.', "", "    Returns a dict.", '    """']
    + [f"    step_{i} = helper_{i}(orders)" for i in range(60)]
    + ["    refund = apply_refund_policy(orders, currency)", "    return refund"]
    + [f"    tail_{i} = other_{i}()" for i in range(30)]
)


def test_head_is_signature_and_docstring():
    lines = LONG_FUNCTION.split("\n")
    assert lines[head_length(lines) - 1] == '    """'


def test_model_threads_sleep_between_calls(tiny_models):
    """Spinning threads of one model's pool took the cores from the next model's call."""
    options = OnnxModel(tiny_models[0]).session.get_session_options()
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"


def test_fit_keeps_head_then_the_window_with_query_terms(tiny_models):
    model = OnnxModel(tiny_models[0])
    doc = Document("k", "shop/orders.py", "compute_totals", "function", LONG_FUNCTION)
    text = fit(doc, 60, model.count_tokens, frozenset({"refund", "policy"}))
    lines = text.split("\n")
    assert lines[0] == "shop/orders.py :: compute_totals"
    assert lines[1:3] == ["@decorator", "def compute_totals(orders, *, currency='EUR'):"]
    assert "..." in lines and "    refund = apply_refund_policy(orders, currency)" in lines
    assert "    step_0 = helper_0(orders)" not in lines
    assert sum(model.count_tokens(lines)) <= 60
    plain = fit(doc, 60, model.count_tokens)  # no query terms: the body right after the head
    assert "    step_0 = helper_0(orders)" in plain.split("\n")


# -- cascade -------------------------------------------------------------------------

def test_cascade_streams_stages_in_order(indexed):
    workspace, store = indexed
    searcher = Searcher(store, workspace.config)
    snaps = list(searcher.stream(SearchRequest("split a string into shell words", limit=5)))
    assert [s.stage for s in snaps] == ["candidates", "light", "final"]
    final = snaps[-1]
    light, heavy = final.stages
    assert light.ran and light.model == "test/tiny-bi-encoder" and light.candidates_out == 5
    assert heavy.ran and heavy.model == "test/tiny-cross-encoder" and heavy.candidates_in == 5
    assert {"candidates", "light", "heavy", "total"} <= set(final.timings_ms)
    assert all(len(s.hits) == 5 for s in snaps)
    assert all("light" in h.scores and "heavy" in h.scores for h in final.hits)
    # the heavy stage reorders exactly what the light stage kept
    def places(result):
        return {(h.path, h.start_line) for h in result.hits}
    assert places(final) == places(snaps[1])
    assert all("light" not in h.scores for h in snaps[0].hits)


def test_no_rerank_and_regex_skip_the_models(indexed):
    workspace, store = indexed
    searcher = Searcher(store, workspace.config)
    off = searcher.search(SearchRequest("split shell words", rerank=False))
    assert [(s.ran, s.reason) for s in off.stages] == [
        (False, "reranking switched off"), (False, "reranking switched off")]
    regex = searcher.search(SearchRequest(r"def \w+split", regex=True))
    assert not any(s.ran for s in regex.stages)
    assert "regex" in regex.stages[0].reason


def test_symbol_query_with_clear_definition_exits_early(indexed):
    workspace, store = indexed
    result = Searcher(store, workspace.config).search(SearchRequest("JSONDecoder.raw_decode"))
    heavy = result.stages[-1]
    assert not heavy.ran and heavy.reason.startswith("early exit: exact definition")
    assert result.hits[0].symbol == "JSONDecoder.raw_decode"


def test_identifier_query_puts_its_exact_definitions_first(indexed):
    """A name defined in several places (no early exit): every definition of it comes
    before the names that merely contain it, whatever the models think."""
    workspace, store = indexed
    (workspace.root / "stats").mkdir()
    for name in ("one", "two"):
        (workspace.root / "stats" / f"{name}.py").write_text(
            "def stat_all(paths):\n    return [stat_path(p) for p in paths]\n\n\n"
            "def stat_path(path):\n    return len(path)\n\n\n"
            "def file_stat(path):\n    return stat_path(path)\n\n\n"
            f"def stat(path):\n    return ({name!r}, len(path))\n")
    sync(workspace, store)
    result = Searcher(store, workspace.config).search(SearchRequest("stat", limit=6))
    assert result.stages[-1].ran  # two exact definitions: the models decide between them
    assert [h.symbol for h in result.hits[:2]] == ["stat", "stat"]
    assert all(h.symbol != "stat" for h in result.hits[2:])
    assert all(a.score >= b.score for a, b in zip(result.hits, result.hits[1:], strict=False))


def test_exact_definitions_move_first_in_model_order_with_scores_to_match():
    def cand(symbol: str, ast: float, score: float) -> Candidate:
        return Candidate(1, "a.py", "python", 1, 2, symbol, "function", scores={"ast": ast},
                         score=score)
    ranking = [cand("file_stat", 0.6, 0.9), cand("stat", 1.0, 0.5), cand("stat_all", 0.7, 0.4),
               cand("STAT", 0.9, 0.3)]
    out = _exact_first(ranking)
    assert [c.symbol for c in out] == ["stat", "STAT", "file_stat", "stat_all"]
    assert [c.score for c in out] == sorted((c.score for c in out), reverse=True)
    assert out[0].score - out[1].score == pytest.approx(0.2)  # spacing kept


def test_a_confident_light_ranking_skips_the_heavy_stage(indexed):
    workspace, store = indexed
    def run(threshold: float):
        config = dataclasses.replace(workspace.config, rerank=dataclasses.replace(
            workspace.config.rerank, confident_exit=threshold))
        return Searcher(store, config).search(SearchRequest("wrap text paragraphs"))
    sure = run(1e-9)  # any confidence clears it
    light, heavy = sure.stages
    assert light.ran and not heavy.ran
    assert heavy.reason.startswith("early exit: confident after the light stage (")
    assert sure.confidence is not None and all("heavy" not in h.scores for h in sure.hits)
    assert run(0.0).stages[1].ran  # 0 switches it off
    assert run(1.0).stages[1].ran  # never that sure


def test_auto_strategy_ranks_again_with_dense_candidates_when_unsure(indexed):
    workspace, store = indexed
    def run(threshold: float):
        config = dataclasses.replace(
            workspace.config,
            retrieve=dataclasses.replace(workspace.config.retrieve, strategy="auto",
                                         min_confidence=threshold),
            rerank=dataclasses.replace(workspace.config.rerank, confident_exit=0.0))
        dense.refresh(store, config)  # the static vectors the dense generator reads
        return list(Searcher(store, config).stream(SearchRequest("wrap text paragraphs")))
    def dense_found(result):
        return [h for h in result.hits if h.why and any(f.source == "dense"
                                                        for f in h.why.found_by)]
    sure = run(0.0)  # never unsure: one pass over the lexical pool
    assert [s.stage for s in sure] == ["candidates", "light", "final"]
    assert not dense_found(sure[-1])
    unsure = run(1.0)  # always unsure: a second pass with the dense candidates
    assert [s.stage for s in unsure] == ["candidates", "light", "light", "final"]
    assert unsure[-1].pool > sure[-1].pool and dense_found(unsure[-1])
    assert all(s.ran for s in unsure[-1].stages)


def test_light_only_when_heavy_is_off(indexed):
    workspace, store = indexed
    config = dataclasses.replace(workspace.config, rerank=dataclasses.replace(
        workspace.config.rerank, heavy_model=""))
    result = Searcher(store, config).search(SearchRequest("wrap text paragraphs"))
    assert [s.ran for s in result.stages] == [True, False]
    assert result.stages[1].reason == "rerank.heavy_model is empty"


# -- caches --------------------------------------------------------------------------

def test_repeated_query_hits_the_caches_and_a_changed_chunk_misses(indexed):
    workspace, store = indexed
    query = SearchRequest("split a string into shell words", limit=5)
    first = Searcher(store, workspace.config).search(query)
    assert [s.cache_hits for s in first.stages] == [0, 0]
    # a new process (fresh in-memory caches) still hits the persisted ones
    again = Searcher(store, workspace.config).search(query)
    assert again.stages[0].cache_hits == again.stages[0].candidates_in
    assert again.stages[1].cache_hits == again.stages[1].candidates_in
    assert [h.path for h in again.hits] == [h.path for h in first.hits]

    top = first.hits[0]
    target = workspace.root / top.path
    lines = target.read_text(encoding="utf-8").split("\n")
    lines.insert(top.start_line, "    # split shell words here")
    target.write_text("\n".join(lines), encoding="utf-8")
    sync(workspace, store)
    changed = Searcher(store, workspace.config).search(query)
    light = changed.stages[0]
    assert light.cache_hits < light.candidates_in  # the edited chunk is embedded anew


def test_search_works_while_another_connection_holds_the_write_lock(indexed):
    workspace, store = indexed
    other = workspace.open_store()
    other.conn.execute("BEGIN IMMEDIATE")
    try:
        result = Searcher(store, workspace.config).search(SearchRequest("decode json text"))
    finally:
        other.conn.execute("ROLLBACK")
        other.close()
    assert result.stages[0].ran and result.hits


# -- degradation ---------------------------------------------------------------------

def _config_with(workspace: Workspace, **rerank) -> Config:
    return dataclasses.replace(workspace.config, rerank=dataclasses.replace(
        workspace.config.rerank, **rerank))


def test_missing_model_warns_once_and_searches_lexically(indexed, tmp_path, caplog):
    workspace, store = indexed
    missing = tmp_path / "no-such-model"
    config = _config_with(workspace, light_model=str(missing), heavy_model="")
    searcher = Searcher(store, config)
    with caplog.at_level(logging.WARNING):
        first = searcher.search(SearchRequest("decode json text"))
        second = searcher.search(SearchRequest("wrap text"))
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and str(missing) in warnings[0]
    assert first.hits and second.hits
    assert not first.stages[0].ran and str(missing) in first.stages[0].reason


@pytest.mark.parametrize("damage", ["corrupt-onnx", "truncated-onnx", "no-tokenizer",
                                    "bad-spec", "wrong-inputs"])
def test_damaged_model_is_reported_with_its_file(indexed, tiny_models, tmp_path, damage):
    workspace, store = indexed
    broken = tmp_path / "broken"
    shutil.copytree(tiny_models[1], broken)
    expected = broken / "model.onnx"
    if damage == "corrupt-onnx":
        expected.write_bytes(b"\x00\x01 definitely not a protobuf" * 10)
    elif damage == "truncated-onnx":
        expected.write_bytes(expected.read_bytes()[:200])
    elif damage == "no-tokenizer":
        expected = broken / "tokenizer.json"
        expected.unlink()
    elif damage == "bad-spec":
        expected = broken / "codesift-model.json"
        expected.write_text("{not json", encoding="utf-8")
    else:
        spec = broken / "codesift-model.json"
        spec.write_text(spec.read_text().replace('"token_type_ids": "token_type_ids"',
                                                 '"token_type_ids": "segments"'))
    with pytest.raises(ModelError) as info:
        OnnxModel(broken)
    assert str(expected) in str(info.value)
    config = _config_with(workspace, heavy_model=str(broken))
    result = Searcher(store, config).search(SearchRequest("split a string into shell words"))
    light, heavy = result.stages
    assert light.ran and not heavy.ran and str(expected) in heavy.reason
    assert result.hits


def test_model_pool_loads_each_model_once(indexed):
    workspace, store = indexed
    pool = ModelPool(workspace.config.rerank, store)
    assert pool.get(workspace.config.rerank.light_model) is pool.get(
        workspace.config.rerank.light_model)
    assert pool.get("") is None and "" in pool.failures


def test_hub_models_stay_offline_unless_allowed(indexed):
    workspace, store = indexed
    off = ModelPool(dataclasses.replace(workspace.config.rerank, allow_download=False), store)
    assert off.get("cross-encoder/ms-marco-MiniLM-L-6-v2") is None
    assert "rerank.allow_download" in off.failures["cross-encoder/ms-marco-MiniLM-L-6-v2"]
    on = ModelPool(dataclasses.replace(workspace.config.rerank, allow_download=True), store)
    try:
        import sentence_transformers  # noqa: F401
    except ImportError:
        assert on.get("cross-encoder/ms-marco-MiniLM-L-6-v2") is None
        assert "codesift[transformers]" in on.failures["cross-encoder/ms-marco-MiniLM-L-6-v2"]


def test_shipped_bi_encoder_loads_offline_and_ranks_sensibly():
    from codesift.config import RerankConfig
    from codesift.rerank.document import Document

    scorer = ModelPool(RerankConfig(), None).get("codesift-bi-l6")
    assert scorer is not None and scorer.id == "codesift/codesift-bi-l6-int8"
    docs = [Document("a", "net/http.py", "read_status_line", "function",
                     "def read_status_line(sock):\n    line = sock.readline()\n"
                     "    version, status, reason = line.split(None, 2)\n    return int(status)"),
            Document("b", "text/wrap.py", "wrap", "function",
                     "def wrap(text, width):\n    return [text[i:i + width] for i in "
                     "range(0, len(text), width)]")]
    scores = scorer.score("where is the HTTP status code parsed", frozenset(), docs).scores
    assert scores[0] > scores[1]


def test_time_budget_scores_in_rank_order_and_prefetch_fills_the_rest(indexed):
    workspace, store = indexed
    config = _config_with(workspace, batch_size=4)
    searcher = Searcher(store, config)
    request = SearchRequest("split a string into shell words", budget_ms=0)
    lexical = searcher.search(dataclasses.replace(request, rerank=False))
    result = searcher.search(request)
    light, heavy = result.stages
    assert light.ran and light.unscored == light.candidates_in - 4
    assert not heavy.ran and heavy.reason == "time budget spent before the heavy stage"
    # the four best lexical candidates were scored; the unscored keep their order below
    scored = [h for h in result.hits if "light" in h.scores]
    assert {(h.path, h.start_line) for h in scored} <= {
        (h.path, h.start_line) for h in lexical.hits[:4]}
    assert len(scored) == 4 and result.hits[:4] == sorted(
        result.hits[:4], key=lambda h: -h.score)
    assert Searcher(store, config).prefetch(request) == light.unscored
    again = Searcher(store, config).search(request)
    assert again.stages[0].cache_hits == again.stages[0].candidates_in
    assert again.stages[0].unscored == 0


def test_partial_scores_anywhere_in_the_list_keep_unscored_below(indexed):
    """Cached documents are scored wherever they sit; the unscored (NaN) ones must not
    take a scored candidate's place (regression)."""
    from codesift.rerank.cascade import Cascade
    from codesift.rerank.scorers import Scored
    from codesift.retrieve.candidate import Candidate

    workspace, store = indexed

    class HalfScorer:
        id = kind = "half"

        def score(self, query, terms, documents, cancel=None, deadline=None):
            values = [0.1, float("nan"), 0.9, float("nan")]
            return Scored(np.array(values, dtype=np.float32), 0, 2)

    pool = [Candidate(1, f"f{i}.py", "python", 1, 2, f"f{i}", "function") for i in range(4)]
    cascade = Cascade(store, workspace.config.rerank, ModelPool(workspace.config.rerank, store))
    ranked = cascade._stage(HalfScorer(), "half", "q", frozenset(), pool,
                            [None] * 4, {id(c): i for i, c in enumerate(pool)}, 0.2,
                            "light", None)
    order, report = ranked
    assert [c.path for c in order] == ["f2.py", "f0.py", "f1.py", "f3.py"]
    assert report.unscored == 2


def test_long_query_does_not_switch_the_cross_encoder_off(indexed):
    workspace, store = indexed
    searcher = Searcher(store, workspace.config)
    long_query = " ".join(["split the shell words of a command line string"] * 30)
    result = searcher.search(SearchRequest(long_query))
    assert result.stages[1].ran, result.stages[1].reason
    assert searcher.search(SearchRequest("split shell words")).stages[1].ran


def test_budget_slices_start_no_slice_that_cannot_finish_in_time():
    import time

    from codesift.rerank.scorers import budget_slices

    items = list(range(40))
    assert [len(s) for s in budget_slices(items, 8, None)] == [8, 8, 8, 8, 8]
    deadline = time.monotonic() + 0.12
    starts, lengths, sizes = [], [], []
    for piece in budget_slices(items, 8, deadline):
        starts.append(time.monotonic())
        time.sleep(0.00625 * len(piece))  # the model's work: 50 ms per slice of 8
        lengths.append(time.monotonic() - starts[-1])
        sizes.append(len(piece))
    assert sum(sizes) < 40  # stopped before the items ran out: the budget did
    for i in range(1, len(starts)):  # each later slice fitted in the time left
        pace = lengths[i - 1] / sizes[i - 1]
        assert starts[i] + pace * sizes[i] <= deadline + 0.005
    pace = lengths[-1] / sizes[-1]
    assert time.monotonic() + pace > deadline - 0.005  # not even one more item would have
    # a slice that does not fit whole is shortened to what fits, not refused: 50 + 50 ms
    # of 8 each leave 20 ms, room for 3 items at 6.25 ms
    if lengths[0] < 0.056 and lengths[1] < 0.056:  # a quiet machine kept the pace
        assert sizes[:2] == [8, 8] and 1 <= sizes[2] < 8


def test_background_embedding_stores_again_what_a_search_left_in_memory_only(tmp_path):
    """A search's vector write gives up after 50 ms on a locked index and keeps the vector
    in memory; the background pass reads the index only, so it stores the vector again."""
    import sqlite3

    from codesift.index.store import Store
    from codesift.rerank.cache import EmbeddingCache

    store = Store(tmp_path / "index.sqlite3")
    cache = EmbeddingCache(store, 100)
    vector = np.arange(4, dtype=np.float32)
    other = sqlite3.connect(tmp_path / "index.sqlite3", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another writer holds the index
    cache.put_many("m", {"k": vector})
    other.execute("ROLLBACK")
    assert "k" in cache.get_many("m", ["k"])  # the search's memory has it
    assert cache.get_many("m", ["k"], memory=False) == {}  # the index does not
    cache.put_many("m", {"k": vector}, remember=False)
    assert list(cache.get_many("m", ["k"], memory=False)["k"]) == [0, 1, 2, 3]
    store.close()


def test_embedding_memory_is_bounded_and_the_index_keeps_the_rest(tmp_path: Path):
    """A long-lived server holds only the most recent vectors in memory; every vector
    written stays readable from the index."""
    from codesift.index.store import Store
    from codesift.rerank.cache import EmbeddingCache

    class Small(EmbeddingCache):
        MEMORY_ITEMS = 5

    store = Store(tmp_path / "index.sqlite3")
    cache = Small(store, 1000)
    keys = [f"k{i}" for i in range(20)]
    cache.put_many("m", {k: np.full(4, i, dtype=np.float32) for i, k in enumerate(keys)})
    assert len(cache.memory) == 5
    found = cache.get_many("m", keys)
    assert sorted(found) == sorted(keys)
    assert [float(found[k][0]) for k in keys] == list(range(20))
    assert len(cache.memory) == 5
    store.close()
