"""A ``codesift eval`` query set over held-out packages of the mined data.

Takes the packages that ``mine.py`` put on the eval side, links them side by side
under ``--root`` (one folder per package, so codesift indexes them as one workspace and
every query competes with all of them), and writes the eval-side pairs as queries:
``{"query", "targets": [{"path", "start_line", "end_line", "symbol"}], "language",
"form", "package"}``. The code keeps its doc comments here, as users' code does; the
question-form queries are the informative ones (docstring-form ones mostly measure
word overlap).

    python -m training.make_eval_set --pairs pairs.jsonl --root DIR --out queries.jsonl
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

from .common import read_jsonl, write_jsonl


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=Path, required=True, help="mine.py output")
    parser.add_argument("--root", type=Path, required=True,
                        help="folder to create with one link per held-out package")
    parser.add_argument("--out", type=Path, required=True, help="queries JSONL to write")
    parser.add_argument("--limit", type=int, default=300, help="most queries")
    parser.add_argument("--per-package", type=int, default=25)
    parser.add_argument("--forms", default="question,docstring",
                        help="query forms to keep (default %(default)s)")
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args(argv)

    forms = set(args.forms.split(","))
    pairs = [p for p in read_jsonl(args.pairs) if p["split"] == "eval" and p["form"] in forms]
    rng = random.Random(args.seed)
    rng.shuffle(pairs)
    by_pkg: dict[str, list[dict]] = defaultdict(list)
    for p in pairs:
        if len(by_pkg[p["package"]]) < args.per_package:
            by_pkg[p["package"]].append(p)
    # round-robin over packages so that every language is represented
    chosen: list[dict] = []
    queues = [v for _, v in sorted(by_pkg.items())]
    while queues and len(chosen) < args.limit:
        for q in list(queues):
            if not q:
                queues.remove(q)
                continue
            chosen.append(q.pop())
            if len(chosen) >= args.limit:
                break
    args.root.mkdir(parents=True, exist_ok=True)
    rows = []
    for p in chosen:
        folder = re.sub(r"[^A-Za-z0-9._-]+", "_", p["package"])
        link = args.root / folder
        if not link.is_symlink():
            link.symlink_to(Path(p["root"]).resolve(), target_is_directory=True)
        rows.append({"query": p["query"], "targets": [{
            "path": f"{folder}/{p['path']}", "start_line": p["start_line"],
            "end_line": p["end_line"], "symbol": p["symbol"]}],
            "language": p["language"], "form": p["form"], "package": p["package"]})
    write_jsonl(args.out, rows)
    print(f"{len(rows)} queries over {len({r['package'] for r in rows})} packages "
          f"-> {args.out}; root {args.root}")
    print(f"  by language: {dict(Counter(r['language'] for r in rows))}")
    print(f"  by form: {dict(Counter(r['form'] for r in rows))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
