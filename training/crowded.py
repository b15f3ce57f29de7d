"""The tuning questions asked over one crowded corpus, the size of a large repository.

The tuning split's packages are a few hundred chunks each: there, almost any pool holds
the answer, so a setting that only matters on a large repository (the pool's size, the
places reserved for dense or embedded candidates) cannot be chosen on them. This puts
the five tuning packages into one folder together with distractor code (the training
packages and other installed sources, never the evaluation corpus, a denylisted library
or a dev package), indexes it once, and asks every tuning question there.

    python -m training.crowded --work WORK [--retrieve dense_keep=40] [--embed-all]

The corpus is hard-linked (copied across file systems) under ``WORK/corpus`` (or
``WORK/corpus-packages``); a second run reuses it and its index. Times on 2 cores, all
distractors (87,000 chunks): corpus and index 1.5 min the first time, lexical pool recall
1 min, light-model vectors of every chunk (``--embed-all``) 13 min once, the cascade 8 min.
"""

from __future__ import annotations

import argparse
import glob
import os
import shutil
import sys
from collections import defaultdict
from pathlib import Path

from .common import DENYLIST, read_jsonl
from .evaluate import add_setting_args, overrides_from, report_scores, run_package
from .written import RESOLVED, packages

# Installed sources beyond the training packages, as (name, glob). The Python ones are
# codesift's own development environment's (``pip install -e '.[dev]'``).
EXTRA_SOURCES = (
    ("cargo-{name}", "/usr/share/cargo/registry/*"),
    ("go-x-text", "/usr/share/gocode/src/golang.org/x/text"),
    ("go-x-sys", "/usr/share/gocode/src/golang.org/x/sys"),
    ("go-burntsushi-toml", "/usr/share/gocode/src/github.com/BurntSushi/toml"),
    ("py-{name}", f"{sys.prefix}/lib/python3*/site-packages/mypy"),
    ("py-{name}", f"{sys.prefix}/lib/python3*/site-packages/matplotlib"),
    ("py-{name}", f"{sys.prefix}/lib/python3*/site-packages/rich"),
)
# Tests, and stubs of the evaluation corpus's own API (mypy's typeshed), stay out.
SKIPPED = shutil.ignore_patterns("__pycache__", "*.pyc", "tests", "test", "benches",
                                 "typeshed")
# Crates of generated foreign-function declarations: tens of thousands of chunks that no
# question is about, which would make the corpus larger than the standard library.
BINDINGS = frozenset({"winapi", "winapi-i686-pc-windows-gnu", "winapi-x86_64-pc-windows-gnu",
                      "libc", "js-sys", "compiler_builtins"})


def _crate(folder: str) -> str:
    """``serde_json-1.0.1`` -> ``serde_json``."""
    name, _, version = folder.rpartition("-")
    return name if name and version[:1].isdigit() else folder


def _under_any(path: Path, roots: list[Path]) -> bool:
    return any(path == r or r in path.parents or path in r.parents for r in roots)


def corpus_roots(extra: bool = True) -> dict[str, Path]:
    """Folder name in the corpus -> source: tuning and training packages, then (``extra``)
    the other sources that are neither denylisted nor inside (or around) a dev package."""
    known = packages()
    split_of = {row["package"]: row["split"]
                for split in ("train", "tune", "dev")
                for row in read_jsonl(RESOLVED / f"{split}.jsonl")}
    roots: dict[str, Path] = {}
    reserved: list[Path] = []
    for name, pkg in sorted(known.items()):
        root = pkg.root()
        if root is None:
            raise SystemExit(f"{name}: sources not installed ({pkg.root_glob})")
        if split_of.get(name) in ("train", "tune"):
            roots[name] = root
        else:
            reserved.append(root)
    taken = list(roots.values())
    for pattern_name, pattern in EXTRA_SOURCES if extra else ():
        for match in sorted(glob.glob(pattern)):
            path = Path(match)
            crate = _crate(path.name)
            if (crate.lower() in DENYLIST | BINDINGS
                    or _under_any(path, reserved + taken)):
                continue
            roots[pattern_name.format(name=crate)] = path
    return roots


def materialize(corpus: Path, roots: dict[str, Path]) -> None:
    """Hard-link (or copy) each source into ``corpus/<name>``; existing folders are kept."""
    for name, root in roots.items():
        dest = corpus / name
        if dest.exists():
            continue
        tmp = corpus / f".{name}.part"
        shutil.rmtree(tmp, ignore_errors=True)
        try:
            shutil.copytree(root, tmp, ignore=SKIPPED, copy_function=os.link)
        except (OSError, shutil.Error):
            shutil.rmtree(tmp, ignore_errors=True)
            shutil.copytree(root, tmp, ignore=SKIPPED)
        tmp.rename(dest)


def prefixed(row: dict) -> dict:
    """A tuning question with its targets' paths inside the corpus folder."""
    return {**row, "targets": [{**t, "path": f"{row['package']}/{t['path']}"}
                               for t in row["targets"]]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_setting_args(parser)
    parser.add_argument("--work", type=Path, default=Path("/tmp/codesift-crowded"))
    parser.add_argument("--distractors", choices=("packages", "all"), default="all",
                        help="'packages': the training packages only (about 16,000 chunks "
                             "in all, the evaluation corpus's size); 'all': installed "
                             "sources too (about 87,000, the whole standard library's)")
    parser.add_argument("--list", action="store_true", help="print the corpus's sources")
    args = parser.parse_args(argv)
    roots = corpus_roots(extra=args.distractors == "all")
    if args.list:
        for name, root in roots.items():
            print(f"{name:28} {root}")
        return 0
    corpus = args.work / ("corpus" if args.distractors == "all" else "corpus-packages")
    corpus.mkdir(parents=True, exist_ok=True)
    materialize(corpus, roots)
    rows = [prefixed(r) for r in read_jsonl(RESOLVED / "tune.jsonl")]
    overrides = overrides_from(args)
    approaches = args.approaches.split(",")
    pools = [0.0]
    got = run_package(corpus, rows, overrides, args.work, approaches, pools, args.embed_all)
    scores: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for approach, per_query in got.items():
        scores[approach]["all"] = per_query
        for row, one in zip(rows, per_query, strict=True):
            scores[approach][row["package"]].append(one)
    report_scores("tune (crowded)", overrides, scores, pools[0], approaches, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
