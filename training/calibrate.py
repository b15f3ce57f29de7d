"""Calibrate codesift's per-search confidence (``codesift/confidence.py``).

Two steps, because collecting needs codesift and fitting needs scikit-learn:

    # 1. features and "is the first result right" for every question of a split, with the
    #    shipped models (.venv; about 3 minutes for the tuning split on 2 cores):
    .venv/bin/python -m training.calibrate collect --split tune --out WORK/conf-tune.jsonl
    #    or for a query file over a folder (reporting only, e.g. the stdlib questions):
    .venv/bin/python -m training.calibrate collect --queries FILE --root DIR \\
        --index-dir DIR --out WORK/conf-stdlib.jsonl
    # 2. fit a logistic model on the tuning rows (train venv, seconds), and print the
    #    calibration table (top-1 right per confidence quartile) of any other rows:
    TRAIN_VENV/bin/python -m training.calibrate fit WORK/conf-tune.jsonl \\
        --out server/codesift/models/confidence.json --report WORK/conf-stdlib.jsonl

Only the tuning split is fitted on; reported sets are read once, at the end.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from .common import package_index, read_jsonl, write_jsonl


def collect_rows(searcher: Any, queries: list[Any]) -> list[dict]:
    from codesift.confidence import features
    from codesift.evaluation.metrics import relevance
    from codesift.evaluation.runner import _ranked
    from codesift.search import SearchRequest

    rows = []
    for q in queries:
        result = searcher.search(SearchRequest(q.query, 10))
        gains = relevance(q, _ranked(result.hits))
        rows.append({"query": q.query, "route": result.route,
                     "features": list(features([h.scores for h in result.hits])),
                     "top1": bool(gains and gains[0])})
    return rows


def split_jobs(args: argparse.Namespace) -> Iterator[tuple[Path, Path, list[Any], str]]:
    """(root, index folder, questions, package) for ``--queries`` over ``--root``, or for
    every package of ``--split``."""
    from codesift.evaluation.metrics import load_queries

    from .written import RESOLVED, eval_query, packages

    if args.queries:
        yield args.root, args.index_dir, load_queries(args.queries), args.root.name
        return
    by: dict[str, list[dict]] = defaultdict(list)
    for row in read_jsonl(RESOLVED / f"{args.split}.jsonl"):
        by[row["package"]].append(row)
    known = packages()
    for name, rows in sorted(by.items()):
        root = known[name].root()
        assert root is not None, f"{name}: sources not installed"
        yield root, package_index(args.work, root), [eval_query(r) for r in rows], name


def cmd_collect(args: argparse.Namespace) -> int:
    from codesift.config import load_config
    from codesift.index.indexer import sync
    from codesift.search import Searcher
    from codesift.workspace import Workspace

    out: list[dict] = []
    for root, index_dir, queries, _ in split_jobs(args):
        config = load_config(root, {"index": {"index_dir": str(index_dir)}})
        workspace = Workspace(root, config)
        store = workspace.open_store()
        try:
            sync(workspace, store)
            out += collect_rows(Searcher(store, config), queries)
        finally:
            store.close()
        print(f"{root}: {len(queries)} questions", file=sys.stderr)
    write_jsonl(args.out, out)
    return 0


def quartile_table(values: list[float], right: list[bool]) -> list[dict]:
    """Top-1 right per confidence quartile (lowest first)."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    n = len(order)
    table = []
    for q in range(4):
        part = order[q * n // 4 : (q + 1) * n // 4]
        if part:
            table.append({"quartile": q + 1, "n": len(part),
                          "confidence": [round(values[part[0]], 3), round(values[part[-1]], 3)],
                          "top1_right": round(sum(right[i] for i in part) / len(part), 3)})
    return table


def cmd_fit(args: argparse.Namespace) -> int:
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    from codesift.confidence import FEATURES

    rows = list(read_jsonl(args.rows))
    x = np.array([r["features"] for r in rows], dtype=np.float64)
    y = np.array([r["top1"] for r in rows], dtype=np.int64)
    model = LogisticRegression(C=1.0, max_iter=1000).fit(x, y)
    data = {"intercept": float(model.intercept_[0]),
            "weights": {name: float(w) for name, w in zip(FEATURES, model.coef_[0], strict=True)},
            "fitted_on": f"{args.rows.name}: {len(rows)} questions, top-1 right "
                         f"{y.mean():.3f}"}
    reports: dict[str, Any] = {"tune": quartile_table(model.predict_proba(x)[:, 1].tolist(),
                                                      y.astype(bool).tolist())}
    for path in args.report:
        other = list(read_jsonl(path))
        ox = np.array([r["features"] for r in other], dtype=np.float64)
        reports[path.name] = quartile_table(model.predict_proba(ox)[:, 1].tolist(),
                                            [bool(r["top1"]) for r in other])
    data["calibration"] = reports
    args.out.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(data, indent=1))
    return 0


def parse_collect_fit(argv: list[str] | None, description: str, what: str,
                      fit_options: Callable[[argparse.ArgumentParser], None] | None = None
                      ) -> argparse.Namespace:
    """The ``collect`` / ``fit`` command line that calibrate.py and fusion.py share."""
    parser = argparse.ArgumentParser(description=description)
    sub = parser.add_subparsers(dest="command", required=True)
    collect = sub.add_parser("collect", help=f"{what} of a question set")
    collect.add_argument("--split", choices=("tune", "dev", "train"), default="tune")
    collect.add_argument("--queries", type=Path, default=None)
    collect.add_argument("--root", type=Path, default=None)
    collect.add_argument("--index-dir", type=Path, default=None)
    collect.add_argument("--work", type=Path, default=Path("/tmp/codesift-written-eval"))
    collect.add_argument("--out", type=Path, required=True)
    fit = sub.add_parser("fit", help="fit on the collected tuning rows")
    fit.add_argument("rows", type=Path)
    fit.add_argument("--out", type=Path, required=True)
    fit.add_argument("--report", type=Path, action="append", default=[])
    if fit_options is not None:
        fit_options(fit)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_collect_fit(argv, __doc__.split("\n\n")[0],
                             "features and top-1 labels")
    return cmd_collect(args) if args.command == "collect" else cmd_fit(args)

if __name__ == "__main__":
    sys.exit(main())
