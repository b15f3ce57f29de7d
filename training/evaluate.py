"""Evaluate ranking approaches on a split of the team-written question set.

Each package of the split is indexed by codesift (index under ``--work``) and its
questions run through ``lexical`` (the fused pool, no model), ``light`` (the light stage
alone) and ``cascade`` (light then heavy), with the configured models or the ones given.
Prints MRR@10 / R@1 / R@10 per approach, overall and per language, and which split it
read; ``--json`` writes the numbers.

    python -m training.evaluate --split tune [--stage1-model DIR] [--stage2-model DIR]

``dev`` is for the final report only: never choose anything on it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from codesift.config import load_config
from codesift.errors import UserError
from codesift.evaluation.metrics import EvalQuery, Scores, mean_scores, query_scores
from codesift.evaluation.runner import _ranked, approach_config, pool_recall
from codesift.index.indexer import sync
from codesift.rerank.scorers import ModelPool
from codesift.retrieve import dense
from codesift.search import Searcher, SearchRequest
from codesift.workspace import Workspace

from .common import package_index, read_jsonl
from .written import RESOLVED, eval_query, packages

APPROACHES = ("lexical", "light", "cascade")


def scores_of(searcher: Searcher, query: EvalQuery, rerank: bool) -> Scores:
    """A query's scores; one the engine refuses (a user error) counts as a miss."""
    try:
        hits = searcher.search(SearchRequest(query.query, 10, rerank=rerank)).hits
    except UserError as exc:
        print(f"refused: {query.query!r}: {exc}", file=sys.stderr)
        hits = []
    return query_scores(query, _ranked(hits))


def number(value: str) -> Any:
    """A setting's value from the command line: int, float, or the string itself."""
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    return value


def run_package(root: Path, rows: list[dict], overrides: dict[str, Any], work: Path,
                approaches: list[str], pools: list[float], embed_all: bool = False
                ) -> dict[str, list[Scores]]:
    settings = {"index": {"index_dir": str(package_index(work, root))}, **overrides}
    config = load_config(root, settings)
    workspace = Workspace(root, config)
    store = workspace.open_store()
    try:
        sync(workspace, store)
        dense.refresh(store, config)
        if embed_all:
            # every chunk's light-model vector, as the language server's idle time leaves them
            Searcher(store, config, ModelPool(config.rerank, store)).embed_all()
        queries = [eval_query(r) for r in rows]
        out: dict[str, list[Scores]] = {}
        for name in approaches:
            cfg = approach_config(config, "light" if name == "light" else "cascade")
            searcher = Searcher(store, cfg, ModelPool(cfg.rerank, store))
            out[name] = [scores_of(searcher, q, name != "lexical") for q in queries]
            if name == "lexical":
                pools[0] += pool_recall(searcher, queries) * len(queries)
        return out
    finally:
        store.close()


def add_setting_args(parser: argparse.ArgumentParser) -> None:
    """The model and setting options that ``evaluate`` and ``crowded`` share."""
    parser.add_argument("--stage1-model", default=None, help="light model (name or folder)")
    parser.add_argument("--stage2-model", default=None, help="heavy model ('' for none)")
    parser.add_argument("--approaches", default=",".join(APPROACHES))
    parser.add_argument("--rerank", action="append", default=[], metavar="KEY=NUMBER",
                        help="a numeric rerank setting, e.g. heavy_light_weight=0.4")
    parser.add_argument("--strategy", choices=("hybrid", "auto", "lexical"), default=None,
                        help="retrieve.strategy (default: the configured one)")
    parser.add_argument("--retrieve", action="append", default=[], metavar="KEY=VALUE",
                        help="a retrieve setting, e.g. dense_model=codesift-static or "
                             "dense_keep=40")
    parser.add_argument("--embed-all", action="store_true",
                        help="embed every chunk with the light model first (the language "
                             "server's state after idle-time embedding)")
    parser.add_argument("--json", type=Path, default=None)


def overrides_from(args: argparse.Namespace) -> dict[str, Any]:
    """The settings the options above name, as ``load_config`` overrides."""
    rerank: dict[str, Any] = {}
    if args.stage1_model is not None:
        rerank["light_model"] = args.stage1_model
    if args.stage2_model is not None:
        rerank["heavy_model"] = args.stage2_model
    for item in args.rerank:
        key, _, value = item.partition("=")
        rerank[key] = int(value) if value.lstrip("-").isdigit() else float(value)
    overrides: dict[str, Any] = {"rerank": rerank} if rerank else {}
    retrieve: dict[str, Any] = {"strategy": args.strategy} if args.strategy else {}
    for item in args.retrieve:
        key, _, value = item.partition("=")
        retrieve[key] = number(value)
    if retrieve:
        overrides["retrieve"] = retrieve
    return overrides


def report_scores(split: str, overrides: dict[str, Any],
                  scores: dict[str, dict[str, list[Scores]]], pool_hits: float,
                  approaches: list[str], json_path: Path | None) -> dict[str, Any]:
    """Print MRR@10 per approach and group (and pool recall), and write them as JSON."""
    report: dict[str, Any] = {
        "split": split, "models": overrides,
        "approaches": {a: {group: {"n": len(v), **mean_scores(v).to_json()}
                           for group, v in sorted(groups.items())}
                       for a, groups in scores.items()}}
    total = len(scores[approaches[0]]["all"])
    if "lexical" in approaches:
        report["pool_recall"] = round(pool_hits / max(1, total), 4)
    print(f"split: {split} ({total} questions); pool recall "
          f"{report.get('pool_recall', '-')}")
    for approach, groups in report["approaches"].items():
        cells = "  ".join(f"{g} {v['mrr@10']:.3f}" for g, v in groups.items())
        print(f"{approach:8} MRR@10  {cells}")
    if json_path:
        json_path.write_text(json.dumps(report, indent=1) + "\n")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=("tune", "dev", "train"), required=True)
    add_setting_args(parser)
    parser.add_argument("--work", type=Path, default=Path("/tmp/codesift-written-eval"))
    parser.add_argument("--max-per-package", type=int, default=0)
    args = parser.parse_args(argv)
    overrides = overrides_from(args)
    approaches = args.approaches.split(",")
    known = packages()
    by_package: dict[str, list[dict]] = defaultdict(list)
    for row in read_jsonl(RESOLVED / f"{args.split}.jsonl"):
        by_package[row["package"]].append(row)
    scores: dict[str, dict[str, list[Scores]]] = defaultdict(lambda: defaultdict(list))
    pools = [0.0]
    for name, rows in sorted(by_package.items()):
        rows = rows[: args.max_per_package] if args.max_per_package else rows
        root = known[name].root()
        assert root is not None, f"{name}: sources not installed"
        got = run_package(root, rows, overrides, args.work, approaches, pools, args.embed_all)
        language = known[name].language
        for approach, per_query in got.items():
            scores[approach]["all"] += per_query
            scores[approach][language] += per_query
        line = "  ".join(f"{a} {mean_scores(got[a]).mrr10:.3f}" for a in approaches)
        print(f"{name:18} {len(rows):4}  {line}", file=sys.stderr)
    report_scores(args.split, overrides, scores, pools[0], approaches, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
