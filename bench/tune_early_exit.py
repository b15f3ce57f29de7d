"""Tune the early-exit margin for identifier queries (no model needed).

Identifier queries are generated from the index itself: names defined once, dotted
``Class.method`` paths, and names defined in several places (where every definition
is a correct answer). For each margin, the report gives how often the heavy stage
would be skipped and how often the pinned top result is then a correct definition.

    python -m bench.tune_early_exit --root /tmp/stdlib-corpus --index-dir /tmp/ix-q
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from codesift.config import Config, load_config
from codesift.index.indexer import sync
from codesift.index.store import Store
from codesift.query import analyze
from codesift.rerank.cascade import early_exit_reason
from codesift.search import Searcher, SearchRequest
from codesift.workspace import Workspace

MARGINS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4)


def identifier_queries(store: Store, per_kind: int, seed: int = 7
                       ) -> list[tuple[str, list[tuple]]]:
    """(query, definitions that answer it): names defined once, their dotted paths, and
    names defined in 2 to 20 places; each definition is (name, path, file, start, end)."""
    rows = store.conn.execute(
        "SELECT s.name, s.path, f.path, s.start_line, s.end_line FROM symbols s"
        " JOIN files f ON f.id = s.file_id WHERE s.kind IN ('function','method','class')"
    ).fetchall()
    by_name: dict[str, list[tuple]] = {}
    for row in rows:
        by_name.setdefault(row[0], []).append(row)
    rng = random.Random(seed)
    unique = [v for k, v in by_name.items() if len(v) == 1 and len(k) > 3]
    shared = [v for k, v in by_name.items() if 2 <= len(v) <= 20 and not k.startswith("__")]
    queries = [(v[0][0], v) for v in rng.sample(unique, min(per_kind, len(unique)))]
    queries += [(v[0][1], v) for v in rng.sample(unique, min(per_kind, len(unique)))
                if "." in v[0][1]]
    queries += [(v[0][0], v) for v in rng.sample(shared, min(per_kind, len(shared)))]
    return queries


def indexed(description: str) -> tuple[argparse.Namespace, Config, Store]:
    """``--root``, ``--index-dir``, ``--per-kind`` parsed; the root indexed and open."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--index-dir", required=True)
    parser.add_argument("--per-kind", type=int, default=80)
    args = parser.parse_args()
    config = load_config(args.root, {"index": {"index_dir": args.index_dir}})
    workspace = Workspace(args.root.resolve(), config)
    store = workspace.open_store()
    sync(workspace, store)
    return args, config, store


def main() -> None:
    args, config, store = indexed(__doc__.split("\n")[0])
    queries = identifier_queries(store, args.per_kind)
    searcher = Searcher(store, config)
    outcomes = []
    for text, targets in queries:
        analysis = analyze(text)
        _, pool = searcher.candidates(SearchRequest(text, rerank=False), {})
        if not pool:
            continue
        lead = pool[0].score - (pool[1].score if len(pool) > 1 else 0.0)
        top = pool[0]
        correct = any(top.path == t[2] and top.start_line <= t[4] and t[3] <= top.end_line
                      for t in targets)
        outcomes.append((analysis, pool, lead, correct))
    report = []
    for margin in MARGINS:
        exits = [o for o in outcomes if early_exit_reason(o[0], o[1], margin)]
        report.append({"margin": margin, "queries": len(outcomes),
                       "exit_rate": round(len(exits) / len(outcomes), 3),
                       "precision_of_exits": round(sum(o[3] for o in exits) / len(exits), 3)
                       if exits else None})
    print(json.dumps(report, indent=1))
    store.close()


if __name__ == "__main__":
    main()
