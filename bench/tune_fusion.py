"""Tune the light stage's rank fusion (lexical weight, rrf k) and token budget.

Scores every query's candidate pool once per token budget with the bi-encoder
(embeddings are cached in the index), then replays the fusion for each setting.
Prints MRR@10 per setting and the pool's own recall (the ceiling of any rerank).

    python -m bench.tune_fusion --queries bench/data/stdlib_questions.jsonl \
        --root /tmp/stdlib-corpus --index-dir /tmp/ix-q
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
from pathlib import Path

from codesift.config import load_config
from codesift.evaluation.metrics import Ranked, load_queries, query_scores
from codesift.index.indexer import sync
from codesift.rerank.cascade import documents_for, rank_fusion
from codesift.rerank.scorers import BiEncoderScorer, ModelPool
from codesift.search import Searcher, SearchRequest
from codesift.workspace import Workspace

WEIGHTS = (0.0, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5)
KS = (1.0, 2.0, 3.0, 5.0, 10.0, 30.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--queries", type=Path, required=True)
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--index-dir", required=True)
    parser.add_argument("--max-lengths", default="128,256")
    parser.add_argument("--max-queries", type=int)
    args = parser.parse_args()
    queries = load_queries(args.queries)[: args.max_queries]
    config = load_config(args.root, {"index": {"index_dir": args.index_dir}})
    workspace = Workspace(args.root.resolve(), config)
    store = workspace.open_store()
    sync(workspace, store)
    searcher = Searcher(store, config)
    pools = [searcher.candidates(SearchRequest(q.query), {})[1] for q in queries]
    ceiling = sum(query_scores(q, [Ranked(c.path, c.start_line, c.end_line) for c in pool]
                               ).recall10 > 0 for q, pool in zip(queries, pools, strict=True))
    lexical = [query_scores(q, [Ranked(c.path, c.start_line, c.end_line) for c in pool[:10]]
                            ).mrr10 for q, pool in zip(queries, pools, strict=True)]
    out: dict[str, object] = {"queries": len(queries), "lexical_mrr10": sum(lexical) / len(queries),
                              "pool_has_a_target": ceiling / len(queries), "settings": []}
    for max_length in (int(x) for x in args.max_lengths.split(",")):
        rerank = dataclasses.replace(config.rerank, light_max_length=max_length)
        scorer = ModelPool(rerank, store).get(rerank.light_model)
        assert isinstance(scorer, BiEncoderScorer)
        scores = [[float(x) for x in scorer.score(q.query, frozenset(),
                                                  documents_for(store, pool)).scores]
                  for q, pool in zip(queries, pools, strict=True)]
        for w, k in itertools.product(WEIGHTS, KS):
            total = 0.0
            for q, pool, s in zip(queries, pools, scores, strict=True):
                fused = rank_fusion(range(len(pool)), s, w, k)
                order = sorted(range(len(pool)), key=lambda i: -fused[i])[:10]
                total += query_scores(q, [Ranked(pool[i].path, pool[i].start_line,
                                                 pool[i].end_line) for i in order]).mrr10
            out["settings"].append({"max_length": max_length, "lexical_weight": w, "rrf_k": k,
                                    "mrr10": round(total / len(queries), 4)})
    best = sorted(out["settings"], key=lambda s: -s["mrr10"])[:8]  # type: ignore[arg-type]
    print(json.dumps({**out, "best": best}, indent=1))
    store.close()


if __name__ == "__main__":
    main()
