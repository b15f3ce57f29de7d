"""What explanations and the search log cost a search, and what the log's cap holds.

On a fresh copy of the evaluation corpus (bench/data/corpus.py), lexical ranking (the
cost measured is the same whatever the models do): for each stdlib question, the time to
explain the final 10 results (word matches, generator and stage ranks) and the time to
append the search to the log, each measured around the real calls; then 20,000 entries
written into a 2 MB log to show it stays under its cap. Prints Markdown; ``--json PATH``
writes the numbers.

    .venv/bin/python -m bench.why_log [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from codesift.config import LogConfig, load_config
from codesift.evaluation.metrics import load_queries, percentile
from codesift.index.indexer import sync
from codesift.index.search_log import LogEntry, SearchLog
from codesift.search import Searcher, SearchRequest, log_entry
from codesift.why import Explainer
from codesift.workspace import Workspace

from .data import corpus
from .engine import machine

DATA = Path(__file__).resolve().parent / "data"


def measure(root: Path, index_dir: Path) -> dict[str, Any]:
    config = load_config(root, {"index": {"index_dir": str(index_dir)}})
    workspace = Workspace(root, config)
    store = workspace.open_store()
    try:
        sync(workspace, store)
        searcher = Searcher(store, config)
        log = SearchLog(store, config.log)
        queries = [q.query for q in load_queries(DATA / "stdlib_questions.jsonl")]
        explain_ms: list[float] = []
        log_ms: list[float] = []
        for query in queries:
            request = SearchRequest(query, 10, rerank=False)
            result = searcher.search(request)
            clock = time.perf_counter()
            explainer = Explainer(result.analysis)
            for hit in result.hits:
                explainer(hit.snippet, hit.scores, {"keyword": 1}, None)
            explain_ms.append((time.perf_counter() - clock) * 1000)
            entry = log_entry(request, result)
            clock = time.perf_counter()
            log.record(LogEntry(entry.id + 1, "bench", entry.route, entry.query,
                                entry.stages_ms, entry.pool, entry.unscored, entry.skipped))
            log_ms.append((time.perf_counter() - clock) * 1000)
    finally:
        store.close()
    both = [a + b for a, b in zip(explain_ms, log_ms, strict=True)]
    return {"queries": len(both),
            "explain_ms": summary(explain_ms), "log_ms": summary(log_ms),
            "total_ms": summary(both)}


def summary(values: list[float]) -> dict[str, float]:
    return {"p50": round(statistics.median(values), 3),
            "p95": round(percentile(values, 95), 3), "max": round(max(values), 3)}


def cap(tmp: Path) -> dict[str, Any]:
    from codesift.index.store import Store

    store = Store(tmp / "cap.sqlite3")
    try:
        log = SearchLog(store, LogConfig(max_mb=2.0))
        for i in range(20_000):
            log.record(LogEntry(i + 1, "bench", "natural", f"query {i} " + "x" * 80,
                                {"candidates": 8.0, "light": 40.0, "total": 60.0}))
        return {"written": 20_000, "kept": len(log.entries()),
                "bytes": log.size_bytes(), "cap_bytes": 2_000_000}
    finally:
        store.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="codesift-why-") as tmp:
        root = corpus.materialize(Path(tmp) / "corpus")
        costs = measure(root, Path(tmp) / "index")
        capped = cap(Path(tmp))
    report = {"machine": machine(), "costs": costs, "cap": capped}
    print(f"machine: {report['machine']['cpus']} cores, {report['machine']['cpu_model']}\n")
    print("| per search (final 10 results) | p50 ms | p95 ms | max ms |\n|---|---|---|---|")
    for name in ("explain_ms", "log_ms", "total_ms"):
        v = costs[name]
        print(f"| {name.removesuffix('_ms')} | {v['p50']} | {v['p95']} | {v['max']} |")
    print(f"\n{costs['queries']} stdlib questions. Log cap: {capped['written']:,} entries "
          f"written into a {capped['cap_bytes'] / 1e6:.0f} MB log kept {capped['kept']:,} "
          f"({capped['bytes'] / 1e6:.2f} MB).")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
