"""The dense generator's static vectors: the same as wordllama's, written in a linear pass."""

from __future__ import annotations

import stat
from pathlib import Path

import numpy as np
import pytest

from codesift.index.indexer import sync
from codesift.retrieve import dense
from codesift.workspace import Workspace

from .conftest import make_config, stdlib_heads

MODEL = "wordllama-l2"


def test_static_vectors_equal_wordllamas_own():
    import wordllama
    from wordllama import WordLlama

    ours = dense.load_model(MODEL)
    assert ours is not None
    config, dim = dense.MODELS[MODEL]
    reference = WordLlama.load(config=config, cache_dir=Path(wordllama.__file__).parent,
                               disable_download=True, dim=256, trunc_dim=dim)
    texts = stdlib_heads(60, dense.TEXT_CHARS) + ["def f(x):\n        return  x  ", "é ü 漢字"]
    expected = np.asarray(reference.embed(texts, norm=True), dtype=np.float32)
    got = ours.embed(texts)
    assert got.shape == expected.shape == (len(texts), dim)
    assert np.min(np.sum(got * expected, axis=1)) > 0.9999  # cosine of unit vectors
    assert np.all(ours.embed([""]) == 0)  # nothing to average: no NaN


@pytest.fixture()
def fresh_cache(tmp_path, monkeypatch):
    """An empty codesift cache folder, and no static model loaded in this process."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    dense.load_model.cache_clear()
    yield tmp_path / "cache"
    dense.load_model.cache_clear()


def test_the_built_static_model_is_cached_and_a_broken_cache_is_rebuilt(fresh_cache):
    texts = stdlib_heads(20, dense.TEXT_CHARS)
    built = dense.load_model(MODEL)
    assert built is not None
    folder = dense.built_model_folder(MODEL)
    assert folder.is_relative_to(fresh_cache)
    assert sorted(p.name for p in folder.iterdir()) == ["table.npy", "tokenizer.json"]
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in folder.iterdir())
    assert stat.S_IMODE(folder.stat().st_mode) == stat.S_IMODE(folder.parent.stat().st_mode)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    dense.load_model.cache_clear()
    cached = dense.load_model(MODEL)
    assert cached is not None and cached is not built
    assert np.array_equal(cached.embed(texts), built.embed(texts))
    table = folder / "table.npy"
    table.write_bytes(table.read_bytes()[: table.stat().st_size // 2])  # a torn write
    dense.load_model.cache_clear()
    rebuilt = dense.load_model(MODEL)
    assert rebuilt is not None and np.array_equal(rebuilt.embed(texts), built.embed(texts))
    assert np.load(table).shape == built.by_dimension.shape  # written whole again
    assert [p.name for p in folder.parent.iterdir()] == [folder.name]  # no temporary left


@pytest.mark.parametrize("batch, write_batch", [(7, 20)])
def test_refresh_embeds_every_chunk_once_across_batches(tiny_corpus, tmp_path, monkeypatch,
                                                        batch, write_batch):
    monkeypatch.setattr(dense, "BATCH", batch)  # many read and write batches on a small tree
    monkeypatch.setattr(dense, "WRITE_BATCH", write_batch)
    workspace = Workspace(tiny_corpus, make_config(tmp_path / "index"))
    store = workspace.open_store()
    sync(workspace, store)
    reported: list[int] = []
    embedded = dense.refresh(store, workspace.config, reported.append)
    ident = dense.model_id(MODEL)
    keys = {r[0] for r in store.conn.execute("SELECT DISTINCT text_hash FROM chunks")}
    assert embedded == len(keys) > 3 * write_batch
    assert reported == sorted(reported) and reported[-1] == embedded
    assert len(list(store.chunk_vectors(ident))) == store.conn.execute(
        "SELECT count(*) FROM chunks").fetchone()[0]
    assert dense.refresh(store, workspace.config) == 0  # complete: nothing to do
    store.close()


def test_vectors_computed_alongside_indexing_equal_the_pass_after_it(tiny_corpus, tmp_path):
    from codesift.retrieve.dense_alongside import EmbedAlongside

    def index(name: str, alongside: bool) -> dict[str, bytes]:
        workspace = Workspace(tiny_corpus, make_config(tmp_path / name))
        store = workspace.open_store()
        with EmbedAlongside(workspace.db_path, workspace.config) as beside:
            if alongside:
                beside.start()
            sync(workspace, store)
        assert bool(beside.vectors) == alongside  # the thread finishes what was committed
        embedded = dense.refresh(store, workspace.config, ready=beside.vectors)
        vectors = {k: v for k, v in store.conn.execute(
            "SELECT doc_key, vector FROM chunk_vectors")}
        chunks = store.conn.execute("SELECT count(DISTINCT text_hash) FROM chunks").fetchone()[0]
        assert embedded == len(vectors) == chunks
        assert dense.DenseGenerator(store, workspace.config.retrieve)._load()
        store.close()
        return vectors

    assert index("beside", True) == index("after", False)


def test_int8_matrix_ranks_like_the_stored_vectors_and_filters_by_file(tiny_corpus, tmp_path):
    """The in-memory matrix is int8 with a scale per row: its nearest chunks are those of
    the stored float16 vectors, and a file filter keeps exactly the allowed files' chunks."""
    workspace = Workspace(tiny_corpus, make_config(tmp_path / "index"))
    store = workspace.open_store()
    try:
        sync(workspace, store)
        dense.refresh(store, workspace.config)
        generator = dense.DenseGenerator(store, workspace.config.retrieve)
        assert generator._load()
        matrix = generator._matrix
        assert matrix is not None and matrix.rows.dtype == np.int8
        rows = list(store.chunk_vectors(dense.model_id(MODEL)))
        exact = np.frombuffer(b"".join(r[2] for r in rows), np.float16).reshape(
            len(rows), -1).astype(np.float32)
        query = dense.embed(MODEL, ["read a configuration file"])[0]  # type: ignore[index]
        assert np.abs(matrix.scores(query) - exact @ query).max() < 0.01
        best = [rows[i][0] for i in np.argsort(-(exact @ query), kind="stable")[:5]]
        assert [chunk for chunk, _ in matrix.nearest(query, 5, None)] == best
        one_file = rows[len(rows) // 2][1]
        kept = matrix.nearest(query, 10_000, [one_file])
        assert kept and len(kept) == sum(r[1] == one_file for r in rows)
        assert {chunk for chunk, _ in kept} == {r[0] for r in rows if r[1] == one_file}
    finally:
        store.close()
