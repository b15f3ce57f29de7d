"""Identifier queries through the whole cascade: MRR@10 with each heavy-stage fusion.

The queries are generated from the index (``tune_early_exit.identifier_queries``): names
defined once, their dotted ``Class.method`` paths, and names defined in several places
(every definition is a right answer). The shipped models, no time budget.

    python -m bench.identifiers --root STDLIB_CORPUS --index-dir DIR
"""

from __future__ import annotations

import dataclasses
import json

from codesift.search import Searcher, SearchRequest

from .tune_early_exit import identifier_queries, indexed


def main() -> None:
    args, config, store = indexed(__doc__.split("\n")[0])
    try:
        queries = identifier_queries(store, args.per_kind)
        report = {}
        for fusion in ("learned", "rank"):
            cfg = dataclasses.replace(config, rerank=dataclasses.replace(
                config.rerank, heavy_fusion=fusion))
            searcher = Searcher(store, cfg)
            total = 0.0
            for text, targets in queries:
                hits = searcher.search(SearchRequest(text, 10)).hits
                total += next((1.0 / rank for rank, h in enumerate(hits, start=1)
                               if any(h.path == t[2] and h.start_line <= t[4]
                                      and t[3] <= h.end_line for t in targets)), 0.0)
            report[fusion] = round(total / len(queries), 4)
        print(json.dumps({"queries": len(queries), "mrr@10": report}))
    finally:
        store.close()


if __name__ == "__main__":
    main()
