"""Fit the learned fusion of the cascade (``codesift/rerank/fusion.py``).

Two steps, because collecting needs codesift and fitting needs scikit-learn:

    # 1. every pool candidate's light score, rank and fused score, the heavy scores of the
    #    shortlist (the light order's first rerank.light_keep) and the label, for each
    #    natural-language question of a split, with the shipped models (about 4 minutes
    #    for the tuning split on 2 cores, scores cached by the index):
    .venv/bin/python -m training.fusion collect --split tune --out WORK/fusion-tune.jsonl
    .venv/bin/python -m training.fusion collect --queries FILE --root DIR \\
        --index-dir DIR --out WORK/fusion-stdlib.jsonl      # reporting only
    # 2. fit both linear models on the tuning rows, choosing the regularization by
    #    leave-one-package-out MRR@10; print MRR@10 of rank fusion and the learned one on
    #    every --report file (read once, at the end):
    TRAIN_VENV/bin/python -m training.fusion fit WORK/fusion-tune.jsonl \\
        --out server/codesift/models/fusion.json --report WORK/fusion-dev.jsonl

Only the tuning split is fitted on.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .common import write_jsonl


def collect_question(searcher: Any, query: Any, package: str) -> dict | None:
    """One question's pool: each candidate's light score, rank and fused score (as the
    cascade fuses: nearest-chunk-only candidates discounted), heavy score (the light
    order's first ``light_keep``, what the heavy stage reranks), label."""
    from codesift.evaluation.metrics import Ranked, _hits
    from codesift.rerank.cascade import (
        documents_for,
        nearest_discounted,
        only_embedded,
        rank_fusion,
    )
    from codesift.search import SearchRequest

    analysis, pool = searcher.candidates(SearchRequest(query.query, 10), {})
    if analysis.route != "natural" or not pool:
        return None
    rc = searcher.config.rerank
    docs = documents_for(searcher.store, pool)
    terms = frozenset(analysis.all_forms)
    light = searcher.models.for_stage("light", rc.light_model)
    values = [float(v) for v in light.score(analysis.text, terms, docs).scores]
    light_rank = [0] * len(pool)
    for rank, i in enumerate(sorted(range(len(pool)), key=lambda i: -values[i]), start=1):
        light_rank[i] = rank
    alone = [only_embedded(c) for c in pool]
    rrf = nearest_discounted(
        rank_fusion(list(range(len(pool))), values, rc.light_lexical_weight, rc.rrf_k),
        alone, rc.light_embedded_weight)
    head = sorted(range(len(pool)), key=lambda i: -rrf[i])[: rc.light_keep]
    heavy = searcher.models.for_stage("heavy", rc.heavy_model)
    heavy_values = heavy.score(analysis.text, terms, [docs[i] for i in head]).scores
    heavy_of = {i: float(v) for i, v in zip(head, heavy_values, strict=True)}
    rows = [{"path": c.path, "start_line": c.start_line, "rrf": rrf[i], "light": values[i],
             "light_rank": light_rank[i], "heavy": heavy_of.get(i), "only_embedded": alone[i],
             "y": int(any(_hits(t, Ranked(c.path, c.start_line, c.end_line))
                          for t in query.targets))}
            for i, c in enumerate(pool)]
    return {"query": query.query, "package": package, "candidates": rows}


def cmd_collect(args: argparse.Namespace) -> int:
    from codesift.config import load_config
    from codesift.index.indexer import sync
    from codesift.retrieve import dense
    from codesift.search import Searcher
    from codesift.workspace import Workspace

    from .calibrate import split_jobs

    out: list[dict] = []
    for root, index_dir, queries, package in split_jobs(args):
        config = load_config(root, {"index": {"index_dir": str(index_dir)}})
        workspace = Workspace(root, config)
        store = workspace.open_store()
        try:
            sync(workspace, store)
            dense.refresh(store, config)
            searcher = Searcher(store, config)
            for q in queries:
                row = collect_question(searcher, q, package)
                if row is not None:
                    out.append(row)
        finally:
            store.close()
        print(f"{root}: {len(queries)} questions", file=sys.stderr)
    write_jsonl(args.out, out)
    return 0


def main(argv: list[str] | None = None) -> int:
    from .calibrate import parse_collect_fit

    def sweep(fit: argparse.ArgumentParser) -> None:
        fit.add_argument("--light-weights", default="", metavar="W,W,...",
                         help="first compare rerank.light_lexical_weight values on the "
                              "rows (leave-one-package-out), e.g. 0.1,0.2,0.35")
        fit.add_argument("--keep-weights", action="store_true",
                         help="keep the fusion weights already in --out; fit only the map "
                              "from fused score to the probability users are shown")

    args = parse_collect_fit(argv, __doc__.split("\n\n")[0],
                             "pool scores, shortlist heavy scores and labels", sweep)
    if args.command == "collect":
        return cmd_collect(args)
    from .fusion_fit import cmd_fit

    return cmd_fit(args)

if __name__ == "__main__":
    sys.exit(main())

