"""Where the language server's memory goes, from ``/proc/PID/smaps``, in about a minute.

``bench/lsp_embedding.py`` measures the idle RSS after a whole background pass (about 17
minutes, and ±30 MB between identical runs with how the heap fragments). This one keeps
its workspace copy and ``XDG_CACHE_HOME`` in ``--work`` across runs: the first run
indexes and embeds every chunk (as long as the long benchmark); every later run starts a
server over the finished index, so nothing is embedded and the figures repeat. It prints
RSS, the peak, and resident memory by mapping kind (anonymous, heap, shared libraries)
with the largest mappings, when the index is ready, when the embedding reports done, and
after ``--questions`` of the hand-written stdlib questions.

    .venv/bin/python -m bench.lsp_memory --work DIR [--root DIR] [--questions 40] [--json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import sysconfig
import time
from pathlib import Path
from typing import Any

from . import lsp_embedding as lsp
from .engine import copy_tree, machine

BIG_MAPPING_KB = 8_000


def resident(pid: int) -> dict[str, Any]:
    """Resident MB by mapping kind, and the largest mappings (MB resident, MB mapped)."""
    kinds: collections.Counter[str] = collections.Counter()
    big: list[tuple[int, int, str]] = []
    mapping = ("", 0)
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        parts = line.split()
        if "-" in parts[0] and ":" not in parts[0]:  # a mapping's header line
            low, high = (int(x, 16) for x in parts[0].split("-"))
            mapping = (parts[5] if len(parts) > 5 else "[anon]", (high - low) >> 20)
        elif parts[0] == "Rss:":
            kb, (name, size) = int(parts[1]), mapping
            kinds[name if name.startswith("[") else "shared libraries" if ".so" in name
                  else "files"] += kb
            if kb > BIG_MAPPING_KB:
                big.append((kb >> 10, size, name))
    return {"by_kind_mb": {k: v >> 10 for k, v in kinds.most_common() if v >> 10},
            "largest": sorted(big, reverse=True)[:8]}


def snapshot(label: str, proc: lsp.Proc, started: float) -> dict[str, Any]:
    out = {"at": label, "s": round(time.perf_counter() - started, 1),
           "rss_mb": round(proc.mb()), "peak_mb": round(proc.mb("VmHWM")),
           **resident(proc.pid)}
    print(f"{label} ({out['s']} s): RSS {out['rss_mb']} MB, peak {out['peak_mb']} MB, "
          f"{out['by_kind_mb']}", flush=True)
    for mb, mapped, name in out["largest"]:
        print(f"    {mb:4d} MB resident of {mapped:4d} MB mapped  {name}", flush=True)
    return out


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    root = args.work / "ws"
    if not root.exists():
        source = args.root or Path(sysconfig.get_paths()["stdlib"])
        copy_tree(source.resolve(), root, args.root is None)
    os.environ["XDG_CACHE_HOME"] = str(args.work / "cache")  # inherited by the server
    client = lsp.make_client()
    started = client.t0 = time.perf_counter()
    proc = await lsp.start(client, root)
    points = []
    try:
        await lsp.wait_indexed(client, started, started + args.max_minutes * 60)
        points.append(snapshot("indexed", proc, started))
        deadline = started + args.max_minutes * 60
        state: dict[str, Any] = {}
        while time.perf_counter() < deadline:
            state = (await lsp.status(client))["roots"][0]["embedding"]
            if state.get("state") in lsp.FINISHED:
                break
            await asyncio.sleep(5)
        await asyncio.sleep(3)  # the end-of-pass count and the matrix read
        points.append(snapshot(f"embedding {state.get('state')} "
                               f"{state.get('done')}/{state.get('total')}", proc, started))
        questions = lsp.queries("stdlib_questions.jsonl")[: args.questions]
        for i, text in enumerate(questions):
            await lsp.search(client, text, f"q{i}")
        await asyncio.sleep(3)
        points.append(snapshot(f"after {len(questions)} questions", proc, started))
    finally:
        await lsp.stop(client)
    return {"machine": machine(), "root": str(root), "points": points}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, required=True,
                        help="kept across runs: the workspace copy and the index")
    parser.add_argument("--root", type=Path, default=None,
                        help="copy this folder (default: the standard library)")
    parser.add_argument("--questions", type=int, default=40)
    parser.add_argument("--max-minutes", type=float, default=40.0)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    result = asyncio.run(measure(args))
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
