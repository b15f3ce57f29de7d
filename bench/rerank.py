"""Reranking benchmark: ``codesift eval`` on both dev query sets, as Markdown.

1. the hand-written developer questions (bench/data/stdlib_questions.jsonl) over
   the evaluation corpus (bench/data/corpus.py);
2. docstring queries after the CodeSearchNet protocol (bench/data/stdlib_docstrings.jsonl)
   over a copy of the same corpus with every docstring removed.

Each set is run with every approach (lexical, light, heavy, cascade, dense) and the
configured models; ``--stage2-model`` adds a heavy model. Latencies are cold-cache
figures (model caches cleared before each approach).

    .venv/bin/python -m bench.rerank [--stage2-model DIR] [--docstring-queries 150] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
from pathlib import Path
from typing import Any

from codesift.config import load_config
from codesift.evaluation.metrics import load_queries
from codesift.evaluation.runner import run_eval
from codesift.index.indexer import sync
from codesift.kinds import APPROACHES
from codesift.workspace import Workspace

from .data import corpus, make_docstring_set

DATA = Path(__file__).resolve().parent / "data"


def evaluate(root: Path, queries_file: Path, index_dir: Path, overrides: dict[str, Any],
             max_queries: int | None, approaches: list[str], cold: bool) -> dict[str, Any]:
    config = load_config(root, {"index": {"index_dir": str(index_dir)}, **overrides})
    workspace = Workspace(root, config)
    store = workspace.open_store()
    sync(workspace, store)
    queries = load_queries(queries_file)[:max_queries]
    stats = store.stats()
    results = run_eval(store, config, queries, 10, approaches,
                       lambda label, done, total: print(f"\r{label}: {done}/{total}   ",
                                                        end="", file=sys.stderr),
                       cold=cold)
    print(file=sys.stderr)
    store.close()
    return {"queries": len(queries), "index": stats,
            "approaches": [r.to_json() for r in results]}


def table(report: dict[str, Any]) -> str:
    rows = ["| approach | MRR@10 | R@1 | R@5 | R@10 | nDCG@10 | p50 / p95 ms | update ms |",
            "|---|---|---|---|---|---|---|---|"]
    for a in report["approaches"]:
        if not a["ran"]:
            rows.append(f"| {a['name']} | – | – | – | – | – | – | {a['reason']} |")
            continue
        total = a["latency_ms"]["total"]
        rows.append(f"| {a['name']} | {a['mrr@10']:.3f} | {a['recall@1']:.3f} | "
                    f"{a['recall@5']:.3f} | {a['recall@10']:.3f} | {a['ndcg@10']:.3f} | "
                    f"{total['p50']:.0f} / {total['p95']:.0f} | {a['update_ms']:.0f} |")
    stages = []
    for a in report["approaches"]:
        if a["ran"]:
            parts = [f"{k} {v['p50']:.0f}/{v['p95']:.0f}" for k, v in a["latency_ms"].items()
                     if k != "total"]
            if a.get("repeat_ms"):
                parts.append(f"repeated query {a['repeat_ms']['p50']:.0f}/"
                             f"{a['repeat_ms']['p95']:.0f}")
            if a.get("setup_ms"):
                parts.append(f"embedding every chunk {a['setup_ms'] / 1000:.0f} s")
            stages.append(f"- {a['name']}: {', '.join(parts) or 'no stage timings'}"
                          f" (models: {', '.join(a['models']) or 'none'})")
    return "\n".join(rows + [""] + stages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage1-model")
    parser.add_argument("--stage2-model")
    parser.add_argument("--questions", type=int, help="only the first N questions")
    parser.add_argument("--docstring-queries", type=int, default=150)
    parser.add_argument("--approaches", default=",".join(APPROACHES))
    parser.add_argument("--work", type=Path,
                        help="keep corpora and indexes here (reused by later runs)")
    parser.add_argument("--keep-caches", action="store_true",
                        help="reuse cached embeddings/scores: fast, warm-cache latencies")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    overrides: dict[str, Any] = {}
    if args.stage1_model is not None:
        overrides.setdefault("rerank", {})["light_model"] = args.stage1_model
    if args.stage2_model is not None:
        overrides.setdefault("rerank", {})["heavy_model"] = args.stage2_model
    approaches = args.approaches.split(",")
    scratch = args.work or Path(tempfile.mkdtemp(prefix="codesift-rerank-bench-"))
    scratch.mkdir(parents=True, exist_ok=True)
    questions_root = corpus.materialize(scratch / "questions")
    stripped = scratch / "docstrings"
    if not (scratch / "docstrings.jsonl").is_file():
        make_docstring_set.build(stripped, scratch / "docstrings.jsonl", quiet=True)
    report = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "questions": evaluate(questions_root, DATA / "stdlib_questions.jsonl",
                              scratch / "ix-q", overrides, args.questions, approaches,
                              not args.keep_caches),
        "docstrings": evaluate(stripped, scratch / "docstrings.jsonl", scratch / "ix-d",
                               overrides, args.docstring_queries, approaches,
                               not args.keep_caches),
    }
    for name in ("questions", "docstrings"):
        r = report[name]
        print(f"\n### {name}: {r['queries']} queries, {r['index']['files']} files, "
              f"{r['index']['chunks']} chunks\n")
        print(table(r))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
