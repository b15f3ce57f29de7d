"""Dense-candidate benchmark: what the static embeddings cost and what they buy.

On a copy of the running Python's standard library (as ``bench.engine``): cold index
time without and with static embeddings, index size growth, the dense generator's query
time and memory at the real chunk count and at 100k chunks (the matrix repeated), and
pool recall / MRR@10 of the lexical ranking on the hand-written stdlib questions for
``retrieve.strategy`` lexical vs hybrid. Prints Markdown; ``--json PATH`` writes numbers.

    .venv/bin/python -m bench.dense [--json PATH]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import sys
import sysconfig
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from codesift.config import load_config
from codesift.evaluation.metrics import load_queries, mean_scores, query_scores
from codesift.evaluation.runner import _ranked, pool_recall
from codesift.index.indexer import sync
from codesift.query import analyze
from codesift.retrieve import dense
from codesift.retrieve.dense import DenseGenerator
from codesift.retrieve.dense_alongside import EmbedAlongside
from codesift.search import Searcher, SearchRequest
from codesift.workspace import Workspace

from .data import corpus
from .engine import copy_tree, machine

DATA = Path(__file__).resolve().parent / "data"


def timed_index(root: Path, index_dir: Path, strategy: str) -> tuple[float, float, int]:
    """(index seconds, embedding seconds after it, database bytes) of a cold index, the way
    ``codesift index`` builds it: static vectors computed alongside, written after."""
    config = load_config(root, {"index": {"index_dir": str(index_dir)},
                                "retrieve": {"strategy": strategy}})
    workspace = Workspace(root, config)
    store = workspace.open_store()
    started = time.perf_counter()
    with EmbedAlongside(workspace.db_path, config) as alongside:
        sync(workspace, store, progress=alongside.watch())
    indexed = time.perf_counter() - started
    started = time.perf_counter()
    dense.refresh(store, config, ready=alongside.vectors)
    embedded = time.perf_counter() - started
    store.close()
    size = sum(p.stat().st_size for p in index_dir.iterdir() if p.is_file())
    return indexed, embedded, size


def dense_latency(searcher: Searcher, queries: list[str], scale: int) -> dict[str, float]:
    generator = next(g for g in searcher.generators["natural"] if isinstance(g, DenseGenerator))
    assert generator._load() and generator._matrix is not None
    real = generator._matrix
    if scale > 1:  # the real matrix repeated: the latency of a larger index
        generator._matrix = dataclasses.replace(
            real, ids=np.tile(real.ids, scale), files=np.tile(real.files, scale),
            rows=np.tile(real.rows, (scale, 1)), scales=np.tile(real.scales, scale))
    matrix = generator._matrix
    samples = []
    for q in queries:
        analysis = analyze(q)
        started = time.perf_counter()
        generator.candidates(analysis, 60, None)
        samples.append((time.perf_counter() - started) * 1000.0)
    generator._version = None  # reload the real matrix next time
    return {"chunks": len(matrix), "matrix_mb": round(matrix.nbytes / 2**20, 1),
            "p50_ms": round(statistics.median(samples), 2),
            "p95_ms": round(sorted(samples)[int(0.95 * (len(samples) - 1))], 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    report: dict[str, Any] = {"machine": machine()}
    with tempfile.TemporaryDirectory(prefix="codesift-dense-") as tmp:
        copy = Path(tmp) / "tree"
        copy_tree(stdlib, copy, True)
        for strategy in ("lexical", "hybrid"):
            index_dir = Path(tmp) / f"index-{strategy}"
            print(f"cold index ({strategy}) ...", file=sys.stderr)
            indexed, embedded, size = timed_index(copy, index_dir, strategy)
            report[f"index_{strategy}"] = {"index_s": round(indexed, 1),
                                           "embed_s": round(embedded, 1),
                                           "db_mb": round(size / 2**20, 1)}
        questions = load_queries(DATA / "stdlib_questions.jsonl")
        texts = [q.query for q in questions]
        config = load_config(copy, {"index": {"index_dir": str(Path(tmp) / "index-hybrid")}})
        store = Workspace(copy, config).open_store()
        searcher = Searcher(store, config)
        report["dense_real"] = dense_latency(searcher, texts, 1)
        scale = -(-100_000 // report["dense_real"]["chunks"])  # at least 100k chunks
        report["dense_100k"] = dense_latency(searcher, texts, scale)
        store.close()
        print("stdlib questions over the evaluation corpus ...", file=sys.stderr)
        root = corpus.materialize(Path(tmp) / "corpus")
        for strategy in ("lexical", "hybrid"):
            config = load_config(root, {"index": {"index_dir": str(Path(tmp) / "index-c")},
                                        "retrieve": {"strategy": strategy}})
            workspace = Workspace(root, config)
            store = workspace.open_store()
            sync(workspace, store)
            dense.refresh(store, config)
            searcher = Searcher(store, config)
            scores = [query_scores(q, _ranked(searcher.search(
                SearchRequest(q.query, 10, rerank=False)).hits)) for q in questions]
            report[f"questions_{strategy}"] = {
                "pool_recall": round(pool_recall(searcher, questions), 4),
                "lexical_mrr10": round(mean_scores(scores).mrr10, 4)}
            store.close()
    print(json.dumps(report, indent=1))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
