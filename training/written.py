"""The team-written question set: where its packages live, the definitions a writer can
target, and resolving each question's targets to line ranges.

Targets are named as codesift's own chunker names definitions (``path`` relative to the
package root, dotted ``symbol`` such as ``Retrying.__call__``), so the resolved ranges are
exactly the chunks search returns. Commands, from the repository root:

    python -m training.written list PACKAGE [--grep WORD]   # definitions to write about
    python -m training.written check PACKAGE                  # targets resolve? names used?
    python -m training.written resolve                        # every *.src.jsonl -> resolved
    python -m training.written stats                          # counts per language and split

``list`` and ``resolve`` need the package sources installed (``training/data/README.md``).
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from codesift.config import ChunkConfig, ScanConfig
from codesift.evaluation.metrics import EvalQuery, Target
from codesift.parse.chunker import chunk_text
from codesift.scan import read_file, scan

from .common import DENYLIST, read_jsonl, write_jsonl

DATA = Path(__file__).resolve().parent / "data"
PACKAGES = DATA / "packages.json"
QUESTIONS = DATA / "questions"
RESOLVED = DATA / "resolved"
# where the pip and npm installs of packages.json go (apt installs land in /usr/share)
SRC = Path(os.environ.get("CODESIFT_TRAIN_SRC", Path.home() / ".cache/codesift-train/src"))
SKIP_PARTS = {"test", "tests", "testing", "__tests__", "spec", "examples", "example",
              "benches", "testdata", "vendor", "node_modules", "dist", "min"}


@dataclass(frozen=True)
class Package:
    name: str
    language: str
    split: str  # "train" | "tune" | "dev"
    root_glob: str  # where the installed sources are; the newest match wins
    install: str  # how to get them (a command)
    mined: tuple[str, ...] = ()  # its package ids in mine.py's output

    def __post_init__(self) -> None:
        object.__setattr__(self, "mined", tuple(self.mined))

    def root(self) -> Path | None:
        matches = sorted(glob.glob(self.root_glob.format(src=SRC)))
        return Path(matches[-1]) if matches else None


def eval_query(row: dict) -> EvalQuery:
    """A resolved question (``resolved/*.jsonl``) as ``codesift eval`` runs it."""
    return EvalQuery(row["query"], tuple(Target(t["path"], t["start_line"], t["end_line"])
                                         for t in row["targets"]))


def packages() -> dict[str, Package]:
    rows = json.loads(PACKAGES.read_text(encoding="utf-8"))
    out = {}
    for row in rows:
        pkg = Package(**row)
        if pkg.name.lower() in DENYLIST:
            raise SystemExit(f"{pkg.name}: on the denylist (training/common.py)")
        out[pkg.name] = pkg
    return out


def definitions(root: Path) -> dict[tuple[str, str], tuple[int, int, str, str]]:
    """(path, symbol) -> (start_line, end_line, kind, first line) for every definition
    codesift indexes under root (test, example and vendored folders left out)."""
    found: dict[tuple[str, str], tuple[int, int, str, str]] = {}
    duplicates: set[tuple[str, str]] = set()
    for wf in scan(root, ScanConfig()):
        if SKIP_PARTS.intersection(wf.rel.split("/")[:-1]):
            continue
        loaded = read_file(wf.path, ScanConfig())
        if loaded is None:
            continue
        lines = loaded.text.split("\n")
        for sym in chunk_text(loaded.text, loaded.language, ChunkConfig()).symbols:
            key = (wf.rel, sym.path)
            if key in found:
                duplicates.add(key)  # overloads, or the same name twice: ambiguous
            found[key] = (sym.start_line, sym.end_line, sym.kind,
                          lines[sym.start_line - 1].strip()[:120])
    for key in duplicates:
        del found[key]
    return found


def cmd_list(args: argparse.Namespace) -> int:
    pkg = packages()[args.package]
    root = pkg.root()
    if root is None:
        print(f"{pkg.name}: not installed ({pkg.install})", file=sys.stderr)
        return 1
    print(f"# {pkg.name} ({pkg.language}) at {root}")
    for (path, symbol), (start, end, kind, first) in sorted(definitions(root).items()):
        if args.grep and args.grep.lower() not in f"{path} {symbol}".lower():
            continue
        print(f"{path}\t{symbol}\t{kind}\t{start}-{end}\t{first}")
    return 0


def cmd_resolve(args: argparse.Namespace) -> int:
    known = packages()
    problems: list[str] = []
    by_package: dict[str, list[dict]] = {}
    for src in sorted(QUESTIONS.glob("*.src.jsonl")):
        for n, row in enumerate(read_jsonl(src), 1):
            name = row.get("package")
            if name not in known:
                problems.append(f"{src.name}:{n}: unknown package {name!r}")
                continue
            by_package.setdefault(name, []).append({**row, "_where": f"{src.name}:{n}"})
    resolved: dict[str, list[dict]] = {"train": [], "tune": [], "dev": []}
    for name, rows in sorted(by_package.items()):
        pkg = known[name]
        root = pkg.root()
        if root is None:
            problems.append(f"{name}: not installed ({pkg.install})")
            continue
        defs = definitions(root)
        for row in rows:
            targets = []
            for target in row["targets"]:
                hit = defs.get((target["path"], target["symbol"]))
                if hit is None:
                    problems.append(f"{row['_where']}: {target['path']} {target['symbol']}: "
                                    "no such definition")
                    continue
                targets.append({"path": target["path"], "start_line": hit[0],
                                "end_line": hit[1], "symbol": target["symbol"]})
            if targets:
                resolved[pkg.split].append({"query": row["query"], "package": name,
                                            "language": pkg.language, "targets": targets,
                                            "split": pkg.split})
    for split, rows in resolved.items():
        write_jsonl(RESOLVED / f"{split}.jsonl", rows)
        print(f"{split}: {len(rows)} questions", file=sys.stderr)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems and not args.allow_problems else 0


def cmd_check(args: argparse.Namespace) -> int:
    """One package's question file: every target resolves; how many questions name it."""
    pkg = packages()[args.package]
    root = pkg.root()
    src = QUESTIONS / f"{pkg.name}.src.jsonl"
    if root is None or not src.exists():
        print(f"{pkg.name}: sources or {src.name} missing", file=sys.stderr)
        return 1
    defs = definitions(root)
    problems, named, rows = [], 0, list(read_jsonl(src))
    targets: set[tuple[str, str]] = set()
    for n, row in enumerate(rows, 1):
        if row.get("package") != pkg.name or not row.get("query") or not row.get("targets"):
            problems.append(f"{src.name}:{n}: needs query, package={pkg.name!r}, targets")
            continue
        for t in row["targets"]:
            if (t.get("path"), t.get("symbol")) not in defs:
                problems.append(f"{src.name}:{n}: {t.get('path')} {t.get('symbol')}: "
                                "no such definition (see `list`)")
            targets.add((t.get("path"), t.get("symbol")))
            bare = str(t.get("symbol", "")).rsplit(".", 1)[-1]
            if len(bare) > 3 and bare.lower() in row["query"].lower():
                named += 1
    for problem in problems:
        print(problem)
    print(f"{pkg.name}: {len(rows)} questions over {len(targets)} definitions; "
          f"{named} name their target; {len(problems)} problems")
    return 1 if problems else 0


def cmd_pairs(args: argparse.Namespace) -> int:
    """A resolved split in the pairs format ``negatives.py`` reads (one row per target)."""
    known = packages()
    rows = []
    for n, row in enumerate(read_jsonl(RESOLVED / f"{args.split}.jsonl")):
        root = known[row["package"]].root()
        for t in row["targets"][:1]:
            rows.append({"id": f"written:{args.split}:{n}", "query": row["query"],
                         "form": "question", "doc": "", "language": row["language"],
                         "package": row["package"], "root": str(root), "path": t["path"],
                         "symbol": t["symbol"], "start_line": t["start_line"],
                         "end_line": t["end_line"], "split": args.as_split or args.split})
    print(f"{write_jsonl(args.out, rows)} pairs -> {args.out}", file=sys.stderr)
    return 0


def cmd_filter_mined(args: argparse.Namespace) -> int:
    """Mined pairs minus every package of the tuning and dev splits (and their
    training-split pairs stay): no tuning or dev package reaches training this way."""
    held = {m for p in packages().values() if p.split != "train" for m in p.mined}
    rows = [r for r in read_jsonl(args.pairs) if r["package"] not in held]
    print(f"{write_jsonl(args.out, rows)} pairs kept ({len(held)} packages held out)",
          file=sys.stderr)
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    for split in ("train", "tune", "dev"):
        path = RESOLVED / f"{split}.jsonl"
        if not path.exists():
            continue
        rows = list(read_jsonl(path))
        langs: dict[str, int] = {}
        targets: set[tuple[str, str, str]] = set()
        for row in rows:
            langs[row["language"]] = langs.get(row["language"], 0) + 1
            targets.update((row["package"], t["path"], t["symbol"]) for t in row["targets"])
        print(f"{split}: {len(rows)} questions over {len(targets)} definitions; {langs}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.written", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p_list = sub.add_parser("list", help="definitions of one package, one per line")
    p_list.add_argument("package")
    p_list.add_argument("--grep", help="only paths or symbols containing this")
    p_resolve = sub.add_parser("resolve", help="resolve every question file")
    p_resolve.add_argument("--allow-problems", action="store_true",
                           help="write what resolved and exit 0 despite problems")
    p_check = sub.add_parser("check", help="check one package's question file")
    p_check.add_argument("package")
    p_pairs = sub.add_parser("pairs", help="a resolved split as negatives.py input")
    p_pairs.add_argument("--split", choices=("train", "tune"), required=True)
    p_pairs.add_argument("--as-split", choices=("train", "eval"), default=None,
                         help="split name negatives.py selects on (default: --split)")
    p_pairs.add_argument("--out", type=Path, required=True)
    p_filter = sub.add_parser("filter-mined", help="drop tuning/dev packages from mined pairs")
    p_filter.add_argument("--pairs", type=Path, required=True)
    p_filter.add_argument("--out", type=Path, required=True)
    sub.add_parser("stats", help="counts of the resolved set")
    args = parser.parse_args(argv)
    return {"list": cmd_list, "resolve": cmd_resolve, "check": cmd_check,
            "pairs": cmd_pairs, "filter-mined": cmd_filter_mined,
            "stats": cmd_stats}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
