"""MCP benchmark: drives ``codesift mcp`` over stdio with the SDK's own client.

On a fresh copy of the evaluation corpus (bench/data/corpus.py), default models:
the first ``search`` on the new root (answered from what is indexed while indexing
goes on), then, once the server's background embedding is done, ``search`` latency
over the stdlib questions (embeddings cached, heavy scores cold), and the same
questions again (all cached). Prints Markdown; ``--json PATH`` writes the numbers.

    .venv/bin/python -m bench.mcp [--queries N] [--json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from mcp import Client
from mcp.client.stdio import StdioServerParameters

from .data import corpus
from .lsp_server import QUESTIONS, pct


async def call(client: Client, tool: str, args: dict[str, Any]) -> tuple[dict[str, Any], float]:
    started = time.perf_counter()
    result = await client.call_tool(tool, args)
    ms = (time.perf_counter() - started) * 1000
    return json.loads(result.content[0].text), ms  # type: ignore[union-attr]


async def embedded(client: Client, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, _ = await call(client, "status", {})
        root = status["roots"][0]
        if root["progress"]["state"] == "ready" and root["embedding"].get("state") == "done":
            return status
        await asyncio.sleep(1.0)
    raise SystemExit(f"embedding did not finish in {timeout:.0f} s: {status}")


async def run(args: argparse.Namespace) -> dict[str, Any]:
    root = corpus.materialize(Path(tempfile.mkdtemp(prefix="codesift-mcp-bench-")) / "ws")
    queries = [json.loads(line)["query"] for line in
               QUESTIONS.read_text().splitlines()[: args.queries]]
    params = StdioServerParameters(command=sys.executable, args=["-m", "codesift", "mcp",
                                                                 str(root)], env=dict(os.environ))
    out: dict[str, Any] = {}
    started = time.perf_counter()
    async with Client(params, read_timeout_seconds=600) as client:
        out["startup_ms"] = (time.perf_counter() - started) * 1000
        first, ms = await call(client, "search", {"query": queries[0]})
        out["first_search"] = {"ms": ms, "results": len(first["results"]),
                               "partial": first["partial"], "notes": first["notes"]}
        if args.first_only:
            return out
        t0 = time.perf_counter()
        status = await embedded(client, args.timeout)
        out["index_and_embed_s"] = time.perf_counter() - t0
        out["chunks"] = status["roots"][0]["chunks"]
        for label in ("embeddings_cached", "all_cached"):
            times = []
            for query in queries:
                _, ms = await call(client, "search", {"query": query})
                times.append(ms)
            out[label] = {"p50": pct(times, 50), "p90": pct(times, 90), "n": len(times)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--first-only", action="store_true",
                        help="only the first search on a new root")
    args = parser.parse_args()
    out = asyncio.run(run(args))
    first = out["first_search"]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores\n")
    print("| measure | value |\n|---|---|")
    print(f"| server start + handshake | {out['startup_ms']:.0f} ms |")
    print(f"| first search on a new root | {first['ms']:.0f} ms, {first['results']} results, "
          f"partial={first['partial']} |")
    if args.first_only:
        print(f"\nfirst search said: {first['notes'][:1]}")
        return
    print(f"| index + background embedding ({out['chunks']:,} chunks) | "
          f"{out['index_and_embed_s']:.0f} s |")
    for label in ("embeddings_cached", "all_cached"):
        v = out[label]
        print(f"| search, {label.replace('_', ' ')} (n={v['n']}) | p50 {v['p50']:.0f} ms, "
              f"p90 {v['p90']:.0f} ms |")
    if first["notes"]:
        print(f"\nfirst search said: {first['notes'][0]}")
    if args.json:
        args.json.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
